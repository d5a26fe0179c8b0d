/** The counters the chat feeds (src/metrics/registry.ts implements them); kept apart from the chat's composition root. */
export interface ChatMetrics {
  countChatFrame(direction: 'in' | 'out', type: string, count?: number): void;
  countDroppedClient(reason: 'slow_reader' | 'heartbeat' | 'flood' | 'frame_too_large'): void;
}

/** What the chat logs: errors, and debug lines about clients it cut off. */
export interface ChatLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
