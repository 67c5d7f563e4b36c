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
 * After the weights, a monotone calibration map (isotonic regression, or a least-squares line
 * when that calibrates better on held-out groups: isotonic.ts fitCalibrationMap) is fitted on
 * the inner-CV out-of-fold composites of the chosen strategy, so the composite becomes an
 * estimate of the human score (P(correct) for 0/1 labels, the expected rating otherwise).
 * Each task gets the main mix and, for records the main mix was not fitted for, alternative
 * mixes (scoring/mix.ts): prior-free (model and cost prior off: a model without a rating),
 * reference-free (on the same rows with references withheld: the reference-based evaluators
 * removed, and alignment too where it is measured against the references) and both.
 * Everything is learned from the rows it is given; callers give it training folds only.
 */
import { InputError } from "../core/errors.js";
import { computeComposite, normalizeValue } from "../scoring/composite.js";
import { applyCalibration } from "../scoring/mix.js";
import { EVALUATORS } from "../scoring/evaluators/registry.js";
import {
  DIMENSIONS,
  gateOpen,
  parseProfile,
  withHash,
  type CalibrationMap,
  type Dimension,
  type Mix,
  type MixName,
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
import { fitCalibrationMap, isBinary } from "./isotonic.js";
import { nnLogistic, nnlsCentered } from "./nnls.js";
import { fitModelRatings, type ModelRatings, type RatingMethod } from "./ratings.js";
import type { AuditRecord } from "./records.js";
import { rescoreComposite, rescoreDimensions, rescoreSemantic, round6 } from "./rescore.js";
import { deriveSeed } from "./rng.js";

export const STRATEGIES = ["reliable", "reliable+sem", "nnls", "nnls-rank", "joint"] as const;
/**
 * Strategies a caller may name. "within" (not among the default candidates of the main mix) is
 * the joint NNLS on rows demeaned per system (system fixed effects): it learns what separates
 * good from bad outputs of the same system and ignores what separates systems, which is what
 * a mix for systems the profile has never seen can use (the prior-free mixes).
 */
export const ALL_STRATEGIES = [...STRATEGIES, "within"] as const;
export type StrategyName = (typeof ALL_STRATEGIES)[number];

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
  /**
   * How the prior-free mixes (models the profile has never seen) are made: "within" = joint
   * NNLS on rows demeaned per system (system fixed effects: what separates good and bad
   * outputs of one system, not what separates systems, which does not transfer to a new one);
   * "drop" = the fitted mix without its priors; "fit" = the usual strategies with the priors
   * excluded. Measured by leave-one-system-out in docs/validation.
   */
  priorFree: "within" | "drop" | "fit";
  /**
   * Share of the "within" (prior-free) fit's spread given to the source-grounding block
   * (GROUNDING_BLOCK: extractive support and sentence alignment, equal standardised parts),
   * where the task has both: a mix fitted on an overall-quality rating leans on redundancy and
   * ROUGE, which say little about faithfulness, and a set that rates faithfulness would find
   * the composite below its best grounding evaluator. 0 = the plain fit. See docs/validation.
   */
  groundingShare: number;
}

/** The source-grounding evaluators the prior-free fit keeps a share for (see groundingShare). */
export const GROUNDING_BLOCK = ["source.overlap", "summac.align"] as const;

/** Which mix a calibration is for: the task's main mix or one of its alternatives. */
export type Variant = "main" | MixName;
export const VARIANTS: readonly Variant[] = ["main", "priorFree", "referenceFree", "referenceFreePriorFree"];

export const DEFAULT_CALIBRATION: CalibrationOptions = {
  innerFolds: 3,
  seed: 1,
  strategies: STRATEGIES,
  minReliability: 0.02,
  reliabilityResamples: 200,
  ratingMethod: "mean",
  priorFree: "within",
  groundingShare: 0.3,
};

export interface DimensionReliability {
  pearson: number | null;
  ci95: [number, number] | null;
  pass: boolean;
}

/** Everything learned for one task. */
export interface TaskCalibration {
  task: string;
  /** The mix this calibration is for (default "main"). */
  variant?: Variant;
  /** Dimensions this mix may not use (priors in a prior-free mix, alignment without references where it needs them). */
  exclude?: Dimension[];
  /** Monotone map of the composite onto the human scale, fitted on inner-CV out-of-fold composites. */
  map?: CalibrationMap;
  /** This calibration without the priors (see dropPriors), with its own map. */
  withoutPriors?: TaskCalibration;
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

const isRefFree = (v: Variant | undefined): boolean => v === "referenceFree" || v === "referenceFreePriorFree";

/** The semantic configuration a calibration's evaluator mix amounts to (reference-free mixes use it for every record). */
function semanticConfig(cfg: TaskConfig, semantic: EvaluatorRef[], variant: Variant | undefined): TaskConfig["semantic"] {
  return isRefFree(variant) ? { withReferences: semantic, withoutReferences: semantic } : { ...cfg.semantic, withReferences: semantic };
}

/**
 * A shallow copy of `base` with one task's calibration applied as its main mix, without a
 * calibration map or alternative mixes: the raw composite (not validated; hot path).
 */
export function profileWithTask(base: Profile, cal: TaskCalibration): Profile {
  const cfg = base.tasks[cal.task];
  if (!cfg) throw new InputError(`task "${cal.task}" is not in the base profile`, { field: "task", reason: "unknown task" });
  const task: TaskConfig = {
    ...cfg,
    weights: cal.weights,
    normalization: cal.normalization,
    gates: cal.gates,
    semantic: semanticConfig(cfg, cal.semantic, cal.variant),
    calibration: undefined,
    mixes: undefined,
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

/** Evaluators present on at least 95% of the rows (the rows of one mix: with, or without, references). */
function semanticCandidates(rows: readonly AuditRecord[], base: Profile): string[] {
  if (rows.length === 0) return [];
  const counts = new Map<string, number>();
  for (const r of rows) for (const id of Object.keys(r.evaluators)) counts.set(id, (counts.get(id) ?? 0) + 1);
  // source.consistency is a gate (capReason caps a contradicted output), not a graded signal
  return base.evaluators.enabled.filter((id) => id !== "source.consistency" && (counts.get(id) ?? 0) >= 0.95 * rows.length);
}

/** NNLS weights of the human score on the evaluator scores (rows having every candidate). */
function fitSemantic(rows: readonly AuditRecord[], base: Profile, fallback: EvaluatorRef[]): EvaluatorRef[] {
  const ids = semanticCandidates(rows, base);
  const withRefs = rows.filter((r) => ids.every((id) => r.evaluators[id] !== undefined));
  if (ids.length === 0 || withRefs.length < 10) return fallback;
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
type StageMode = "default" | "fit" | "joint" | "within";

/**
 * What does not depend on the semantic mix, learned once on `rows`: model ratings, every
 * dimension under the published semantic mix, their normalisation and reliability tests.
 */
interface BaseStage {
  task: string;
  variant: Variant;
  exclude: Dimension[];
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

function prepareBase(rows: readonly AuditRecord[], base: Profile, task: string, opts: CalibrationOptions, variant: Variant = "main"): BaseStage {
  const cfg = base.tasks[task];
  if (!cfg) throw new InputError(`task "${task}" is not in the base profile (${Object.keys(base.tasks).join(", ")})`, { field: "task", reason: "unknown task" });
  if (rows.length === 0) throw new InputError(`no training rows for task "${task}"`, { field: "task", reason: "no rows" });
  const ratings = fitModelRatings(rows, base.modelPrior.reference, opts.ratingMethod);
  const exclude = excludedDimensions(base, task, variant);
  const p1 = profileWithTask(base, {
    task,
    variant: "main",
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
    if (exclude.includes(d)) {
      reliability[d] = { ...r.reliability, pass: false };
      gates[d] = { ...r.gate, reliability: null, note: `not used by the ${variant} mix` };
    }
  });
  return { task, variant, exclude, rows, ratings, y, groupIndex: index, groupCount: count, normalization, normalized, reliability, gates };
}

/** The dimensions a mix may not use. */
export function excludedDimensions(base: Profile, task: string, variant: Variant): Dimension[] {
  const out: Dimension[] = [];
  if (variant === "priorFree" || variant === "referenceFreePriorFree") out.push("modelPrior", "costPrior");
  // alignment against the references falls back to the query without them: not measurable from references-withheld rows
  if (isRefFree(variant) && !base.tasks[task]!.alignment.against.includes("query")) out.push("alignment");
  return out;
}

const NEEDS_REFERENCES = new Set(EVALUATORS.filter((e) => e.needsReferences).map((e) => e.id as string));

/**
 * The rows as they would be scored with their references withheld: reference-based evaluators
 * removed (and the sentence-alignment evaluators too where the task aligns against the
 * references, whose reference-free value is against the query and cannot be derived here).
 * Ids are kept; the semantic and agreement dimensions are re-derived from the evaluators by
 * the rescoring, structure and priors do not depend on references.
 */
export function withReferencesWithheld(rows: readonly AuditRecord[], base: Profile): AuditRecord[] {
  return rows.map((r) => {
    const againstQuery = base.tasks[r.task]?.alignment.against.includes("query") ?? true;
    const evaluators: Record<string, number> = {};
    for (const [id, v] of Object.entries(r.evaluators)) {
      if (NEEDS_REFERENCES.has(id)) continue;
      if (!againstQuery && (id === "summac.align" || id === "nli.entail")) continue;
      evaluators[id] = v;
    }
    return { ...r, hasReferences: false, evaluators };
  });
}

/**
 * One NNLS of y on [normalised reliable non-semantic dimensions, raw evaluator scores] over
 * the rows that have every candidate evaluator. Returns the semantic mix (evaluator
 * coefficients, normalised) and per-dimension coefficients, with the evaluator coefficient
 * sum under `semantic` (converted to a weight on the normalised semantic dimension later).
 */
function fitJoint(b: BaseStage, base: Profile, within = false, groundingShare = 0): { semantic: EvaluatorRef[]; weights: Record<Dimension, number> } | null {
  const ids = semanticCandidates(b.rows, base);
  if (ids.length === 0) return null;
  const use: number[] = [];
  b.rows.forEach((r, i) => {
    if (ids.every((id) => r.evaluators[id] !== undefined)) use.push(i);
  });
  if (use.length < 10) return null;
  const colDims = DIMENSIONS.filter((d) => d !== "semantic" && b.reliability[d].pass);
  const cols = colDims.map((d) => Float64Array.from(use, (i) => b.normalized[d][i]!));
  const evCols = ids.map((id) => Float64Array.from(use, (i) => b.rows[i]!.evaluators[id]!));
  let X: Float64Array[] = [...cols, ...evCols];
  let y: Float64Array = Float64Array.from(use, (i) => b.y[i]!);
  // 0/1 labels: non-negative logistic regression (per-system intercepts for "within")
  let logistic: number[] | null = null;
  if (isBinary(y)) {
    const models = new Map<string, number>();
    const strata = within ? Int32Array.from(use, (i) => {
      const m = b.rows[i]!.model;
      if (!models.has(m)) models.set(m, models.size);
      return models.get(m)!;
    }) : undefined;
    logistic = nnLogistic(X, y, strata);
  }
  if (within) {
    // system fixed effects: every column and the target demeaned within each model
    const byModel = new Map<string, number[]>();
    use.forEach((i, k) => {
      const m = b.rows[i]!.model;
      const l = byModel.get(m);
      if (l) l.push(k);
      else byModel.set(m, [k]);
    });
    const demean = (v: Float64Array): Float64Array => {
      const o = new Float64Array(v.length);
      for (const l of byModel.values()) {
        let mu = 0;
        for (const k of l) mu += v[k]!;
        mu /= l.length;
        for (const k of l) o[k] = v[k]! - mu;
      }
      return o;
    };
    X = X.map(demean);
    y = demean(y);
  }
  const coef = logistic ?? nnlsCentered(X, y);
  const block = GROUNDING_BLOCK.map((id) => ids.indexOf(id));
  if (groundingShare > 0 && groundingShare < 1 && block.every((j) => j >= 0)) {
    // (1 - share) x fit / sd(fit) + share x block / sd(block), each block member standardised:
    // on the fit's own scale, add share / (1 - share) x sd(fit) / sd(block) to the block's members
    const sd = (v: ArrayLike<number>): number => {
      let m = 0;
      for (let i = 0; i < v.length; i++) m += v[i]!;
      m /= v.length;
      let q = 0;
      for (let i = 0; i < v.length; i++) q += (v[i]! - m) ** 2;
      return Math.sqrt(q / v.length);
    };
    const fit = new Float64Array(y.length);
    X.forEach((col, j) => {
      for (let i = 0; i < fit.length; i++) fit[i]! += coef[j]! * col[i]!;
    });
    const memberSd = block.map((j) => sd(X[cols.length + j]!));
    if (memberSd.every((v) => v > 0)) {
      const blockCol = new Float64Array(y.length);
      block.forEach((j, k) => {
        const col = X[cols.length + j]!;
        for (let i = 0; i < blockCol.length; i++) blockCol[i]! += col[i]! / memberSd[k]!;
      });
      const sFit = sd(fit);
      const sBlock = sd(blockCol);
      if (sFit > 0 && sBlock > 0) {
        const scale = ((groundingShare / (1 - groundingShare)) * sFit) / sBlock;
        block.forEach((j, k) => (coef[cols.length + j]! += scale / memberSd[k]!));
      }
    }
  }
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
  const published = isRefFree(b.variant) ? cfg.semantic.withoutReferences : cfg.semantic.withReferences;
  if (mode === "default") return { ...b, mode, semantic: published };
  let semantic: EvaluatorRef[];
  let jointWeights: Record<Dimension, number> | undefined;
  const joint = mode === "joint" || mode === "within" ? fitJoint(b, base, mode === "within", mode === "within" ? opts.groundingShare : 0) : null;
  if (joint) {
    semantic = joint.semantic;
    jointWeights = joint.weights;
  } else semantic = fitSemantic(b.rows, base, published);
  const semCfg = semanticConfig(cfg, semantic, b.variant);
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
    else if ((strategy === "joint" || strategy === "within") && stage.jointWeights) {
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
      if (stage.exclude.includes(d)) continue;
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
    variant: stage.variant,
    exclude: stage.exclude,
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

const stageMode = (s: StrategyName): StageMode => (s === "reliable" ? "default" : s === "joint" ? "joint" : s === "within" ? "within" : "fit");

/** Fits one strategy for one task on `rows` (all of that task). */
export function fitTask(rows: readonly AuditRecord[], base: Profile, task: string, strategy: StrategyName, opts: CalibrationOptions, variant: Variant = "main"): TaskCalibration {
  return strategyCalibration(stageFor(prepareBase(rows, base, task, opts, variant), base, stageMode(strategy), opts), base, strategy, rows.length);
}

/** What the calibration map of a task estimates, from its human scores. */
export function calibrationTarget(y: ArrayLike<number>): string {
  return isBinary(y) ? "P(a human judges the output correct)" : "expected human rating rescaled to [0,1]";
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
 * How a strategy's pooled inner out-of-fold composites are compared. For 0/1 labels: Pearson
 * after a monotone calibration map fitted to them (what the written profile will score with;
 * a logistic fit's composite is a log-odds scale, linear in nothing, until it is mapped). For
 * graded labels: plain Pearson, as before.
 */
function selectionScore(pred: Float64Array, y: Float64Array, groups: readonly string[]): number | null {
  if (!isBinary(y)) return pooledPearson(pred, y);
  const map = fitCalibrationMap(pred, y, groups, { target: calibrationTarget(y) });
  return pooledPearson(Float64Array.from(pred, (v) => applyCalibration(v, map)), y);
}

/**
 * Chooses the strategy by grouped inner cross-validation on `rows` (pooled out-of-fold
 * Pearson, after a calibration map for 0/1 labels: selectionScore; ties go to the earlier,
 * simpler strategy), then fits it on all of `rows`.
 */
export function selectAndFit(rows: readonly AuditRecord[], base: Profile, task: string, opts: CalibrationOptions, label = "all", variant: Variant = "main"): TaskCalibration {
  const selection: Partial<Record<StrategyName, number | null>> = {};
  // a prior-free mix scores models the profile has never seen: choose its strategy (and fit its
  // map) on systems held out of the inner training folds, when there are enough systems
  const models = new Set(rows.map((r) => r.model)).size;
  const bySystem = (variant === "priorFree" || variant === "referenceFreePriorFree") && models >= Math.max(3, opts.innerFolds);
  const groups = bySystem ? models : new Set(rows.map((r) => r.group)).size;
  const k = Math.min(opts.innerFolds, groups);
  let best: StrategyName = opts.strategies[0] ?? "reliable";
  const y = Float64Array.from(rows, (r) => r.human);
  let innerPreds: Float64Array | null = null;
  let innerDropped: Float64Array | null = null;
  if (k >= 2) {
    const folds = groupedFolds(bySystem ? rows.map((r) => ({ task: r.task, group: r.model })) : rows, k, deriveSeed(opts.seed, `inner:${task}:${label}`));
    const preds = new Map<StrategyName, Float64Array>(opts.strategies.map((s) => [s, new Float64Array(rows.length)]));
    let dropped: Map<StrategyName, Float64Array> | null = null;
    for (let f = 0; f < k; f++) {
      const train: AuditRecord[] = [];
      const testIdx: number[] = [];
      rows.forEach((r, i) => (folds[i] === f ? testIdx.push(i) : train.push(r)));
      const shared = prepareBase(train, base, task, opts, variant);
      for (const mode of ["default", "fit", "joint", "within"] as const) {
        const strategies = opts.strategies.filter((s) => stageMode(s) === mode);
        if (strategies.length === 0) continue;
        const stage = stageFor(shared, base, mode, opts);
        // dimensions of the held-out rows depend on the stage only, not on the weights
        const p0 = profileWithTask(base, strategyCalibration(stage, base, strategies[0]!, train.length));
        const dims = testIdx.map((i) => rescoreDimensions(rows[i]!, p0));
        for (const s of strategies) {
          const c = strategyCalibration(stage, base, s, train.length);
          const p = profileWithTask(base, c);
          const out = preds.get(s)!;
          testIdx.forEach((i, j) => (out[i] = round6(computeComposite(dims[j]!, p, task))));
          const d = dropPriors(c);
          if (d) {
            const pd = profileWithTask(base, d);
            const outD = (dropped ??= new Map()).get(s) ?? new Float64Array(rows.length).fill(Number.NaN);
            dropped.set(s, outD);
            testIdx.forEach((i, j) => (outD[i] = round6(computeComposite(dims[j]!, pd, task))));
          }
        }
      }
    }
    let bestScore = -Infinity;
    for (const s of opts.strategies) {
      const score = selectionScore(preds.get(s)!, y, bySystem ? rows.map((r) => r.model) : rows.map((r) => r.group));
      selection[s] = score === null ? null : r6(score);
      if (score !== null && score > bestScore + 1e-9) {
        bestScore = score;
        best = s;
      }
    }
    innerPreds = preds.get(best)!;
    const d = dropped?.get(best);
    if (d && d.every((v) => !Number.isNaN(v))) innerDropped = d;
  }
  const cal = fitTask(rows, base, task, best, opts, variant);
  if (opts.strategies.length > 1) cal.selection = selection;
  // the map is fitted on composites of rows the weights never saw (inner CV); in-sample only without inner folds
  const x = innerPreds ?? predictTask(rows, base, cal);
  cal.map = fitCalibrationMap(x, y, bySystem ? rows.map((r) => r.model) : rows.map((r) => r.group), { target: calibrationTarget(y) });
  if (!innerPreds) cal.notes.push("calibration map fitted in-sample (too few groups for inner folds)");
  const d = dropPriors(cal);
  if (d) {
    d.map = fitCalibrationMap(innerDropped ?? predictTask(rows, base, d), y, rows.map((r) => r.group), { target: calibrationTarget(y) });
    cal.withoutPriors = d;
  }
  return cal;
}

/**
 * The same calibration with the model and cost prior removed (weights renormalised): what the
 * other dimensions say about an output *within* a system, since the priors absorbed the
 * differences between systems when the weights were fitted. Null when nothing else has weight.
 */
export function dropPriors(cal: TaskCalibration): TaskCalibration | null {
  const w = {} as Record<Dimension, number>;
  for (const d of DIMENSIONS) w[d] = d === "modelPrior" || d === "costPrior" || !gateOpen(cal.gates[d]) ? 0 : cal.weights[d];
  const weights = normaliseWeights(w);
  if (weights === null) return null;
  const variant: Variant = isRefFree(cal.variant) ? "referenceFreePriorFree" : "priorFree";
  const gates = { ...cal.gates };
  for (const d of ["modelPrior", "costPrior"] as const) gates[d] = { metric: "ci95Low", reliability: null, threshold: 0, note: `not used by the ${variant} mix` };
  const { withoutPriors: _drop, map: _map, ...rest } = cal;
  return {
    ...rest,
    variant,
    exclude: [...new Set([...(cal.exclude ?? []), "modelPrior" as const, "costPrior" as const])],
    gates,
    weights,
    notes: [...cal.notes, `${variant}: the ${cal.variant ?? "main"} mix's weights without the priors, renormalised`],
  };
}

/** Every mix of one task. */
export interface TaskFit {
  task: string;
  main: TaskCalibration;
  mixes: Partial<Record<MixName, TaskCalibration>>;
}

/**
 * Fits the main mix on `rows` (those with references, when there are enough) and the
 * requested alternative mixes: prior-free on the same rows, reference-free on them with the
 * references withheld.
 */
export function fitTaskMixes(
  rows: readonly AuditRecord[],
  base: Profile,
  task: string,
  opts: CalibrationOptions,
  label: string,
  mixes: readonly MixName[] = ["priorFree", "referenceFree", "referenceFreePriorFree"],
): TaskFit {
  const withRefs = rows.filter((r) => r.hasReferences);
  const mainRows = withRefs.length >= Math.max(10, 0.5 * rows.length) ? withRefs : rows;
  const main = selectAndFit(mainRows, base, task, opts, label, "main");
  const out: TaskFit = { task, main, mixes: {} };
  let withheld: AuditRecord[] | null = null;
  const noRefs = () => (withheld ??= withReferencesWithheld(rows, base));
  let refFree: TaskCalibration | null = null;
  const referenceFree = () => (refFree ??= selectAndFit(noRefs(), base, task, opts, `${label}:referenceFree`, "referenceFree"));
  for (const m of mixes) {
    if (m === "referenceFree") {
      out.mixes[m] = referenceFree();
      continue;
    }
    const rowsOf = m === "priorFree" ? mainRows : noRefs();
    if (opts.priorFree === "drop") {
      // the fitted mix without its priors (its weights were fitted with the priors present)
      const d = (m === "priorFree" ? main : referenceFree()).withoutPriors;
      if (d) out.mixes[m] = d;
    } else {
      // "within": system fixed effects; "fit": the usual strategies with the priors excluded
      const o = opts.priorFree === "within" ? { ...opts, strategies: ["within"] as StrategyName[] } : opts;
      out.mixes[m] = selectAndFit(rowsOf, base, task, o, `${label}:${m}`, m);
    }
  }
  return out;
}

/** A calibration as an alternative mix of the profile: final weights (gates applied), its normalisation, evaluators and map. */
export function mixOf(cal: TaskCalibration): Mix {
  const w = {} as Record<Dimension, number>;
  for (const d of DIMENSIONS) w[d] = gateOpen(cal.gates[d]) ? cal.weights[d] : 0;
  const weights = normaliseWeights(w) ?? { ...cal.weights };
  const normalization: Mix["normalization"] = {};
  for (const d of DIMENSIONS) if (weights[d] > 0 && cal.normalization[d]) normalization[d] = cal.normalization[d];
  return {
    weights,
    normalization,
    semantic: cal.semantic,
    ...(cal.map ? { calibration: cal.map } : {}),
    note: `${cal.variant}: strategy ${cal.strategy}, fitted on ${cal.trainRecords} rows in ${cal.trainGroups} groups`,
  };
}

/** `base` with a task's main mix, its calibration map and its alternative mixes (not validated; hot path). */
export function profileWithFit(base: Profile, fit: TaskFit): Profile {
  const p = profileWithTask(base, fit.main);
  const cfg = p.tasks[fit.task]!;
  const mixes: NonNullable<TaskConfig["mixes"]> = {};
  for (const [name, cal] of Object.entries(fit.mixes) as Array<[MixName, TaskCalibration]>) mixes[name] = mixOf(cal);
  const task: TaskConfig = {
    ...cfg,
    ...(fit.main.map ? { calibration: fit.main.map } : {}),
    ...(Object.keys(mixes).length > 0 ? { mixes } : {}),
    // the degenerate-text gate of every calibrated profile, so out-of-fold predictions score as the written profile does
    degenerateCap: cfg.degenerateCap ?? DEGENERATE_CAP,
  };
  return { ...p, tasks: { ...p.tasks, [fit.task]: task } };
}

/**
 * The composite cap of degenerate text (`degenerateReason`) in a calibrated profile: 0, not
 * paid. Not fitted: the rules fire on none of the human-rated dev outputs, so there is nothing
 * to fit it on, and a loop is not an answer on any data set.
 */
export const DEGENERATE_CAP = 0;

export interface CalibratedProfileMeta {
  name: string;
  description: string;
}

/** Applies every task's calibration (main mix, map, alternative mixes) to `base` and returns the validated, hashed profile. */
export function buildCalibratedProfile(base: Profile, fits: readonly TaskFit[], meta: CalibratedProfileMeta): Profile {
  let p: Profile = base;
  for (const f of fits) p = profileWithFit(p, f);
  // the degenerate-text gate: a loop is not an answer, whatever the fitted mix says of it
  const tasks: Profile["tasks"] = {};
  for (const [t, cfg] of Object.entries(p.tasks)) tasks[t] = { ...cfg, degenerateCap: cfg.degenerateCap ?? DEGENERATE_CAP };
  p = { ...p, tasks };
  const doc = { ...p, name: meta.name, description: meta.description, hash: undefined };
  delete (doc as { hash?: string }).hash;
  return withHash(parseProfile(doc, "calibrated profile"));
}

/** Re-exported for the audit: composite of each record under a full profile. */
export function predictWithProfile(rows: readonly AuditRecord[], profile: Profile): Float64Array {
  return Float64Array.from(rows, (r) => rescoreComposite(r, profile).composite);
}

export { round6 };
