import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApp, TestClient, type Running } from './chat-helpers.js';

describe('chat rooms', () => {
  let running: Running;
  before(async () => {
    running = await startApp({ chatHistory: 3 });
  });
  after(async () => {
    await running.close();
  });

  it('keeps clients that never join in the default room, where old clients talk unchanged', async () => {
    const a = await TestClient.connect(running.wsUrl);
    const b = await TestClient.connect(running.wsUrl);
    a.send({ type: 'message', text: 'lobby talk', date: 1 });
    assert.equal((await b.next('message')).room, 'lobby');
    assert.ok(!a.frames.some((f) => f.type === 'joined'), 'no history unless asked for');
    a.close();
    b.close();
  });

  it('sends a room only to its members, and the last CHAT_HISTORY messages on join', async () => {
    const dev = await TestClient.connect(running.wsUrl);
    const outsider = await TestClient.connect(running.wsUrl);
    await dev.signIn('dev1');
    dev.send({ type: 'join', room: 'dev' });
    const joined = await dev.next('joined');
    assert.deepEqual(joined.history, []);
    for (const text of ['one', 'two', 'three', 'four']) dev.send({ type: 'message', room: 'dev', text, date: 1 });
    for (let i = 0; i < 4; i++) await dev.next('message');
    assert.ok(!(await outsider.drain()).some((f) => f.type === 'message'), 'outside the room nothing arrives');

    outsider.send({ type: 'message', room: 'dev', text: 'let me in', date: 1 });
    assert.equal((await outsider.next('error')).code, 'NOT_IN_ROOM');

    outsider.send({ type: 'join', room: 'dev' });
    const late = await outsider.next('joined');
    assert.deepEqual((late.history as { text: string }[]).map((m) => m.text), ['two', 'three', 'four']);
    assert.ok((late.history as { seq: number }[]).every((m) => typeof m.seq === 'number'));

    outsider.send({ type: 'leave', room: 'dev' });
    await outsider.next('left');
    dev.send({ type: 'message', room: 'dev', text: 'after leave', date: 1 });
    await dev.next('message');
    assert.ok(!(await outsider.drain()).some((f) => f.type === 'message' && f.room === 'dev'));
    dev.close();
    outsider.close();
  });
});

describe('chat history › persisted in the store', () => {
  it('is sent on join after the server restarts, in order, including messages sent after the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boutique-chat-'));
    const databaseUrl = `sqlite:${join(dir, 'chat.db')}`;
    try {
      const first = await startApp({ databaseUrl });
      const a = await TestClient.connect(first.wsUrl);
      a.send({ type: 'join', room: 'ops' });
      await a.next('joined');
      for (const text of ['before 1', 'before 2']) {
        a.send({ type: 'message', room: 'ops', text, date: 1 });
        await a.next('message');
      }
      await first.close();

      const second = await startApp({ databaseUrl });
      const b = await TestClient.connect(second.wsUrl);
      b.send({ type: 'join', room: 'ops' });
      const joined = await b.next('joined');
      assert.deepEqual((joined.history as { text: string }[]).map((m) => m.text), ['before 1', 'before 2']);
      b.send({ type: 'message', room: 'ops', text: 'after', date: 1 });
      await b.next('message');
      const c = await TestClient.connect(second.wsUrl);
      c.send({ type: 'join', room: 'ops' });
      assert.deepEqual(((await c.next('joined')).history as { text: string }[]).map((m) => m.text), ['before 1', 'before 2', 'after']);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
