/**
 * TLS (issue 7 item 6): TLS_CERT/TLS_KEY serve https:// and wss:// on the same port, with a
 * self-signed certificate made for the test by openssl (skipped with a message when it is absent).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { TestClient } from './chat-helpers.js';

const OPENSSL = '/usr/bin/openssl';
const skip = existsSync(OPENSSL) ? false : `openssl not found at ${OPENSSL}; cannot make a test certificate`;

let dir: string;
let app: App;
let port: number;
let ca: Buffer;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'boutique-tls-'));
  const key = join(dir, 'k.pem');
  const cert = join(dir, 'c.pem');
  execFileSync(OPENSSL, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  ca = readFileSync(cert);
  app = await buildApp(testConfig({ tlsCert: cert, tlsKey: key }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
after(async () => {
  await app?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function httpsGet(path: string, options: { ca?: Buffer } = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, ...options }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    }).on('error', reject);
  });
}

test('TLS_CERT/TLS_KEY › https:// serves the API, verified against the certificate', { skip }, async () => {
  const created = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Secure', email: 'secure@example.org' } });
  assert.equal(created.statusCode, 201);
  const res = await httpsGet('/customers', { ca });
  assert.equal(res.status, 200);
  assert.match(res.body, /secure@example\.org/);
  // Without the certificate as a CA the client refuses the self-signed server: it really is TLS.
  await assert.rejects(httpsGet('/healthz'), /self[- ]signed/i);
});

test('TLS_CERT/TLS_KEY › wss:// on the same port: a chat message goes round, and a subscription gets a REST change', { skip }, async () => {
  const url = `wss://127.0.0.1:${port}/socketserver`;
  const alice = await TestClient.open(url, 'json', { ca });
  await alice.next('id');
  const bob = await TestClient.open(url, 'json', { ca });
  await bob.next('id');
  await alice.signIn('alice');
  alice.send({ type: 'message', text: 'over TLS', date: 1 });
  for (;;) if ((await bob.next('message')).text === 'over TLS') break;
  bob.send({ type: 'subscribe', topic: 'customers' });
  await bob.next('subscribed');
  await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Pushed', email: 'pushed@example.org' } });
  const event = await bob.next('event');
  assert.equal(event.action, 'created');
  assert.match(JSON.stringify(event.data), /pushed@example\.org/);
  alice.close();
  bob.close();
});
