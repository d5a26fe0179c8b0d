/**
 * Logged frames are stored without their seq (the log gives the position when it commits); the
 * delivering instance appends it once per entry — not once per receiver — so every socket on
 * the instance gets the very same string.
 *
 * `json` must be a serialized JSON object: `{"type":"message",…}` → `{"type":"message",…,"seq":42}`.
 */
export function withSeq(json: string, seq: number): string {
  return json.slice(0, -1) + ',"seq":' + seq + '}';
}
