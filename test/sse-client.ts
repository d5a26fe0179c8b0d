/**
 * A minimal EventSource over node:http for the tests: collects parsed events until closed. Every
 * event is checked against the AsyncAPI document of its server (frame-contract.ts): its `data` must
 * be a message of the stream's channel and its `id` that message's `seq`, or the test fails.
 */
import http from 'node:http';
import { FrameJudge, streamEvent } from './frame-contract.js';

export interface SseEvent {
  id: string | undefined;
  data: Record<string, unknown> & { type: string };
}

export interface SseStream {
  readonly events: SseEvent[];
  /** Resolves once the response head arrived (any status). */
  readonly ready: Promise<void>;
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  /** What an EventSource would send as Last-Event-ID: the last `id:` seen, events without data included (WHATWG HTML §9.2.6). */
  readonly lastEventId: string | undefined;
  /** Resolves true when the server ended the stream. */
  readonly ended: Promise<boolean>;
  /** Waits until `n` events arrived (or throws after `timeoutMs`), and returns the first `n`. */
  waitFor(n: number, timeoutMs?: number): Promise<SseEvent[]>;
  /** Waits until an event satisfies `match`. */
  waitUntil(match: (e: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string> = {}): SseStream {
  const events: SseEvent[] = [];
  const path = new URL(url).pathname;
  const judge = new FrameJudge(url);
  const waiters: (() => void)[] = [];
  let status = 0;
  let responseHeaders: http.IncomingHttpHeaders = {};
  let buffer = '';
  let lastEventId: string | undefined;
  let endedResolve: (v: boolean) => void = () => {};
  const ended = new Promise<boolean>((r) => (endedResolve = r));
  const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } });
  const ready = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      responseHeaders = res.headers;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const id = /^id: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (id !== undefined) lastEventId = id;
          if (data !== undefined) {
            const event: SseEvent = { id, data: JSON.parse(data) as SseEvent['data'] };
            events.push(event);
            judge.judge(streamEvent(path, id, event.data));
          }
          for (const w of waiters.splice(0)) w();
        }
      });
      res.on('end', () => endedResolve(true));
      res.on('close', () => {
        endedResolve(true);
        for (const w of waiters.splice(0)) w();
      });
      resolve();
    });
    req.on('error', (err) => {
      endedResolve(true);
      reject(err);
    });
  });
  const wait = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      waiters.push(() => {
        clearTimeout(t);
        r();
      });
    });
  return {
    get events() {
      judge.assert();
      return events;
    },
    ready: Promise.all([ready, judge.ready]).then(() => undefined),
    get status() {
      return status;
    },
    get headers() {
      return responseHeaders;
    },
    get lastEventId() {
      return lastEventId;
    },
    ended,
    async waitFor(n, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (events.length < n) {
        judge.assert();
        if (Date.now() > deadline) throw new Error(`expected ${n} events, got ${events.length}: ${JSON.stringify(events.map((e) => e.data.type + ':' + String(e.data.action ?? '')))}`);
        await wait(100);
      }
      judge.assert();
      return events.slice(0, n);
    },
    async waitUntil(match, what, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        judge.assert();
        const found = events.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no event ${what} within ${timeoutMs} ms; got ${events.length}`);
        await wait(100);
      }
    },
    close: () => req.destroy(),
  };
}
