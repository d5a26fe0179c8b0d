import type { WritePath } from '../store/write-path.js';
import type { ChatClient } from './client.js';
import { DIRECT_CHANNEL } from './channels.js';
import type { Names } from './names.js';
import { chatEntry, sessionDigest } from './log.js';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';
import { CallPartners, callSignal, relayedFrame } from './signaling.js';

/**
 * Messages for one user (a private message, WebRTC signaling) go to that user alone. Each is
 * logged for the session that holds the target's name when it is sent — by a digest of that
 * session — and delivered to that session only, live on whichever instance it is connected, and
 * on a resume by whoever presents that session: never to whoever holds the name later. A
 * signaling frame without a target goes to the sender's call partner (src/chat/signaling.ts).
 */
export class DirectRelay {
  readonly #calls = new CallPartners();

  constructor(
    private readonly names: Names,
    private readonly writes: WritePath,
  ) {}

  async send(client: ChatClient, requested: string | undefined, payload: Record<string, unknown>): Promise<void> {
    const name = await this.names.ensure(client);
    const target = requested ?? this.#calls.of(name);
    if (target === undefined) throw socketError('UNKNOWN_TARGET', 'No "target", and no call to send this to.');
    const recipient = (await this.names.isOnline(target)) ? await this.names.ownerOf(target) : undefined;
    if (recipient === undefined) throw socketError('UNKNOWN_TARGET', `No user named "${escapeHtml(target.slice(0, 64))}" is online.`);
    this.#calls.note(name, target, String(payload.type));
    const frame = relayedFrame(payload, { name, id: client.id }, target);
    await this.writes.record({ entries: [chatEntry(DIRECT_CHANNEL, frame, sessionDigest(recipient))] });
  }

  /** `client` is about to receive `frame`: a call signal makes its sender the client's call partner. */
  delivered(client: ChatClient, frame: string): void {
    const signal = callSignal(frame);
    if (signal !== undefined && client.name !== undefined) this.#calls.note(client.name, signal.from, signal.type);
  }

  /** `name` left or changed: no call partner any more. */
  forget(name: string): void {
    this.#calls.forget(name);
  }
}
