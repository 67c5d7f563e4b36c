/**
 * Re-derives, for a scored record and a profile, exactly the dimensions that a calibrated
 * profile can change (model prior from its ratings, the cost prior that builds on it, the
 * semantic evaluator mix, the agreement pool) and the composite, with the scoring engine's own
 * functions and rounding, so that `poq score --profile` gives the same numbers.
 * Structure and alignment depend on texts and models only and are taken from the record.
 */
import { computeComposite } from "../scoring/composite.js";
import { agreementDimension } from "../scoring/dimensions/agreement.js";
import { costPriorDimension } from "../scoring/dimensions/cost-prior.js";
import { modelPriorDimension } from "../scoring/dimensions/model-prior.js";
import { semanticDimension } from "../scoring/dimensions/semantic.js";
import type { DimensionScores, Profile } from "../scoring/profile.js";
import type { AuditRecord } from "./records.js";

/** The engine's rounding of written scores (6 decimals; see scoring/engine.ts round6). */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export function rescoreDimensions(rec: AuditRecord, profile: Profile): DimensionScores {
  const cfg = profile.tasks[rec.task]!;
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
  return { dimensions, composite: round6(computeComposite(dimensions, profile, rec.task)) };
}
