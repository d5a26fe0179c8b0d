import type { Bus, BusListener, Presence } from '../bus/bus.js';
import type { Metrics } from './registry.js';

/** A Bus that times `signal`, around any implementation (in-process or Redis), which stays unaware of metrics. */
export class MeasuredBus implements Bus {
  /** Label objects made once: each send observes with one of these instead of building its own. */
  readonly #outcomes = {
    ok: Object.freeze({ operation: 'signal', outcome: 'ok' }),
    error: Object.freeze({ operation: 'signal', outcome: 'error' }),
  } as const;

  constructor(private readonly inner: Bus, private readonly metrics: Metrics) {}

  get shared(): boolean {
    return this.inner.shared;
  }

  get presence(): Presence {
    return this.inner.presence;
  }

  async signal(channel: string, data: string): Promise<void> {
    const started = performance.now();
    try {
      await this.inner.signal(channel, data);
      this.metrics.busPublishDuration.observe(this.#outcomes.ok, (performance.now() - started) / 1000);
    } catch (err) {
      this.metrics.busPublishDuration.observe(this.#outcomes.error, (performance.now() - started) / 1000);
      throw err;
    }
  }

  subscribe(channel: string, listener: BusListener): () => void {
    return this.inner.subscribe(channel, listener);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
