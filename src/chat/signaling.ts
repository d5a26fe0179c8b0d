/**
 * Frames relayed to one user: WebRTC signaling (MDN's video-call sample) and private messages.
 * What the receiver gets is built here from the documented fields of each type; everything else
 * the sender put in the frame stays behind, and who sent it, to whom, its id and date are the
 * server's word (a `video-offer` carrying `"room":"admin"` or `"id":1` arrives without them).
 */
import { escapeHtml } from './protocol.js';

/** Besides type, name and target: what each signaling type carries from its sender, as sent (SDP and ICE must arrive intact). */
const SIGNALING_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'video-offer': ['sdp'],
  'video-answer': ['sdp'],
  'new-ice-candidate': ['candidate'],
  'hang-up': [],
};

export interface Sender {
  name: string;
  id: number;
}

/**
 * The frame `target` receives for `payload` from `sender`, serialized once. A private `message`
 * is `{type, name, target, text, id, date}` with the text made safe for innerHTML, as room
 * messages are; a signaling frame is `{type, name, target, …its fields}`. `seq` is added on delivery.
 */
export function relayedFrame(payload: Readonly<Record<string, unknown>>, sender: Sender, target: string, now: number = Date.now()): string {
  const type = String(payload.type);
  if (type === 'message') {
    return JSON.stringify({ type, name: sender.name, target, text: escapeHtml(String(payload.text)), id: sender.id, date: now });
  }
  const frame: Record<string, unknown> = { type, name: sender.name, target };
  for (const field of SIGNALING_FIELDS[type] ?? []) if (payload[field] !== undefined) frame[field] = payload[field];
  return JSON.stringify(frame);
}

/** A relayed frame's type and sender, read back where it is delivered; undefined for frames that do not change a call. */
const CALL_FRAME = /^\{"type":"(video-offer|video-answer|hang-up)","name":/;

export function callSignal(frame: string): { type: string; from: string } | undefined {
  const m = CALL_FRAME.exec(frame);
  if (m === null) return undefined;
  const { name } = JSON.parse(frame) as { name: string };
  return { type: m[1]!, from: name };
}

/**
 * Whom each user of this instance is in a call with: the last user it sent a video-offer or
 * video-answer to, or received one from. MDN's client sends `hang-up` with `"target": null` (it
 * forgets its peer before telling it), and MDN's server broadcast target-less frames to everyone;
 * here such a signaling frame goes to the call partner alone. A hang-up ends the call on both
 * sides, and a user who leaves or changes name has no partner any more.
 */
export class CallPartners {
  readonly #partner = new Map<string, string>();

  /** `user` sent a frame of `type` to `peer`, or received one from it. */
  note(user: string, peer: string, type: string): void {
    if (type === 'video-offer' || type === 'video-answer') this.#partner.set(user, peer);
    else if (type === 'hang-up' && this.#partner.get(user) === peer) this.#partner.delete(user);
  }

  of(user: string): string | undefined {
    return this.#partner.get(user);
  }

  forget(user: string): void {
    this.#partner.delete(user);
  }
}
