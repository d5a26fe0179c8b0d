/**
 * Abuse limits on HTTP (issue 7 item 5): security headers, header size, slow-loris, idle keep-alive,
 * and that none of the request timeouts cuts a long-lived SSE stream or WebSocket.
 * The rate limit is proven in test/http-rate-limit.test.ts, the body limit (413) in test/rest-errors.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { TestClient } from './chat-helpers.js';

const SHORT = { headersTimeoutMs: 400, requestTimeoutMs: 800, keepAliveTimeoutMs: 400 };
/** Longer than every short timeout plus Node's checking interval: what a timeout would have cut by then. */
const OUTLAST_MS = 2000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rawSocket(port: number): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve({ socket, received: () => data, closed }));
    let data = '';
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    socket.once('error', reject);
  });
}

describe('HTTP abuse limits', () => {
  let app: App;
  let port: number;
  before(async () => {
    app = await buildApp(testConfig(), { timeouts: SHORT });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  after(async () => app.close());

  it('security headers › nosniff, X-Frame-Options and Referrer-Policy everywhere; a CSP on every HTML page', async () => {
    for (const url of ['/', '/chat', '/dashboard', '/customers', '/nowhere']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['referrer-policy'], 'same-origin', url);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /default-src 'self'/, `${url}: CSP ${csp}`);
      assert.match(csp, /frame-ancestors 'none'/);
      // The chat and the dashboard need their own scripts and a socket back to this server (proven in a browser by chat-browser and dashboard-browser).
      assert.match(csp, /script-src 'self'/);
      assert.match(csp, /connect-src 'self' ws: wss:/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    }
  });

  it('security headers › JSON answers and errors carry nosniff and X-Frame-Options too, and no CSP (nothing in them runs)', async () => {
    for (const url of ['/customers', '/customers/999999', '/openapi.json']) {
      const res = await app.inject({ method: 'GET', url, headers: { accept: 'application/json' } });
      assert.match(String(res.headers['content-type']), /json/, url);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(res.headers['x-frame-options'], 'DENY', url);
      assert.equal(res.headers['content-security-policy'], undefined, url);
    }
  });

  it('a request header over 16 KiB (Node\'s default maxHeaderSize) › 431 and the connection closed', async () => {
    const { socket, received, closed } = await rawSocket(port);
    socket.write(`GET /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`);
    await closed;
    assert.match(received(), /^HTTP\/1\.1 431 /);
    // A header just under the limit is served.
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-big': 'a'.repeat(15 * 1024) } });
    assert.equal(res.status, 200);
  });

  it('slow-loris: headers trickled one every 150 ms › the socket is closed after HEADERS_TIMEOUT, with 408', async () => {
    const { socket, received, closed } = await rawSocket(port);
    socket.write('GET /customers HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    let sent = 0;
    let open = true;
    void closed.then(() => (open = false));
    // Each line resets any idle timer; only a deadline on the whole header block stops this.
    while (open && sent < 40) {
      await sleep(150);
      if (open) socket.write(`X-Slow-${sent++}: x\r\n`);
    }
    assert.equal(open, false, `still open after ${sent} trickled headers (${sent * 150} ms)`);
    assert.match(received(), /^HTTP\/1\.1 408 /);
    console.log(`# slow-loris: cut after ${sent} headers trickled at 150 ms (headers timeout ${SHORT.headersTimeoutMs} ms)`);
  });

  it('a body trickled slower than REQUEST_TIMEOUT › the socket is closed with 408', async () => {
    const { socket, received, closed } = await rawSocket(port);
    socket.write('POST /customers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    let open = true;
    void closed.then(() => (open = false));
    for (let i = 0; open && i < 40; i++) {
      await sleep(150);
      if (open) socket.write(' ');
    }
    assert.equal(open, false);
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  it('an idle keep-alive connection › closed after KEEP_ALIVE_TIMEOUT', async () => {
    const { socket, received, closed } = await rawSocket(port);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await closed;
    assert.match(received(), /^HTTP\/1\.1 200 /);
  });

  it('GET /events and a WebSocket › outlast every request timeout and still deliver', async () => {
    const events: string[] = [];
    const stream = await new Promise<{ close(): void }>((resolve, reject) => {
      const req = request(`http://127.0.0.1:${port}/events`, (res) => {
        res.on('data', (c: Buffer) => events.push(c.toString()));
        resolve({ close: () => res.destroy() });
      });
      req.on('error', reject);
      req.end();
    });
    const ws = await TestClient.connect(`ws://127.0.0.1:${port}/socketserver`);
    await sleep(OUTLAST_MS);

    const created = await fetch(`http://127.0.0.1:${port}/customers`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Late', email: 'late@example.org' }) });
    assert.equal(created.status, 201);
    const deadline = Date.now() + 3000;
    while (!events.join('').includes('late@example.org') && Date.now() < deadline) await sleep(20);
    assert.match(events.join(''), /late@example\.org/, 'the SSE stream was cut');
    await ws.signIn('still-here');
    ws.close();
    stream.close();
  });
});
