/**
 * Lexical evaluators (cost tier "lexical"): ROUGE-1/2/L F-measure, SQuAD token F1 and exact
 * match, answer containment and reference-token recall. All return scores in [0,1].
 */
import { answerTokens, f1, ngramCounts, overlapCount, squadNormalize, squadTokens, words } from "../text.js";

/** ROUGE-N F1 between token lists (clipped n-gram counts). */
export function rougeN(candidate: readonly string[], reference: readonly string[], n: number): number {
  const c = ngramCounts(candidate, n);
  const r = ngramCounts(reference, n);
  const cTotal = Math.max(0, candidate.length - n + 1);
  const rTotal = Math.max(0, reference.length - n + 1);
  if (cTotal === 0 || rTotal === 0) return 0;
  const o = overlapCount(c, r);
  return f1(o / cTotal, o / rTotal);
}

/** Length of the longest common subsequence (two-row dynamic programme). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    const ai = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = ai === b[j - 1] ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** ROUGE-L F1 (LCS-based, beta = 1). */
export function rougeL(candidate: readonly string[], reference: readonly string[]): number {
  const l = lcsLength(candidate, reference);
  if (l === 0) return 0;
  return f1(l / candidate.length, l / reference.length);
}

/** SQuAD v1.1 token F1 of normalised answers. */
export function squadF1(candidate: string, reference: string): number {
  const c = squadTokens(candidate);
  const r = squadTokens(reference);
  if (c.length === 0 || r.length === 0) return c.length === r.length ? 1 : 0;
  const o = overlapCount(ngramCounts(c, 1), ngramCounts(r, 1));
  if (o === 0) return 0;
  return f1(o / c.length, o / r.length);
}

export function squadExactMatch(candidate: string, reference: string): number {
  return squadNormalize(candidate) === squadNormalize(reference) ? 1 : 0;
}

/** 1 when the normalised reference occurs in the normalised candidate on token boundaries. */
export function containment(candidate: string, reference: string): number {
  const r = squadNormalize(reference);
  if (r.length === 0) return 0;
  const c = ` ${squadNormalize(candidate)} `;
  return c.includes(` ${r} `) ? 1 : 0;
}

/** Fraction of the (normalised) reference tokens present in the candidate (soft containment). */
export function referenceRecall(candidate: string, reference: string): number {
  const r = squadTokens(reference);
  if (r.length === 0) return 0;
  const o = overlapCount(ngramCounts(squadTokens(candidate), 1), ngramCounts(r, 1));
  return o / r.length;
}

/** True when a and b differ by at most one insertion, deletion or substitution. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length > b.length) [a, b] = [b, a];
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.length === b.length ? a.slice(i + 1) === b.slice(i + 1) : a.slice(i) === b.slice(i + 1);
}

/**
 * Lenient gold-token recall ("qa.recall.soft"): share of the reference's answer tokens found in
 * the output, where a token also matches at one edit when it has at least 5 characters
 * ("gatiman" ~ "gatimaan") and a 4-digit year also matches itself followed by one footnote
 * digit ("19831" for 1983 with citation 1).
 */
export function softRecall(out: readonly string[], outSet: ReadonlySet<string>, ref: readonly string[]): number {
  if (ref.length === 0) return 0;
  let hit = 0;
  for (const g of ref) {
    if (outSet.has(g)) hit++;
    else if (g.length >= 5 && out.some((o) => Math.abs(o.length - g.length) <= 1 && withinOneEdit(o, g))) hit++;
    else if (/^\d{4}$/.test(g) && out.some((o) => o.length === 5 && o.startsWith(g) && /^\d{5}$/.test(o))) hit++;
  }
  return hit / ref.length;
}

/**
 * Gold-token recall over the tokens the question does not already contain ("qa.recall.novel"):
 * softRecall against the reference's answer tokens minus the question's. An answer that only
 * restates the question's words ("The Atlantic Ocean is the largest ocean" for gold "the Pacific
 * Ocean", "90 degrees Celsius" for gold "100 degrees Celsius") gets no credit for them. When
 * every gold token is in the question (an either-or question), all of them count.
 */
export function novelRecall(out: readonly string[], outSet: ReadonlySet<string>, ref: readonly string[], question: ReadonlySet<string>): number {
  const novel = ref.filter((g) => !question.has(g));
  return softRecall(out, outSet, novel.length > 0 ? novel : ref);
}

/**
 * Extractive support ("source.overlap"): share of the output's word n-grams (n = 4) that occur
 * verbatim in the source. A faithfulness cue for summaries (invented content has no support);
 * reference-free.
 */
export const SOURCE_OVERLAP_N = 4;
export function sourceOverlap(out: readonly string[], sourceNgrams: ReadonlySet<string>, n = SOURCE_OVERLAP_N): number {
  const total = out.length - n + 1;
  if (total <= 0) return 0;
  let hit = 0;
  for (let i = 0; i < total; i++) if (sourceNgrams.has(out.slice(i, i + n).join("\u0001"))) hit++;
  return hit / total;
}

/**
 * Non-redundancy ("distinct.3gram"): share of the output's word trigrams that are distinct.
 * Repeating a phrase or a whole sentence is a classic failure of generated summaries and
 * long answers (it hurts readability and wastes the length budget); 1 = nothing repeated.
 * Reference-free; an output with no trigram (fewer than 3 words) repeats nothing and scores 1.
 */
export const DISTINCT_N = 3;
export function distinctNgrams(out: readonly string[], n = DISTINCT_N): number {
  const total = out.length - n + 1;
  if (total <= 0) return 1;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(out.slice(i, i + n).join("\u0001"));
  return seen.size / total;
}

export function ngramSet(tokens: readonly string[], n = SOURCE_OVERLAP_N): Set<string> {
  const set = new Set<string>();
  for (let i = 0; i + n <= tokens.length; i++) set.add(tokens.slice(i, i + n).join("\u0001"));
  return set;
}

export type Aggregation = "max" | "mean";

export function aggregate(values: readonly number[], how: Aggregation): number {
  if (values.length === 0) return 0;
  if (how === "max") {
    let m = -Infinity;
    for (const v of values) if (v > m) m = v;
    return m;
  }
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Per-text tokenisations the lexical evaluators need; computed once per distinct text. */
export interface TextFeatures {
  words: string[];
  uni: Map<string, number>;
  bi: Map<string, number>;
  squadNorm: string;
  squadToks: string[];
  squadUni: Map<string, number>;
  answerToks: string[];
  answerSet: Set<string>;
}

export function textFeatures(text: string): TextFeatures {
  const w = words(text);
  const squadNorm = squadNormalize(text);
  const squadToks = squadNorm.length === 0 ? [] : squadNorm.split(" ");
  const answerToks = answerTokens(text);
  return { words: w, uni: ngramCounts(w, 1), bi: ngramCounts(w, 2), squadNorm, squadToks, squadUni: ngramCounts(squadToks, 1), answerToks, answerSet: new Set(answerToks) };
}

function rougeFromCounts(c: Map<string, number>, cTotal: number, r: Map<string, number>, rTotal: number): number {
  if (cTotal <= 0 || rTotal <= 0) return 0;
  const o = overlapCount(c, r);
  return f1(o / cTotal, o / rTotal);
}

export type LexicalId = "rouge1.f" | "rouge2.f" | "rougeL.f" | "squad.f1" | "squad.em" | "squad.containment" | "squad.recall" | "qa.recall.soft";

/** All lexical evaluator scores of one output against its references (features precomputed). */
export function lexicalScoresFromFeatures(out: TextFeatures, refs: readonly TextFeatures[], how: Aggregation): Record<LexicalId, number> {
  const r1: number[] = [];
  const r2: number[] = [];
  const rl: number[] = [];
  const sf: number[] = [];
  const em: number[] = [];
  const ct: number[] = [];
  const rc: number[] = [];
  const sr: number[] = [];
  const paddedOut = ` ${out.squadNorm} `;
  for (const r of refs) {
    r1.push(rougeFromCounts(out.uni, out.words.length, r.uni, r.words.length));
    r2.push(rougeFromCounts(out.bi, out.words.length - 1, r.bi, r.words.length - 1));
    const l = lcsLength(out.words, r.words);
    rl.push(l === 0 ? 0 : f1(l / out.words.length, l / r.words.length));
    if (out.squadToks.length === 0 || r.squadToks.length === 0) sf.push(out.squadToks.length === r.squadToks.length ? 1 : 0);
    else {
      const o = overlapCount(out.squadUni, r.squadUni);
      sf.push(o === 0 ? 0 : f1(o / out.squadToks.length, o / r.squadToks.length));
    }
    em.push(out.squadNorm === r.squadNorm ? 1 : 0);
    ct.push(r.squadNorm.length > 0 && paddedOut.includes(` ${r.squadNorm} `) ? 1 : 0);
    rc.push(r.squadToks.length === 0 ? 0 : overlapCount(out.squadUni, r.squadUni) / r.squadToks.length);
    sr.push(softRecall(out.answerToks, out.answerSet, r.answerToks));
  }
  return {
    "rouge1.f": aggregate(r1, how),
    "rouge2.f": aggregate(r2, how),
    "rougeL.f": aggregate(rl, how),
    "squad.f1": aggregate(sf, how),
    "squad.em": aggregate(em, how),
    "squad.containment": aggregate(ct, how),
    "squad.recall": aggregate(rc, how),
    "qa.recall.soft": aggregate(sr, how),
  };
}

/** All lexical evaluator scores of one output against its references. */
export function lexicalScores(output: string, references: readonly string[], how: Aggregation): Record<LexicalId, number> {
  return lexicalScoresFromFeatures(textFeatures(output), references.map(textFeatures), how);
}
