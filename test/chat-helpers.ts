/** Shared by the chat tests: an app on a real port and a ws client that queues what it receives. */
import WebSocket, { type ClientOptions } from 'ws';
import { buildApp, type App, type BuildOptions } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';
import { FrameJudge, forgetDocument, serveDocument, socketFrame } from './frame-contract.js';

export interface Running {
  app: App;
  httpUrl: string;
  wsUrl: string;
  close(): Promise<void>;
}

export async function startApp(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<Running> {
  const app = await buildApp(testConfig(overrides), options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const host = `127.0.0.1:${address.port}`;
  const httpUrl = `http://${host}`;
  serveDocument(httpUrl, app.asyncapi());
  return {
    app,
    httpUrl,
    wsUrl: `ws://${host}/socketserver`,
    close: async () => {
      forgetDocument(httpUrl);
      await app.close();
    },
  };
}

export type Frame = Record<string, unknown> & { type: string };

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A ws client that keeps every frame it receives, in order, to be awaited one by one. Every frame
 * it receives and sends is checked against the AsyncAPI document of its server (frame-contract.ts):
 * one the document does not describe fails the test.
 */
export class TestClient {
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  readonly #frames: Frame[] = [];
  #cursor = 0;
  #waiters: (() => void)[] = [];
  readonly #judge: FrameJudge;

  constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
    this.ws = new WebSocket(url, protocols, options);
    this.#judge = new FrameJudge(url);
    const open = new Promise<void>((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    });
    this.opened = Promise.all([open, this.#judge.ready]).then(() => undefined);
    // A refused handshake rejects for whoever awaits `opened`; a client that never does is not an unhandled rejection.
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.#frames.push(frame);
      this.#judge.judge(socketFrame(frame));
      for (const w of this.#waiters.splice(0)) w();
    });
    this.ws.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** Every frame received so far, in order. */
  get frames(): Frame[] {
    this.#judge.assert();
    return this.#frames;
  }

  static async open(url: string, protocols?: string | string[], options?: ClientOptions): Promise<TestClient> {
    const client = new TestClient(url, protocols, options);
    await client.opened;
    return client;
  }

  /** Opens a client and waits for its `id` frame (and the userlist that follows it). */
  static async connect(url: string, protocols: string | string[] = 'json'): Promise<TestClient> {
    const client = await TestClient.open(url, protocols);
    await client.next('id');
    await client.next('userlist');
    return client;
  }

  /** The session of this connection's `id` frame. */
  get session(): string {
    return String(this.frames.find((f) => f.type === 'id')?.session);
  }

  /** The id of this connection's `id` frame. */
  get id(): number {
    return Number(this.frames.find((f) => f.type === 'id')?.id);
  }

  /** Sends a frame the AsyncAPI document describes; any other fails the test (one meant to be wrong goes through sendInvalid). */
  send(frame: object | string): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    const problem = this.#problemSending(text);
    if (problem !== undefined) throw new Error(`${problem}. A test that means to send it calls sendInvalid.`);
    this.ws.send(text);
  }

  /**
   * Sends a frame on purpose outside the protocol (bad JSON, an unknown type, a field of the wrong
   * type…). One the document describes fails the test: the server would take it as valid.
   */
  sendInvalid(frame: object | string): void {
    const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
    if (this.#problemSending(text) === undefined) throw new Error(`The AsyncAPI document describes ${text.slice(0, 300)}: send it with send().`);
    this.ws.send(text);
  }

  /** Whether the document describes `frame` as one a client sends (to decide between send and sendInvalid). */
  describes(frame: object | string): boolean {
    return this.#problemSending(typeof frame === 'string' ? frame : JSON.stringify(frame)) === undefined;
  }

  #problemSending(text: string): string | undefined {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return `Not JSON: ${text.slice(0, 200)}`;
    }
    return this.#judge.contract.received('socket', frame);
  }

  /** The next frame not yet consumed (of `type`, skipping others when given). */
  async next(type?: string, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.frames.length) {
        const frame = this.#frames[this.#cursor++]!;
        if (type === undefined || frame.type === type) return frame;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${type ?? 'a frame'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms; got ${JSON.stringify(this.#frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Resolves with every frame received within `ms` from now that was not consumed yet. */
  async drain(ms = 150): Promise<Frame[]> {
    await new Promise((r) => setTimeout(r, ms));
    const out = this.frames.slice(this.#cursor);
    this.#cursor = this.#frames.length;
    return out;
  }

  async signIn(name: string): Promise<Frame> {
    this.send({ type: 'username', name, id: 0, date: Date.now() });
    return this.next('username');
  }

  close(): void {
    this.ws.close();
  }
}
