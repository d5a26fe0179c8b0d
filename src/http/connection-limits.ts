/**
 * Limits per client address for long-lived connections (WebSocket, SSE) and for WebSocket
 * handshakes, which the HTTP rate limit never sees. The address is the one the HTTP side uses:
 * the same TRUST_PROXY rule, given to Fastify as its trustProxy and applied here to upgrade
 * requests, which never reach Fastify.
 */
import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import type { TrustProxy } from '../config.js';

export type ProxyTrust = (address: string, hop: number) => boolean;

const TRUST_NONE: ProxyTrust = () => false;
const TRUST_ALL: ProxyTrust = () => true;

/** Whether the proxy at `address`, `hop` hops away, is believed about who it forwards for. */
export function proxyTrust(setting: TrustProxy): ProxyTrust {
  if (setting === false) return TRUST_NONE;
  if (setting === true) return TRUST_ALL;
  return proxyAddr.compile(setting);
}

/**
 * The client's address: the socket's peer, or, behind trusted proxies, the first address in
 * X-Forwarded-For that no trusted proxy vouches for. Headers from anyone else are ignored, so a
 * client cannot pick its own address to escape a limit.
 */
export function clientAddress(req: IncomingMessage, trust: ProxyTrust): string {
  return proxyAddr(req, trust);
}

/** Open connections per client address, at most `max` each (0: no cap). */
export class ConnectionCounter {
  readonly #open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts one more connection of `address`; false, and nothing counted, when it has `max` already. */
  open(address: string): boolean {
    if (this.max === 0) return true;
    const n = this.#open.get(address) ?? 0;
    if (n >= this.max) return false;
    this.#open.set(address, n + 1);
    return true;
  }

  /** One connection of `address` ended; call once for each `open` that returned true. */
  close(address: string): void {
    if (this.max === 0) return;
    const n = (this.#open.get(address) ?? 0) - 1;
    if (n > 0) this.#open.set(address, n);
    else this.#open.delete(address);
  }
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Addresses remembered at most; buckets that refilled are forgotten first. */
const MAX_ADDRESSES = 10_000;

/**
 * A token bucket per client address: `perSecond` events a second, bursts of twice that (0: no
 * limit). An address whose bucket has refilled is the same as one never seen, so it is dropped
 * when the map is full, which keeps memory bounded whatever the number of clients.
 */
export class ClientRate {
  readonly #buckets = new Map<string, Bucket>();
  readonly #burst: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#burst = perSecond * 2;
  }

  /** Takes one event for `address`: undefined when allowed, else the seconds until one would be. */
  take(address: string): number | undefined {
    if (this.perSecond === 0) return undefined;
    const now = this.now();
    let bucket = this.#buckets.get(address);
    if (bucket === undefined) {
      if (this.#buckets.size >= MAX_ADDRESSES) this.#forgetRefilled(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(address, bucket);
    }
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) return Math.max(1, Math.ceil((1 - bucket.tokens) / this.perSecond));
    bucket.tokens -= 1;
    return undefined;
  }

  #forgetRefilled(now: number): void {
    const refillMs = (this.#burst / this.perSecond) * 1000;
    for (const [address, bucket] of this.#buckets) if (now - bucket.at >= refillMs) this.#buckets.delete(address);
    // Still full: more clients than can be told apart right now; start over rather than grow.
    if (this.#buckets.size >= MAX_ADDRESSES) this.#buckets.clear();
  }
}
