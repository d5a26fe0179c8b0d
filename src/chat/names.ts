import type { Bus } from '../bus/bus.js';
import type { WritePath } from '../store/write-path.js';
import type { ChatClient } from './client.js';
import { ALL_CHANNEL, NAMES_SET, ONLINE_SET } from './channels.js';
import { chatEntry } from './log.js';
import { socketError } from './errors.js';
import { nameKey, normalizeName } from './name-rules.js';
import { rejectUsernameFrame, userlistFrame, usernameFrame } from './frames.js';

/** `bob` taken → `bob1`, `bob2`… up to this (MDN's sample server appends a number the same way). */
const MAX_SUFFIX = 10_000;

/**
 * Chat names: unique across instances and look-alikes (reserved in the bus's presence by their
 * confusable skeleton, owned by the session),
 * who is online (the user list), and which local client answers to a name.
 */
export class Names {
  /** Signed-in clients on this instance by name. */
  readonly #byName = new Map<string, ChatClient>();
  /** The user list of this turn, while it is due. */
  #userlist: Promise<void> | undefined;

  constructor(
    private readonly bus: Bus,
    private readonly writes: WritePath,
  ) {}

  /** The local client signed in as `name`, if any. */
  local(name: string): ChatClient | undefined {
    return this.#byName.get(name);
  }

  /** The session that holds `name`, on whichever instance. */
  ownerOf(name: string): Promise<string | undefined> {
    return this.bus.presence.owner(NAMES_SET, nameKey(name));
  }

  /**
   * `username`: claims the name (or a numbered variant, told with `rejectusername`), signs in,
   * and announces it — the sign-in is logged, so a client resuming later sees it too.
   */
  async choose(client: ChatClient, requested: string, date: number): Promise<void> {
    const wanted = normalizeName(requested);
    if (client.name !== undefined && client.name !== wanted) await this.drop(client);
    const given = await this.#claimUnique(wanted, client.session);
    if (given !== wanted) client.send(rejectUsernameFrame(client.id, given));
    await this.signIn(client, given);
    const frame = usernameFrame(given, client.id, date);
    await this.writes.record({ entries: [chatEntry(ALL_CHANNEL, frame)] });
  }

  /** A client that talks before choosing a name (the seed's snippet does) is `guest-<id>`. */
  async ensure(client: ChatClient): Promise<string> {
    if (client.name === undefined) await this.signIn(client, await this.#claimUnique(`guest-${client.id}`, client.session));
    return client.name!;
  }

  /** Reserves `name` for `session` again (a resume); false when someone else holds it now. */
  reclaim(name: string, session: string): Promise<boolean> {
    return this.bus.presence.claim(NAMES_SET, nameKey(name), session);
  }

  /** Marks the client online under `name` (already reserved for its session) and sends the new user list. */
  async signIn(client: ChatClient, name: string): Promise<void> {
    this.attach(client, name);
    await this.bus.presence.claim(ONLINE_SET, name, client.session);
    await this.publishUserlist();
  }

  /** Makes the client the local answer to `name`, without announcing anything. */
  attach(client: ChatClient, name: string): void {
    client.name = name;
    this.#byName.set(name, client);
  }

  /** Gives the client's name up entirely: offline and no longer reserved. */
  async drop(client: ChatClient): Promise<void> {
    const name = client.name;
    if (name === undefined) return;
    client.name = undefined;
    this.detach(client, name);
    await this.bus.presence.release(ONLINE_SET, name, client.session);
    await this.bus.presence.release(NAMES_SET, nameKey(name), client.session);
  }

  /** The client's socket is gone: offline now, the name still reserved for its session (a resume may come). */
  async leave(client: ChatClient): Promise<void> {
    const name = client.name;
    if (name === undefined) return;
    await this.bus.presence.release(ONLINE_SET, name, client.session);
    await this.publishUserlist();
  }

  /** Back online under its name (a resume). */
  async rejoin(client: ChatClient): Promise<void> {
    if (client.name !== undefined) await this.bus.presence.claim(ONLINE_SET, client.name, client.session);
  }

  /** The local client stops answering to `name` (it left, or another connection took its session over). */
  detach(client: ChatClient, name: string | undefined = client.name): void {
    if (name !== undefined && this.#byName.get(name) === client) this.#byName.delete(name);
  }

  /** A reservation that lapsed (its session never came back). */
  release(name: string, session: string): Promise<void> {
    return this.bus.presence.release(NAMES_SET, nameKey(name), session);
  }

  async online(): Promise<string[]> {
    return this.bus.presence.members(ONLINE_SET);
  }

  async isOnline(name: string): Promise<boolean> {
    return (await this.online()).includes(name);
  }

  /**
   * Sends the user list to everyone (on every instance) — once per turn of the event loop,
   * however many sign-ins, departures and resumes of that turn asked for it: a storm of N sign-ins
   * costs one list per turn, not N. Resolves once the list of the turn went out.
   */
  publishUserlist(): Promise<void> {
    return (this.#userlist ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      // From here a new change asks for a new list: this one may be read before it.
      this.#userlist = undefined;
      await this.bus.signal(ALL_CHANNEL, userlistFrame(await this.online()));
    }));
  }

  /** Names are reserved by their confusable skeleton (src/chat/name-rules.ts): a look-alike of a taken name is taken. */
  async #claimUnique(wanted: string, owner: string): Promise<string> {
    const presence = this.bus.presence;
    if (await presence.claim(NAMES_SET, nameKey(wanted), owner)) return wanted;
    for (let n = 1; n < MAX_SUFFIX; n++) {
      if (await presence.claim(NAMES_SET, nameKey(wanted + n), owner)) return wanted + n;
    }
    throw socketError('BAD_NAME', 'Every variant of this name is taken.');
  }
}
