import type { Bus, BusMessage } from '../bus/bus.js';
import { withSeq } from '../bus/frame.js';
import type { ChatClient } from './client.js';
import { DIRECT_CHANNEL } from './channels.js';
import type { Names } from './names.js';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';
import { joinDirect, splitDirect } from './replay.js';

/**
 * Messages with a `target` (a private message, WebRTC signaling) go to that user alone, on
 * whichever instance it is connected: one bus channel carries them all, each instance delivers
 * to the client it has under the target name.
 */
export class DirectRelay {
  readonly #stop: () => void;

  constructor(
    private readonly bus: Bus,
    private readonly names: Names,
  ) {
    this.#stop = bus.subscribe(DIRECT_CHANNEL, (m) => this.#onDirect(m));
  }

  async send(client: ChatClient, target: string, payload: Record<string, unknown>): Promise<void> {
    const name = await this.names.ensure(client);
    if (!(await this.names.isOnline(target))) throw socketError('UNKNOWN_TARGET', `No user named "${escapeHtml(target.slice(0, 64))}" is online.`);
    // Forwarded as the client sent it (SDP, ICE candidates), but who sent it is the server's word.
    const forwarded: Record<string, unknown> = { ...payload, name };
    if (payload.type === 'message') {
      forwarded.text = escapeHtml(String(payload.text));
      forwarded.id = client.id;
      if (typeof payload.date !== 'number') forwarded.date = Date.now();
    }
    delete forwarded.seq;
    await this.bus.publish(DIRECT_CHANNEL, joinDirect(target, JSON.stringify(forwarded)));
  }

  close(): void {
    this.#stop();
  }

  #onDirect(message: BusMessage): void {
    const { target, frame } = splitDirect(message.data);
    this.names.local(target)?.deliver(DIRECT_CHANNEL, message.seq, withSeq(frame, message.seq));
  }
}
