import { test } from 'node:test';
import { killMidLoadAndCheck } from './crash-load.js';
import { createTestDatabase, needServices } from './services.js';

const skip = await needServices('postgres');

test('kill -9 mid-load on PostgreSQL › every create answered 201 is there after restart, and no order is half-written', { timeout: 90_000, skip }, async () => {
  const database = await createTestDatabase();
  try {
    await killMidLoadAndCheck('PostgreSQL', { DATABASE_URL: database.url });
  } finally {
    await database.drop();
  }
});
