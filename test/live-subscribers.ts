/**
 * Live subscribers for the fault tests, each the way a careful client is told to behave: keep the
 * highest position received, and when the connection drops, reconnect (to whichever instance
 * `targets` names next) and resume from it. Everything received is kept, so the test compares it
 * with the change log afterwards.
 *
 * - TopicSubscriber: a WebSocket that `subscribe`s to topics; after a drop it subscribes again
 *   with `after` = the last seq of each topic.
 * - ResumingSubscriber: a WebSocket chat client (name, lobby, topics) that sends `resume` with
 *   its session, last seq and hints after a drop, and checks the `missed` count it is given.
 * - StreamSubscriber: GET /events, reconnecting with Last-Event-ID.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { LOGGED_TYPES, seenOfFrame, type Seen } from './live-log.js';

type Frame = Record<string, unknown> & { type: string };

/** The base URLs (http://host:port) to reconnect to, tried in turn: the instance, or the others. */
export type Targets = () => readonly string[];

/** How long a subscriber waits before reconnecting, unless told otherwise. */
export const RECONNECT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The reconnect loop every subscriber shares: one connection at a time, until stopped. */
abstract class Reconnecting {
  /** Connections that got as far as receiving live again. */
  connections = 0;
  /** What went wrong that a client should never see: resets, refused resumes, error frames. */
  readonly problems: string[] = [];
  protected stopped = false;
  protected live = false;
  #attempt = 0;
  #loop: Promise<void> | undefined;

  constructor(
    readonly label: string,
    private readonly targets: Targets,
    /** A slow client comes back later, with more to catch up on. */
    private readonly reconnectMs = RECONNECT_MS,
  ) {}

  /** Stopped, by the test or because it could not go on (a refused resume). */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Receiving live (after any replay) on an open connection. */
  get ready(): boolean {
    return this.live && !this.stopped;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.disconnect();
    await this.#loop;
  }

  /** Opens one connection to `base` and resolves once it is gone. */
  protected abstract connect(base: string): Promise<void>;
  /** Ends the current connection, if any. */
  protected abstract disconnect(): void;

  async #run(): Promise<void> {
    while (!this.stopped) {
      const list = this.targets();
      await this.connect(list[this.#attempt++ % list.length]!);
      this.live = false;
      if (!this.stopped) await sleep(this.reconnectMs);
    }
  }
}

abstract class SocketSubscriber extends Reconnecting {
  #ws: WebSocket | undefined;

  protected connect(base: string): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(base.replace(/^http/, 'ws') + '/socketserver', 'json', { handshakeTimeout: 5000 });
      this.#ws = ws;
      // A refused connection (the server is down, or refuses with 503 while it stops) errors, then closes.
      ws.on('error', () => {});
      ws.on('close', () => resolve());
      ws.on('message', (data) => {
        if (!this.stopped) this.onFrame(JSON.parse(data.toString()) as Frame);
      });
    });
  }

  protected disconnect(): void {
    this.#ws?.terminate();
  }

  /** Closes this connection (the loop reconnects). */
  protected drop(): void {
    this.#ws?.close();
  }

  protected send(frame: object): void {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  protected abstract onFrame(frame: Frame): void;
}

/** Subscribes to `topics`; after a drop, subscribes again from the last seq of each topic. */
export class TopicSubscriber extends SocketSubscriber {
  /** Events received per topic, in arrival order. */
  readonly events = new Map<string, Seen[]>();
  readonly #last = new Map<string, number>();
  #subscribed = 0;

  constructor(label: string, targets: Targets, readonly topics: readonly string[], reconnectMs?: number) {
    super(label, targets, reconnectMs);
    for (const topic of topics) this.events.set(topic, []);
  }

  protected onFrame(frame: Frame): void {
    switch (frame.type) {
      case 'id':
        this.#subscribed = 0;
        for (const topic of this.topics) this.send({ type: 'subscribe', topic, after: this.#last.get(topic) ?? 0 });
        return;
      case 'subscribed':
        if (++this.#subscribed === this.topics.length) {
          this.live = true;
          this.connections++;
        }
        return;
      case 'event': {
        const seen = seenOfFrame(frame);
        this.events.get(String(frame.topic))?.push(seen);
        this.#last.set(String(frame.topic), Math.max(this.#last.get(String(frame.topic)) ?? 0, seen.seq));
        return;
      }
      case 'reset':
        this.problems.push(`reset: ${JSON.stringify(frame)}`);
        this.#last.set(String(frame.topic), Number(frame.seq));
        return;
      case 'error':
        this.problems.push(`error: ${JSON.stringify(frame)}`);
        return;
    }
  }
}

export interface Resume {
  /** The seq the client resumed from. */
  after: number;
  /** What `resumed` said it missed. */
  missed: number;
  /** Logged frames received right after `resumed` (counted up to `missed`). */
  delivered: number;
  /** Types of other frames that came between `resumed` and the last missed frame. */
  interleaved: string[];
  complete: boolean;
}

export interface ResumingOptions {
  name: string;
  topics: readonly string[];
  /** Sends a lobby message this often while live (0: never). */
  chatEveryMs: number;
}

/**
 * A chat client that signs in, stays in the lobby, subscribes to topics and talks; after a drop
 * it reconnects and sends `resume` with its session, its last seq and the hints (name, rooms,
 * topics) that let a restarted or another instance restore it. Live frames that arrive between
 * the new `id` and `resumed` are discarded: they are sent again after `resumed`, in order.
 */
export class ResumingSubscriber extends SocketSubscriber {
  /** Logged frames (events, messages, sign-ins) accepted, in arrival order. */
  readonly seen: Seen[] = [];
  readonly resumes: Resume[] = [];
  /** Texts of the lobby messages this client sent. */
  readonly sent: string[] = [];
  session = '';
  lastSeq = 0;
  /** Frames discarded between `id` and `resumed`. */
  discarded = 0;
  /** Resumes answered with an error other than RESUME_FAILED (an instance losing its Redis): tried again. */
  retried: string[] = [];
  #state: 'setup' | 'resuming' | 'replaying' | 'live' = 'setup';
  #setup = new Set<string>();
  #chat: NodeJS.Timeout | undefined;
  #said = 0;

  constructor(label: string, targets: Targets, readonly options: ResumingOptions, reconnectMs?: number) {
    super(label, targets, reconnectMs);
  }

  override start(): void {
    if (this.options.chatEveryMs > 0) {
      this.#chat = setInterval(() => {
        if (!this.ready) return;
        const text = `${this.label} says ${++this.#said}`;
        this.send({ type: 'message', text, id: 0, date: Date.now() });
        this.sent.push(text);
      }, this.options.chatEveryMs);
    }
    super.start();
  }

  /** Stops sending chat messages; keeps receiving. */
  hush(): void {
    clearInterval(this.#chat);
  }

  override async stop(): Promise<void> {
    this.hush();
    await super.stop();
  }

  /** The resume that is still replaying missed frames, if any. */
  get #current(): Resume {
    return this.resumes.at(-1)!;
  }

  protected onFrame(frame: Frame): void {
    if (frame.type === 'id') return this.#onId(frame);
    switch (this.#state) {
      case 'resuming':
        return this.#whileResuming(frame);
      case 'replaying':
        if (!LOGGED_TYPES.has(frame.type)) {
          this.#current.interleaved.push(frame.type);
          return;
        }
        this.#accept(frame);
        if (++this.#current.delivered === this.#current.missed) this.#goLive();
        return;
      default:
        return this.#whileLive(frame);
    }
  }

  #onId(frame: Frame): void {
    if (this.session === '') {
      this.session = String(frame.session);
      this.#state = 'setup';
      this.#setup = new Set(['username', ...this.options.topics.map((t) => `subscribed ${t}`)]);
      this.send({ type: 'username', name: this.options.name, id: 0, date: Date.now() });
      for (const topic of this.options.topics) this.send({ type: 'subscribe', topic, after: 0 });
      return;
    }
    this.#state = 'resuming';
    this.send({ type: 'resume', session: this.session, seq: this.lastSeq, name: this.options.name, rooms: ['lobby'], topics: this.options.topics });
  }

  #whileResuming(frame: Frame): void {
    if (LOGGED_TYPES.has(frame.type)) {
      this.discarded++;
    } else if (frame.type === 'resumed') {
      if (frame.session !== this.session || frame.seq !== this.lastSeq) this.problems.push(`resumed as another session or seq: ${JSON.stringify(frame)} (sent ${this.session} at ${this.lastSeq})`);
      const missed = Number(frame.missed);
      this.resumes.push({ after: this.lastSeq, missed, delivered: 0, interleaved: [], complete: false });
      if (missed === 0) this.#goLive();
      else this.#state = 'replaying';
    } else if (frame.type === 'error') {
      if (frame.code === 'RESUME_FAILED') {
        this.problems.push(`resume from ${this.lastSeq} refused: ${JSON.stringify(frame)}`);
        // The session is gone for good: nothing more this client could receive would be comparable.
        this.stopped = true;
        this.disconnect();
        return;
      }
      this.retried.push(JSON.stringify(frame));
      this.drop();
    }
  }

  #whileLive(frame: Frame): void {
    if (LOGGED_TYPES.has(frame.type)) {
      this.#accept(frame);
      if (this.#state === 'setup' && frame.type === 'username' && frame.name === this.options.name) this.#setupDone('username');
      return;
    }
    switch (frame.type) {
      case 'subscribed':
        if (this.#state === 'setup') this.#setupDone(`subscribed ${String(frame.topic)}`);
        return;
      case 'rejectusername':
      case 'reset':
      case 'error':
        this.problems.push(`${frame.type}: ${JSON.stringify(frame)}`);
        return;
    }
  }

  #setupDone(what: string): void {
    this.#setup.delete(what);
    if (this.#setup.size === 0) this.#goLive();
  }

  #goLive(): void {
    if (this.#state === 'replaying' || this.#state === 'resuming') this.#current.complete = true;
    this.#state = 'live';
    this.live = true;
    this.connections++;
  }

  #accept(frame: Frame): void {
    const seen = seenOfFrame(frame);
    this.seen.push(seen);
    this.lastSeq = Math.max(this.lastSeq, seen.seq);
  }
}

/** GET /events for `topics`; after a drop, reconnects with Last-Event-ID. */
export class StreamSubscriber extends Reconnecting {
  /** Events received, in arrival order. */
  readonly seen: Seen[] = [];
  lastId = 0;
  /** Answers other than 200 (a server shutting down): tried again. */
  refused = 0;
  #request: http.ClientRequest | undefined;

  constructor(label: string, targets: Targets, readonly topics: readonly string[], reconnectMs?: number) {
    super(label, targets, reconnectMs);
  }

  protected connect(base: string): Promise<void> {
    return new Promise((resolve) => {
      const query = this.topics.map((t) => `topic=${encodeURIComponent(t)}`).join('&');
      const request = http.get(`${base}/events?${query}`, { agent: false, headers: { accept: 'text/event-stream', 'last-event-id': String(this.lastId) } });
      this.#request = request;
      request.on('error', () => resolve());
      request.on('close', () => resolve());
      request.on('response', (response) => {
        if (response.statusCode !== 200) {
          this.refused++;
          response.resume();
          return;
        }
        this.live = true;
        this.connections++;
        let buffer = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            this.#onBlock(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        response.on('error', () => {});
      });
    });
  }

  protected disconnect(): void {
    this.#request?.destroy();
  }

  #onBlock(block: string): void {
    const id = /^id: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (id === undefined || data === undefined || this.stopped) return;
    const frame = JSON.parse(data) as Frame;
    if (frame.type === 'reset') {
      this.problems.push(`reset: ${data}`);
    } else {
      const seen = seenOfFrame(frame);
      if (String(seen.seq) !== id) this.problems.push(`event id ${id} is not its seq: ${data}`);
      this.seen.push(seen);
    }
    this.lastId = Number(id);
  }
}
