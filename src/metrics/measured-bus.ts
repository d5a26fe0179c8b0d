import type { Bus, BusListener, BusMessage, Presence } from '../bus/bus.js';
import type { Metrics } from './registry.js';

/** `topic:customers/7/orders` → `customers/:id/orders`, so the label set stays small. */
export function topicKind(channel: string): string {
  return channel.slice('topic:'.length).replace(/\/\d+/g, '/:id');
}

/**
 * A Bus that times `publish` and `signal` and counts change events, around any implementation
 * (in-process or Redis), which stay unaware of metrics.
 */
export class MeasuredBus implements Bus {
  constructor(private readonly inner: Bus, private readonly metrics: Metrics) {}

  get presence(): Presence {
    return this.inner.presence;
  }

  async publish(channel: string, data: string): Promise<BusMessage> {
    const message = await this.#time('publish', () => this.inner.publish(channel, data));
    if (channel.startsWith('topic:')) this.metrics.changeEvents.inc({ topic: topicKind(channel) });
    return message;
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
    const end = this.metrics.busPublishDuration.startTimer({ operation });
    try {
      const result = await work();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  }
}
