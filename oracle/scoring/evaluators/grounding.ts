/**
 * Grounding evaluators (cost tier "lexical", no model): what the output says that its source
 * (a summary's document; a QA answer's question and gold answers) does not support, and
 * a few generic cues of a wrong answer that gold-token recall does not see. All scores are in
 * [0,1], higher = better grounded, so a calibration may give them a non-negative weight.
 *
 *  - source.support     share of the output's content words found in the source document
 *                       (light stemming): invented content has no support;
 *  - source.consistency 1 - share of the output's sentences that flip a statement of the
 *                       source sentences they share words with (an antonym of a source word,
 *                       or a source word the source negates and the output asserts);
 *  - qa.support         share of the answer's content words (outside the question) found in
 *                       the gold answers (a precision counterpart of gold-token recall);
 *  - qa.entities        share of the answer's names (capitalised words inside a sentence)
 *                       found in the question or the gold answers;
 *  - qa.numbers         when the gold answers state numbers: the best share of one gold
 *                       answer's numbers the answer states (a different year or count is
 *                       wrong however many other tokens match); 1 when no gold has numbers;
 *  - answer.committal   0 when the output hedges or refuses ("as an AI language model", "I
 *                       couldn't find", "it is not possible to determine"), else 1.
 * Deterministic string arithmetic; word lists are small, fixed and English.
 */
import { NOT_ENTITIES } from "../cues.js";
import { degenerateReason } from "../text.js";

/** Function words: not content. */
const STOP = new Set(
  (
    "a an the of to in on at by for with from and or but nor as is are was were be been being am it its it's this that these those there " +
    "here their theirs they them he she his her hers him we us our you your i me my mine which who whom whose what when where why how " +
    "than then so such into onto over under about after before between during also can could would should will shall may might must " +
    "do does did done doing has have had having not no yes very just only own same too all any both each few many much more most other " +
    "some if because while until up down out off again further once s t one"
  ).split(" "),
);

const TOKEN_RE = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;

/** Light stemming: possessive, then one of -ing, -ed, -es, -s, -ly when at least 3 letters remain, then a final -e. */
export function stem(w: string): string {
  let s = w.replace(/['’]s$/u, "");
  for (const suf of ["ing", "ed", "es", "s", "ly"]) {
    if (s.length >= suf.length + 3 && s.endsWith(suf)) {
      s = s.slice(0, -suf.length);
      break;
    }
  }
  // "thrive" / "thriving" / "thrived" share one stem
  return s.length >= 4 && s.endsWith("e") ? s.slice(0, -1) : s;
}

/** Lower-cased tokens, possessive 's removed. */
export function tokens(text: string): string[] {
  return (text.toLowerCase().match(TOKEN_RE) ?? []).map((t) => t.replace(/['’]s$/u, ""));
}

export function contentWords(text: string): string[] {
  return tokens(text).filter((t) => !STOP.has(t));
}

/** The stems and words of a text, for support look-ups. */
export function vocabulary(texts: readonly string[]): Set<string> {
  const v = new Set<string>();
  for (const t of texts)
    for (const w of tokens(t)) {
      v.add(w);
      v.add(stem(w));
    }
  return v;
}

const supported = (w: string, vocab: ReadonlySet<string>): boolean => vocab.has(w) || vocab.has(stem(w));

/** Share of the output's content words the vocabulary supports (1 when it has none). */
export function contentSupport(output: string, vocab: ReadonlySet<string>, exclude?: ReadonlySet<string>): number {
  const cw = contentWords(output).filter((w) => !exclude || !supported(w, exclude));
  if (cw.length === 0) return 1;
  let hit = 0;
  for (const w of cw) if (supported(w, vocab)) hit++;
  return hit / cw.length;
}

/**
 * The names of a text: runs of capitalised words ("Atlantic Ocean", "Charlotte Bronte"),
 * lower-cased, possessive dropped. A capitalised word inside a sentence starts or extends a
 * run; a sentence's first word only joins the run that follows it directly ("Luke Skywalker",
 * but not "Humans" in "Humans first landed"); capitalised function words ("The", "In") never do.
 */
export function names(text: string): string[][] {
  const runs: string[][] = [];
  const re = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?|[.!?;:]+|[^\s\p{L}\p{N}]/gu;
  let run: string[] = [];
  let pendingInitial: string | null = null;
  let sentenceStart = true;
  const flush = () => {
    if (run.length > 0) runs.push(run);
    run = [];
  };
  for (const m of text.matchAll(re)) {
    const t = m[0];
    if (/^[.!?;:]+$/u.test(t)) {
      flush();
      pendingInitial = null;
      sentenceStart = true;
      continue;
    }
    if (!/^[\p{L}\p{N}]/u.test(t)) {
      // quotes, brackets, dashes: a name may continue across a hyphen only
      if (t !== "-") flush();
      pendingInitial = null;
      continue;
    }
    const w = t.toLowerCase().replace(/['’]s$/u, "");
    const capital = /^\p{Lu}/u.test(t) && !NOT_ENTITIES.has(t.toLowerCase());
    if (sentenceStart) {
      sentenceStart = false;
      pendingInitial = capital ? w : null;
      continue;
    }
    if (capital) {
      if (pendingInitial !== null) run.push(pendingInitial);
      pendingInitial = null;
      run.push(w);
    } else {
      pendingInitial = null;
      flush();
    }
  }
  flush();
  return runs;
}

/** qa.entities: share of the answer's names (every word of one) found in the question or the gold answers (1 when it names none). */
export function entitySupport(output: string, vocab: ReadonlySet<string>): number {
  const ns = names(output);
  if (ns.length === 0) return 1;
  let hit = 0;
  for (const n of ns) if (n.every((w) => supported(w, vocab))) hit++;
  return hit / ns.length;
}

const NUM_RE = /(?<![\p{L}\p{N}.])\d+(?:\.\d+)?/gu;
/** Numbers of a text: thousands separators removed ("2,630" = 2630). */
export function numbers(text: string): string[] {
  return text.replace(/(?<=\d)[,\u202F\u00A0](?=\d{3}\b)/gu, "").match(NUM_RE) ?? [];
}

/** qa.numbers: best share of one numeric gold answer's numbers that the answer states (1 when no gold answer has a number). */
export function numberAgreement(output: string, references: readonly string[]): number {
  const out = numbers(output);
  const has = (g: string): boolean => out.some((o) => o === g || (/^\d{4}$/.test(g) && o.length === 5 && o.startsWith(g)));
  let best = -1;
  for (const r of references) {
    const gold = [...new Set(numbers(r))];
    if (gold.length === 0) continue;
    best = Math.max(best, gold.filter(has).length / gold.length);
  }
  return best < 0 ? 1 : best;
}

const HEDGE_RE =
  /\b(?:as an ai|(?:ai )?language model|knowledge cut-?off|as of my (?:last|knowledge)|i(?:'|’)?m (?:sorry|not sure|unable)|i apologi[sz]e|i (?:do not|don't|don’t|cannot|can't|can’t|could not|couldn't|couldn’t) (?:know|find|determine|provide|say|answer|access|browse|have access)|not (?:possible|able) to (?:determine|say|answer|know)|(?:cannot|can't|can’t) be determined|it is (?:unclear|not clear|difficult to (?:say|determine))|there is no (?:definitive|single|clear|specific) answer|(?:no|not enough) (?:specific |reliable |available )?information (?:about|on|available)|please (?:provide|specify|clarify))\b/iu;

/** answer.committal: 0 when the output hedges or refuses, 1 otherwise. */
export function committal(output: string): number {
  return HEDGE_RE.test(output) ? 0 : 1;
}

/**
 * Opposites for source.consistency: a word of one class in the output where the source
 * sentence it paraphrases has a word of the opposite class. General English pairs (direction,
 * amount, change, existence, verdicts; the pairs whose use in news text is mostly unrelated senses, start/end and win/lose among them, are left out), not fitted to any data.
 */
const OPPOSITES: ReadonlyArray<readonly [string, string]> = [
  ["increase rise raise grow expand boost gain climb higher more", "decrease fall cut reduce shrink drop decline lower less fewer"],
  ["add introduce launch extend", "cancel scrap axe halt suspend"],
  ["build construct renovate restore repair preserve protect convert", "demolish destroy raze abandon"],
  ["thrive flourish recover", "disappear vanish decline destroy threaten endanger"],
  ["accept approve allow agree", "reject refuse deny ban oppose block"],
  ["guilty convict", "innocent acquit"],
  ["alive", "dead"],
  ["success succeed", "failure fail"],
  ["safe", "dangerous unsafe"],
  ["legal", "illegal"],
  ["cheap inexpensive", "expensive costly"],
];
const STEM_CLASS = new Map<string, number[]>();
OPPOSITES.forEach(([a, b], i) => {
  for (const w of a.split(" ")) STEM_CLASS.set(stem(w), [...(STEM_CLASS.get(stem(w)) ?? []), 2 * i]);
  for (const w of b.split(" ")) STEM_CLASS.set(stem(w), [...(STEM_CLASS.get(stem(w)) ?? []), 2 * i + 1]);
});
const NEGATORS = new Set(["not", "no", "never", "without", "cannot", "nor"]);

interface SentenceView {
  stems: Set<string>;
  /** opposite-class ids asserted (not negated) */
  asserted: Set<number>;
  /** stems that follow a negation within 3 words */
  negated: Set<string>;
}

function viewOf(sentence: string): SentenceView {
  const toks = tokens(sentence);
  const stems = new Set<string>();
  const asserted = new Set<number>();
  const negated = new Set<string>();
  let lastNeg = -10;
  toks.forEach((t, i) => {
    if (NEGATORS.has(t) || /n['’]t$/u.test(t)) {
      lastNeg = i;
      return;
    }
    const s = stem(t);
    const classes = STEM_CLASS.get(s);
    if (STOP.has(t) && !classes) return;
    stems.add(s);
    if (i - lastNeg <= 3) negated.add(s);
    else for (const c of classes ?? []) asserted.add(c);
  });
  return { stems, asserted, negated };
}

/** The (at most) two source sentences that share the most content stems (at least 2) with the output sentence. */
export const MATCHES = 2;
function lexicalMatches(out: SentenceView, source: readonly SentenceView[]): SentenceView[] {
  const scored: Array<{ s: SentenceView; n: number; i: number }> = [];
  source.forEach((s, i) => {
    let n = 0;
    for (const w of out.stems) if (s.stems.has(w)) n++;
    if (n >= 2) scored.push({ s, n, i });
  });
  scored.sort((a, b) => b.n - a.n || a.i - b.i);
  return scored.slice(0, MATCHES).map((x) => x.s);
}

/** Why an output sentence contradicts one of the source sentences it shares words with, or null. */
export function flipOf(out: SentenceView, source: readonly SentenceView[]): string | null {
  for (const s of lexicalMatches(out, source)) {
    for (const c of out.asserted) {
      const opposite = c ^ 1;
      // an opposite-class word in the source sentence, which does not also assert the output's class
      if (s.asserted.has(opposite) && !s.asserted.has(c)) return `opposite of the source (class ${c >> 1})`;
    }
    for (const w of out.stems) {
      // the source negates what the output asserts ("will not increase" / "will increase")
      if (s.negated.has(w) && !out.negated.has(w) && STEM_CLASS.has(w)) return `asserts "${w}", which the source negates`;
    }
  }
  return null;
}

const SENTENCE_SPLIT_RE = /(?<=[.!?;])\s+/u;
export function splitSentences(text: string): string[] {
  return text
    .split(SENTENCE_SPLIT_RE)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Pre-analysed source sentences for source.consistency (computed once per source). */
export function sourceViews(source: string): SentenceView[] {
  return splitSentences(source).map(viewOf);
}

/** source.consistency: 1 - share of the output's sentences that flip a source statement (1 with no sentence). */
export function sourceConsistency(output: string, source: readonly SentenceView[]): { score: number; flips: string[] } {
  const sentences = splitSentences(output);
  if (sentences.length === 0) return { score: 1, flips: [] };
  const flips: string[] = [];
  for (const s of sentences) {
    const why = flipOf(viewOf(s), source);
    if (why) flips.push(`"${s.slice(0, 60)}": ${why}`);
  }
  return { score: 1 - flips.length / sentences.length, flips };
}


/**
 * source.consistency at or below which an output is capped: half or more of its sentences flip
 * a statement of the source. One flipped sentence among three or four is more often a cue-word
 * false alarm (a quote of another speaker, a word in an unrelated sense: 6 of the 550 SummEval
 * reference summaries, 1 of them at 0.5) than a wrong summary.
 */
export const CONTRADICTION_CAP_AT = 0.5;

/**
 * Why a scored output is capped like degenerate text, or null: a loop rather than language
 * (`degenerateReason`), or an output that flips statements of its source in half or more of
 * its sentences (`source.consistency` <= CONTRADICTION_CAP_AT: an opposite of, or the assertion
 * of something negated by, the source sentences they share words with). Fixed rules, nothing
 * fitted; measured on the human-rated dev sets in docs/validation/README.md.
 */
export function capReason(output: string, evaluators: Readonly<Record<string, number>>): string | null {
  const d = degenerateReason(output);
  if (d !== null) return d;
  const c = evaluators["source.consistency"];
  if (c !== undefined && c <= CONTRADICTION_CAP_AT) return `contradicts its source in ${c === 0 ? "every" : "half or more of its"} sentence(s): source.consistency ${c}`;
  return null;
}
