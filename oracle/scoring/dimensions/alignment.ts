/**
 * Query-output alignment (dimension 5), NLI/consistency style. Default (offline): SummaC-style
 * zero-shot alignment, each output sentence matched to its most similar source sentence
 * (query/source and/or references, per task) with the sentence encoder, mean of the best
 * cosines, baseline-rescaled; times (1 - cuePenalty x cue rate), where the cue rate is the
 * share of output sentences with a contradiction cue against the aligned source (negation on
 * one side only, numbers or named entities the source never mentions). With an NLI
 * cross-encoder configured: (1 - nliWeight) x that + nliWeight x mean (1 + P(entail) -
 * P(contradict)) / 2 over (aligned source sentence, output sentence) pairs.
 */
import type { TaskConfig } from "../profile.js";
import { anyCue, type CueReport } from "../cues.js";
import { fmt, type DimensionResult } from "./types.js";

export interface AlignmentInputs {
  /** summac.align evaluator value (already rescaled). */
  embeddingAlignment: number;
  cues: readonly CueReport[];
  /** nli.entail evaluator value when an NLI model ran. */
  nli?: number;
}

export function alignmentDimension(cfg: TaskConfig["alignment"], x: AlignmentInputs): DimensionResult {
  const n = x.cues.length;
  const withCue = x.cues.filter(anyCue);
  const rate = n === 0 ? 0 : withCue.length / n;
  const emb = x.embeddingAlignment * (1 - cfg.cuePenalty * rate);
  const kinds = [
    withCue.some((c) => c.negation) ? "negation" : null,
    withCue.some((c) => c.numbers.length > 0) ? `numbers ${[...new Set(withCue.flatMap((c) => c.numbers))].slice(0, 3).join("/")}` : null,
    withCue.some((c) => c.entities.length > 0) ? `entities ${[...new Set(withCue.flatMap((c) => c.entities))].slice(0, 3).join("/")}` : null,
  ].filter(Boolean);
  const cueText = withCue.length === 0 ? "no contradiction cues" : `cues in ${withCue.length}/${n} sentences (${kinds.join(", ")})`;
  if (x.nli === undefined) {
    return { score: emb, explain: `alignment ${fmt(emb)} = sentence alignment ${fmt(x.embeddingAlignment)} x (1 - ${fmt(cfg.cuePenalty)} x ${fmt(rate)}); ${cueText}` };
  }
  const score = (1 - cfg.nliWeight) * emb + cfg.nliWeight * x.nli;
  return {
    score,
    explain: `alignment ${fmt(score)} = ${fmt(1 - cfg.nliWeight)} x embedding ${fmt(emb)} + ${fmt(cfg.nliWeight)} x NLI ${fmt(x.nli)}; ${cueText}`,
  };
}
