import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';

export interface ChatDeps {
  config: Config;
  bus: Bus;
  store: Store;
  logger: FastifyBaseLogger;
}

export interface ChatService {
  /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
  close(): Promise<void>;
  /** Open WebSocket connections on this instance. */
  connections(): number;
}

// Replaced by the WebSocket transport (issue 3).
export function attachChat(_app: FastifyInstance, _deps: ChatDeps): ChatService {
  return { close: async () => {}, connections: () => 0 };
}
