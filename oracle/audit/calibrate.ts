/**
 * Calibration of the composite from human labels, per task:
 *  - model-prior ratings from the training rows' human scores (by `model`);
 *  - per-dimension min-max normalisation statistics (2nd..98th percentile of the training rows);
 *  - a reliability test per dimension (group-bootstrap 95% interval of its Pearson with the
 *    human score; the lower bound must reach `minReliability`), written as gates: a dimension
 *    is switched on only while it passes, and the remaining weights are renormalised;
 *  - task-wise weights from one of several strategies, chosen by grouped cross-validation on
 *    the training rows only:
 *      reliable       published weights, unreliable dimensions removed;
 *      reliable+sem   the same, with the semantic dimension's evaluator mix fitted (NNLS);
 *      nnls           non-negative least squares of the human score on the normalised dimensions;
 *      nnls-rank      the same against the human score's mid-ranks (a rank-correlation proxy);
 *      joint          one NNLS of the human score on the normalised non-semantic dimensions and
 *                     the raw evaluator scores together; the evaluator coefficients become the
 *                     semantic mix and, through its normalisation, the semantic weight.
 * Everything is learned from the rows it is given; callers give it training folds only.
 */
import { InputError } from "../core/errors.js";
import { computeComposite, normalizeValue } from "../scoring/composite.js";
import {
  DIMENSIONS,
  parseProfile,
  withHash,
  type Dimension,
  type EvaluatorRef,
  type Gate,
  type NormStat,
  type Profile,
  type TaskConfig,
  type Weights,
} from "../scoring/profile.js";
import { indexGroups, pearsonGroupBootstrap, quantileSorted, type Interval } from "./bootstrap.js";
import { PairedSignal } from "./correlation.js";
import { groupedFolds } from "./folds.js";
import { nnlsCentered } from "./nnls.js";
import { fitModelRatings, type ModelRatings, type RatingMethod } from "./ratings.js";
import type { AuditRecord } from "./records.js";
import { rescoreComposite, rescoreDimensions, rescoreSemantic, round6 } from "./rescore.js";
import { deriveSeed } from "./rng.js";

export const STRATEGIES = ["reliable", "reliable+sem", "nnls", "nnls-rank", "joint"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

export interface CalibrationOptions {
  /** Inner folds for strategy selection (grouped). */
  innerFolds: number;
  seed: number;
  strategies: readonly StrategyName[];
  /** Gate threshold on the lower bound of the Pearson 95% interval. */
  minReliability: number;
  /** Bootstrap resamples of the reliability test. */
  reliabilityResamples: number;
  ratingMethod: RatingMethod;
}

export const DEFAULT_CALIBRATION: CalibrationOptions = {
  innerFolds: 3,
  seed: 1,
  strategies: STRATEGIES,
  minReliability: 0.02,
  reliabilityResamples: 200,
  ratingMethod: "mean",
};

export interface DimensionReliability {
  pearson: number | null;
  ci95: [number, number] | null;
  pass: boolean;
}

/** Everything learned for one task. */
export interface TaskCalibration {
  task: string;
  strategy: StrategyName;
  ratings: ModelRatings;
  semantic: EvaluatorRef[];
  normalization: Partial<Record<Dimension, NormStat>>;
  gates: Partial<Record<Dimension, Gate>>;
  weights: Weights;
  reliability: Record<Dimension, DimensionReliability>;
  /** Rows and groups it was learned from. */
  trainRecords: number;
  trainGroups: number;
  /** Inner-CV pooled Pearson per candidate strategy (when selected by CV). */
  selection?: Partial<Record<StrategyName, number | null>>;
  notes: string[];
}

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** A shallow copy of `base` with one task's calibration applied (not validated; hot path). */
export function profileWithTask(base: Profile, cal: TaskCalibration): Profile {
  const cfg = base.tasks[cal.task];
  if (!cfg) throw new InputError(`task "${cal.task}" is not in the base profile`, { field: "task", reason: "unknown task" });
  const task: TaskConfig = {
    ...cfg,
    weights: cal.weights,
    normalization: cal.normalization,
    gates: cal.gates,
    semantic: { ...cfg.semantic, withReferences: cal.semantic },
  };
  return {
    ...base,
    tasks: { ...base.tasks, [cal.task]: task },
    modelPrior: {
      ...base.modelPrior,
      byTask: { ...base.modelPrior.byTask, [cal.task]: cal.ratings.ratings },
    },
  };
}

function semanticCandidates(rows: readonly AuditRecord[], base: Profile): string[] {
  const withRefs = rows.filter((r) => r.hasReferences);
  if (withRefs.length === 0) return [];
  const counts = new Map<string, number>();
  for (const r of withRefs) for (const id of Object.keys(r.evaluators)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return base.evaluators.enabled.filter((id) => (counts.get(id) ?? 0) >= 0.95 * withRefs.length);
}

/** NNLS weights of the human score on the evaluator scores (rows with references). */
function fitSemantic(rows: readonly AuditRecord[], base: Profile, fallback: EvaluatorRef[]): EvaluatorRef[] {
  const ids = semanticCandidates(rows, base);
  const withRefs = rows.filter((r) => r.hasReferences);
  if (ids.length === 0) return fallback;
  const X = ids.map((id) => Float64Array.from(withRefs, (r) => r.evaluators[id] ?? Number.NaN));
  const y = Float64Array.from(withRefs, (r) => r.human);
  const w = nnlsCentered(X, y);
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return fallback;
  const refs = ids.map((id, j) => ({ id, weight: r6(w[j]! / total) })).filter((r) => r.weight > 0);
  return refs.length > 0 ? refs : fallback;
}

function minmaxStat(values: Float64Array): NormStat | undefined {
  const sorted = Float64Array.from(values).sort();
  const lo = r6(quantileSorted(sorted, 0.02));
  const hi = r6(quantileSorted(sorted, 0.98));
  if (hi - lo > 1e-6) return { method: "minmax", lo, hi };
  const a = sorted[0]!;
  const b = sorted[sorted.length - 1]!;
  if (b - a > 1e-6) return { method: "minmax", lo: r6(a), hi: r6(b) };
  return undefined;
}

function midrankScaled(y: Float64Array): Float64Array {
  const idx = Array.from(y.keys()).sort((a, b) => y[a]! - y[b]!);
  const out = new Float64Array(y.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && y[idx[j + 1]!] === y[idx[i]!]) j++;
    const r = (i + j) / 2 / Math.max(1, y.length - 1);
    for (let k = i; k <= j; k++) out[idx[k]!] = r;
    i = j + 1;
  }
  return out;
}

function normaliseWeights(w: Record<Dimension, number>): Weights | null {
  const total = DIMENSIONS.reduce((s, d) => s + w[d], 0);
  if (!(total > 0)) return null;
  const out = {} as Weights;
  for (const d of DIMENSIONS) out[d] = r6(w[d] / total);
  return out;
}

/**
 * What every strategy with the same semantic mix shares, learned on `rows`: ratings, the
 * semantic evaluator weights, normalisation statistics, the reliability test and the gates.
 */
type StageMode = "default" | "fit" | "joint";

/**
 * What does not depend on the semantic mix, learned once on `rows`: model ratings, every
 * dimension under the published semantic mix, their normalisation and reliability tests.
 */
interface BaseStage {
  task: string;
  rows: readonly AuditRecord[];
  ratings: ModelRatings;
  y: Float64Array;
  groupIndex: Int32Array;
  groupCount: number;
  normalization: Partial<Record<Dimension, NormStat>>;
  normalized: Record<Dimension, Float64Array>;
  reliability: Record<Dimension, DimensionReliability>;
  gates: Partial<Record<Dimension, Gate>>;
}

/** A base stage with its semantic mix decided (published, fitted alone, or fitted jointly). */
interface Stage extends BaseStage {
  mode: StageMode;
  semantic: EvaluatorRef[];
  /** Joint NNLS weights per dimension (mode "joint"), before gating and renormalisation. */
  jointWeights?: Record<Dimension, number>;
}

function reliabilityOf(
  pearson: number | null,
  ci: Interval | null,
  n: number,
  groups: number,
  opts: CalibrationOptions,
): { reliability: DimensionReliability; gate: Gate } {
  const lo = ci ? r6(ci[0]) : null;
  const pass = lo !== null && lo >= opts.minReliability;
  return {
    reliability: { pearson: pearson === null ? null : r6(pearson), ci95: ci ? [r6(ci[0]), r6(ci[1])] : null, pass },
    gate: {
      metric: "ci95Low",
      reliability: lo,
      threshold: opts.minReliability,
      ...(ci ? { ci95: [r6(ci[0]), r6(ci[1])] as [number, number] } : {}),
      n,
      note: pearson === null ? "constant on the calibration rows (correlation undefined)" : `Pearson ${r6(pearson)} on ${n} rows, ${groups} groups`,
    },
  };
}

function prepareBase(rows: readonly AuditRecord[], base: Profile, task: string, opts: CalibrationOptions): BaseStage {
  const cfg = base.tasks[task];
  if (!cfg) throw new InputError(`task "${task}" is not in the base profile (${Object.keys(base.tasks).join(", ")})`, { field: "task", reason: "unknown task" });
  if (rows.length === 0) throw new InputError(`no training rows for task "${task}"`, { field: "task", reason: "no rows" });
  const ratings = fitModelRatings(rows, base.modelPrior.reference, opts.ratingMethod);
  const p1 = profileWithTask(base, {
    task,
    ratings,
    semantic: cfg.semantic.withReferences,
    normalization: {},
    gates: {},
    weights: cfg.weights ?? base.weights,
  } as unknown as TaskCalibration);
  const dims = rows.map((r) => rescoreDimensions(r, p1));
  const y = Float64Array.from(rows, (r) => r.human);
  const { index, count } = indexGroups(rows.map((r) => r.group));
  const normalization: Partial<Record<Dimension, NormStat>> = {};
  const normalized = {} as Record<Dimension, Float64Array>;
  const gates: Partial<Record<Dimension, Gate>> = {};
  const reliability = {} as Record<Dimension, DimensionReliability>;
  for (const d of DIMENSIONS) {
    const raw = Float64Array.from(dims, (x) => x[d]);
    const stat = minmaxStat(raw);
    if (stat) normalization[d] = stat;
    normalized[d] = raw.map((v) => normalizeValue(v, stat));
  }
  const tests = pearsonGroupBootstrap(
    DIMENSIONS.map((d) => normalized[d]),
    y,
    index,
    count,
    opts.reliabilityResamples,
    deriveSeed(opts.seed, `reliability:${task}`),
  );
  DIMENSIONS.forEach((d, j) => {
    const r = reliabilityOf(tests[j]!.pearson, tests[j]!.ci, rows.length, count, opts);
    reliability[d] = r.reliability;
    gates[d] = r.gate;
  });
  return { task, rows, ratings, y, groupIndex: index, groupCount: count, normalization, normalized, reliability, gates };
}

/**
 * One NNLS of y on [normalised reliable non-semantic dimensions, raw evaluator scores] over
 * the rows that have every candidate evaluator. Returns the semantic mix (evaluator
 * coefficients, normalised) and per-dimension coefficients, with the evaluator coefficient
 * sum under `semantic` (converted to a weight on the normalised semantic dimension later).
 */
function fitJoint(b: BaseStage, base: Profile): { semantic: EvaluatorRef[]; weights: Record<Dimension, number> } | null {
  const ids = semanticCandidates(b.rows, base);
  if (ids.length === 0) return null;
  const use: number[] = [];
  b.rows.forEach((r, i) => {
    if (r.hasReferences && ids.every((id) => r.evaluators[id] !== undefined)) use.push(i);
  });
  if (use.length < 10) return null;
  const colDims = DIMENSIONS.filter((d) => d !== "semantic" && b.reliability[d].pass);
  const cols = colDims.map((d) => Float64Array.from(use, (i) => b.normalized[d][i]!));
  const evCols = ids.map((id) => Float64Array.from(use, (i) => b.rows[i]!.evaluators[id]!));
  const coef = nnlsCentered([...cols, ...evCols], Float64Array.from(use, (i) => b.y[i]!));
  const evCoef = coef.slice(cols.length);
  const C = evCoef.reduce((a, v) => a + v, 0);
  if (!(C > 0)) return null;
  const semantic = ids.map((id, j) => ({ id, weight: r6(evCoef[j]! / C) })).filter((e) => e.weight > 0);
  if (semantic.length === 0) return null;
  const weights = {} as Record<Dimension, number>;
  for (const d of DIMENSIONS) weights[d] = 0;
  colDims.forEach((d, j) => (weights[d] = coef[j]!));
  weights.semantic = C;
  return { semantic, weights };
}

/** Decides the semantic mix of a stage and re-derives the semantic dimension's statistics. */
function stageFor(b: BaseStage, base: Profile, mode: StageMode, opts: CalibrationOptions): Stage {
  const cfg = base.tasks[b.task]!;
  if (mode === "default") return { ...b, mode, semantic: cfg.semantic.withReferences };
  let semantic: EvaluatorRef[];
  let jointWeights: Record<Dimension, number> | undefined;
  const joint = mode === "joint" ? fitJoint(b, base) : null;
  if (joint) {
    semantic = joint.semantic;
    jointWeights = joint.weights;
  } else semantic = fitSemantic(b.rows, base, cfg.semantic.withReferences);
  const semCfg = { ...cfg.semantic, withReferences: semantic };
  const raw = Float64Array.from(b.rows, (r) => rescoreSemantic(r, semCfg));
  const stat = minmaxStat(raw);
  const normalized = { ...b.normalized, semantic: raw.map((v) => normalizeValue(v, stat)) };
  const normalization = { ...b.normalization };
  if (stat) normalization.semantic = stat;
  else delete normalization.semantic;
  const [test] = pearsonGroupBootstrap([normalized.semantic], b.y, b.groupIndex, b.groupCount, opts.reliabilityResamples, deriveSeed(opts.seed, `reliability:${b.task}:semantic`));
  const r = reliabilityOf(test!.pearson, test!.ci, b.rows.length, b.groupCount, opts);
  if (jointWeights) {
    // the semantic coefficient sum C maps to a weight on the normalised semantic dimension: C x (hi - lo)
    jointWeights.semantic = stat && stat.method === "minmax" ? jointWeights.semantic * (stat.hi - stat.lo) : 0;
  }
  return {
    ...b,
    mode,
    semantic,
    jointWeights,
    normalization,
    normalized,
    reliability: { ...b.reliability, semantic: r.reliability },
    gates: { ...b.gates, semantic: r.gate },
  };
}

/** The weights (and possibly adjusted gates) of one strategy on a prepared stage. */
function strategyCalibration(stage: Stage, base: Profile, strategy: StrategyName, rows: number): TaskCalibration {
  const cfg = base.tasks[stage.task]!;
  const baseWeights = cfg.weights ?? base.weights;
  const notes: string[] = [];
  const gates: Partial<Record<Dimension, Gate>> = { ...stage.gates };
  const rel = stage.reliability;
  const open = DIMENSIONS.filter((d) => rel[d].pass);
  const published = (): Weights | null => {
    const w = {} as Record<Dimension, number>;
    for (const d of DIMENSIONS) w[d] = rel[d].pass ? baseWeights[d] : 0;
    return normaliseWeights(w);
  };
  let weights: Weights | null = null;
  if (open.length > 0) {
    if (strategy === "reliable" || strategy === "reliable+sem") weights = published();
    else if (strategy === "joint" && stage.jointWeights) {
      const w = {} as Record<Dimension, number>;
      for (const d of DIMENSIONS) w[d] = rel[d].pass ? stage.jointWeights[d] : 0;
      weights = normaliseWeights(w);
      if (weights === null) {
        notes.push("joint: no positive weight on a reliable dimension; fell back to the published weights of the reliable dimensions");
        weights = published();
      }
    } else {
      const target = strategy === "nnls-rank" ? midrankScaled(stage.y) : stage.y;
      const coef = nnlsCentered(open.map((d) => stage.normalized[d]), target);
      const w = {} as Record<Dimension, number>;
      for (const d of DIMENSIONS) w[d] = 0;
      open.forEach((d, j) => (w[d] = coef[j]!));
      weights = normaliseWeights(w);
      if (weights === null) {
        notes.push(`${strategy}: no positive least-squares weight; fell back to the published weights of the reliable dimensions`);
        weights = published();
      }
    }
  }
  if (weights === null) {
    // Nothing passes: keep the single best-correlated dimension, ungated, so the profile still scores.
    let best: Dimension = "semantic";
    let bestR = -Infinity;
    for (const d of DIMENSIONS) {
      const r = rel[d].pearson;
      if (r !== null && r > bestR) {
        bestR = r;
        best = d;
      }
    }
    const w = {} as Record<Dimension, number>;
    for (const d of DIMENSIONS) w[d] = d === best ? 1 : 0;
    weights = normaliseWeights(w)!;
    delete gates[best];
    notes.push(`no dimension passed the reliability test; kept ${best} alone, without a gate`);
  }
  return {
    task: stage.task,
    strategy,
    ratings: stage.ratings,
    semantic: stage.semantic,
    normalization: stage.normalization,
    gates,
    weights,
    reliability: rel,
    trainRecords: rows,
    trainGroups: stage.groupCount,
    notes,
  };
}

const stageMode = (s: StrategyName): StageMode => (s === "reliable" ? "default" : s === "joint" ? "joint" : "fit");

/** Fits one strategy for one task on `rows` (all of that task). */
export function fitTask(rows: readonly AuditRecord[], base: Profile, task: string, strategy: StrategyName, opts: CalibrationOptions): TaskCalibration {
  return strategyCalibration(stageFor(prepareBase(rows, base, task, opts), base, stageMode(strategy), opts), base, strategy, rows.length);
}

/** The composite for `rows` under a task calibration. */
export function predictTask(rows: readonly AuditRecord[], base: Profile, cal: TaskCalibration): Float64Array {
  const p = profileWithTask(base, cal);
  return Float64Array.from(rows, (r) => rescoreComposite(r, p).composite);
}

function pooledPearson(pred: Float64Array, y: Float64Array): number | null {
  return new PairedSignal(pred, y).compute(null, false, false).pearson;
}

/**
 * Chooses the strategy by grouped inner cross-validation on `rows` (pooled out-of-fold
 * Pearson; ties go to the earlier, simpler strategy), then fits it on all of `rows`.
 */
export function selectAndFit(rows: readonly AuditRecord[], base: Profile, task: string, opts: CalibrationOptions, label = "all"): TaskCalibration {
  const selection: Partial<Record<StrategyName, number | null>> = {};
  const groups = new Set(rows.map((r) => r.group)).size;
  const k = Math.min(opts.innerFolds, groups);
  let best: StrategyName = opts.strategies[0] ?? "reliable";
  if (opts.strategies.length > 1 && k >= 2) {
    const folds = groupedFolds(rows, k, deriveSeed(opts.seed, `inner:${task}:${label}`));
    const y = Float64Array.from(rows, (r) => r.human);
    const preds = new Map<StrategyName, Float64Array>(opts.strategies.map((s) => [s, new Float64Array(rows.length)]));
    for (let f = 0; f < k; f++) {
      const train: AuditRecord[] = [];
      const testIdx: number[] = [];
      rows.forEach((r, i) => (folds[i] === f ? testIdx.push(i) : train.push(r)));
      const shared = prepareBase(train, base, task, opts);
      for (const mode of ["default", "fit", "joint"] as const) {
        const strategies = opts.strategies.filter((s) => stageMode(s) === mode);
        if (strategies.length === 0) continue;
        const stage = stageFor(shared, base, mode, opts);
        // dimensions of the held-out rows depend on the stage only, not on the weights
        const p0 = profileWithTask(base, strategyCalibration(stage, base, strategies[0]!, train.length));
        const dims = testIdx.map((i) => rescoreDimensions(rows[i]!, p0));
        for (const s of strategies) {
          const p = profileWithTask(base, strategyCalibration(stage, base, s, train.length));
          const out = preds.get(s)!;
          testIdx.forEach((i, j) => (out[i] = round6(computeComposite(dims[j]!, p, task))));
        }
      }
    }
    let bestScore = -Infinity;
    for (const s of opts.strategies) {
      const score = pooledPearson(preds.get(s)!, y);
      selection[s] = score === null ? null : r6(score);
      if (score !== null && score > bestScore + 1e-9) {
        bestScore = score;
        best = s;
      }
    }
  }
  const cal = fitTask(rows, base, task, best, opts);
  cal.selection = selection;
  return cal;
}

export interface CalibratedProfileMeta {
  name: string;
  description: string;
}

/** Applies every task's calibration to `base` and returns the validated, hashed profile. */
export function buildCalibratedProfile(base: Profile, cals: readonly TaskCalibration[], meta: CalibratedProfileMeta): Profile {
  let p: Profile = base;
  for (const c of cals) p = profileWithTask(p, c);
  const doc = { ...p, name: meta.name, description: meta.description, hash: undefined };
  delete (doc as { hash?: string }).hash;
  return withHash(parseProfile(doc, "calibrated profile"));
}

/** Re-exported for the audit: composite of each record under a full profile. */
export function predictWithProfile(rows: readonly AuditRecord[], profile: Profile): Float64Array {
  return Float64Array.from(rows, (r) => rescoreComposite(r, profile).composite);
}

export { round6 };
