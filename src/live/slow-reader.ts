/**
 * The slow-reader policy of every live transport, WebSocket and SSE alike: a client that stops
 * reading while frames keep coming is cut off once the bytes waiting for it pass `maxBytes`
 * (WS_SEND_BUFFER_MAX), before its buffer grows without bound. It reconnects and resumes from
 * the last frame it read (a WebSocket resume, an EventSource's Last-Event-ID), so being cut costs
 * it nothing but the reconnect.
 */
export class SlowReaderPolicy {
  constructor(
    readonly maxBytes: number,
    private readonly onCut: () => void = () => {},
  ) {}

  /** True when a receiver with `backlog` unsent bytes must be cut now (and counts the cut). */
  exceeded(backlog: number): boolean {
    if (backlog <= this.maxBytes) return false;
    this.onCut();
    return true;
  }
}
