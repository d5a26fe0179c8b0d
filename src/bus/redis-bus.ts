import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Bus, BusListener, BusMessage, Presence } from './bus.js';
import { DEFAULT_LOG_SIZE } from './memory-bus.js';

/** A channel's resume log lives this long after its last message (a day: older resumes start afresh). */
const LOG_RETENTION_SECONDS = 86_400;
import { RedisPresence } from './redis-presence.js';
import { PUBLISH, runScript } from './redis-scripts.js';
import { UnavailableError } from '../errors.js';

export const DEFAULT_PREFIX = 'boutique:';

export interface RedisBusOptions {
  /** Every key and pubsub channel starts with it (REDIS_PREFIX), so several shops or test runs share one Redis. */
  prefix?: string;
  /** Entries each channel's stream keeps for resume (approximately: MAXLEN ~). */
  logSize?: number;
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
 * The bus across instances, the way Socket.IO's Redis adapter and Centrifugo's Redis
 * engine do it. One connection runs commands; one subscriber connection per instance carries
 * every channel this instance listens to, with the listeners kept locally (SUBSCRIBE on the
 * first local listener, UNSUBSCRIBE after the last).
 *
 * publish is one Lua script: INCR the shop's seq, XADD the frame to the channel's stream with
 * id `<seq>-0`, PUBLISH `<seq>\n<data>` — so every instance receives messages in seq order and
 * `since()` is an XRANGE. If Redis goes away nothing throws out of band: commands reject with
 * UnavailableError, ioredis reconnects and resubscribes, and the channels this instance
 * listens to are caught up from their streams so a listener misses nothing that was logged.
 */
export class RedisBus implements Bus {
  readonly presence: Presence;
  readonly #prefix: string;
  readonly #logSize: number;
  readonly #listeners = new Map<string, Set<BusListener>>();
  /** SUBSCRIBE/UNSUBSCRIBE not yet acknowledged; lastSeq() waits for them (see there). */
  readonly #pending = new Set<Promise<unknown>>();
  /** Highest seq delivered per logical channel, to catch up after a reconnect without duplicates. */
  readonly #delivered = new Map<string, number>();
  /** Live messages held back while a reconnect catches up from the streams. */
  #held: [string, string][] | undefined;
  #everDropped = false;
  #closed = false;

  private constructor(
    private readonly commands: Redis,
    private readonly subscriber: Redis,
    instanceId: string,
    options: RedisBusOptions,
  ) {
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    this.#logSize = options.logSize ?? DEFAULT_LOG_SIZE;
    const presence = new RedisPresence(commands, this.#prefix, instanceId, {
      heartbeatMs: options.heartbeatMs,
      ttlMs: options.presenceTtlMs,
      onError: options.onError,
      listen: (channel, listener) => this.#listenRaw(channel, listener),
    });
    this.presence = presence;
    subscriber.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    subscriber.on('close', () => {
      if (!this.#closed) this.#everDropped = true;
    });
    subscriber.on('ready', () => {
      if (this.#everDropped && !this.#closed) void this.#catchUp();
    });
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

  async publish(channel: string, data: string): Promise<BusMessage> {
    const seq = await this.#run(() => runScript(this.commands, PUBLISH, [this.#key('seq'), this.#key('log:' + channel)], [this.#channel(channel), data, this.#logSize, LOG_RETENTION_SECONDS]));
    return { seq: Number(seq), channel, data };
  }

  async signal(channel: string, data: string): Promise<void> {
    await this.#run(() => this.commands.publish(this.#channel(channel), '0\n' + data));
  }

  subscribe(channel: string, listener: BusListener): () => void {
    return this.#listenRaw(this.#channel(channel), listener);
  }

  async since(channel: string, after: number, limit: number): Promise<BusMessage[]> {
    if (limit <= 0) return [];
    const entries = await this.#run(() => this.commands.xrange(this.#key('log:' + channel), String(after + 1), '+', 'COUNT', limit));
    return entries.map(([id, fields]) => ({ seq: parseInt(id, 10), channel, data: fields[1] ?? '' }));
  }

  /**
   * The hub subscribes and then reads lastSeq() as its cut: everything ≤ cut comes from the
   * log, everything > cut live. That holds only if the SUBSCRIBE was acknowledged before the
   * seq was read, so this waits for pending subscriptions first.
   */
  async lastSeq(): Promise<number> {
    if (this.#pending.size > 0) await withTimeout(Promise.all(this.#pending), COMMAND_TIMEOUT_MS, 'bus unavailable').catch(unavailable);
    const seq = await this.#run(() => this.commands.get(this.#key('seq')));
    return seq === null ? 0 : Number(seq);
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
      // Once subscribed, note the seq reached: a reconnect catches up from there (#catchUp).
      this.#track(
        this.subscriber.subscribe(raw).then(async () => {
          const seq = await this.commands.get(this.#key('seq'));
          if (!this.#delivered.has(raw)) this.#delivered.set(raw, seq === null ? 0 : Number(seq));
        }),
      );
    }
    set.add(listener);
    return () => {
      if (!set.delete(listener) || set.size > 0 || this.#listeners.get(raw) !== set) return;
      this.#listeners.delete(raw);
      this.#delivered.delete(raw);
      if (!this.#closed) this.#track(this.subscriber.unsubscribe(raw));
    };
  }

  #track(command: Promise<unknown>): void {
    const pending = command.catch(() => {}).finally(() => this.#pending.delete(pending));
    this.#pending.add(pending);
  }

  #onMessage(raw: string, message: string): void {
    if (this.#held !== undefined) this.#held.push([raw, message]);
    else this.#deliver(raw, message);
  }

  #deliver(raw: string, message: string): void {
    const set = this.#listeners.get(raw);
    if (!set) return;
    const nl = message.indexOf('\n');
    const seq = Number(message.slice(0, nl));
    if (seq > 0) {
      if (seq <= (this.#delivered.get(raw) ?? 0)) return;
      this.#delivered.set(raw, seq);
    }
    const bus: BusMessage = { seq, channel: this.#logical(raw), data: message.slice(nl + 1) };
    for (const listener of set) listener(bus);
  }

  /**
   * After the subscriber reconnected: what was published while it was away is in the streams.
   * Live messages are held meanwhile, so each channel's listeners still see seq order with no
   * gap and no duplicate (#delivered drops what arrives both ways). Retries until the command
   * connection is back too.
   */
  async #catchUp(): Promise<void> {
    if (this.#held !== undefined) return;
    this.#held = [];
    try {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          // Answered after the resubscription on the same connection: from here, nothing published is lost.
          await this.subscriber.ping();
          const missed: [string, string][] = [];
          for (const raw of [...this.#listeners.keys()]) {
            const last = this.#delivered.get(raw);
            if (last === undefined || !raw.startsWith(this.#channel(''))) continue;
            for (const m of await this.since(this.#logical(raw), last, this.#logSize)) missed.push([raw, m.seq + '\n' + m.data]);
          }
          for (const [raw, message] of missed) this.#deliver(raw, message);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, Math.min(100 * (attempt + 1), 1000)));
        }
      }
    } finally {
      const held = this.#held;
      this.#held = undefined;
      for (const [raw, message] of held) this.#deliver(raw, message);
    }
  }

  async #run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new UnavailableError('bus closed');
    try {
      return await work();
    } catch (err) {
      return unavailable(err);
    }
  }

  #key(name: string): string {
    return this.#prefix + name;
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
