import type { Redis } from 'ioredis';
import type { BusListener, Presence } from './bus.js';
import { CLAIM, HEARTBEAT, MEMBERS, RELEASE, RELEASE_HELD, RESTORE, SWEEP, runScript } from './redis-scripts.js';
import { UnavailableError } from '../errors.js';

export const DEFAULT_HEARTBEAT_MS = 2000;
export const DEFAULT_PRESENCE_TTL_MS = 6000;

export interface RedisPresenceOptions {
  heartbeatMs?: number | undefined;
  ttlMs?: number | undefined;
  onError?: ((err: Error) => void) | undefined;
  /** Subscribes to a raw pubsub channel through the bus's one subscriber connection. */
  listen: (rawChannel: string, listener: BusListener) => () => void;
}

/**
 * Presence that survives a crash. Every member records the instance that
 * claimed it; each instance keeps an alive key with a TTL that its heartbeat refreshes. When an
 * instance dies (kill -9) its key expires after at most `ttlMs`, and the next sweep — every
 * heartbeat on every instance, and before every `members()` — removes its members and
 * announces it on the set's presence-changed channel, which `watch()` listens to.
 *
 * Bound: `members()` stops listing a dead instance's members at most `ttlMs` after its last
 * heartbeat (6 s by default); watchers hear of it at most one heartbeat later (8 s).
 *
 * This instance remembers what it holds, so when it finds its own alive key gone (it was cut
 * off from Redis long enough to be reaped, or Redis restarted empty) it puts back whatever no
 * one else took meanwhile. It also remembers what it gave up while Redis was away: a release
 * never fails for an outage, it is made by the first heartbeat that reaches Redis again — else
 * a user who left during the outage would stay online for as long as this instance lives.
 */
export class RedisPresence implements Presence {
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  /** set → member → owner: what this instance claimed and has not released. */
  readonly #held = new Map<string, Map<string, string>>();
  /** set → member → owner: releases Redis could not take (it was away), made by the next heartbeat. */
  readonly #unreleased = new Map<string, Map<string, string>>();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    readonly instanceId: string,
    private readonly options: RedisPresenceOptions,
  ) {
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#ttlMs = options.ttlMs ?? DEFAULT_PRESENCE_TTL_MS;
  }

  async start(): Promise<void> {
    await this.#heartbeat();
    this.#timer = setInterval(() => {
      this.#beating ??= this.#heartbeat()
        .catch((err: unknown) => this.options.onError?.(err instanceof Error ? err : new Error(String(err))))
        .finally(() => (this.#beating = undefined));
    }, this.#heartbeatMs);
    this.#timer.unref();
  }

  /** Stops the heartbeat and gives up this instance's members at once (a clean shutdown need not wait for the TTL). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#beating;
    try {
      await this.redis.del(this.#key(`instance:${this.instanceId}:alive`));
      await runScript(this.redis, SWEEP, [], [this.prefix]);
    } catch {
      // Redis is away: the alive key expires on its own and another instance sweeps.
    }
  }

  async claim(set: string, member: string, owner: string): Promise<boolean> {
    // The same owner back (a session resumed here): its release waiting for Redis is void.
    forget(this.#unreleased, set, member, owner);
    const won = (await this.#run(CLAIM, [this.prefix, set, member, owner, this.instanceId])) === 1;
    if (won) {
      let held = this.#held.get(set);
      if (!held) this.#held.set(set, (held = new Map()));
      held.set(member, owner);
    }
    return won;
  }

  async release(set: string, member: string, owner: string): Promise<void> {
    forget(this.#held, set, member, owner);
    try {
      await this.#run(RELEASE, [this.prefix, set, member, owner]);
    } catch (err) {
      if (!(err instanceof UnavailableError)) throw err;
      let unreleased = this.#unreleased.get(set);
      if (!unreleased) this.#unreleased.set(set, (unreleased = new Map()));
      unreleased.set(member, owner);
    }
  }

  async members(set: string): Promise<string[]> {
    return (await this.#run(MEMBERS, [this.prefix, set])) as string[];
  }

  async owner(set: string, member: string): Promise<string | undefined> {
    let held: string | null;
    try {
      held = await this.redis.hget(this.#key('presence:' + set), member);
    } catch (err) {
      throw new UnavailableError('presence unavailable', { cause: err });
    }
    if (held === null) return undefined;
    return held.slice(held.indexOf('\n') + 1);
  }

  watch(set: string, listener: () => void): () => void {
    return this.options.listen(this.#key('presence-changed:' + set), () => listener());
  }

  async #heartbeat(): Promise<void> {
    const existed = await this.#run(HEARTBEAT, [this.prefix, this.instanceId, this.#ttlMs]);
    await this.#releaseHeld();
    if (existed === 0) await this.#restore();
    await this.#run(SWEEP, [this.prefix]);
  }

  /** The releases made while Redis was away, now; one that a claim voided meanwhile is not sent again. */
  async #releaseHeld(): Promise<void> {
    const args = triples(this.#unreleased);
    if (args.length === 0) return;
    await this.#run(RELEASE_HELD, [this.prefix, this.instanceId, ...args]);
    for (let i = 0; i < args.length; i += 3) forget(this.#unreleased, args[i], args[i + 1], args[i + 2]);
  }

  async #restore(): Promise<void> {
    const args = triples(this.#held);
    if (args.length > 0) await this.#run(RESTORE, [this.prefix, this.instanceId, ...args]);
  }

  async #run(script: string, args: (string | number)[]): Promise<unknown> {
    try {
      return await runScript(this.redis, script, [], args);
    } catch (err) {
      throw new UnavailableError('presence unavailable', { cause: err });
    }
  }

  #key(name: string): string {
    return this.prefix + name;
  }
}

/** set → member → owner as the scripts take it: set, member, owner, one triple after another. */
function triples(sets: ReadonlyMap<string, ReadonlyMap<string, string>>): string[] {
  const args: string[] = [];
  for (const [set, members] of sets) for (const [member, owner] of members) args.push(set, member, owner);
  return args;
}

/** Drops `member` of `set` from a set → member → owner map if `owner` is the one recorded. */
function forget(sets: Map<string, Map<string, string>>, set: string, member: string, owner: string): void {
  const members = sets.get(set);
  if (members?.get(member) === owner) members.delete(member);
}
