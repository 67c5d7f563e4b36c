/**
 * The reliability audit: correlations of every signal with the human score (overall and per
 * task) with group-bootstrap intervals, the best single evaluator, ablations, failure modes,
 * and the calibrated composite, learned on training folds only and reported out-of-fold
 * (or learned on a separate calibration file and reported on the audited one).
 */
import { InputError } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import { explainComposite } from "../scoring/composite.js";
import { DIMENSIONS, profileHash, type Dimension, type MixName, type Profile } from "../scoring/profile.js";
import { differenceInterval, indexGroups, pearsonGroupBootstrap, type Interval } from "./bootstrap.js";
import {
  DEFAULT_CALIBRATION,
  buildCalibratedProfile,
  fitTaskMixes,
  predictWithProfile,
  profileWithFit,
  profileWithTask,
  withReferencesWithheld,
  type CalibrationOptions,
  type StrategyName,
  type TaskCalibration,
  type TaskFit,
} from "./calibrate.js";
import { PairedSignal, type Correlations } from "./correlation.js";
import { expectedCalibrationError, isBinary, payDecision, type CalibrationBin, type PayDecision } from "./isotonic.js";
import { BootstrapPool } from "./parallel.js";
import { groupedFolds } from "./folds.js";
import type { AuditRecord, SkippedRecord } from "./records.js";
import { ctxOf, rescoreComposite, rescoreDimensions, round6 } from "./rescore.js";
import { weightSensitivity, type SensitivityReport } from "./sensitivity.js";
import { deriveSeed } from "./rng.js";
import { ABLATIONS, ABLATION_DESCRIPTIONS, ablationComposite, baseSignals, type Ablation, type SignalColumn, type SignalKind } from "./signals.js";

export const AUDIT_SCHEMA = "poq.audit/v1";

export interface AuditOptions {
  folds: number;
  seed: number;
  resamples: number;
  level: number;
  minRecords: number;
  minGroups: number;
  topDisagreements: number;
  calibration: Partial<Omit<CalibrationOptions, "seed">>;
  /** The profile the records were scored with (the base of every variant). */
  baseProfile: Profile;
  /** Records to learn the calibration from (holdout mode); default: cross-validation on the input. */
  calibrateOn?: { records: AuditRecord[]; files: string[] };
  inputFiles: string[];
  skipped: SkippedRecord[];
  /** Worker threads for the bootstrap (default 1: in-process). Results do not depend on it. */
  threads?: number;
  /** Leave-one-system-out validation per task (default true). */
  leaveOneSystemOut?: boolean;
  /** Dirichlet-sampled weight vectors of the sensitivity sweep (default 1,000). */
  sensitivityDraws?: number;
  logger?: Logger;
}

export const DEFAULT_AUDIT = { folds: 5, seed: 1, resamples: 1000, level: 0.95, minRecords: 30, minGroups: 10, topDisagreements: 10 };

export interface SignalReport extends Correlations {
  kind: SignalKind;
  n: number;
  outOfFold?: boolean;
  ci95: { pearson: Interval | null; spearman: Interval | null; kendall: Interval | null };
}

export interface Disagreement {
  id: string;
  model: string;
  group: string;
  human: number;
  /** The composite this list ranks by (default or calibrated). */
  composite: number;
  /** composite - human. */
  diff: number;
  /** The other composite for the same record (calibrated in the default list and vice versa). */
  other: number;
}

export interface DimensionFailure {
  signal: string;
  pearson: number | null;
  ci95: Interval | null;
  reason: "undefined (constant)" | "negative" | "interval contains 0";
}

export interface ComparisonReport {
  /** Pearson of the calibrated composite minus that of the other signal, with a paired bootstrap interval. */
  versus: string;
  pearsonDiff: number | null;
  ci95: Interval | null;
}

export interface ScopeReport {
  records: number;
  groups: number;
  models: number;
  signals: Record<string, SignalReport>;
  bestSingleEvaluator: ({ name: string } & SignalReport) | null;
  ablations: Record<Ablation, SignalReport & { description: string }>;
  comparisons: ComparisonReport[];
  failureModes: {
    dimensions: DimensionFailure[];
    disagreements: { default: Disagreement[]; calibrated: Disagreement[] };
  };
}

export interface MixReport {
  strategy: StrategyName;
  weights: Record<Dimension, number>;
  semanticEvaluators: Array<{ id: string; weight: number }>;
  calibrationPoints: number;
  calibrationMethod: string | null;
  trainRecords: number;
}

export interface TaskCalibrationReport {
  /** What the calibrated composite estimates, and the size of its map. */
  target: string | null;
  calibrationPoints: number;
  calibrationMethod: string | null;
  /** The alternative mixes (unrated model, no references, both). */
  mixes: Partial<Record<MixName, MixReport>>;
  strategy: StrategyName;
  weights: Record<Dimension, number>;
  semanticEvaluators: Array<{ id: string; weight: number }>;
  gates: Record<Dimension, { open: boolean; reliability: number | null; threshold: number; ci95?: Interval }>;
  normalization: TaskCalibration["normalization"];
  modelRatings: Record<string, { rating: number; rows: number; meanHuman: number }>;
  selection: TaskCalibration["selection"];
  notes: string[];
}

/** How well a column of predictions estimates the human score. */
export interface ProbabilityMetrics {
  n: number;
  pearson: number | null;
  ci95: Interval | null;
  spearman: number | null;
  /** Expected calibration error, 10 equal-width bins of the prediction. */
  ece: number | null;
  /** The pay decision "score > 0.5" against 0/1 human scores (absent for graded scores). */
  pay?: PayDecision;
}

export interface TaskProbabilityReport {
  target: string | null;
  /** The calibrated composite, out-of-fold (the scheme of `calibrated.mode`). */
  calibrated: ProbabilityMetrics & { bins: CalibrationBin[] };
  /** The same composite before its calibration map (out-of-fold). */
  raw: ProbabilityMetrics;
  /** Every record scored as if its model had no rating (the prior-free mix), same folds. */
  priorFree: ProbabilityMetrics;
  /** Every record scored with its references withheld (the reference-free mix), same folds. */
  referenceFree: ProbabilityMetrics & { fallback: ProbabilityMetrics };
  /** References withheld and the model unrated. */
  referenceFreePriorFree: ProbabilityMetrics;
  /**
   * Leave-one-system-out: each system's records scored by a profile fitted on the other
   * systems only (so its model is unrated: the prior-free mix), against the main mix with the
   * cold-start prior (what a profile without the prior-free mix did). Null with one system.
   */
  leaveOneSystemOut: (ProbabilityMetrics & { coldStart: ProbabilityMetrics; systems: Record<string, { n: number; pearson: number | null; meanPredicted: number; meanHuman: number }> }) | null;
}

export interface AuditReport {
  schema: typeof AUDIT_SCHEMA;
  inputs: {
    files: string[];
    records: number;
    skipped: { count: number; examples: SkippedRecord[] };
    profileHashes: Record<string, number>;
    baseProfile: { name: string; hash: string; matchesRecords: boolean };
    tasks: Record<string, { records: number; groups: number }>;
  };
  options: { folds: number; seed: number; resamples: number; level: number; minReliability: number; ratingMethod: string; strategies: readonly string[] };
  overall: ScopeReport;
  tasks: Record<string, ScopeReport>;
  calibrated: {
    outOfFold: true;
    mode: "cross-validation" | "holdout";
    description: string;
    calibrationFiles: string[];
    profile: { name: string; hash: string };
    /** Per task: what the final profile learned on all calibration rows. */
    tasks: Record<string, TaskCalibrationReport>;
    /** Per outer fold and task: the strategy chosen on that training fold (cross-validation mode). */
    folds: Array<{ fold: number; task: string; strategy: StrategyName; trainRecords: number; testRecords: number }>;
  };
  /** The calibrated composite on the probability scale, the alternative mixes and unseen systems, per task, out-of-fold. */
  probability: Record<string, TaskProbabilityReport>;
  /** Per task: Pearson of the records' dimensions under Dirichlet-sampled weight vectors (identity normalisation, no gates). */
  sensitivity: Record<string, SensitivityReport>;
}

export interface AuditResult {
  report: AuditReport;
  profile: Profile;
  /** Per record: what the figures need. */
  points: Array<{ id: string; task: string; human: number; composite: number; calibrated: number }>;
  /** Wall-clock milliseconds of the phases. */
  timings: { calibrationMs: number; bootstrapMs: number; calibrationCpuMs: number; bootstrapCpuMs: number };
}

const r6 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);
const iv6 = (x: Interval | null): Interval | null => (x === null ? null : [r6(x[0])!, r6(x[1])!]);

function checkSizes(records: readonly AuditRecord[], what: string, minRecords: number, minGroups: number): Map<string, AuditRecord[]> {
  const byTask = new Map<string, AuditRecord[]>();
  for (const r of records) {
    let l = byTask.get(r.task);
    if (!l) byTask.set(r.task, (l = []));
    l.push(r);
  }
  if (byTask.size === 0) throw new InputError(`${what}: no records with a human score`, { field: "human.score", reason: "no labelled records" });
  for (const [task, rows] of byTask) {
    const groups = new Set(rows.map((r) => r.group)).size;
    if (rows.length < minRecords || groups < minGroups) {
      throw new InputError(
        `${what}: task "${task}" has ${rows.length} labelled records in ${groups} groups; the audit needs at least ${minRecords} records and ${minGroups} groups per task for a meaningful correlation and interval`,
        { field: "task", reason: "too few records or groups" },
      );
    }
  }
  return byTask;
}

function disagreements(records: readonly AuditRecord[], pred: Float64Array, other: Float64Array, top: number): Disagreement[] {
  return records
    .map((r, i) => ({ id: r.id, model: r.model, group: r.group, human: r.human, composite: pred[i]!, diff: r6(pred[i]! - r.human)!, other: other[i]! }))
    .sort((a, b) => Math.abs(b.diff) - Math.abs(a.diff) || a.id.localeCompare(b.id))
    .slice(0, top);
}

function taskReport(fit: TaskFit): TaskCalibrationReport {
  const cal = fit.main;
  const gates = {} as TaskCalibrationReport["gates"];
  for (const d of DIMENSIONS) {
    const g = cal.gates[d];
    gates[d] = g
      ? { open: g.reliability !== null && g.reliability >= g.threshold, reliability: g.reliability, threshold: g.threshold, ...(g.ci95 ? { ci95: g.ci95 } : {}) }
      : { open: true, reliability: null, threshold: 0 };
  }
  const modelRatings: TaskCalibrationReport["modelRatings"] = {};
  for (const [m, rating] of Object.entries(cal.ratings.ratings)) {
    const s = cal.ratings.stats[m]!;
    modelRatings[m] = { rating, rows: s.n, meanHuman: s.meanHuman };
  }
  const mixes: TaskCalibrationReport["mixes"] = {};
  for (const [m, c] of Object.entries(fit.mixes) as Array<[MixName, TaskCalibration]>) {
    mixes[m] = { strategy: c.strategy, weights: { ...c.weights }, semanticEvaluators: c.semantic.map((e) => ({ ...e })), calibrationPoints: c.map?.x.length ?? 0, calibrationMethod: c.map?.method ?? null, trainRecords: c.trainRecords };
  }
  return {
    target: cal.map?.target ?? null,
    calibrationPoints: cal.map?.x.length ?? 0,
    calibrationMethod: cal.map?.method ?? null,
    mixes,
    strategy: cal.strategy,
    weights: { ...cal.weights },
    semanticEvaluators: cal.semantic.map((s) => ({ ...s })),
    gates,
    normalization: cal.normalization,
    modelRatings,
    selection: cal.selection,
    notes: cal.notes,
  };
}

/** Everything per scope (all records, or one task). */
function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]!) && Number.isNaN(b[i]!))) return false;
  return true;
}

async function scopeReport(
  records: readonly AuditRecord[],
  columns: readonly SignalColumn[],
  ablations: Record<Ablation, Float64Array>,
  calibrated: Float64Array,
  opts: AuditOptions,
  scope: string,
  pool: BootstrapPool,
): Promise<ScopeReport> {
  const y = Float64Array.from(records, (r) => r.human);
  const { index, count } = indexGroups(records.map((r) => r.group));
  const names = columns.map((c) => c.name);
  // identical columns (e.g. the default ablation and the records' composite) are bootstrapped once
  const all = [...columns.map((c) => c.values), ...ABLATIONS.map((a) => ablations[a])];
  const uniq: Float64Array[] = [];
  const slot = all.map((arr) => {
    const j = uniq.findIndex((u) => sameValues(u, arr));
    if (j >= 0) return j;
    uniq.push(arr);
    return uniq.length - 1;
  });
  const computed = await pool.run({
    columns: uniq,
    y,
    groupIndex: index,
    groupCount: count,
    options: { resamples: opts.resamples, seed: deriveSeed(opts.seed, `bootstrap:${scope}`), level: opts.level, keepPearsonDraws: true },
  });
  const results = slot.map((j) => computed[j]!);
  const intervals = results.map((r) => r.intervals);
  const make = (k: number, kind: SignalKind, outOfFold?: boolean): SignalReport => {
    const p = results[k]!.point;
    const iv = intervals[k]!;
    return {
      kind,
      n: results[k]!.n,
      ...(outOfFold ? { outOfFold } : {}),
      pearson: r6(p.pearson),
      spearman: r6(p.spearman),
      kendall: r6(p.kendall),
      ci95: { pearson: iv6(iv.pearson), spearman: iv6(iv.spearman), kendall: iv6(iv.kendall) },
    };
  };
  const sig: Record<string, SignalReport> = {};
  columns.forEach((c, k) => (sig[c.name] = make(k, c.kind, c.outOfFold)));
  const abl = {} as ScopeReport["ablations"];
  ABLATIONS.forEach((a, j) => {
    abl[a] = { ...make(columns.length + j, "composite", a === "calibrated" ? true : undefined), description: ABLATION_DESCRIPTIONS[a] };
  });
  // best single evaluator: highest Pearson (then Spearman) among evaluators that score at
  // least 90% of the scope's records (a QA-only evaluator is not a fallback for all tasks)
  let best: string | null = null;
  for (const c of columns) {
    if (c.kind !== "evaluator") continue;
    const s = sig[c.name]!;
    if (s.pearson === null || s.n < 0.9 * records.length) continue;
    const b = best ? sig[best]! : null;
    if (!b || s.pearson > b.pearson! || (s.pearson === b.pearson && (s.spearman ?? -2) > (b.spearman ?? -2))) best = c.name;
  }
  const drawsOf = (name: string): Float64Array | undefined => {
    const k = names.indexOf(name);
    return k >= 0 ? intervals[k]!.pearsonDraws : undefined;
  };
  const calDraws = intervals[columns.length + ABLATIONS.indexOf("calibrated")]!.pearsonDraws!;
  const comparisons: ComparisonReport[] = [];
  for (const versus of [best, "consensus.median", "consensus.mean", "composite.default"]) {
    if (!versus) continue;
    const d = drawsOf(versus);
    const other = sig[versus];
    if (!d || !other) continue;
    const calP = abl.calibrated.pearson;
    comparisons.push({
      versus,
      pearsonDiff: calP !== null && other.pearson !== null ? r6(calP - other.pearson) : null,
      ci95: iv6(differenceInterval(calDraws, d, opts.level)),
    });
  }
  const failures: DimensionFailure[] = [];
  for (const c of columns) {
    if (c.kind !== "dimension") continue;
    const s = sig[c.name]!;
    const ci = s.ci95.pearson;
    if (s.pearson === null) failures.push({ signal: c.name, pearson: null, ci95: null, reason: "undefined (constant)" });
    else if (s.pearson < 0) failures.push({ signal: c.name, pearson: s.pearson, ci95: ci, reason: "negative" });
    else if (!ci || ci[0] <= 0) failures.push({ signal: c.name, pearson: s.pearson, ci95: ci, reason: "interval contains 0" });
  }
  return {
    records: records.length,
    groups: count,
    models: new Set(records.map((r) => r.model)).size,
    signals: sig,
    bestSingleEvaluator: best ? { name: best.replace(/^evaluator\./, ""), ...sig[best]! } : null,
    ablations: abl,
    comparisons,
    failureModes: {
      dimensions: failures,
      disagreements: {
        default: disagreements(records, ablations.default, calibrated, opts.topDisagreements),
        calibrated: disagreements(records, calibrated, ablations.default, opts.topDisagreements),
      },
    },
  };
}

/** A model name no profile rates: scores a record as if its model were unknown. */
export const UNRATED_MODEL = "\u0000unrated";

/** Pearson with a group-bootstrap interval, Spearman, ECE and (0/1 human scores) the pay decision at 0.5. */
function probabilityMetrics(pred: Float64Array, rows: readonly AuditRecord[], opts: AuditOptions, scope: string): ProbabilityMetrics {
  const y = Float64Array.from(rows, (r) => r.human);
  const { index, count } = indexGroups(rows.map((r) => r.group));
  const [boot] = pearsonGroupBootstrap([pred], y, index, count, Math.min(opts.resamples, 1000), deriveSeed(opts.seed, scope));
  const c = new PairedSignal(pred, y).compute(null, true, false);
  return {
    n: rows.length,
    pearson: r6(boot!.pearson),
    ci95: iv6(boot!.ci),
    spearman: r6(c.spearman),
    ece: expectedCalibrationError(pred, y).ece,
    ...(isBinary(y) ? { pay: payDecision(pred, y, 0.5) } : {}),
  };
}

/** Runs the audit on labelled records. */
export async function runAudit(records: AuditRecord[], options: AuditOptions): Promise<AuditResult> {
  const opts = options;
  const log = opts.logger;
  const base = opts.baseProfile;
  const cal: CalibrationOptions = { ...DEFAULT_CALIBRATION, ...opts.calibration, seed: opts.seed };
  const byTask = checkSizes(records, "audit input", opts.minRecords, opts.minGroups);
  for (const task of byTask.keys()) {
    if (!base.tasks[task]) {
      throw new InputError(`task "${task}" is not in the base profile "${base.name}" (${Object.keys(base.tasks).join(", ")})`, { field: "task", reason: "unknown task" });
    }
  }
  const tasks = [...byTask.keys()].sort();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const calibrated = new Float64Array(records.length);
  const rawComposite = new Float64Array(records.length);
  const calModelPrior = new Float64Array(records.length);
  const calSemantic = new Float64Array(records.length);
  const priorFree = new Float64Array(records.length);
  const refFree = new Float64Array(records.length);
  const refFreeFallback = new Float64Array(records.length);
  const refFreePriorFree = new Float64Array(records.length);
  const position = new Map(records.map((r, i) => [r, i]));
  const foldInfo: AuditReport["calibrated"]["folds"] = [];
  const finalFits: TaskFit[] = [];
  /** Fills every out-of-fold column for `test` rows from a fit learned without them. */
  const predictFold = (fit: TaskFit, test: readonly AuditRecord[]) => {
    const p = profileWithFit(base, fit);
    const fallback = profileWithTask(base, fit.main);
    const withheld = withReferencesWithheld(test, base);
    test.forEach((r, j) => {
      const i = position.get(r)!;
      const dims = rescoreDimensions(r, p);
      const b = explainComposite(dims, p, r.task, ctxOf(r));
      calibrated[i] = round6(b.composite);
      rawComposite[i] = round6(b.raw);
      calModelPrior[i] = dims.modelPrior;
      calSemantic[i] = dims.semantic;
      const unrated = { ...r, model: UNRATED_MODEL };
      priorFree[i] = rescoreComposite(unrated, p).composite;
      refFree[i] = rescoreComposite(withheld[j]!, p).composite;
      refFreeFallback[i] = rescoreComposite(withheld[j]!, fallback).composite;
      refFreePriorFree[i] = rescoreComposite({ ...withheld[j]!, model: UNRATED_MODEL }, p).composite;
    });
  };
  let mode: "cross-validation" | "holdout";
  if (opts.calibrateOn) {
    mode = "holdout";
    const fitByTask = checkSizes(opts.calibrateOn.records, "calibration input (--calibrate-on)", opts.minRecords, opts.minGroups);
    for (const task of tasks) {
      const fitRows = fitByTask.get(task);
      if (!fitRows) {
        throw new InputError(`calibration input (--calibrate-on) has no labelled records of task "${task}"`, { field: "task", reason: "task missing from calibration input" });
      }
      log?.info({ task, rows: fitRows.length }, "calibrating on the --calibrate-on records");
      const fit = fitTaskMixes(fitRows, base, task, cal, "holdout");
      finalFits.push(fit);
      predictFold(fit, byTask.get(task)!);
    }
  } else {
    mode = "cross-validation";
    const folds = groupedFolds(records, opts.folds, deriveSeed(opts.seed, "outer"));
    for (const task of tasks) {
      const idx = records.map((_, i) => i).filter((i) => records[i]!.task === task);
      for (let f = 0; f < opts.folds; f++) {
        const train = idx.filter((i) => folds[i] !== f).map((i) => records[i]!);
        const test = idx.filter((i) => folds[i] === f).map((i) => records[i]!);
        log?.info({ task, fold: f, train: train.length, test: test.length }, "calibrating on the training fold");
        const fit = fitTaskMixes(train, base, task, cal, `outer${f}`);
        foldInfo.push({ fold: f, task, strategy: fit.main.strategy, trainRecords: train.length, testRecords: test.length });
        predictFold(fit, test);
      }
      log?.info({ task }, "fitting the final calibrated profile on all rows");
      finalFits.push(fitTaskMixes(byTask.get(task)!, base, task, cal, "final"));
    }
  }
  // leave-one-system-out: a profile fitted on the other systems scores each system (its model unrated there)
  const loso = new Map<string, { pred: Float64Array; coldStart: Float64Array; rows: AuditRecord[] }>();
  if (opts.leaveOneSystemOut !== false) {
    for (const task of tasks) {
      const rows = byTask.get(task)!;
      const models = [...new Set(rows.map((r) => r.model))].sort();
      if (models.length < 2) continue;
      const pred = new Float64Array(rows.length);
      const coldStart = new Float64Array(rows.length);
      const at = new Map(rows.map((r, i) => [r, i]));
      for (const m of models) {
        const train = rows.filter((r) => r.model !== m);
        const test = rows.filter((r) => r.model === m);
        if (new Set(train.map((r) => r.group)).size < 2) continue;
        log?.info({ task, heldOut: m, train: train.length, test: test.length }, "leave-one-system-out fold");
        // only the prior-free mix scores the held-out system; the main mix (for the cold-start
        // comparison) keeps the strategy the final fit chose, without a new selection
        const chosen = finalFits.find((f) => f.task === task)?.main.strategy;
        const fit = fitTaskMixes(train, base, task, chosen ? { ...cal, strategies: [chosen] } : cal, `loso:${m}`, ["priorFree"]);
        const p = profileWithFit(base, fit);
        const cold = profileWithFit(base, { ...fit, mixes: {} });
        for (const r of test) {
          pred[at.get(r)!] = rescoreComposite(r, p).composite;
          coldStart[at.get(r)!] = rescoreComposite(r, cold).composite;
        }
      }
      loso.set(task, { pred, coldStart, rows });
    }
  }
  const calibrationFiles = opts.calibrateOn ? opts.calibrateOn.files : opts.inputFiles;
  const nCal = opts.calibrateOn ? opts.calibrateOn.records.length : records.length;
  const description =
    `Calibrated by poq audit on ${nCal} human-labelled records (${calibrationFiles.map((f) => f.split("/").pop()).join(", ")}); ` +
    `per task: ${finalFits.map((c) => `${c.task}: ${c.main.strategy}`).join("; ")}; model-prior ratings from human scores (${cal.ratingMethod}); ` +
    `gates: Pearson 95% group-bootstrap lower bound >= ${cal.minReliability}; composite mapped by an isotonic calibration map (fitted on inner-CV out-of-fold composites) onto ` +
    `${finalFits.map((c) => `${c.task}: ${c.main.map?.target ?? "the raw scale"}`).join("; ")}; prior-free and reference-free mixes for unrated models and records without references; seed ${opts.seed}.`;
  const profile = buildCalibratedProfile(base, finalFits, { name: `${base.name}-calibrated`, description });
  const t1 = performance.now();
  const c1 = process.cpuUsage();

  // signal columns
  const columns = baseSignals(records, base);
  columns.push({ name: "composite.calibrated", kind: "composite", values: calibrated, outOfFold: true });
  columns.push({ name: "calibrated.modelPrior", kind: "calibrated-dimension", values: calModelPrior, outOfFold: true });
  columns.push({ name: "calibrated.semantic", kind: "calibrated-dimension", values: calSemantic, outOfFold: true });
  const ablations = {} as Record<Ablation, Float64Array>;
  for (const a of ABLATIONS) ablations[a] = a === "calibrated" ? calibrated : ablationComposite(records, base, a);

  const sub = (rows: readonly number[]) => ({
    recs: rows.map((i) => records[i]!),
    cols: columns.map((c) => ({ ...c, values: Float64Array.from(rows, (i) => c.values[i]!) })),
    abl: Object.fromEntries(ABLATIONS.map((a) => [a, Float64Array.from(rows, (i) => ablations[a][i]!)])) as Record<Ablation, Float64Array>,
  });
  const pool = new BootstrapPool(opts.threads ?? 1);
  const taskReports: Record<string, ScopeReport> = {};
  let overall: ScopeReport;
  try {
    log?.info({ resamples: opts.resamples, threads: pool.threads }, "bootstrapping correlations (overall)");
    overall = await scopeReport(records, columns, ablations, calibrated, opts, "all", pool);
    for (const task of tasks) {
      log?.info({ task, resamples: opts.resamples }, "bootstrapping correlations");
      const rows = records.map((_, i) => i).filter((i) => records[i]!.task === task);
      const s = sub(rows);
      // drop columns that never apply to this task (e.g. QA-only evaluators on summaries)
      const keep = s.cols.filter((c) => c.values.some((v) => Number.isFinite(v)));
      taskReports[task] = await scopeReport(s.recs, keep, s.abl, s.abl.calibrated, opts, task, pool);
    }
  } finally {
    await pool.close();
  }
  if (pool.failure) log?.warn({ reason: pool.failure }, "bootstrap worker threads failed; the bootstrap ran in-process (same results)");

  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const cpuMs = (a: NodeJS.CpuUsage, b: NodeJS.CpuUsage) => (b.user - a.user + b.system - a.system) / 1000;
  const hashes: Record<string, number> = {};
  for (const r of records) hashes[r.profileHash ?? "(none)"] = (hashes[r.profileHash ?? "(none)"] ?? 0) + 1;
  const baseHash = profileHash(base);
  const report: AuditReport = {
    schema: AUDIT_SCHEMA,
    inputs: {
      files: opts.inputFiles,
      records: records.length,
      skipped: { count: opts.skipped.length, examples: opts.skipped.slice(0, 20) },
      profileHashes: hashes,
      baseProfile: { name: base.name, hash: baseHash, matchesRecords: Object.keys(hashes).every((h) => h === baseHash) },
      tasks: Object.fromEntries(tasks.map((t) => [t, { records: byTask.get(t)!.length, groups: new Set(byTask.get(t)!.map((r) => r.group)).size }])),
    },
    options: {
      folds: opts.folds,
      seed: opts.seed,
      resamples: opts.resamples,
      level: opts.level,
      minReliability: cal.minReliability,
      ratingMethod: cal.ratingMethod,
      strategies: cal.strategies,
    },
    overall,
    tasks: taskReports,
    calibrated: {
      outOfFold: true,
      mode,
      description:
        mode === "cross-validation"
          ? `grouped ${opts.folds}-fold cross-validation: on each training fold the strategy is chosen by an inner grouped ${cal.innerFolds}-fold CV and fitted (ratings, normalisation, gates, weights); figures are for the held-out folds`
          : `learned on ${opts.calibrateOn!.files.join(", ")} (strategy chosen by grouped ${cal.innerFolds}-fold CV there), reported on the audited input`,
      calibrationFiles,
      profile: { name: profile.name, hash: profile.hash! },
      tasks: Object.fromEntries(finalFits.map((c) => [c.task, taskReport(c)])),
      folds: foldInfo,
    },
    probability: {},
    sensitivity: {},
  };
  for (const task of tasks) {
    const rows = byTask.get(task)!;
    report.sensitivity[task] = weightSensitivity(rows, base.tasks[task]!.weights ?? base.weights, opts.sensitivityDraws ?? 1000, deriveSeed(opts.seed, `sensitivity:${task}`));
  }
  for (const task of tasks) {
    const idx = records.map((_, i) => i).filter((i) => records[i]!.task === task);
    const rows = idx.map((i) => records[i]!);
    const pick = (col: Float64Array) => Float64Array.from(idx, (i) => col[i]!);
    const m = (col: Float64Array, rs: readonly AuditRecord[] = rows) => probabilityMetrics(col, rs, opts, `probability:${task}`);
    const calCol = pick(calibrated);
    const l = loso.get(task);
    let losoReport: TaskProbabilityReport["leaveOneSystemOut"] = null;
    if (l) {
      const systems: Record<string, { n: number; pearson: number | null; meanPredicted: number; meanHuman: number }> = {};
      for (const model of [...new Set(l.rows.map((r) => r.model))].sort()) {
        const k = l.rows.map((r, i) => (r.model === model ? i : -1)).filter((i) => i >= 0);
        const pr = Float64Array.from(k, (i) => l.pred[i]!);
        const hy = Float64Array.from(k, (i) => l.rows[i]!.human);
        const pc = new PairedSignal(pr, hy).compute(null, false, false).pearson;
        systems[model] = { n: k.length, pearson: r6(pc), meanPredicted: r6(pr.reduce((a, b) => a + b, 0) / k.length)!, meanHuman: r6(hy.reduce((a, b) => a + b, 0) / k.length)! };
      }
      losoReport = { ...m(l.pred, l.rows), coldStart: m(l.coldStart, l.rows), systems };
    }
    const calM = m(calCol);
    report.probability[task] = {
      target: finalFits.find((f) => f.task === task)?.main.map?.target ?? null,
      calibrated: { ...calM, bins: expectedCalibrationError(calCol, Float64Array.from(rows, (r) => r.human)).bins },
      raw: m(pick(rawComposite)),
      priorFree: m(pick(priorFree)),
      referenceFree: { ...m(pick(refFree)), fallback: m(pick(refFreeFallback)) },
      referenceFreePriorFree: m(pick(refFreePriorFree)),
      leaveOneSystemOut: losoReport,
    };
  }
  const points = records.map((r, i) => ({ id: r.id, task: r.task, human: r.human, composite: r.composite, calibrated: calibrated[i]! }));
  return { report, profile, points, timings: { calibrationMs: t1 - t0, bootstrapMs: t2 - t1, calibrationCpuMs: cpuMs(c0, c1), bootstrapCpuMs: cpuMs(c1, c2) } };
}

/** Composite of records under an existing calibrated profile (for checks and drift). */
export { predictWithProfile };
