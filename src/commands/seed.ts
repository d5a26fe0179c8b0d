import { openStorage } from '../store/open.js';
import { highestId, importShop } from '../resources/transfer.js';
import { Registry } from '../resources/registry.js';
import { seedLines } from './sample-shop.js';
import { Progress } from './progress.js';
import { intFlag, type Command } from './args.js';
import { ConfigError } from '../config.js';

/** With --seed the shop's "now" is fixed too, so the same seed gives the same timestamps. */
const SEEDED_NOW = new Date('2025-06-01T12:00:00.000Z');

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Adds realistic sample customers and orders (varied names, e-mails, SKUs, statuses, a year of dates).',
  flags: [
    { name: '--customers', value: '<n>', description: 'How many customers to add (required)' },
    { name: '--orders-per-customer', value: '<m>', description: 'Orders of each customer; default 0 to 4 (2 on average)' },
    { name: '--seed', value: '<s>', description: 'Random seed: the same seed on the same database gives the same shop' },
  ],
  config: ['databaseUrl', 'sqliteSynchronous'],
  async run(args, config) {
    const customers = intFlag(args, '--customers', 1, 10_000_000);
    if (customers === undefined) throw new ConfigError('--customers is required (see boutique seed --help)');
    const ordersPerCustomer = intFlag(args, '--orders-per-customer', 0, 1000);
    const seed = intFlag(args, '--seed', 0, 2 ** 32 - 1);
    const registry = new Registry();
    const store = await openStorage(config, { migrations: registry.migrations, synchronous: config.sqliteSynchronous });
    try {
      const progress = new Progress(customers, 'customers');
      const after = { customer: await highestId(store, 'customers'), order: await highestId(store, 'orders') };
      const lines = seedLines({ customers, ordersPerCustomer, seed: seed ?? Math.floor(Math.random() * 2 ** 32), now: seed === undefined ? new Date() : SEEDED_NOW, after });
      progress.update(0);
      const counts = await importShop(store, registry, lines, (c) => progress.update(c.customer ?? 0));
      progress.done();
      console.log(`seeded ${counts.customer ?? 0} customers and ${counts.order ?? 0} orders in ${progress.seconds} s`);
    } finally {
      await store.close();
    }
  },
};
