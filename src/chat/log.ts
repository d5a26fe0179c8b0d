import { createHash } from 'node:crypto';
import type { NewLogEntry } from '../store/change-log.js';

/**
 * Chat frames in the change log. A frame is logged without its seq (the log gives the position);
 * a direct message names its recipient by a digest of the recipient's session, so a resume
 * replays it only to whoever presents that session — never to whoever now has the name.
 */
export const sessionDigest = (session: string): string => createHash('sha256').update(session).digest('base64url');

export function chatEntry(channel: string, frame: string, recipient: string | null = null): NewLogEntry {
  return { channel, recipient, action: null, data: frame, previous: null };
}
