import { after } from 'node:test';
import { serviceContract } from './service-contract.js';
import { createTestDatabase, needServices, type TestDatabase } from './services.js';

const skip = await needServices('postgres');
let database: TestDatabase | undefined;

serviceContract(
  'PostgreSQL',
  async () => {
    database = await createTestDatabase();
    return database.url;
  },
  { skip },
);

after(async () => {
  await database?.drop();
});
