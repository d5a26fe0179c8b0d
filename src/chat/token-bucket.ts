/** One clock for every bucket: a bound function per socket cost memory for nothing. */
const monotonicMs = (): number => performance.now();

/** Per-socket rate limit: `rate` tokens a second, bursts up to `burst`. One instance per socket. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(private readonly rate: number, private readonly burst: number = rate * 2, private readonly now: () => number = monotonicMs) {
    this.#tokens = burst;
    this.#last = now();
  }

  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
