/**
 * Agreement / uncertainty (dimension 6): how much the evaluator pool agrees on this output.
 * score = 1 - 2 x (population standard deviation of the pool's scores); scores lie in [0,1],
 * so the deviation is at most 0.5 and the score stays in [0,1]. With fewer than two pool
 * evaluators applicable, there is no dispersion to measure: 0.5 (no information).
 */
import { fmt, type DimensionResult } from "./types.js";

export const AGREEMENT_UNDEFINED = 0.5;

export function agreementDimension(pool: readonly string[], scores: Readonly<Record<string, number>>): DimensionResult {
  const vals = pool.filter((id) => scores[id] !== undefined).map((id) => scores[id]!);
  if (vals.length < 2) {
    return { score: AGREEMENT_UNDEFINED, explain: `agreement ${AGREEMENT_UNDEFINED}: fewer than two pool evaluators apply (${vals.length})` };
  }
  let mean = 0;
  for (const v of vals) mean += v;
  mean /= vals.length;
  let ss = 0;
  for (const v of vals) ss += (v - mean) ** 2;
  const sd = Math.sqrt(ss / vals.length);
  const score = Math.max(0, Math.min(1, 1 - 2 * sd));
  return { score, explain: `agreement ${fmt(score)} = 1 - 2 x sd ${fmt(sd)} over ${vals.length} evaluators (mean ${fmt(mean)})` };
}
