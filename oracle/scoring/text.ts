/**
 * Text helpers shared by the evaluators and dimensions: word tokenisation, SQuAD-style
 * answer normalisation, n-grams. Pure and deterministic.
 */

const WORD_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Lower-cased word tokens (letters/digits runs, with a trailing 's / n't kept). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD_RE) ?? [];
}

/** Whitespace-separated token count (what "length in words" means in the structure dimension). */
export function wordCount(text: string): number {
  const t = text.trim();
  return t.length === 0 ? 0 : t.split(/\s+/u).length;
}

const PUNCT_RE = /[\p{P}\p{S}]/gu;
const ARTICLES_RE = /\b(a|an|the)\b/gu;

/** SQuAD v1.1 answer normalisation: lower case, drop punctuation, drop articles, squeeze spaces. */
export function squadNormalize(text: string): string {
  return text.toLowerCase().replace(PUNCT_RE, " ").replace(ARTICLES_RE, " ").split(/\s+/u).filter(Boolean).join(" ");
}

export function squadTokens(text: string): string[] {
  const n = squadNormalize(text);
  return n.length === 0 ? [] : n.split(" ");
}

const FOOTNOTE_RE = /[\u00B9\u00B2\u00B3\u2070-\u209F]|\[\d+\]|\^\d+/gu;
const LETTER_DIGIT_RE = /(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})/gu;

/**
 * Answer tokens for lenient matching: SQuAD normalisation after removing footnote markers
 * (superscripts, [1], ^1) and splitting letters from digits ("from1985" -> "from 1985"),
 * artefacts of chat-engine answers with citations.
 */
export function answerTokens(text: string): string[] {
  const t = text.toLowerCase().replace(FOOTNOTE_RE, " ").replace(LETTER_DIGIT_RE, " ");
  return squadTokens(t);
}

/** Multiset of n-grams (joined by U+0001) with counts. */
export function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join("\u0001");
    m.set(key, (m.get(key) ?? 0) + 1);
  }
  return m;
}

/** Size of the multiset intersection of two count maps. */
export function overlapCount(a: Map<string, number>, b: Map<string, number>): number {
  let small = a;
  let large = b;
  if (a.size > b.size) {
    small = b;
    large = a;
  }
  let o = 0;
  for (const [k, c] of small) {
    const d = large.get(k);
    if (d !== undefined) o += c < d ? c : d;
  }
  return o;
}

export function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

export const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : Number.isNaN(x) ? 0 : x);

/** UTF-8 byte length without allocating. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/**
 * Control characters a record may not contain: C0 controls other than tab, line feed and
 * carriage return, and DEL. (C1 controls are normalised first, see normalizeC1.)
 */
export const CONTROL_CHAR_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/u;

const C1_RE = /[\u0080-\u009F]/u;
const C1_ALL_RE = /[\u0080-\u009F]/gu;

/**
 * C1 control characters (U+0080..U+009F), the usual trace of Windows-1252 text decoded as
 * Latin-1, normalised deterministically: U+0085 NEXT LINE becomes a line feed, the others are
 * dropped (they carry no text). Returns the input itself when it has none (the common case).
 */
export function normalizeC1(text: string): string {
  if (!C1_RE.test(text)) return text;
  return text.replace(C1_ALL_RE, (c) => (c === "\u0085" ? "\n" : ""));
}

/** The key two references are the same under: NFKC, lower case, whitespace collapsed, trimmed. */
export function referenceKey(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/gu, " ").trim();
}

/**
 * The references that are scored: trimmed, empty ones left out, duplicates under referenceKey
 * removed (the first spelling is kept), in input order. Long alias lists (TriviaQA-style:
 * "Paris", "paris", "PARIS", ...) shrink to their distinct entries; every evaluator takes the
 * best match over references ("max") or their mean, and a repeated alias adds nothing to the max.
 */
export function distinctReferences(references: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const r of references) {
    const t = r.trim();
    if (t.length === 0) continue;
    const k = referenceKey(t);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(t);
  }
  return out;
}

const ALPHA_WORD_RE = /\p{L}+(?:['’]\p{L}+)?/gu;

/**
 * Why a text is degenerate (a loop rather than language), or null. Four a-priori rules on
 * its alphabetic words (numbers are values and may repeat: "2008-12-12 00:00:00"):
 *  - stutter: at least 4 words and a quarter or more of them repeat the word before
 *    ("ocean ocean ocean ocean", "seagrass seagrass carbon carbon");
 *  - repeated sentences: at least 2 sentences and half or more of them duplicates;
 *  - phrase loop: at least 6 words and fewer than half of the word trigrams distinct;
 *  - fragments: at least 3 sentences and none longer than 2 words ("Trains. Weekend. Night."),
 *    a sentence ending only after a word of 2+ letters (not initials, not list numbers).
 * Fixed thresholds, not fitted: on the 8,342 human-rated dev outputs none fires
 * (docs/validation/README.md).
 */
export function degenerateReason(text: string): string | null {
  const w = text.toLowerCase().match(ALPHA_WORD_RE) ?? [];
  if (w.length >= 4) {
    let rep = 0;
    for (let i = 1; i < w.length; i++) if (w[i] === w[i - 1]) rep++;
    if (rep / (w.length - 1) >= 0.25) return `stutter: ${rep} of ${w.length - 1} words repeat the one before`;
  }
  const sentences = text
    .split(/(?<=[.!?])\s+/u)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  if (sentences.length >= 2) {
    const dup = sentences.length - new Set(sentences).size;
    if (dup / sentences.length >= 0.5) return `repeated sentences: ${dup} of ${sentences.length} are duplicates`;
  }
  if (w.length >= 6) {
    const tri = ngramCounts(w, 3);
    const share = tri.size / (w.length - 2);
    if (share < 0.5) return `phrase loop: ${tri.size} distinct of ${w.length - 2} word trigrams`;
  }
  // sentences end after a word of 2+ letters only: initials ("L. K. Advani") and list markers ("1. Rain") do not end one
  const fragments = text
    .split(/(?<=\p{L}{2}[.!?])\s+/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (fragments.length >= 3 && fragments.every((s) => (s.match(ALPHA_WORD_RE) ?? []).length <= 2)) return `fragments: ${fragments.length} sentences of at most 2 words`;
  return null;
}
