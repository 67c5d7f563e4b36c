/**
 * Structure quality (dimension 3): does the output have the form of a good answer for its
 * task, independent of its content? The product of component scores, each 1 when fine:
 * - length: words against the task's expected range (ratio below min / above max);
 * - repetition: share of distinct word trigrams / 0.9, capped at 1 (runaway n-gram loops);
 * - degeneration: longest run of one repeated token, repeated sentences;
 * - junk: replacement characters, private-use and other non-text symbols;
 * - unfinished: a longer output that stops without terminal punctuation;
 * - format: task checks (QA: not a refusal / non-answer; summaries: not a copy of the source,
 *   shorter than the source).
 */
import type { TaskConfig } from "../profile.js";
import { ngramCounts, words, wordCount } from "../text.js";
import { fmt, type DimensionResult } from "./types.js";

export interface StructureParts {
  length: number;
  repetition: number;
  degeneration: number;
  junk: number;
  unfinished: number;
  format: number;
}

const REPETITION_TOLERANCE = 0.9;
const JUNK_RE = /[\uFFFD\uE000-\uF8FF\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u2028\u2029\uFEFF]/gu;
const TERMINAL_RE = /[.!?…。！？"'”’)\]»:;]\s*$/u;
const REFUSAL_RE =
  /\b(i(?: am|'m) (?:sorry|not able|unable)|i (?:cannot|can't|can not|do not|don't) (?:know|answer|provide|find|help)|as an ai\b|i (?:could not|couldn't) find|no (?:information|answer) (?:is )?available|unable to (?:answer|determine|find))/iu;

/** Length score: 1 inside [min, max], min/n-ratio below, max/n-ratio above. */
export function lengthScore(n: number, min: number, max: number): number {
  if (n < min) return min === 0 ? 1 : n / min;
  if (n > max) return max / n;
  return 1;
}

export function structureParts(output: string, query: string, cfg: TaskConfig["structure"], task: string): StructureParts {
  const n = wordCount(output);
  const toks = words(output);
  const length = lengthScore(n, cfg.lengthWords.min, cfg.lengthWords.max);

  let repetition = 1;
  if (toks.length >= 6) {
    const tri = ngramCounts(toks, 3);
    const total = toks.length - 2;
    // natural text repeats a few trigrams: only a distinct share below 0.9 counts
    repetition = Math.min(1, tri.size / total / REPETITION_TOLERANCE);
  }

  let maxRun = 1;
  let run = 1;
  for (let i = 1; i < toks.length; i++) {
    run = toks[i] === toks[i - 1] ? run + 1 : 1;
    if (run > maxRun) maxRun = run;
  }
  const runPenalty = maxRun >= 3 ? Math.min(1, (maxRun - 2) / 6) : 0;
  const sentences = output
    .split(/(?<=[.!?])\s+/u)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  const distinctSentences = new Set(sentences).size;
  const sentenceRepeat = sentences.length > 1 ? 1 - distinctSentences / sentences.length : 0;
  const degeneration = (1 - runPenalty) * (1 - sentenceRepeat);

  const chars = [...output].length;
  const junkCount = output.match(JUNK_RE)?.length ?? 0;
  const junk = chars === 0 ? 0 : Math.max(0, 1 - (10 * junkCount) / chars);

  const unfinished = n >= cfg.unfinishedMinWords && !TERMINAL_RE.test(output) ? 0.7 : 1;

  let format = 1;
  if (task === "qa" && REFUSAL_RE.test(output)) format = 0.3;
  if (cfg.penaliseCopy && query.length > 0) {
    const q = words(query);
    if (toks.length >= q.length * 0.8 && q.length > 0) format = Math.min(format, 0.3); // as long as the source
    else if (toks.length >= 12) {
      // share of output 8-grams found verbatim in the source: near 1 = one long copied span
      const src = ngramCounts(q, 8);
      const out8 = toks.length - 7;
      let hit = 0;
      for (let i = 0; i + 8 <= toks.length; i++) if (src.has(toks.slice(i, i + 8).join("\u0001"))) hit++;
      const copied = hit / out8;
      if (copied > 0.9 && toks.length > 0.5 * q.length) format = Math.min(format, 0.5);
    }
  }
  return { length, repetition, degeneration, junk, unfinished, format };
}

export function structureDimension(output: string, query: string, cfg: TaskConfig["structure"], task: string): DimensionResult & { parts: StructureParts } {
  const parts = structureParts(output, query, cfg, task);
  const score = parts.length * parts.repetition * parts.degeneration * parts.junk * parts.unfinished * parts.format;
  const low = (Object.entries(parts) as Array<[string, number]>).filter(([, v]) => v < 1);
  const explain =
    low.length === 0
      ? `structure 1: ${wordCount(output)} words within [${cfg.lengthWords.min}, ${cfg.lengthWords.max}], no repetition, junk or truncation`
      : `structure ${fmt(score)} = product of ${low.map(([k, v]) => `${k} ${fmt(v)}`).join(", ")} (other checks 1; ${wordCount(output)} words)`;
  return { score, explain, parts };
}
