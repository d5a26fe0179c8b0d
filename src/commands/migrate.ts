import type { Kysely } from 'kysely';
import { openConnection } from '../store/open.js';
import { migrateToLatest } from '../store/migrations.js';
import { Registry } from '../resources/registry.js';
import type { Command } from './args.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Runs the pending migrations on DATABASE_URL and prints each one applied.',
  flags: [],
  config: ['databaseUrl'],
  async run(_args, config) {
    const connection = await openConnection(config.databaseUrl);
    try {
      const applied = await migrateToLatest(connection.db as Kysely<unknown>, connection.dialect, new Registry().migrations);
      for (const name of applied) console.log(`applied ${name}`);
      console.log(applied.length === 0 ? 'database is up to date' : `${applied.length} migration${applied.length === 1 ? '' : 's'} applied`);
    } finally {
      await connection.close();
    }
  },
};
