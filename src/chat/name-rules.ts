/**
 * Chat names: what a name may contain, and when two names are the same name.
 *
 * A name is taken after NFKC (fullwidth `ａｌｉｃｅ` is `alice`), trimmed, 1–32 characters. Refused
 * with BAD_NAME rather than quietly cleaned: control characters, format characters (zero-width
 * spaces and joiners, the bidi controls such as U+202E that make `‮ecila` read as "alice", soft
 * hyphens), line and paragraph separators, unpaired surrogates (sent on as U+FFFD, so two of them
 * look the same), and a name with nothing visible left once spaces and invisible characters are
 * taken out.
 *
 * Two names are the same when their confusable skeletons are (UTS #39 §4): `alice`, `аlice` with
 * a Cyrillic а and `aliсe` with a Cyrillic с are one name, so the second and third are numbered
 * like any taken name. The prototypes come from the `unhomoglyph` package, which ships Unicode's
 * confusables.txt (13.0) as a map and nothing else: kept by nodeca (markdown-it, js-yaml), used the
 * same way by the Matrix JavaScript SDK to tell look-alike display names apart, and regenerated
 * from the Unicode file by its own script; no hand-made table to keep up to date here.
 * A skeleton is a key, never shown: `m` and `rn` share one.
 */
import unhomoglyph from 'unhomoglyph';
import { socketError } from './errors.js';
import { escapeHtml } from './protocol.js';

const MAX_NAME = 32;
const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;
/** What takes no space or ink: white space, default-ignorable code points (Hangul fillers…), the blank Braille pattern. */
const INVISIBLE = /[\p{White_Space}\p{Default_Ignorable_Code_Point}\u2800]/gu;
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** The name as it is shown and stored: NFKC, trimmed, HTML-escaped (MDN's client inserts names with innerHTML). Throws BAD_NAME. */
export function normalizeName(raw: string): string {
  // Before NFKC, which would keep an unpaired surrogate as it is but hide it among normal text.
  if (/\p{Cs}/u.test(raw)) throw socketError('BAD_NAME');
  const name = raw.normalize('NFKC').trim();
  if (name.length === 0 || name.length > MAX_NAME || UNSHOWABLE.test(name) || name.replace(INVISIBLE, '') === '') throw socketError('BAD_NAME');
  return escapeHtml(name);
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/**
 * The key two names collide on: the UTS #39 skeleton (NFD, default-ignorables removed, each
 * character replaced by its prototype, NFD again) of a name as normalizeName gives it, the
 * escaping undone first so that `O’Neil` and `O'Neil` meet.
 */
export function nameKey(name: string): string {
  const text = name.replace(/&(?:amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity]!);
  return unhomoglyph(text.normalize('NFD').replace(DEFAULT_IGNORABLE, '')).normalize('NFD');
}
