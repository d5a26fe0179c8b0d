import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, TestClient, type Running } from './chat-helpers.js';

async function refusal(url: string, protocols?: string | string[], headers: Record<string, string> = {}): Promise<number | 'accepted'> {
  const client = new TestClient(url, protocols, { headers });
  try {
    await client.opened;
    client.close();
    return 'accepted';
  } catch (err) {
    const m = /handshake refused: (\d+)/.exec(String(err));
    if (!m) throw err;
    return Number(m[1]);
  }
}

describe('chat handshake', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ allowedOrigins: ['https://shop.example'] });
  });
  after(async () => {
    await running.close();
  });

  it('upgrades at /socketserver and at /', async () => {
    for (const path of ['/socketserver', '/']) {
      const c = await TestClient.open(running.httpUrl.replace('http', 'ws') + path);
      assert.equal((await c.next('id')).type, 'id');
      c.close();
    }
  });

  it('refuses an upgrade on any other path with 404', async () => {
    assert.equal(await refusal(running.httpUrl.replace('http', 'ws') + '/customers'), 404);
  });

  it('selects the subprotocol the client offered among json and protocolOne', async () => {
    for (const [offer, chosen] of [['json', 'json'], ['protocolOne', 'protocolOne'], [['soap', 'protocolOne', 'json'], 'protocolOne'], [undefined, '']] as const) {
      const c = await TestClient.open(running.wsUrl, offer as string | string[] | undefined);
      assert.equal(c.ws.protocol, chosen);
      c.close();
    }
  });

  it('refuses a client that offers only unknown subprotocols', async () => {
    assert.equal(await refusal(running.wsUrl, ['soap', 'mqtt']), 400);
  });

  it('refuses an Origin that ALLOWED_ORIGINS does not list (its own included), and accepts listed and absent origins', async () => {
    assert.equal(await refusal(running.wsUrl, 'json', { Origin: 'https://evil.example' }), 403);
    assert.equal(await refusal(running.wsUrl, 'json', { Origin: 'https://shop.example' }), 'accepted');
    assert.equal(await refusal(running.wsUrl, 'json', { Origin: running.httpUrl }), 403);
    assert.equal(await refusal(running.wsUrl, 'json'), 'accepted');
  });

  it('gives every connection its own numeric id', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => TestClient.open(running.wsUrl)));
    const ids = await Promise.all(clients.map(async (c) => (await c.next('id')).id));
    assert.ok(ids.every((id) => typeof id === 'number'));
    assert.equal(new Set(ids).size, ids.length);
    for (const c of clients) c.close();
  });
});
