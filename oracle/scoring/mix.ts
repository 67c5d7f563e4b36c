/**
 * Which mix of a task scores a record, and the monotone calibration map after the composite.
 *
 * A task's main mix (its weights, normalisation, gates, semantic evaluators and calibration
 * map) is fitted on records whose model the profile rates and that carry references. Two
 * situations break it: a model the profile has never seen (its model prior is the constant
 * cold-start value, which the main mix's normalisation and weights were not made for) and a
 * record without references (the semantic evaluators it was fitted on are absent). A
 * calibrated profile carries alternative mixes for them (`tasks.<task>.mixes`):
 *
 *   has references, model rated    -> main
 *   has references, model unrated  -> priorFree               (else main)
 *   no references,  model rated    -> referenceFree           (else main)
 *   no references,  model unrated  -> referenceFreePriorFree  (else referenceFree, else priorFree, else main)
 *
 * "Rated" means a rating in `modelPrior.byTask[task]` when the profile has task ratings (the
 * ones a calibration learns from human scores), else in `modelPrior.ratings`. A profile
 * without mixes (the default) always uses the main mix: nothing changes for it.
 */
import type { CalibrationMap, MixName, Profile, TaskConfig } from "./profile-schema.js";

export type MixChoice = "main" | MixName;

/** What the mix choice depends on; absent fields mean "as the main mix assumes". */
export interface MixContext {
  model?: string;
  hasReferences?: boolean;
  /** Whether the output is degenerate text (`degenerateReason`): the task's `degenerateCap` applies. */
  degenerate?: boolean;
}

/** Whether `model` has a rating for `task` in the sense of the mix choice (see above). */
export function hasTaskRating(profile: Profile, model: string, task: string): boolean {
  const mp = profile.modelPrior;
  const table = mp.byTask[task] ?? mp.ratings;
  return Object.prototype.hasOwnProperty.call(table, model);
}

/** The mix that scores a record of `task` with this context. */
export function selectMix(profile: Profile, task: string, ctx: MixContext | undefined): MixChoice {
  const mixes = profile.tasks[task]?.mixes;
  if (!mixes || !ctx) return "main";
  const rated = ctx.model === undefined || hasTaskRating(profile, ctx.model, task);
  const refs = ctx.hasReferences !== false;
  if (refs && rated) return "main";
  if (refs) return mixes.priorFree ? "priorFree" : "main";
  if (rated) return mixes.referenceFree ? "referenceFree" : "main";
  if (mixes.referenceFreePriorFree) return "referenceFreePriorFree";
  if (mixes.referenceFree) return "referenceFree";
  if (mixes.priorFree) return "priorFree";
  return "main";
}

const effective = new WeakMap<TaskConfig, Map<MixChoice, TaskConfig>>();

/**
 * The task configuration a mix amounts to: the mix's weights, normalisation, semantic
 * evaluators and calibration map in place of the task's, no gates (a mix's weights are
 * final). Cached per task configuration object; the main mix is the configuration itself.
 */
export function mixTaskConfig(cfg: TaskConfig, mix: MixChoice): TaskConfig {
  if (mix === "main") return cfg;
  const m = cfg.mixes?.[mix];
  if (!m) return cfg;
  let byMix = effective.get(cfg);
  if (!byMix) effective.set(cfg, (byMix = new Map()));
  let out = byMix.get(mix);
  if (!out) {
    out = {
      ...cfg,
      weights: m.weights,
      normalization: m.normalization,
      gates: {},
      semantic: m.semantic ? { withReferences: m.semantic, withoutReferences: m.semantic } : cfg.semantic,
      calibration: m.calibration,
      mixes: undefined,
    };
    byMix.set(mix, out);
  }
  return out;
}

/** The effective task configuration for a record: which mix, and what it amounts to. */
export function resolveTaskConfig(profile: Profile, task: string, ctx: MixContext | undefined): { mix: MixChoice; cfg: TaskConfig } | undefined {
  const cfg = profile.tasks[task];
  if (!cfg) return undefined;
  const mix = selectMix(profile, task, ctx);
  return { mix, cfg: mixTaskConfig(cfg, mix) };
}

/**
 * The calibration map at x: linear interpolation between breakpoints, constant outside.
 * Deterministic (binary search, one multiply-add), so every platform path gives the same bits.
 */
export function applyCalibration(x: number, map: CalibrationMap | undefined): number {
  if (!map) return x;
  const xs = map.x;
  const ys = map.y;
  const n = xs.length;
  if (x <= xs[0]!) return ys[0]!;
  if (x >= xs[n - 1]!) return ys[n - 1]!;
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= x) lo = mid;
    else hi = mid;
  }
  const x0 = xs[lo]!;
  const x1 = xs[hi]!;
  const y0 = ys[lo]!;
  const y1 = ys[hi]!;
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}
