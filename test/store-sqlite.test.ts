import { createStore } from '../src/store/store.js';
import { storeContract } from './store-contract.js';

storeContract('SQLite in memory', () => createStore({ databaseUrl: 'sqlite::memory:' }));
