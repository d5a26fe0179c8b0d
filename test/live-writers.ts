/**
 * REST writers for the fault tests: a few concurrent loops that create, update and delete
 * customers and orders through the API, and keep every write answered 2xx with the log position
 * its Boutique-Log-Position header names. A request the server died under is not acknowledged
 * (it may or may not have committed: the log says which).
 */
import type { Seen } from './live-log.js';

/** A deterministic generator for a seed (mulberry32): a failing run can be repeated. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ORDER = { items: [{ sku: 'LIVE-1', quantity: 2, unitPrice: 1999 }, { sku: 'LIVE-2', quantity: 1, unitPrice: 500 }] };
/** How long one request may take: a server killed mid-request ends it sooner, with an error. */
const REQUEST_TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  position: number | undefined;
  id: number | undefined;
}

export class RestWriters {
  /** Writes answered 2xx: the log entry each must be (its seq is the answer's position). */
  readonly acknowledged: (Seen & { request: string })[] = [];
  /** Requests the server died under (no answer), and answers by status. */
  unanswered = 0;
  readonly statuses = new Map<number, number>();
  readonly problems: string[] = [];
  #stopped = false;
  #loops: Promise<void>[] = [];

  /** `baseOf(w)` is the server writer `w` talks to. */
  constructor(
    private readonly count: number,
    private readonly baseOf: (writer: number) => string,
    private readonly random: () => number,
    private readonly run = Math.random().toString(36).slice(2, 8),
  ) {}

  get attempts(): number {
    return [...this.statuses.values()].reduce((a, b) => a + b, 0) + this.unanswered;
  }

  /** Starts the loops; once stopped, never again. */
  start(): void {
    if (this.#stopped) return;
    this.#loops = Array.from({ length: this.count }, (_, w) => this.#loop(w));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
  }

  async #loop(w: number): Promise<void> {
    for (let n = 0; !this.#stopped; n++) {
      const customer = await this.#write(w, 'POST', '/customers', { name: `Live ${w}-${n}`, email: `live.${this.run}.${w}.${n}@example.org` }, 'customers', 'created');
      if (customer === undefined) continue;
      const path = `/customers/${customer}`;
      const order = await this.#write(w, 'POST', `${path}/orders`, ORDER, 'orders', 'created');
      await this.#write(w, 'PATCH', path, { name: `Live ${w}-${n} renamed` }, 'customers', 'updated', customer);
      if (order !== undefined) {
        await this.#write(w, 'PATCH', `${path}/orders/${order}`, { status: 'paid' }, 'orders', 'updated', order);
        if (this.random() < 0.3) await this.#write(w, 'DELETE', `${path}/orders/${order}`, undefined, 'orders', 'deleted', order);
      }
      if (this.random() < 0.4) await this.#write(w, 'DELETE', path, undefined, 'customers', 'deleted', customer);
    }
  }

  /** One write; the id it created or changed when answered 2xx, else undefined. */
  async #write(w: number, method: string, path: string, body: unknown, channel: string, action: string, id?: number): Promise<number | undefined> {
    if (this.#stopped) return undefined;
    const answer = await this.#call(this.baseOf(w), method, path, body);
    if (answer.status === 0) {
      this.unanswered++;
      // The server is down: do not spin while it restarts.
      await new Promise((resolve) => setTimeout(resolve, 50));
      return undefined;
    }
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status < 200 || answer.status > 299) return undefined;
    const key = id ?? answer.id;
    if (answer.position === undefined || key === undefined) {
      this.problems.push(`${method} ${path} answered ${answer.status} without a log position or id`);
      return undefined;
    }
    this.acknowledged.push({ seq: answer.position, channel, action, key: String(key), request: `${method} ${path}` });
    return key;
  }

  async #call(base: string, method: string, path: string, body: unknown): Promise<Answer> {
    try {
      const res = await fetch(base + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.text();
      const header = res.headers.get('boutique-log-position');
      const id = res.status === 201 ? (JSON.parse(text) as { id: number }).id : undefined;
      return { status: res.status, position: header === null ? undefined : Number(header), id };
    } catch {
      return { status: 0, position: undefined, id: undefined };
    }
  }
}
