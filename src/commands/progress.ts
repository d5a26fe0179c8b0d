import type { WriteStream } from 'node:tty';

type Output = Pick<WriteStream, 'write'> & { isTTY?: boolean; columns?: number };

/**
 * A progress bar redrawn in place on a terminal; plain lines at every tenth otherwise, so a
 * log file or CI output gets a few readable lines instead of thousands of carriage returns.
 */
export class Progress {
  #lastTenth = -1;
  readonly #started = Date.now();

  constructor(private readonly total: number, private readonly unit: string, private readonly out: Output = process.stdout) {}

  update(done: number): void {
    const fraction = this.total === 0 ? 1 : Math.min(done / this.total, 1);
    if (this.out.isTTY) {
      const width = Math.max(10, Math.min(40, (this.out.columns ?? 80) - 40));
      const filled = Math.round(fraction * width);
      this.out.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ${done}/${this.total} ${this.unit}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth > this.#lastTenth) {
      this.#lastTenth = tenth;
      this.out.write(`${done}/${this.total} ${this.unit} (${tenth * 10}%)\n`);
    }
  }

  done(): void {
    if (this.out.isTTY) this.out.write('\n');
  }

  get seconds(): string {
    return ((Date.now() - this.#started) / 1000).toFixed(1);
  }
}
