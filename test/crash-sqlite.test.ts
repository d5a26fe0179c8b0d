import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killMidLoadAndCheck } from './crash-load.js';

test('kill -9 mid-load on SQLite › every create answered 201 is there after restart, and no order is half-written', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boutique-crash-'));
  try {
    await killMidLoadAndCheck('SQLite', { DATABASE_URL: `sqlite:${join(dir, 'shop.db')}` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
