import type { ChangeLog, LogEntry, LogFilter } from '../store/change-log.js';
import type { QueryRunner } from '../store/prepared.js';

/** The most entries one replay sends; a client further behind is told to start again. */
export const REPLAY_LIMIT = 10_000;

/**
 * Reads what a client missed from the change log, or says it cannot: when retention has deleted
 * entries after the client's position, or when there are more than REPLAY_LIMIT, the answer is
 * `undefined` — the caller sends a reset (or RESUME_FAILED), never a replay with a hole in it.
 */
export class Replayer {
  constructor(
    private readonly log: Pick<ChangeLog, 'read' | 'prunedThrough'>,
    private readonly run: QueryRunner,
  ) {}

  async entries(after: number, cut: number, filter: LogFilter): Promise<LogEntry[] | undefined> {
    if (after >= cut) return [];
    if (after < (await this.log.prunedThrough(this.run))) return undefined;
    const entries = await this.log.read(after, cut, filter, REPLAY_LIMIT + 1);
    // Retention may have run while this was read: only a log still holding `after` answers whole.
    if (entries.length > REPLAY_LIMIT || after < (await this.log.prunedThrough(this.run))) return undefined;
    return entries;
  }
}
