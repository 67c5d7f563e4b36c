/**
 * Cheap-first evaluation (profile switch `cheapFirst`, off when absent). The encoder is most of
 * the cost of a record (docs/scoring.md: ~95% of QA time); the model and cost priors, the
 * structure dimension and the lexical evaluators cost almost nothing. Before encoding, the
 * composite is bounded from those alone: every encoder-based evaluator at 0 and at 1, the
 * alignment and agreement dimensions at 0 and at 1. The composite is non-decreasing in each of
 * them (non-negative weights, increasing normalisation, non-decreasing calibration map), so the
 * full composite lies in [lo, hi]. When the whole interval is on one side of the payout floor
 * (by `margin`), no encoder output can change the pay decision: the record is not encoded and
 * its encoder-based parts take the profile's `fill` values (inside the interval by
 * monotonicity), so the composite is still `computeComposite(record.dimensions)`.
 */
import { explainComposite } from "./composite.js";
import { agreementDimension } from "./dimensions/agreement.js";
import { semanticDimension } from "./dimensions/semantic.js";
import type { DimensionResult } from "./dimensions/types.js";
import { EVALUATORS } from "./evaluators/registry.js";
import type { MixContext } from "./mix.js";
import { DIMENSIONS, type DimensionScores, type Profile, type TaskConfig } from "./profile-schema.js";

/** Evaluators that need the encoder (or the NLI model): all but the lexical tier. */
export const ENCODER_EVALUATORS: ReadonlySet<string> = new Set(EVALUATORS.filter((e) => e.tier !== "lexical").map((e) => e.id));

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export interface CheapFirstInput {
  profile: Profile;
  task: string;
  ctx: MixContext;
  /** The task configuration of the record's mix (its semantic evaluators). */
  mixCfg: TaskConfig;
  /** The task's own configuration (agreement pool). */
  cfg: TaskConfig;
  /** The lexical evaluators of the record (rounded as in a scored record). */
  lexical: Readonly<Record<string, number>>;
  hasReferences: boolean;
  modelPrior: DimensionResult;
  costPrior: DimensionResult;
  structure: DimensionResult;
}

export interface CheapFirstResult {
  /** Bounds of the full composite over every possible encoder output. */
  lo: number;
  hi: number;
  /** Whether the pay decision is settled without the encoder. */
  decisive: boolean;
  /** The record's scores when decisive: lexical evaluators, dimensions with fills, composite from them. */
  evaluators: Record<string, number>;
  dimensions: DimensionScores;
  composite: number;
  semanticExplain: string;
}

/** The encoder-based evaluators a record's semantic mix and agreement pool would read. */
function encoderInputs(x: CheapFirstInput): string[] {
  const sem = x.hasReferences ? x.mixCfg.semantic.withReferences : x.mixCfg.semantic.withoutReferences;
  const ids = new Set([...sem.map((r) => r.id), ...x.mixCfg.semantic.withoutReferences.map((r) => r.id), ...x.cfg.agreementPool]);
  return [...ids].filter((id) => ENCODER_EVALUATORS.has(id) && (x.profile.evaluators.enabled as readonly string[]).includes(id) && (x.hasReferences || !needsRefs.has(id)));
}
const needsRefs: ReadonlySet<string> = new Set(EVALUATORS.filter((e) => e.needsReferences).map((e) => e.id));

function dimsWith(x: CheapFirstInput, value: (id: string) => number, alignment: number, agreement: number | null): { dimensions: DimensionScores; evaluators: Record<string, number>; semanticExplain: string } {
  const evaluators: Record<string, number> = { ...x.lexical };
  for (const id of encoderInputs(x)) evaluators[id] = round6(value(id));
  const se = semanticDimension(x.mixCfg.semantic, evaluators, x.hasReferences);
  const ag = agreement ?? agreementDimension(x.cfg.agreementPool, evaluators).score;
  const parts: DimensionScores = { modelPrior: x.modelPrior.score, costPrior: x.costPrior.score, structure: x.structure.score, semantic: se.score, alignment, agreement: ag };
  const dimensions = {} as DimensionScores;
  for (const d of DIMENSIONS) dimensions[d] = round6(parts[d]);
  return { dimensions, evaluators, semanticExplain: se.explain };
}

/** Bounds and (when decisive) the cheap scores of one record under `profile.cheapFirst`. */
export function cheapFirst(x: CheapFirstInput): CheapFirstResult {
  const cf = x.profile.cheapFirst!;
  const composite = (d: DimensionScores) => round6(explainComposite(d, x.profile, x.task, x.ctx).composite);
  const lo = composite(dimsWith(x, () => 0, 0, 0).dimensions);
  const hi = composite(dimsWith(x, () => 1, 1, 1).dimensions);
  const decisive = hi < cf.floor - cf.margin || lo >= cf.floor + cf.margin;
  const fill = (k: string) => cf.fill[k] ?? 0.5;
  const est = dimsWith(x, fill, fill("dim.alignment"), cf.fill["dim.agreement"] ?? null);
  const c = composite(est.dimensions);
  // the evaluators a skipped record reports are the ones computed: the fills are not measurements
  const evaluators = Object.fromEntries(Object.entries(est.evaluators).filter(([id]) => !ENCODER_EVALUATORS.has(id)));
  return { lo, hi, decisive, evaluators, dimensions: est.dimensions, composite: c, semanticExplain: est.semanticExplain };
}
