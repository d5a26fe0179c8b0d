import { serviceContract } from './service-contract.js';

serviceContract('SQLite in memory', async () => 'sqlite::memory:');
