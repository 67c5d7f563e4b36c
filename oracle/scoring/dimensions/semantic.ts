/**
 * Semantic quality (dimension 4): the weighted mean of the evaluators the profile names for
 * the task: reference-based ones when the record has references (default: USE cosine and
 * BERTScore F1 to the references), reference-free ones otherwise (USE cosine to the query).
 * A calibrated profile may pick other evaluators here (e.g. answer containment for QA).
 */
import type { EvaluatorRef, TaskConfig } from "../profile.js";
import { fmt, type DimensionResult } from "./types.js";

function weightedMean(refs: readonly EvaluatorRef[], scores: Readonly<Record<string, number>>): { value: number; used: EvaluatorRef[] } | null {
  const used = refs.filter((r) => scores[r.id] !== undefined);
  if (used.length === 0) return null;
  let s = 0;
  let w = 0;
  for (const r of used) {
    s += r.weight * scores[r.id]!;
    w += r.weight;
  }
  return { value: s / w, used };
}

export function semanticDimension(cfg: TaskConfig["semantic"], scores: Readonly<Record<string, number>>, hasReferences: boolean): DimensionResult {
  const primary = hasReferences ? cfg.withReferences : cfg.withoutReferences;
  const m = weightedMean(primary, scores) ?? weightedMean(cfg.withoutReferences, scores);
  if (m === null) return { score: 0, explain: "semantic 0: none of the configured evaluators applies to this record" };
  return {
    score: m.value,
    explain: `semantic ${fmt(m.value)} = ${hasReferences ? "reference-based" : "reference-free"} weighted mean of ${m.used
      .map((r) => `${r.id} ${fmt(scores[r.id]!)} (w ${fmt(r.weight)})`)
      .join(", ")}`,
  };
}
