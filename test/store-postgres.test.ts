import { after } from 'node:test';
import { createStore } from '../src/store/store.js';
import { storeContract } from './store-contract.js';
import { createTestDatabase, needServices, type TestDatabase } from './services.js';

const skip = await needServices('postgres');
let database: TestDatabase | undefined;

storeContract(
  'PostgreSQL',
  async () => {
    database = await createTestDatabase();
    return createStore({ databaseUrl: database.url });
  },
  { skip },
);

after(async () => {
  await database?.drop();
});
