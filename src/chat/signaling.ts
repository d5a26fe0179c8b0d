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
