/**
 * Live subscribers for the fault tests, each the way a careful client is told to behave: keep the
 * highest position received, and when the connection drops, reconnect (to the instance `targets`
 * names for the attempt) and resume from it. Everything received is kept, so the test compares
 * it with the change log afterwards.
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
import { FrameJudge, socketFrame, streamEvent } from './frame-contract.js';

type Frame = Record<string, unknown> & { type: string };

/** The base URL (http://host:port) of the instance to connect to at each attempt (0: the first connection). */
export type Targets = (attempt: number) => string;

/** How long a subscriber waits before reconnecting, unless told otherwise. */
export const RECONNECT_MS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ConnectOptions {
  /** How long to wait before reconnecting: a slow client comes back later, with more to catch up on. */
  reconnectMs?: number | undefined;
  /**
   * A flaky client drops each connection itself (a network gone, no close frame) after a random
   * time in this range, on top of the faults the test makes.
   */
  dropAfterMs?: readonly [min: number, max: number] | undefined;
  /** Draws the flaky client's times (seeded by the test). */
  random?: (() => number) | undefined;
}

/** The reconnect loop every subscriber shares: one connection at a time, until stopped. */
abstract class Reconnecting {
  /** Connections that got as far as receiving live again. */
  connections = 0;
  /** Connections (or attempts) that ended. */
  drops = 0;
  /** Connections this client dropped itself (a flaky client). */
  dropped = 0;
  /** What went wrong that a client should never see: resets, refused resumes, error frames. */
  readonly problems: string[] = [];
  protected stopped = false;
  protected live = false;
  #attempt = 0;
  #loop: Promise<void> | undefined;

  constructor(
    readonly label: string,
    private readonly targets: Targets,
    private readonly options: ConnectOptions = {},
  ) {}

  /** Stopped, by the test or because it could not go on (a refused resume). */
  get stopping(): boolean {
    return this.stopped;
  }

  /** Receiving live (after any replay) on an open connection. */
  get ready(): boolean {
    return this.live && !this.stopped;
  }

  /** Connects, and reconnects until stopped; once stopped, never again. */
  start(): void {
    if (!this.stopped) this.#loop ??= this.#run();
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
    const { reconnectMs = RECONNECT_MS, dropAfterMs, random = Math.random } = this.options;
    while (!this.stopped) {
      const flaky = dropAfterMs && setTimeout(() => {
        this.dropped++;
        this.disconnect();
      }, dropAfterMs[0] + Math.floor(random() * (dropAfterMs[1] - dropAfterMs[0])));
      await this.connect(this.targets(this.#attempt++));
      clearTimeout(flaky);
      this.live = false;
      this.drops++;
      if (!this.stopped) await sleep(reconnectMs);
    }
  }
}

/**
 * A WebSocket subscriber. A connection's greeting is `id` then `userlist`; requests are sent once
 * it is over, so that an error frame in the greeting (the user list unreadable while Redis is
 * away) is told apart from an answer to a request.
 */
abstract class SocketSubscriber extends Reconnecting {
  /** Error frames that came in a greeting instead of the user list. */
  readonly greetingErrors: string[] = [];
  #ws: WebSocket | undefined;
  /** Every frame received and sent is held to the AsyncAPI document (test/frame-contract.ts). */
  #judge: FrameJudge | undefined;
  #greeting = false;

  protected connect(base: string): Promise<void> {
    return new Promise((resolve) => {
      const ws = new WebSocket(base.replace(/^http/, 'ws') + '/socketserver', 'json', { handshakeTimeout: 5000 });
      const judge = new FrameJudge(base);
      this.#ws = ws;
      this.#judge = judge;
      // A refused connection (the server is down, or refuses with 503 while it stops) errors, then closes.
      ws.on('error', () => {});
      ws.on('close', () => resolve());
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Frame;
        judge.judge(socketFrame(frame));
        if (!this.stopped) this.#onMessage(frame);
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
    if (this.#ws?.readyState !== WebSocket.OPEN) return;
    this.#judge?.judge((contract) => contract.received('socket', frame));
    this.#ws.send(JSON.stringify(frame));
  }

  #onMessage(frame: Frame): void {
    if (frame.type === 'id') {
      this.#greeting = true;
      this.onId(frame);
    } else if (this.#greeting && (frame.type === 'userlist' || frame.type === 'error')) {
      this.#greeting = false;
      if (frame.type === 'error') this.greetingErrors.push(JSON.stringify(frame));
      this.onGreeted();
    } else {
      this.onFrame(frame);
    }
  }

  /** The connection's `id` frame. */
  protected onId(_frame: Frame): void {}
  /** The greeting is over: send requests. */
  protected abstract onGreeted(): void;
  protected abstract onFrame(frame: Frame): void;
}

/** Subscribes to `topics`; after a drop, subscribes again from the last seq of each topic. */
export class TopicSubscriber extends SocketSubscriber {
  /** Events received per topic, in arrival order. */
  readonly events = new Map<string, Seen[]>();
  readonly #last = new Map<string, number>();
  #subscribed = 0;

  constructor(label: string, targets: Targets, readonly topics: readonly string[], options?: ConnectOptions) {
    super(label, targets, options);
    for (const topic of topics) this.events.set(topic, []);
  }

  protected onGreeted(): void {
    this.#subscribed = 0;
    for (const topic of this.topics) this.send({ type: 'subscribe', topic, after: this.#last.get(topic) ?? 0 });
  }

  protected onFrame(frame: Frame): void {
    switch (frame.type) {
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

  constructor(label: string, targets: Targets, readonly chat: ResumingOptions, options?: ConnectOptions) {
    super(label, targets, options);
  }

  override start(): void {
    if (this.stopped) return;
    if (this.chat.chatEveryMs > 0) {
      this.#chat = setInterval(() => {
        if (!this.ready) return;
        const text = `${this.label} says ${++this.#said}`;
        this.send({ type: 'message', text, id: 0, date: Date.now() });
        this.sent.push(text);
      }, this.chat.chatEveryMs);
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

  protected override onId(frame: Frame): void {
    if (this.session === '') this.session = String(frame.session);
    // Until the resume is answered, live frames on this connection are sent again after it.
    else this.#state = 'resuming';
  }

  protected onGreeted(): void {
    if (this.#state === 'setup') {
      this.#setup = new Set(['username', ...this.chat.topics.map((t) => `subscribed ${t}`)]);
      this.send({ type: 'username', name: this.chat.name, id: 0, date: Date.now() });
      for (const topic of this.chat.topics) this.send({ type: 'subscribe', topic, after: 0 });
      return;
    }
    this.send({ type: 'resume', session: this.session, seq: this.lastSeq, name: this.chat.name, rooms: ['lobby'], topics: this.chat.topics });
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
      if (this.#state === 'setup' && frame.type === 'username' && frame.name === this.chat.name) this.#setupDone('username');
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
  #judge: FrameJudge | undefined;

  constructor(label: string, targets: Targets, readonly topics: readonly string[], options?: ConnectOptions) {
    super(label, targets, options);
  }

  protected connect(base: string): Promise<void> {
    return new Promise((resolve) => {
      const query = this.topics.map((t) => `topic=${encodeURIComponent(t)}`).join('&');
      const request = http.get(`${base}/events?${query}`, { agent: false, headers: { accept: 'text/event-stream', 'last-event-id': String(this.lastId) } });
      this.#request = request;
      this.#judge = new FrameJudge(base);
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
    if (id === undefined || data === undefined) return;
    const frame = JSON.parse(data) as Frame;
    this.#judge?.judge(streamEvent('/events', id, frame));
    if (this.stopped) return;
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
