import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import type { Bus } from '../bus/bus.js';
import type { Storage } from '../store/types.js';
import type { Access } from '../http/auth.js';
import type { Subscriptions } from '../live/subscriptions.js';
import type { LogTail } from '../live/log-tail.js';
import type { Replayer } from '../live/replay.js';
import type { WritePath } from '../store/write-path.js';
import { ChatHub } from './hub.js';
import { ChatStore } from './store.js';
import { ChatTransport } from './transport.js';
import type { ChatMetrics } from './metrics.js';

export interface ChatDeps {
  config: Config;
  bus: Bus;
  storage: Storage;
  writes: WritePath;
  tail: LogTail;
  replayer: Replayer;
  subscriptions: Subscriptions;
  access: Access;
  logger: FastifyBaseLogger;
  /** How long a disconnected session keeps its name for a resume (default 30 s). */
  graceMs?: number;
  metrics?: ChatMetrics;
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
  const { config, bus, storage, logger } = deps;
  const log = logger.child({ component: 'chat' });
  const hub = new ChatHub({
    bus,
    store: new ChatStore(storage.db, storage.run),
    writes: deps.writes,
    tail: deps.tail,
    replayer: deps.replayer,
    subscriptions: deps.subscriptions,
    access: deps.access,
    logger: log,
    reserveIds: (size) => storage.reserveSeqBlock('connection-ids', size),
    chatHistory: config.chatHistory,
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
