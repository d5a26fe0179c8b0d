import type { Bus, BusListener, BusMessage, Presence } from '../bus/bus.js';
import type { Metrics } from './registry.js';

/**
 * A Bus that times `publish` and `signal`, around any implementation
 * (in-process or Redis), which stay unaware of metrics.
 */
export class MeasuredBus implements Bus {
  /** Label objects made once: each publish observes with one of these instead of building and merging its own. */
  readonly #outcomes = {
    publish: { ok: Object.freeze({ operation: 'publish', outcome: 'ok' }), error: Object.freeze({ operation: 'publish', outcome: 'error' }) },
    signal: { ok: Object.freeze({ operation: 'signal', outcome: 'ok' }), error: Object.freeze({ operation: 'signal', outcome: 'error' }) },
  } as const;

  constructor(private readonly inner: Bus, private readonly metrics: Metrics) {}

  get presence(): Presence {
    return this.inner.presence;
  }

  async publish(channel: string, data: string): Promise<BusMessage> {
    return this.#time('publish', () => this.inner.publish(channel, data));
  }

  signal(channel: string, data: string): Promise<void> {
    return this.#time('signal', () => this.inner.signal(channel, data));
  }

  subscribe(channel: string, listener: BusListener): () => void {
    return this.inner.subscribe(channel, listener);
  }

  since(channel: string, after: number, limit: number): Promise<BusMessage[]> {
    return this.inner.since(channel, after, limit);
  }

  lastSeq(): Promise<number> {
    return this.inner.lastSeq();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async #time<T>(operation: 'publish' | 'signal', work: () => Promise<T>): Promise<T> {
    const outcomes = this.#outcomes[operation];
    const started = performance.now();
    try {
      const result = await work();
      this.metrics.busPublishDuration.observe(outcomes.ok, (performance.now() - started) / 1000);
      return result;
    } catch (err) {
      this.metrics.busPublishDuration.observe(outcomes.error, (performance.now() - started) / 1000);
      throw err;
    }
  }
}
