/** Shared by the chat tests: an app on a real port and a ws client that queues what it receives. */
import WebSocket, { type ClientOptions } from 'ws';
import { buildApp, type App, type BuildOptions } from '../src/app.js';
import { testConfig, type Config } from '../src/config.js';

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
  return { app, httpUrl: `http://${host}`, wsUrl: `ws://${host}/socketserver`, close: () => app.close() };
}

export type Frame = Record<string, unknown> & { type: string };

export interface Closed {
  code: number;
  reason: string;
}

/** A ws client that keeps every frame it receives, in order, to be awaited one by one. */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<Closed>;
  #cursor = 0;
  #waiters: (() => void)[] = [];

  constructor(url: string, protocols?: string | string[], options?: ClientOptions) {
    this.ws = new WebSocket(url, protocols, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake refused: ${res.statusCode}`)));
    });
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.ws.on('close', () => {
      for (const w of this.#waiters.splice(0)) w();
    });
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

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame not yet consumed (of `type`, skipping others when given). */
  async next(type?: string, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.frames.length) {
        const frame = this.frames[this.#cursor++]!;
        if (type === undefined || frame.type === type) return frame;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`socket closed while waiting for ${type ?? 'a frame'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${type ?? 'frame'} within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
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
    this.#cursor = this.frames.length;
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
