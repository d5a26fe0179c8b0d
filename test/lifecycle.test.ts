import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { OPTIONS } from '../src/config.js';

const SHUTDOWN_TIMEOUT_MS = 5000;

/** `boutique serve` as a real process on a free port; resolves with its URL once it listens. */
async function serve(databaseUrl: string) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !Object.values(OPTIONS).some((o) => o.env === k)));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--port', '0', '--database-url', databaseUrl, '--shutdown-timeout-ms', String(SHUTDOWN_TIMEOUT_MS)], {
    env: { ...clean, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(({ code }) => reject(new Error(`serve exited ${code} before listening:\n${output}`)));
  });
  return { child, url, exited, output: () => output };
}

/**
 * A POST whose body arrives in two parts: the request is in flight (routed, waiting for the rest
 * of its body) for as long as the test wants. Resolves with the raw response text.
 */
function slowPost(url: string, body: string, { keepAlive = false } = {}) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let response = '';
  socket.on('data', (chunk) => (response += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    socket.once('close', () => resolve(response));
    socket.once('error', reject);
  });
  const half = Math.floor(body.length / 2);
  const opened = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  void opened.then(() =>
    socket.write(`POST /customers HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${keepAlive ? '' : 'Connection: close\r\n'}\r\n${body.slice(0, half)}`),
  );
  return { opened, finish: () => socket.write(body.slice(half)), done };
}

test('SIGTERM › finishes the in-flight request, closes sockets with 1001, answers /readyz 503 while draining, exits 0 in time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-lifecycle-'));
  const server = await serve(`sqlite:${join(dir, 'shop.db')}`);
  try {
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);

    const ws = new WebSocket(server.url.replace('http', 'ws') + '/socketserver');
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });

    const request = slowPost(server.url, JSON.stringify({ name: 'In Flight', email: 'in.flight@example.org' }));
    await request.opened;
    await new Promise((r) => setTimeout(r, 200));

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');

    // While draining, readiness is 503 (from /readyz or from Fastify's closing guard) or the
    // listener is already closed; never 200.
    const readiness: (number | string)[] = [];
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 50));
      readiness.push(await fetch(`${server.url}/readyz`).then((r) => r.status, (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? 'error'));
    }
    assert.ok(!readiness.includes(200), `readiness while draining: ${readiness.join(', ')}`);

    assert.equal(await wsClosed, 1001, 'the socket is closed as going away');
    request.finish();
    const response = await request.done;
    assert.match(response, /^HTTP\/1\.1 201 /, 'the in-flight request completed');
    assert.match(response, /"email":"in.flight@example.org"/);

    const { code, at } = await server.exited;
    assert.equal(code, 0);
    assert.ok(at - signalledAt < SHUTDOWN_TIMEOUT_MS + 1000, `exited ${at - signalledAt} ms after SIGTERM`);
    // Logs were flushed: the last line made it out.
    assert.match(server.output(), /"msg":"stopped"/);
  } finally {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGTERM › a keep-alive connection whose request is in flight gets its answer with Connection: close, and the server exits 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-lifecycle-'));
  const server = await serve(`sqlite:${join(dir, 'shop.db')}`);
  try {
    // The client means to keep its connection: only the server can end it once the answer is out.
    const request = slowPost(server.url, JSON.stringify({ name: 'Kept Alive', email: 'kept.alive@example.org' }), { keepAlive: true });
    await request.opened;
    await new Promise((r) => setTimeout(r, 200));
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 200));
    request.finish();
    const response = await request.done;
    assert.match(response, /^HTTP\/1\.1 201 /, 'the in-flight request completed');
    assert.match(response, /\r\nconnection: close\r\n/i, 'and its connection ends with it');
    const { code } = await server.exited;
    assert.equal(code, 0, 'no connection was left for the shutdown timeout to cut');
    assert.doesNotMatch(server.output(), /shutdown timed out/);
  } finally {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SIGINT › an idle server exits 0 at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-lifecycle-'));
  const server = await serve(`sqlite:${join(dir, 'shop.db')}`);
  try {
    const signalledAt = Date.now();
    server.child.kill('SIGINT');
    const { code, at } = await server.exited;
    assert.equal(code, 0);
    assert.ok(at - signalledAt < 3000, `exited ${at - signalledAt} ms after SIGINT`);
  } finally {
    server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
