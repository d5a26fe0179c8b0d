/**
 * The `plain-text` string format of request bodies: text that reads the same wherever it is shown.
 * Refused: control characters (NUL, tab, line feed, U+0085…), line and paragraph separators — a
 * name with a line break forges lines in the text/plain view — and the bidirectional formatting
 * characters (UAX #9 §2: embeddings, overrides such as U+202E, isolates, marks), which reorder what
 * follows them. Also unpaired surrogates: storage turns them into U+FFFD, so what was stored would
 * not be what was sent. Joiners (U+200C, U+200D) stay: some scripts spell names with them.
 */
export const PLAIN_TEXT = 'plain-text';

const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/u;
// With the u flag, \p{Cs} matches only a surrogate that is not part of a pair.
const LONE_SURROGATE = /\p{Cs}/u;

export function isPlainText(text: string): boolean {
  return !UNPRINTABLE.test(text) && !LONE_SURROGATE.test(text);
}
