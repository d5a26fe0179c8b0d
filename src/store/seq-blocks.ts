import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Hands out blocks of sequence numbers that never repeat across restarts, the way database
 * sequences cache values: each call takes the next `size` numbers and records the end first, so
 * even after a kill -9 the next process starts past everything the last one could have used.
 * The in-process bus starts its seq there, so a client resuming with a seq (or an EventSource's
 * Last-Event-ID) from before a restart is never ahead of the new numbers.
 */
export async function reserveSeqBlock(db: Kysely<Database>, name: string, size: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('bus_state').select('value').where('name', '=', name).executeTakeFirst();
    const start = Number(row?.value ?? 0);
    if (row) await trx.updateTable('bus_state').set({ value: start + size }).where('name', '=', name).execute();
    else await trx.insertInto('bus_state').values({ name, value: start + size }).execute();
    return start;
  });
}
