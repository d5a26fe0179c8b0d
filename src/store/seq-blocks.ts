import type { Kysely } from 'kysely';
import type { Database } from './database.js';

/**
 * Hands out blocks of sequence numbers that never repeat across restarts or instances, the way
 * database sequences cache values: each call takes the next `size` numbers in one atomic upsert
 * (instances sharing PostgreSQL may ask at the same moment), so even after a kill -9 the next
 * process starts past everything the last one could have used. Returns the first of the block.
 */
export async function reserveSeqBlock(db: Kysely<Database>, name: string, size: number): Promise<number> {
  const row = await db
    .insertInto('bus_state')
    .values({ name, value: size })
    .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('bus_state.value', '+', size) })))
    .returning('value')
    .executeTakeFirstOrThrow();
  return Number(row.value) - size;
}
