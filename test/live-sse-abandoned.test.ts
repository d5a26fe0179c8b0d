/**
 * An event stream whose client leaves while its start is still being prepared (what it missed
 * still being read from PostgreSQL) leaves nothing running behind it: once the server closes, the
 * process exits by itself. (A keep-alive timer started for such a closed stream ticked forever:
 * one more timer per abandoned stream in a server, and a test process kept alive for good.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, needServices } from './services.js';

// On PostgreSQL, reading what a stream missed waits for the database: time enough for its client to leave.
const skip = await needServices('postgres');
const FIXTURE = fileURLToPath(new URL('./fixtures/abandoned-streams.ts', import.meta.url));

test('SSE clients gone while what they missed was still being read › nothing of them keeps the process alive after the server closed', { timeout: 90_000, skip }, async () => {
  const database = await createTestDatabase();
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, database.url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    let closedAt = 0;
    child.stdout.on('data', () => {
      if (closedAt === 0 && out.includes('closed')) closedAt = Date.now();
    });
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 60_000);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!exited) child.kill('SIGKILL');
    assert.match(out, /closed/, out);
    assert.ok(exited, 'the process was still running 60 s after start: something of the abandoned streams kept it alive');
    assert.ok(Date.now() - closedAt < 10_000, `exited ${Date.now() - closedAt} ms after the server closed`);
  } finally {
    await database.drop();
  }
});
