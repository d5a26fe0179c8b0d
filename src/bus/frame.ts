/**
 * Frames travel the bus without their seq (the bus assigns it on publish). The receiving
 * instance appends it once per message — not once per receiver — so every socket on the
 * instance gets the very same string.
 *
 * `json` must be a serialized JSON object: `{"type":"message",…}` → `{"type":"message",…,"seq":42}`.
 */
export function withSeq(json: string, seq: number): string {
  return json.slice(0, -1) + ',"seq":' + seq + '}';
}
