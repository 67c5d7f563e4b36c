/**
 * The shared sentence splitter (rule based, no model): used to window long texts for the
 * encoder and by the scoring engine for sentence-level alignment.
 *
 * A sentence ends at `.`, `!`, `?`, `…` or a CJK full stop (with any closing quotes or
 * brackets after it) followed by whitespace, or at a blank line / line break. Not a
 * boundary: decimals (`3.14`), common abbreviations (`Dr.`, `e.g.`, `U.S.`), single-letter
 * initials (`J. Smith`) and a terminator followed by a lower-case word.
 */
const ABBREVIATIONS = new Set([
  "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "cf", "al",
  "fig", "no", "vol", "pp", "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul",
  "aug", "sep", "sept", "oct", "nov", "dec", "gen", "col", "lt", "sgt", "capt", "gov", "sen",
  "rep", "rev", "est", "approx", "dept", "u.s", "u.k", "u.n", "a.m", "p.m", "ph.d", "b.a", "m.a",
]);

const CLOSERS = new Set(["\"", "'", ")", "]", "}", "\u201d", "\u2019", "\u00bb"]);
const HARD_TERMINATORS = new Set(["!", "?", "\u2026", "\u3002", "\uff01", "\uff1f"]);

function isSpace(c: string | undefined): boolean {
  return c !== undefined && /\s/u.test(c);
}

function wordBefore(text: string, dot: number): string {
  let i = dot - 1;
  while (i >= 0 && /[\p{L}\p{N}.]/u.test(text[i]!)) i--;
  return text.slice(i + 1, dot);
}

function isBoundaryAtDot(text: string, dot: number, next: number): boolean {
  const word = wordBefore(text, dot).toLowerCase();
  if (word.length === 0) return true;
  if (ABBREVIATIONS.has(word)) return false;
  if (/^\p{L}$/u.test(word) && /\p{Lu}/u.test(wordBefore(text, dot))) return false; // initial "J."
  let j = next;
  while (j < text.length && isSpace(text[j])) j++;
  const following = text[j];
  if (following !== undefined && /\p{Ll}/u.test(following)) return false; // "approx. five"
  return true;
}

export function splitSentences(text: string): string[] {
  const out: string[] = [];
  const n = text.length;
  let start = 0;
  const push = (end: number) => {
    const s = text.slice(start, end).trim();
    if (s.length > 0) out.push(s);
    start = end;
  };
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    if (c === "\n") {
      push(i + 1);
      continue;
    }
    const hard = HARD_TERMINATORS.has(c);
    if (!hard && c !== ".") continue;
    // swallow runs of terminators ("?!", "...") and closing quotes/brackets
    let j = i + 1;
    while (j < n && (text[j] === "." || HARD_TERMINATORS.has(text[j]!))) j++;
    while (j < n && CLOSERS.has(text[j]!)) j++;
    const cjk = c === "\u3002" || c === "\uff01" || c === "\uff1f";
    if (j < n && !isSpace(text[j]) && !cjk) {
      i = j - 1;
      continue; // "3.14", "e.g.x", "example.com"
    }
    if (c === "." && j === i + 1 && !isBoundaryAtDot(text, i, j)) continue;
    push(j);
    i = j - 1;
  }
  push(n);
  return out;
}
