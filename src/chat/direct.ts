import type { WritePath } from '../store/write-path.js';
import type { ChatClient } from './client.js';
import { DIRECT_CHANNEL } from './channels.js';
import type { Names } from './names.js';
import { chatEntry, sessionDigest } from './log.js';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';

/**
 * Messages with a `target` (a private message, WebRTC signaling) go to that user alone. Each is
 * logged for the session that holds the target's name when it is sent — by a digest of that
 * session — and delivered to that session only, live on whichever instance it is connected, and
 * on a resume by whoever presents that session: never to whoever holds the name later.
 */
export class DirectRelay {
  constructor(
    private readonly names: Names,
    private readonly writes: WritePath,
  ) {}

  async send(client: ChatClient, target: string, payload: Record<string, unknown>): Promise<void> {
    const name = await this.names.ensure(client);
    const recipient = (await this.names.isOnline(target)) ? await this.names.ownerOf(target) : undefined;
    if (recipient === undefined) throw socketError('UNKNOWN_TARGET', `No user named "${escapeHtml(target.slice(0, 64))}" is online.`);
    // Forwarded as the client sent it (SDP, ICE candidates), but who sent it is the server's word.
    const forwarded: Record<string, unknown> = { ...payload, name };
    if (payload.type === 'message') {
      forwarded.text = escapeHtml(String(payload.text));
      forwarded.id = client.id;
      if (typeof payload.date !== 'number') forwarded.date = Date.now();
    }
    delete forwarded.seq;
    const frame = JSON.stringify(forwarded);
    await this.writes.write(async () => ({ value: undefined, changes: [], entries: [chatEntry(DIRECT_CHANNEL, frame, sessionDigest(recipient))] }));
  }
}
