/**
 * Re-derives, for a scored record and a profile, exactly the dimensions that a calibrated
 * profile can change (the model prior from its ratings, the cost prior that builds on it, the
 * semantic evaluator mix; the agreement pool is recomputed too) and the composite, with the
 * scoring engine's rounding, so that `poq score --profile` gives the same numbers.
 * Structure and alignment depend on texts and models only and are taken from the record.
 *
 * The calibration calls this hundreds of thousands of times, so it is a lean re-statement of
 * the engine's formulas (no explanation strings) with per-record constants cached;
 * `rescoreDimensionsReference` calls the engine's own dimension functions, and a test keeps
 * the two identical; the validation script checks the result against `poq score` itself.
 */
import { capReason } from "../scoring/evaluators/grounding.js";
import { eloExpected } from "../scoring/bradley-terry.js";
import { computeComposite } from "../scoring/composite.js";
import { agreementDimension } from "../scoring/dimensions/agreement.js";
import { costPriorDimension, priceOf, tokenCounts } from "../scoring/dimensions/cost-prior.js";
import { modelPriorDimension, modelRating } from "../scoring/dimensions/model-prior.js";
import { semanticDimension } from "../scoring/dimensions/semantic.js";
import { resolveTaskConfig } from "../scoring/mix.js";
import type { CostPrior, DimensionScores, EvaluatorRef, Profile, TaskConfig } from "../scoring/profile.js";
import type { AuditRecord } from "./records.js";

/** The engine's rounding of written scores (6 decimals; see scoring/engine.ts round6). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

// Per-record constants, keyed by the (shared, unchanged) cost-prior table and agreement pool objects.
const affordCache = new WeakMap<CostPrior, WeakMap<AuditRecord, number>>();
const agreementCache = new WeakMap<readonly string[], WeakMap<AuditRecord, number>>();

/** Affordability factor of the cost prior: budget / (budget + cost), or the cold-start value. */
function affordability(rec: AuditRecord, cp: CostPrior): number {
  let m = affordCache.get(cp);
  if (!m) affordCache.set(cp, (m = new WeakMap()));
  let a = m.get(rec);
  if (a === undefined) {
    const price = priceOf(cp, rec.model);
    if (price === undefined) a = cp.coldStart;
    else {
      const t = tokenCounts(cp, rec);
      const cost = t.input * price.inputPerToken + t.output * price.outputPerToken;
      a = cp.budgetUsdPerOutput / (cp.budgetUsdPerOutput + cost);
    }
    m.set(rec, a);
  }
  return a;
}

function agreement(rec: AuditRecord, pool: readonly string[]): number {
  let m = agreementCache.get(pool);
  if (!m) agreementCache.set(pool, (m = new WeakMap()));
  let a = m.get(rec);
  if (a === undefined) {
    a = agreementDimension(pool, rec.evaluators).score;
    m.set(rec, a);
  }
  return a;
}

function weightedMean(refs: readonly EvaluatorRef[], scores: Readonly<Record<string, number>>): number | null {
  let s = 0;
  let w = 0;
  for (const r of refs) {
    const v = scores[r.id];
    if (v === undefined) continue;
    s += r.weight * v;
    w += r.weight;
  }
  return w > 0 ? s / w : null;
}

function semantic(cfg: TaskConfig["semantic"], scores: Readonly<Record<string, number>>, hasReferences: boolean): number {
  const primary = hasReferences ? cfg.withReferences : cfg.withoutReferences;
  return weightedMean(primary, scores) ?? weightedMean(cfg.withoutReferences, scores) ?? 0;
}

/** The context the engine scored a record in: its model, whether it has references, whether its output is capped (degenerate or contradicting its source: capReason). */
export const ctxOf = (rec: AuditRecord) => ({ model: rec.model, hasReferences: rec.hasReferences, degenerate: capReason(rec.output, rec.evaluators) !== null });

export function rescoreDimensions(rec: AuditRecord, profile: Profile): DimensionScores {
  const cfg = resolveTaskConfig(profile, rec.task, ctxOf(rec))!.cfg;
  const mpCfg = profile.modelPrior;
  const rating = modelRating(profile, rec.model, rec.task);
  const mp = rating === undefined ? mpCfg.coldStart : eloExpected(rating, mpCfg.reference);
  const cp = Math.sqrt(mp * affordability(rec, profile.costPrior));
  return {
    modelPrior: round6(mp),
    costPrior: round6(cp),
    structure: rec.dimensions.structure,
    semantic: round6(semantic(cfg.semantic, rec.evaluators, rec.hasReferences)),
    alignment: rec.dimensions.alignment,
    agreement: round6(agreement(rec, cfg.agreementPool)),
  };
}

/** The semantic dimension alone under a semantic configuration (what a fitted mix changes). */
export function rescoreSemantic(rec: AuditRecord, cfg: TaskConfig["semantic"]): number {
  return round6(semantic(cfg, rec.evaluators, rec.hasReferences));
}

/** The same with the scoring engine's own dimension functions (the definition `rescoreDimensions` must match). */
export function rescoreDimensionsReference(rec: AuditRecord, profile: Profile): DimensionScores {
  const cfg = resolveTaskConfig(profile, rec.task, ctxOf(rec))!.cfg;
  const mp = modelPriorDimension(profile, rec.model, rec.task).score;
  const cp = costPriorDimension(profile, rec, mp).score;
  return {
    modelPrior: round6(mp),
    costPrior: round6(cp),
    structure: rec.dimensions.structure,
    semantic: round6(semanticDimension(cfg.semantic, rec.evaluators, rec.hasReferences).score),
    alignment: rec.dimensions.alignment,
    agreement: round6(agreementDimension(cfg.agreementPool, rec.evaluators).score),
  };
}

/** The composite the scoring engine would write for this record under `profile`. */
export function rescoreComposite(rec: AuditRecord, profile: Profile): { dimensions: DimensionScores; composite: number } {
  const dimensions = rescoreDimensions(rec, profile);
  return { dimensions, composite: round6(computeComposite(dimensions, profile, rec.task, ctxOf(rec))) };
}
