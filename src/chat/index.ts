import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Bus } from '../bus/bus.js';
import type { Store } from '../store/store.js';
import { ChatHub } from './hub.js';
import { ChatTransport } from './transport.js';

export interface ChatDeps {
  config: Config;
  bus: Bus;
  store: Store;
  logger: FastifyBaseLogger;
  /** How long a disconnected session keeps its name for a resume (default 30 s). */
  graceMs?: number;
  metrics?: ChatMetrics;
}

/** The counters the chat feeds (src/metrics/registry.ts implements them). */
export interface ChatMetrics {
  countChatFrame(direction: 'in' | 'out', type: string, count?: number): void;
  countDroppedClient(reason: 'slow_reader' | 'heartbeat' | 'flood' | 'frame_too_large'): void;
}

export interface ChatService {
  /** Closes every socket with 1001 (going away) and stops accepting upgrades. */
  close(): Promise<void>;
  /** Open WebSocket connections on this instance. */
  connections(): number;
}

export const DEFAULT_GRACE_MS = 30_000;

/**
 * The chat and the change-event subscriptions on the same port as HTTP: upgrades of
 * `/socketserver` and `/` on the Fastify server (docs/chat-protocol.md).
 */
export function attachChat(app: FastifyInstance, deps: ChatDeps): ChatService {
  const { config, bus, store, logger } = deps;
  const log = logger.child({ component: 'chat' });
  const hub = new ChatHub({
    bus,
    store: store.chat,
    logger: log,
    instanceId: config.instanceId,
    chatHistory: config.chatHistory,
    apiToken: config.apiToken,
    readTokenRequired: config.readTokenRequired,
    graceMs: deps.graceMs ?? DEFAULT_GRACE_MS,
    metrics: deps.metrics,
  });
  const transport = new ChatTransport(app.server, hub, config, log, deps.metrics);
  let closing: Promise<void> | undefined;
  return {
    close() {
      closing ??= transport.close().then(async () => {
        // Let the disconnect handlers of the sockets just closed publish their user lists.
        await new Promise((resolve) => setImmediate(resolve));
        hub.stop();
      });
      return closing;
    },
    connections: () => transport.connections(),
  };
}
