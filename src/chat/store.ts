import type { CompiledQuery, Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { prepare, type PreparedQuery, type QueryRunner } from '../store/prepared.js';

export interface StoredChatMessage {
  room: string;
  seq: number;
  payload: string;
}

/** Messages kept per room; older ones are deleted now and then so the table does not grow forever. */
export const KEEP_PER_ROOM = 10_000;
const PRUNE_EVERY = 500;

/** Chat history of each room, so a client that joins gets the last messages even after a restart. */
export class ChatStore {
  readonly #appended = new Map<string, number>();
  /** Every chat message is one insert: compiled once, like the REST hot paths (src/store/prepared.ts). */
  readonly #insert: PreparedQuery<[room: string, seq: number, payload: string, createdAt: string], unknown>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly run: QueryRunner = (query) => db.executeQuery(query),
    private readonly keepPerRoom = KEEP_PER_ROOM,
  ) {
    this.#insert = prepare((room: string, seq: number, payload: string, createdAt: string) =>
      db.insertInto('chat_messages').values({ room, seq, payload, created_at: createdAt }),
    );
  }

  /**
   * Keeps a message in its room's history; `run` is the write's transaction when given (a room
   * message is stored with its log entry, in the same commit). Every PRUNE_EVERY messages of a
   * room, `due` says the room should be pruned (after the commit, by the caller).
   */
  async append(message: StoredChatMessage, run: QueryRunner = this.run): Promise<{ due: boolean }> {
    await run(this.insertOf(message));
    return { due: this.counted(message.room) };
  }

  /** The INSERT that keeps `message`, for a write to run in its transaction (WritePath.record); then `counted`. */
  insertOf(message: StoredChatMessage): CompiledQuery<unknown> {
    return this.#insert.bind(message.room, message.seq, message.payload, new Date().toISOString());
  }

  /** Counts a message kept in `room`: true every PRUNE_EVERY messages, when the room should be pruned. */
  counted(room: string): boolean {
    const n = (this.#appended.get(room) ?? 0) + 1;
    this.#appended.set(room, n % PRUNE_EVERY);
    return n % PRUNE_EVERY === 0;
  }

  /** Deletes the messages of `room` older than the newest `keepPerRoom`. */
  async prune(room: string): Promise<void> {
    const cut = await this.db
      .selectFrom('chat_messages')
      .select('id')
      .where('room', '=', room)
      .orderBy('id', 'desc')
      .offset(this.keepPerRoom)
      .limit(1)
      .executeTakeFirst();
    if (cut) await this.db.deleteFrom('chat_messages').where('room', '=', room).where('id', '<=', cut.id).execute();
  }

  /** The last `limit` messages of `room` up to seq `upTo` (every one when not given), oldest first. */
  async recent(room: string, limit: number, upTo = Number.MAX_SAFE_INTEGER): Promise<StoredChatMessage[]> {
    if (limit <= 0) return [];
    const rows = await this.db
      .selectFrom('chat_messages')
      .select(['room', 'seq', 'payload'])
      .where('room', '=', room)
      .where('seq', '<=', upTo)
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.reverse();
  }

  /** Messages of `room` after `seq`, oldest first (resume when the bus log no longer has them). */
  async after(room: string, seq: number, limit: number): Promise<StoredChatMessage[]> {
    return this.db
      .selectFrom('chat_messages')
      .select(['room', 'seq', 'payload'])
      .where('room', '=', room)
      .where('seq', '>', seq)
      .orderBy('seq', 'asc')
      .limit(limit)
      .execute();
  }
}
