/**
 * Boutique's client, for browsers and for Node 20: typed REST calls (a problem answer is a thrown
 * BoutiqueApiError), and one WebSocket that reconnects by itself (exponential backoff with jitter)
 * and resumes its session — chat, rooms, topics and live queries go on where they were, with what
 * was missed replayed. A live query keeps a local copy of the rows its list selects, from a
 * snapshot, through created/updated/deleted/entered/left, across reconnects and resets.
 *
 * No runtime dependency: in a browser it uses the page's `fetch` and `WebSocket`; on Node 20, which
 * has `fetch` but no `WebSocket`, pass one (`import WebSocket from 'ws'`):
 *
 *     import WebSocket from 'ws';
 *     import { Boutique } from 'boutique/client';
 *     const shop = new Boutique({ baseUrl: 'http://127.0.0.1:3000', WebSocket });
 *     const paid = shop.socket().watch('/orders?status=paid');
 *     paid.on('change', () => console.log([...paid.rows.values()]));
 *
 * The pages (/chat, /dashboard) load this file as /assets/boutique-client.js.
 */
import type { Static } from 'typebox';
import type { Customer } from '../resources/customers/schema.js';
import type { Order, OrderItem, OrderStatus } from '../resources/orders/schema.js';
import type {
  ServerError,
  ServerId,
  ServerJoined,
  ServerLeft,
  ServerPrivateMessage,
  ServerRejectUsername,
  ServerResumed,
  ServerRoomMessage,
  ServerUserlist,
  ServerUsername,
} from '../chat/server-frames.js';

export type { Customer, Order, OrderItem, OrderStatus };

/** An error answer of the API (RFC 9457 problem details). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { field: string; message: string }[];
}

/** What a REST call that failed throws: the status and the server's problem details. */
export class BoutiqueApiError extends Error {
  override name = 'BoutiqueApiError';
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}: ${problem.detail}`);
  }
}

/** A resource as read: its data, its ETag (for If-Match) and the change-log position it is as of. */
export interface Read<T> {
  data: T;
  etag: string | undefined;
  position: number;
}

/** A page of a list, with the total and the position it is as of. */
export interface Page<T> {
  items: T[];
  total: number;
  position: number;
}

export interface ListQuery {
  page?: number;
  per_page?: number;
  sort?: string;
  q?: string;
}
export interface CustomerQuery extends ListQuery {
  email?: string;
  name?: string;
}
export interface OrderQuery extends ListQuery {
  status?: OrderStatus;
  customerId?: number;
}

export interface CustomerFields {
  name: string;
  email: string;
}

/** The part of the WebSocket API the client uses: the browser's, or `ws`'s on Node. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface BoutiqueOptions {
  /** Where the server is: `http://127.0.0.1:3000`; in a page of the server, '' (the default there). */
  baseUrl?: string;
  /** The API token (BOUTIQUE_API_TOKEN), sent as a bearer token and with subscriptions. */
  token?: string;
  fetch?: typeof fetch;
  /** Required on Node 20 (`ws`); a browser has one. */
  WebSocket?: WebSocketConstructor;
}

type Json = Record<string, unknown>;

/** The REST API of one server. */
export class Boutique {
  readonly customers: Customers;
  readonly orders: Orders;
  readonly #fetch: typeof fetch;

  constructor(readonly options: BoutiqueOptions = {}) {
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new Error('No fetch: pass one in the options.');
    this.#fetch = f.bind(globalThis);
    this.customers = new Customers(this);
    this.orders = new Orders(this);
  }

  get baseUrl(): string {
    return (this.options.baseUrl ?? '').replace(/\/$/, '');
  }

  /** Any call of the API; a non-2xx answer throws BoutiqueApiError. JSON in, JSON out. */
  async request<T>(method: string, path: string, options: { body?: unknown; contentType?: string; headers?: Record<string, string> } = {}): Promise<{ data: T; response: Response }> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    const response = await this.#fetch(this.baseUrl + path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
    const text = response.status === 204 || response.status === 304 ? '' : await response.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok && response.status !== 304) {
      const problem = (body ?? {}) as Partial<Problem>;
      throw new BoutiqueApiError(response.status, { type: problem.type ?? 'about:blank', title: problem.title ?? response.statusText, status: response.status, detail: problem.detail ?? '', ...problem });
    }
    return { data: body as T, response };
  }

  /** GET a resource. */
  async read<T>(path: string): Promise<Read<T>> {
    const { data, response } = await this.request<T>('GET', path);
    return { data, etag: response.headers.get('etag') ?? undefined, position: positionOf(response) };
  }

  /** GET a page of a list. */
  async page<T>(path: string, query: object = {}): Promise<Page<T>> {
    const { data, response } = await this.request<T[]>('GET', path + search(query));
    return { items: data, total: Number(response.headers.get('x-total-count') ?? data.length), position: positionOf(response) };
  }

  /** A write: POST, PUT, PATCH (merge patch) or DELETE, with If-Match when `ifMatch` is given. */
  async write<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, ifMatch?: string): Promise<Read<T>> {
    const { data, response } = await this.request<T>(method, path, {
      body,
      contentType: method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
      headers: ifMatch ? { 'if-match': ifMatch } : {},
    });
    return { data, etag: response.headers.get('etag') ?? undefined, position: positionOf(response) };
  }

  /** The WebSocket of this server: chat, topics and live queries (one per call). */
  socket(options: SocketOptions = {}): BoutiqueSocket {
    return new BoutiqueSocket(this, options);
  }
}

class Customers {
  constructor(private readonly api: Boutique) {}
  list(query: CustomerQuery = {}): Promise<Page<Customer>> {
    return this.api.page('/customers', query);
  }
  get(id: number): Promise<Read<Customer>> {
    return this.api.read(`/customers/${id}`);
  }
  create(fields: CustomerFields): Promise<Read<Customer>> {
    return this.api.write('POST', '/customers', fields);
  }
  /** PATCH: only the fields given change. `ifMatch`: the ETag read, to refuse (412) overwriting someone else's change. */
  update(id: number, fields: Partial<CustomerFields>, ifMatch?: string): Promise<Read<Customer>> {
    return this.api.write('PATCH', `/customers/${id}`, fields, ifMatch);
  }
  replace(id: number, fields: CustomerFields, ifMatch?: string): Promise<Read<Customer>> {
    return this.api.write('PUT', `/customers/${id}`, fields, ifMatch);
  }
  async delete(id: number, ifMatch?: string): Promise<number> {
    return (await this.api.write<undefined>('DELETE', `/customers/${id}`, undefined, ifMatch)).position;
  }
}

class Orders {
  constructor(private readonly api: Boutique) {}
  list(query: OrderQuery = {}): Promise<Page<Order>> {
    return this.api.page('/orders', query);
  }
  ofCustomer(customerId: number, query: Omit<OrderQuery, 'customerId'> = {}): Promise<Page<Order>> {
    return this.api.page(`/customers/${customerId}/orders`, query);
  }
  get(customerId: number, orderId: number): Promise<Read<Order>> {
    return this.api.read(`/customers/${customerId}/orders/${orderId}`);
  }
  create(customerId: number, items: OrderItem[]): Promise<Read<Order>> {
    return this.api.write('POST', `/customers/${customerId}/orders`, { items });
  }
  update(customerId: number, orderId: number, changes: { items?: OrderItem[]; status?: OrderStatus }, ifMatch?: string): Promise<Read<Order>> {
    return this.api.write('PATCH', `/customers/${customerId}/orders/${orderId}`, changes, ifMatch);
  }
  async delete(customerId: number, orderId: number, ifMatch?: string): Promise<number> {
    return (await this.api.write<undefined>('DELETE', `/customers/${customerId}/orders/${orderId}`, undefined, ifMatch)).position;
  }
}

const positionOf = (response: Response): number => Number(response.headers.get('boutique-log-position') ?? 0);

function search(query: object): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && value !== null) params.set(name, String(value));
  const text = params.toString();
  return text ? '?' + text : '';
}

/**
 * A live query's canonical form, as the server writes it in every frame: the path, then the
 * filters sorted by name (as URLSearchParams writes them), an empty `q` dropped, `sort` left out.
 */
export function canonicalQuery(query: string): string {
  const at = query.indexOf('?');
  const path = at === -1 ? query : query.slice(0, at);
  const params = new URLSearchParams(at === -1 ? '' : query.slice(at + 1));
  const kept = [...params.entries()].filter(([name, value]) => name !== 'sort' && !(name === 'q' && value.trim() === '')).map(([name, value]): [string, string] => [name, name === 'q' ? value.trim() : value]);
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = new URLSearchParams(kept).toString();
  return text ? `${path}?${text}` : path;
}

/** A query's path and parameter names, without the values: what a coerced value leaves the same. */
const shape = (key: string): string => {
  const [path = '', query = ''] = key.split('?', 2);
  return path.split('/').map((segment) => (/^\d+$/.test(segment) ? '#' : segment)).join('/') + '?' + [...new URLSearchParams(query).keys()].join('&');
};

// --- the socket --------------------------------------------------------------------------------

/** A frame the server sends (docs/chat-protocol.md, /asyncapi.json): its type and fields. */
export type ServerFrame = Json & { type: string; seq?: number };

/**
 * The chat's frames by type, typed by the schemas the AsyncAPI document is made of
 * (src/chat/server-frames.ts): what `on(type, …)` hands its listener.
 */
export interface ChatFrames {
  id: Static<typeof ServerId>;
  userlist: Static<typeof ServerUserlist>;
  rejectusername: Static<typeof ServerRejectUsername>;
  username: Static<typeof ServerUsername>;
  message: Static<typeof ServerRoomMessage> | Static<typeof ServerPrivateMessage>;
  joined: Static<typeof ServerJoined>;
  left: Static<typeof ServerLeft>;
  resumed: Static<typeof ServerResumed>;
  error: Static<typeof ServerError>;
}

export type SocketStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface SocketOptions {
  /** The path of the socket (default /socketserver). */
  path?: string;
  /** Longest wait between reconnects (default 30 s); the first is 0.5 s, doubling, ±25 % jitter. */
  maxDelayMs?: number;
}

type Listener = (frame: ServerFrame) => void;

/** The most frames `send` keeps while the socket is down. */
const QUEUE_MAX = 100;

/**
 * One WebSocket to the server, reconnecting and resuming by itself. Frames are dispatched by type
 * (`on('message', …)`, `on('userlist', …)`, `on('frame', …)` for all); `on('status', …)` tells
 * connecting/open/reconnecting/closed. What is sent while the socket is down waits for it.
 */
export class BoutiqueSocket {
  #ws: WebSocketLike | undefined;
  #session: string | undefined;
  /** The highest seq received: where a resume goes on from. */
  #lastSeq = 0;
  #attempt = 0;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #listeners = new Map<string, Set<(frame: ServerFrame) => void>>();
  readonly #live = new Map<string, LiveSubscription>();
  /** Keys unsubscribed whose `unsubscribed` has not come yet: their late events belong to no one. */
  readonly #closing = new Set<string>();
  /** Subscriptions sent whose key the server has not named yet, oldest first. */
  readonly #pending: LiveSubscription[] = [];
  readonly #WebSocket: WebSocketConstructor;
  /** Frames sent while the socket was not open, sent once it is. */
  readonly #queue: (Json & { type: string })[] = [];
  status: SocketStatus = 'connecting';
  /** This connection's id (the `id` frame) and the name the server gave it. */
  id: number | undefined;
  name: string | undefined;

  constructor(
    readonly api: Boutique,
    private readonly options: SocketOptions = {},
  ) {
    const ctor = api.options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor) throw new Error('No WebSocket: on Node 20 pass one, e.g. `import WebSocket from "ws"` and new Boutique({ WebSocket }).');
    this.#WebSocket = ctor;
    this.#connect();
  }

  get session(): string | undefined {
    return this.#session;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /**
   * Listens to frames of `type` ('frame': every frame the server sends), or to the socket itself:
   * 'status' (`{type: 'status', status}`) and 'close' (`{type: 'close', code, reason}`, before a
   * reconnect). Returns the unsubscribe.
   */
  on<K extends keyof ChatFrames>(type: K, listener: (frame: ChatFrames[K]) => void): () => void;
  on(type: string, listener: Listener): () => void;
  on(type: string, listener: Listener): () => void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Sends a frame: now when the socket is open, otherwise once it is (frames sent while
   * connecting or reconnecting wait, up to QUEUE_MAX of them). False when it was dropped.
   */
  send(frame: Json & { type: string }): boolean {
    if (this.#sendNow(frame)) return true;
    if (this.#closed || this.#queue.length >= QUEUE_MAX) return false;
    this.#queue.push(frame);
    return true;
  }

  #sendNow(frame: Json & { type: string }): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== 1 || this.id === undefined) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  // chat
  chooseName(name: string): boolean {
    return this.send({ type: 'username', name, id: this.id ?? 0, date: Date.now() });
  }
  say(text: string, room?: string): boolean {
    return this.send({ type: 'message', text, ...(room ? { room } : {}), id: this.id ?? 0, date: Date.now() });
  }
  direct(target: string, text: string): boolean {
    return this.send({ type: 'message', text, target, id: this.id ?? 0, date: Date.now() });
  }
  join(room: string): boolean {
    return this.send({ type: 'join', room });
  }
  leave(room: string): boolean {
    return this.send({ type: 'leave', room });
  }

  /** A live query with a local copy of its rows: `/orders?status=paid`, `/customers?q=buss`. */
  watch<T extends { id: number } = Json & { id: number }>(query: string): LiveQuery<T> {
    const live = new LiveQuery<T>(this, query);
    this.#live.set(live.key, live);
    live.start();
    return live;
  }

  /** A topic's events (`orders`, `customers/7`): `onEvent` gets each, from now (or after `after`). */
  subscribe(topic: string, onEvent: (event: ServerFrame) => void, after?: number): TopicSubscription {
    const subscription = new TopicSubscription(this, topic, onEvent, after);
    this.#live.set(topic, subscription);
    subscription.start();
    return subscription;
  }

  /** Closes for good: no reconnect. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#setStatus('closed');
    this.#ws?.close(1000, 'bye');
  }

  /** @internal A subscription asks the server (again). */
  request(subscription: LiveSubscription, frame: Json & { type: string }): void {
    if (!this.#pending.includes(subscription)) this.#pending.push(subscription);
    if (this.api.options.token) frame.token = this.api.options.token;
    // Not queued: a new session asks every subscription again anyway.
    this.#sendNow(frame);
  }

  /** @internal */
  forget(subscription: LiveSubscription): void {
    this.#live.delete(subscription.key);
    this.#closing.add(subscription.key);
    const at = this.#pending.indexOf(subscription);
    if (at !== -1) this.#pending.splice(at, 1);
  }

  #connect(): void {
    const base = this.api.baseUrl || (typeof location === 'undefined' ? '' : location.origin);
    let url = base.replace(/^http/, 'ws') + (this.options.path ?? '/socketserver');
    // Resuming at the handshake: the server sends what was missed before any live frame.
    if (this.#session) url += `?session=${encodeURIComponent(this.#session)}&seq=${this.#lastSeq}`;
    this.#setStatus(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const ws = new this.#WebSocket(url, 'json');
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.id = undefined;
      this.#setStatus('open');
    };
    ws.onmessage = (event) => {
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      this.#onFrame(frame);
    };
    ws.onerror = () => {};
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = undefined;
      this.#emit({ type: 'close', code: event.code, reason: event.reason });
      if (this.#closed) return;
      this.#setStatus('reconnecting');
      // Exponential backoff with jitter: 0.5 s, 1 s, 2 s … up to maxDelayMs, each ±25 %.
      const delay = Math.min(this.options.maxDelayMs ?? 30_000, 500 * 2 ** this.#attempt) * (0.75 + Math.random() / 2);
      this.#attempt++;
      this.#timer = setTimeout(() => this.#connect(), delay);
    };
  }

  #setStatus(status: SocketStatus): void {
    this.status = status;
    this.#emit({ type: 'status', status });
  }

  #onFrame(frame: ServerFrame): void {
    if (typeof frame.seq === 'number' && frame.type !== 'resumed') this.#lastSeq = Math.max(this.#lastSeq, frame.seq);
    if (frame.type === 'id') {
      const fresh = frame.session !== this.#session;
      this.id = frame.id as number;
      this.#session = frame.session as string;
      // A new session (the first, or the server could not resume ours): everything asks again.
      if (fresh) {
        this.name = undefined;
        this.#pending.length = 0;
        this.#closing.clear();
        for (const subscription of this.#live.values()) subscription.restart();
      }
    } else if (frame.type === 'resumed') {
      this.name = typeof frame.name === 'string' ? frame.name : undefined;
      const restored = new Set(frame.topics as string[]);
      // Restored with the session: their missed events follow. Any other asks again.
      for (const subscription of this.#live.values()) if (!restored.has(subscription.key)) subscription.restart();
    } else if (frame.type === 'username' && frame.id === this.id) {
      this.name = frame.name as string;
    } else if (frame.type === 'rejectusername') {
      this.name = frame.name as string;
    }
    this.#route(frame);
    this.#emit(frame);
    if (frame.type === 'id') for (const queued of this.#queue.splice(0)) this.#sendNow(queued);
  }

  /** Frames of a subscription go to it: by key, or — the first time the server names a key — to the oldest request. */
  #route(frame: ServerFrame): void {
    const key = (frame.query ?? frame.topic) as string | undefined;
    if (key === undefined) return;
    if (frame.type === 'unsubscribed') {
      this.#closing.delete(key);
      return;
    }
    if (frame.type === 'error') {
      const subscription = this.#pending.find((s) => s.requested === key);
      if (subscription) {
        this.#pending.splice(this.#pending.indexOf(subscription), 1);
        subscription.onFrame(frame);
      }
      return;
    }
    let subscription = this.#live.get(key);
    const oldest = this.#pending[0];
    if (!subscription && oldest !== undefined && !this.#closing.has(key) && shape(oldest.key) === shape(key)) {
      // The server's canonical form differs from ours only in a value's spelling (customerId=07
      // is customerId=7): requests are answered in order, so it is the oldest one's.
      subscription = oldest;
      this.#live.delete(subscription.key);
      subscription.key = key;
      this.#live.set(key, subscription);
    }
    if (!subscription) return;
    if (frame.type === 'subscribed' || frame.type === 'snapshot') {
      const at = this.#pending.indexOf(subscription);
      if (at !== -1 && frame.type === 'subscribed') this.#pending.splice(at, 1);
    }
    subscription.onFrame(frame);
  }

  #emit(frame: ServerFrame): void {
    for (const listener of this.#listeners.get(frame.type) ?? []) listener(frame);
    if (frame.type !== 'status' && frame.type !== 'close') for (const listener of this.#listeners.get('frame') ?? []) listener(frame);
  }
}

/** A subscription of a socket: it asks the server, and asks again after a new session or a reset. */
abstract class LiveSubscription {
  /** The key the server names it by (canonical). */
  key: string;
  /** The seq of the last frame applied: where it goes on from after a drop. */
  seq: number | undefined;
  closed = false;

  constructor(
    protected readonly socket: BoutiqueSocket,
    readonly requested: string,
    key: string,
  ) {
    this.key = key;
  }

  abstract start(): void;
  abstract onFrame(frame: ServerFrame): void;

  /** After a new session: from its last position when it has one, or from the start. */
  restart(): void {
    if (this.closed) return;
    this.start();
  }

  close(): void {
    this.closed = true;
    this.socket.forget(this);
    this.socket.send({ type: 'unsubscribe', [this.kind]: this.requested });
  }

  protected abstract get kind(): 'topic' | 'query';
}

export class TopicSubscription extends LiveSubscription {
  constructor(
    socket: BoutiqueSocket,
    topic: string,
    private readonly onEvent: (event: ServerFrame) => void,
    after?: number,
  ) {
    super(socket, topic, topic);
    this.seq = after;
  }

  protected get kind(): 'topic' {
    return 'topic';
  }

  start(): void {
    this.socket.request(this, { type: 'subscribe', topic: this.requested, ...(this.seq !== undefined ? { after: this.seq } : {}) });
  }

  onFrame(frame: ServerFrame): void {
    if (frame.type === 'subscribed' && (this.seq === undefined || (frame.seq as number) > this.seq)) this.seq = frame.seq as number;
    if (frame.type !== 'event' && frame.type !== 'reset' && frame.type !== 'error') return;
    if (frame.type === 'event') {
      if (this.seq !== undefined && (frame.seq as number) <= this.seq) return;
      this.seq = frame.seq as number;
    }
    this.onEvent(frame);
  }
}

type ChangeListener<T> = (rows: ReadonlyMap<number, T>, frame: ServerFrame) => void;

/**
 * A live query's rows, kept exact: the snapshot, then each event applied by id (created and
 * entered add, updated replaces, left and deleted remove). After a drop it goes on from its last
 * seq (the session's resume, or a new subscription after it); after a reset it starts again from
 * a snapshot; when more rows match than a snapshot holds, from the list's first page over HTTP
 * and its Boutique-Log-Position.
 */
export class LiveQuery<T extends { id: number }> extends LiveSubscription {
  readonly rows = new Map<number, T>();
  /** True once the rows are those of the query (a snapshot or a page arrived). */
  ready = false;
  /** The last refusal of the server (a bad query, no such customer, no token), if any. */
  error: ServerFrame | undefined;
  readonly #listeners = new Set<ChangeListener<T>>();
  readonly #errorListeners = new Set<(frame: ServerFrame) => void>();

  constructor(socket: BoutiqueSocket, query: string) {
    super(socket, query, canonicalQuery(query));
  }

  protected get kind(): 'query' {
    return 'query';
  }

  /** `change`: the rows changed (or arrived); `error`: the server refused the query. Returns the unsubscribe. */
  on(type: 'change', listener: ChangeListener<T>): () => void;
  on(type: 'error', listener: (frame: ServerFrame) => void): () => void;
  on(type: 'change' | 'error', listener: ChangeListener<T> | ((frame: ServerFrame) => void)): () => void {
    const set = (type === 'change' ? this.#listeners : this.#errorListeners) as Set<typeof listener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  start(): void {
    if (this.seq !== undefined && this.ready) this.socket.request(this, { type: 'subscribe', query: this.requested, after: this.seq });
    else this.socket.request(this, { type: 'subscribe', query: this.requested, snapshot: true });
  }

  onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'snapshot':
        this.rows.clear();
        for (const row of frame.data as T[]) this.rows.set(row.id, row);
        this.seq = frame.seq as number;
        this.ready = true;
        this.error = undefined;
        return this.#changed(frame);
      case 'event': {
        if (this.seq !== undefined && (frame.seq as number) <= this.seq) return;
        this.seq = frame.seq as number;
        const row = frame.data as T;
        if (frame.action === 'left' || frame.action === 'deleted') this.rows.delete(row.id);
        else this.rows.set(row.id, row);
        return this.#changed(frame);
      }
      case 'subscribed':
        if (this.seq === undefined || (frame.seq as number) > this.seq) this.seq = frame.seq as number;
        return;
      case 'reset':
        // The log no longer holds every change since our copy: start again from a snapshot.
        this.ready = false;
        this.seq = undefined;
        return this.start();
      case 'error': {
        this.error = frame;
        const tooMany = ((frame.errors as { field: string }[] | undefined) ?? []).some((e) => e.field === 'snapshot');
        if (tooMany) void this.#fromPage();
        for (const listener of this.#errorListeners) listener(frame);
        return;
      }
    }
  }

  /** More rows match than a snapshot holds: the list's first page (newest first), then the changes after it. */
  async #fromPage(): Promise<void> {
    const page = await this.socket.api.page<T>(this.requested.split('?')[0]!, { ...Object.fromEntries(new URLSearchParams(this.requested.split('?')[1] ?? '')), per_page: 100, sort: '-id' });
    this.rows.clear();
    for (const row of page.items) this.rows.set(row.id, row);
    this.seq = page.position;
    this.ready = true;
    this.#changed({ type: 'page', seq: page.position });
    this.socket.request(this, { type: 'subscribe', query: this.requested, after: page.position });
  }

  #changed(frame: ServerFrame): void {
    for (const listener of this.#listeners) listener(this.rows, frame);
  }
}
