/**
 * Sessions whose socket went away: their name stays reserved for a grace period so that only
 * the same client, resuming with its session token, can have it back.
 */
export interface DetachedSession {
  session: string;
  id: number;
  name: string | undefined;
  rooms: string[];
  topics: string[];
  /** When its grace period ends (ms since the epoch); set when it is first detached, kept when a failed resume puts it back. */
  expiresAt?: number;
}

export class DetachedSessions {
  readonly #sessions = new Map<string, { state: DetachedSession; timer: NodeJS.Timeout }>();

  constructor(private readonly graceMs: number, private readonly onExpire: (state: DetachedSession) => void) {}

  /** Starts the session's grace period, or, for one a failed resume took and puts back, goes on with what was left of it. */
  add(state: DetachedSession): void {
    this.drop(state.session);
    state.expiresAt ??= Date.now() + this.graceMs;
    const timer = setTimeout(() => {
      this.#sessions.delete(state.session);
      this.onExpire(state);
    }, Math.max(0, state.expiresAt - Date.now()));
    timer.unref();
    this.#sessions.set(state.session, { state, timer });
  }

  /** Removes and returns the session (its reservation now belongs to the resuming client). */
  take(session: string): DetachedSession | undefined {
    const entry = this.#sessions.get(session);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#sessions.delete(session);
    return entry.state;
  }

  drop(session: string): void {
    this.take(session);
  }

  close(): void {
    for (const { timer } of this.#sessions.values()) clearTimeout(timer);
    this.#sessions.clear();
  }
}
