import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusListener, BusMessage, Presence } from './bus.js';
import { RedisPresence } from './redis-presence.js';
import { UnavailableError } from '../errors.js';

export const DEFAULT_PREFIX = 'boutique:';

export interface RedisBusOptions {
  /** Every key and pubsub channel starts with it (REDIS_PREFIX), so several shops or test runs share one Redis. */
  prefix?: string;
  heartbeatMs?: number;
  presenceTtlMs?: number;
  /** How long start-up waits for Redis before giving up. */
  connectTimeoutMs?: number;
  /** Called with connection errors (they never throw): the app logs them. */
  onError?: (err: Error) => void;
}

/** A command that does not answer within this long fails (503) instead of holding a request. */
const COMMAND_TIMEOUT_MS = 2000;

/**
 * The bus across instances, the way Socket.IO's Redis adapter and Centrifugo's Redis engine do
 * it: one connection runs commands; one subscriber connection per instance carries every channel
 * this instance listens to, with the listeners kept locally (SUBSCRIBE on the first local
 * listener, UNSUBSCRIBE after the last). Nothing here needs to survive: what must is in the
 * change log in the database. If Redis goes away nothing throws out of band: commands reject with
 * UnavailableError, ioredis reconnects and resubscribes, and the live tail reads from the change
 * log whatever the bus did not bring meanwhile (src/live/log-tail.ts).
 */
export class RedisBus implements Bus {
  readonly shared = true;
  readonly presence: Presence;
  readonly #prefix: string;
  readonly #listeners = new Map<string, Set<BusListener>>();
  #closed = false;

  private constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    instanceId: string,
    options: RedisBusOptions,
  ) {
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    const presence = new RedisPresence(commands, this.#prefix, instanceId, {
      heartbeatMs: options.heartbeatMs,
      ttlMs: options.presenceTtlMs,
      onError: options.onError,
      listen: (channel, listener) => this.#listenRaw(channel, listener),
    });
    this.presence = presence;
    subscriber.on('message', (channel: string, message: string) => this.#deliver(channel, message));
  }

  /**
   * Connects both connections and starts the presence heartbeat. The instance id is made unique
   * per process start (a random suffix), so a restarted instance with the same name never
   * inherits the members of the one that died.
   */
  static async connect(url: string, instanceId: string, options: RedisBusOptions = {}): Promise<RedisBus> {
    const onError = options.onError ?? (() => {});
    const base: RedisOptions = {
      lazyConnect: true,
      connectTimeout: 2000,
      // Reconnect forever, at most every 2 s: the bus recovers by itself when Redis is back.
      retryStrategy: (times) => Math.min(100 * times, 2000),
      maxRetriesPerRequest: 0,
    };
    const commands = new Redis(url, { ...base, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS, connectionName: `boutique:${instanceId}` });
    // The subscriber queues (UN)SUBSCRIBE while disconnected and resubscribes on reconnect.
    const subscriber = new Redis(url, { ...base, enableOfflineQueue: true, autoResubscribe: true, connectionName: `boutique:${instanceId}:sub` });
    commands.on('error', onError);
    subscriber.on('error', onError);
    const timeout = options.connectTimeoutMs ?? 5000;
    try {
      await withTimeout(Promise.all([commands.connect(), subscriber.connect()]), timeout, `Redis not reachable at ${redactedUrl(url)} within ${timeout} ms`);
    } catch (err) {
      commands.disconnect();
      subscriber.disconnect();
      throw err;
    }
    const bus = new RedisBus(commands, subscriber, `${instanceId}:${randomBytes(4).toString('hex')}`, options);
    await (bus.presence as RedisPresence).start();
    return bus;
  }

  async signal(channel: string, data: string): Promise<void> {
    await this.#run(() => this.commands.publish(this.#channel(channel), data));
  }

  subscribe(channel: string, listener: BusListener): () => void {
    return this.#listenRaw(this.#channel(channel), listener);
  }

  async ping(): Promise<void> {
    if (this.subscriber.status !== 'ready') throw new UnavailableError('bus unavailable: subscriber connection is ' + this.subscriber.status);
    await this.#run(() => this.commands.ping());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await (this.presence as RedisPresence).stop();
    this.#listeners.clear();
    await Promise.allSettled([this.subscriber.quit(), this.commands.quit()]);
    this.subscriber.disconnect();
    this.commands.disconnect();
  }

  /** Listens on a raw (already prefixed) pubsub channel; shared by channels and presence watches. */
  #listenRaw(raw: string, listener: BusListener): () => void {
    let set = this.#listeners.get(raw);
    if (!set) {
      this.#listeners.set(raw, (set = new Set()));
      this.subscriber.subscribe(raw).catch(() => {});
    }
    set.add(listener);
    return () => {
      if (!set.delete(listener) || set.size > 0 || this.#listeners.get(raw) !== set) return;
      this.#listeners.delete(raw);
      if (!this.#closed) this.subscriber.unsubscribe(raw).catch(() => {});
    };
  }

  #deliver(raw: string, data: string): void {
    const set = this.#listeners.get(raw);
    if (!set) return;
    const message: BusMessage = { channel: this.#logical(raw), data };
    for (const listener of set) listener(message);
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new UnavailableError('bus closed');
    try {
      return await work();
    } catch (err) {
      return unavailable(err);
    }
  }

  #channel(channel: string): string {
    return this.#prefix + 'ch:' + channel;
  }

  #logical(raw: string): string {
    const base = this.#channel('');
    return raw.startsWith(base) ? raw.slice(base.length) : raw;
  }
}

/** Redis answered with an error about the command itself (a bug, not an outage) only for ReplyError. */
function unavailable(err: unknown): never {
  if (err instanceof Error && err.name === 'ReplyError' && !/^(LOADING|BUSY|MASTERDOWN|READONLY|TRYAGAIN|CLUSTERDOWN)/.test(err.message)) throw err;
  throw new UnavailableError('bus unavailable', { cause: err });
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function redactedUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'REDIS_URL';
  }
}
