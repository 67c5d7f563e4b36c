/**
 * Contradiction cues between an output sentence and its source (cheap stand-ins for NLI):
 * a negation present on one side only (against the aligned source sentence), and numbers /
 * named entities (capitalised words) that are
 * - "unsupported": never mentioned anywhere in the source (complete sources: summaries), or
 * - "conflicting": the source states numbers / entities and the output sentence shares none
 *   of them (short gold answers: QA, where extra detail is fine but a different year is not).
 */
const NEGATION_RE = /(?:\b(?:not|no|never|none|nobody|nothing|neither|nor|without|cannot)\b|n't\b|n’t\b)/iu;
const NUMBER_RE = /\d+(?:[.,]\d+)*/gu;
const ENTITY_INNER_RE = /(?<=[\s(“"'])\p{Lu}[\p{L}\p{N}'’-]*/gu;
const ENTITY_ANY_RE = /(?<=^|[\s(“"'])\p{Lu}[\p{L}\p{N}'’-]*/gu;
/** Capitalised function words that are not names. */
export const NOT_ENTITIES = new Set([
  "i", "i'm", "i’m", "a", "an", "the", "it", "its", "he", "she", "they", "we", "you", "in", "on", "at", "of", "this", "that",
  "these", "those", "there", "his", "her", "their", "and", "but", "or", "as", "for", "to", "by", "with", "from", "after",
  "before", "when", "while", "if", "so", "yes", "no",
]);

export type CueMode = "unsupported" | "conflicting";

export interface CueReport {
  negation: boolean;
  numbers: string[];
  entities: string[];
}

export function hasNegation(s: string): boolean {
  return NEGATION_RE.test(s);
}

export function numbersIn(s: string): string[] {
  return (s.match(NUMBER_RE) ?? []).map((n) => n.replace(/,/g, ""));
}

/** Capitalised words not at the start of the sentence (not function words). */
export function entitiesIn(s: string): string[] {
  return (s.match(ENTITY_INNER_RE) ?? []).filter((e) => !NOT_ENTITIES.has(e.toLowerCase()));
}

/** Source vocabulary used by the cue checks. */
export interface SourceIndex {
  numbers: Set<string>;
  /** Lower-cased words. */
  words: Set<string>;
  /** Lower-cased capitalised words anywhere (sentence starts too), minus function words. */
  entities: Set<string>;
}

const wordsOf = (t: string): string[] => t.toLowerCase().match(/[\p{L}\p{N}'’-]+/gu) ?? [];

export function indexSource(texts: readonly string[]): SourceIndex {
  const numbers = new Set<string>();
  const words = new Set<string>();
  const entities = new Set<string>();
  for (const t of texts) {
    for (const n of numbersIn(t)) numbers.add(n);
    for (const w of wordsOf(t)) words.add(w);
    for (const e of t.match(ENTITY_ANY_RE) ?? []) if (!NOT_ENTITIES.has(e.toLowerCase())) entities.add(e.toLowerCase());
  }
  return { numbers, words, entities };
}

export function cuesFor(outputSentence: string, alignedSource: string, src: SourceIndex, mode: CueMode = "unsupported"): CueReport {
  const negation = hasNegation(outputSentence) !== hasNegation(alignedSource);
  const outNums = numbersIn(outputSentence);
  const outEnts = entitiesIn(outputSentence);
  if (mode === "unsupported") {
    return {
      negation,
      numbers: outNums.filter((n) => !src.numbers.has(n)),
      entities: outEnts.filter((e) => !src.words.has(e.toLowerCase())),
    };
  }
  const numbers = outNums.length > 0 && src.numbers.size > 0 && !outNums.some((n) => src.numbers.has(n)) ? outNums : [];
  const outWords = new Set(wordsOf(outputSentence));
  const entities = outEnts.length > 0 && src.entities.size > 0 && ![...src.entities].some((e) => outWords.has(e)) ? outEnts : [];
  return { negation, numbers, entities };
}

export function anyCue(c: CueReport): boolean {
  return c.negation || c.numbers.length > 0 || c.entities.length > 0;
}
