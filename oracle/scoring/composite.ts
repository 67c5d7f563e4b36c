/**
 * The composite score: a weighted sum of the six dimensions after per-dimension
 * normalisation, with reliability gates, clipped to [0,1], then (calibrated profiles) mapped
 * through the task's monotone calibration map onto the human scale. The record's context
 * (model, references) picks the mix (scoring/mix.ts). Pure: the audit re-uses it for
 * ablations and calibration.
 */
import { InputError } from "../core/errors.js";
import { applyCalibration, resolveTaskConfig, type MixChoice, type MixContext } from "./mix.js";
import { DIMENSIONS, gateOpen, type Dimension, type DimensionScores, type NormStat, type Profile } from "./profile-schema.js";

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** One dimension value mapped through its normalisation statistics into [0,1]. */
export function normalizeValue(x: number, stat: NormStat | undefined): number {
  if (stat === undefined || stat.method === "identity") return clip01(x);
  if (stat.method === "minmax") return clip01((x - stat.lo) / (stat.hi - stat.lo));
  return clip01(normalCdf((x - stat.mean) / stat.std));
}

export interface CompositeBreakdown {
  /** The final composite: the calibrated value when the mix has a calibration map, else `raw`. */
  composite: number;
  /** The weighted sum before the calibration map. */
  raw: number;
  /** Which mix scored the record. */
  mix: MixChoice;
  /** Whether a calibration map was applied. */
  calibrated: boolean;
  /** Whether the degenerate-text gate lowered the composite to the task's `degenerateCap`. */
  capped: boolean;
  /** Normalised dimension values. */
  normalized: DimensionScores;
  /** Effective weights (summing to 1 over the dimensions that are on; 0 when gated off). */
  weights: DimensionScores;
  /** Dimensions switched off by their reliability gate. */
  gatedOff: Dimension[];
}

/** The composite with its parts: which dimensions counted, with what weight, after normalisation. */
export function explainComposite(dimensions: DimensionScores, profile: Profile, task: string, ctx?: MixContext): CompositeBreakdown {
  const resolved = resolveTaskConfig(profile, task, ctx);
  if (resolved === undefined) {
    throw new InputError(`unknown task "${task}" (profile knows: ${Object.keys(profile.tasks).join(", ")})`, {
      field: "task",
      reason: "unknown task",
    });
  }
  const { cfg, mix } = resolved;
  const raw = cfg.weights ?? profile.weights;
  const normalized = {} as DimensionScores;
  const weights = {} as DimensionScores;
  const gatedOff: Dimension[] = [];
  let total = 0;
  for (const d of DIMENSIONS) {
    const x = dimensions[d];
    if (typeof x !== "number" || Number.isNaN(x)) {
      throw new InputError(`dimension ${d} is not a number`, { field: `dimensions.${d}`, reason: "not a number" });
    }
    normalized[d] = normalizeValue(x, cfg.normalization[d]);
    const on = gateOpen(cfg.gates[d]);
    if (!on) gatedOff.push(d);
    weights[d] = on ? raw[d] : 0;
    total += weights[d];
  }
  if (!(total > 0)) {
    throw new InputError(`task "${task}": no dimension has a positive weight and an open gate`, {
      field: `tasks.${task}`,
      reason: "no active dimension",
    });
  }
  let sum = 0;
  for (const d of DIMENSIONS) {
    weights[d] = weights[d] / total;
    sum += weights[d] * normalized[d];
  }
  const value = clip01(sum);
  const mapped = applyCalibration(value, cfg.calibration);
  const capped = ctx?.degenerate === true && cfg.degenerateCap !== undefined && mapped > cfg.degenerateCap;
  return { composite: capped ? cfg.degenerateCap! : mapped, raw: value, mix, calibrated: cfg.calibration !== undefined, capped, normalized, weights, gatedOff };
}

/**
 * composite = map( clip01( sum_d w_d * norm_d(x_d) / sum_d w_d ) ) over the dimensions whose
 * gate is open, with the mix's weights (the task's, or the profile's) and normalisation
 * statistics, and the mix's calibration map (identity when it has none), then at most the
 * task's `degenerateCap` when `ctx.degenerate`. Without `ctx` the main mix is used.
 */
export function computeComposite(dimensions: DimensionScores, profile: Profile, task: string, ctx?: MixContext): number {
  return explainComposite(dimensions, profile, task, ctx).composite;
}
