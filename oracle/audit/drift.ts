/**
 * Distribution drift of the quality signal between a reference window and a recent one:
 * per task and dimension (as the profile in use computes them from the scored records: its
 * ratings, semantic mix and normalisation-free raw values), the composite under that profile
 * and every evaluator, the Population Stability
 * Index over the reference deciles and the two-sample Kolmogorov-Smirnov statistic with its
 * asymptotic p-value. Drifted dimensions that carry weight make the current profile unsafe;
 * the recommendation follows the published deployment advice: re-estimate reliability
 * periodically, watch distribution shift, and keep a strong single evaluator as a safe
 * fallback (a profile that scores with that evaluator alone).
 */
import { DIMENSIONS, gateOpen, parseProfile, profileHash, withHash, type Dimension, type Profile } from "../scoring/profile.js";
import { quantileSorted } from "./bootstrap.js";
import type { AuditRecord } from "./records.js";
import { binAt, binnedKs, binnedPsi, bucketCounts, psiOfShares, type LiveHistogram } from "./live.js";
import { rescoreComposite } from "./rescore.js";
import { evaluatorIds } from "./signals.js";

export const DRIFT_SCHEMA = "poq.drift/v1";

export interface DriftThresholds {
  /** PSI at or above which a distribution has shifted significantly (0.25 by convention). */
  psiDrift: number;
  /** PSI at or above which the shift is moderate (0.10 by convention). */
  psiModerate: number;
  /** KS significance level. */
  ksAlpha: number;
  /** KS statistic at or above which a significant difference also counts as drift. */
  ksDrift: number;
}

export const DEFAULT_THRESHOLDS: DriftThresholds = { psiDrift: 0.25, psiModerate: 0.1, ksAlpha: 0.01, ksDrift: 0.1 };

export type DriftStatus = "stable" | "moderate" | "drifted" | "insufficient";

export interface SignalDrift {
  signal: string;
  kind: "dimension" | "composite" | "evaluator";
  referenceN: number;
  recentN: number;
  referenceMean: number | null;
  recentMean: number | null;
  psi: number | null;
  ks: number | null;
  ksP: number | null;
  status: DriftStatus;
  /** Weight of the dimension in the current profile for this task (dimensions only). */
  weight?: number;
}

export interface TaskDrift {
  signals: SignalDrift[];
  driftedDimensions: Dimension[];
  /** Share of the current weight on drifted dimensions. */
  driftedWeight: number;
  recommendation: "keep" | "drop-drifted-dimensions" | "single-evaluator-fallback";
  fallbackEvaluator: string | null;
  reason: string;
}

export interface DriftReport {
  schema: typeof DRIFT_SCHEMA;
  reference: { files: string[]; records: number };
  recent: { files: string[]; records: number };
  profile: { name: string; hash: string };
  thresholds: DriftThresholds;
  tasks: Record<string, TaskDrift>;
  /** The profile to score with now: the current one, one without the drifted dimensions, or the single-evaluator fallback. */
  recommendedProfile: "current" | "reduced" | "fallback";
  advice: string[];
}

/** PSI of `recent` against `reference`, bins at the reference's deciles (ties merged). */
export function psi(reference: ArrayLike<number>, recent: ArrayLike<number>, bins = 10, eps = 1e-4): number | null {
  if (reference.length === 0 || recent.length === 0) return null;
  const ref = Float64Array.from(reference).sort();
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const e = quantileSorted(ref, k / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  if (edges.length === 0) edges.push(ref[0]!);
  const hist = (xs: ArrayLike<number>): Float64Array => {
    const h = new Float64Array(edges.length + 1);
    for (let i = 0; i < xs.length; i++) {
      let lo = 0;
      let hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (xs[i]! <= edges[mid]!) hi = mid;
        else lo = mid + 1;
      }
      h[lo]! += 1;
    }
    return h.map((c) => c / xs.length);
  };
  return psiOfShares(hist(ref), hist(recent), eps);
}

/** Kolmogorov distribution tail Q(lambda) = 2 sum (-1)^(k-1) exp(-2 k^2 lambda^2). */
function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/** Two-sample Kolmogorov-Smirnov statistic and asymptotic p-value. */
export function ks(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; p: number } | null {
  if (a.length === 0 || b.length === 0) return null;
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < x.length && x[i]! <= v) i++;
    while (j < y.length && y[j]! <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  const ne = (x.length * y.length) / (x.length + y.length);
  const p = kolmogorovQ((Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d);
  return { d, p };
}

const r6 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e6) / 1e6);
const mean = (v: Float64Array): number | null => (v.length ? v.reduce((s, x) => s + x, 0) / v.length : null);

function status(psiV: number | null, k: { d: number; p: number } | null, t: DriftThresholds, nRef: number, nRecent: number): DriftStatus {
  if (psiV === null || k === null || nRef < 20 || nRecent < 20) return "insufficient";
  if (psiV >= t.psiDrift || (k.p < t.ksAlpha && k.d >= t.ksDrift)) return "drifted";
  if (psiV >= t.psiModerate || k.p < t.ksAlpha) return "moderate";
  return "stable";
}

function compareSignal(name: string, kind: SignalDrift["kind"], ref: Float64Array, recent: Float64Array, t: DriftThresholds): SignalDrift {
  const p = psi(ref, recent);
  const k = ks(ref, recent);
  return {
    signal: name,
    kind,
    referenceN: ref.length,
    recentN: recent.length,
    referenceMean: r6(mean(ref)),
    recentMean: r6(mean(recent)),
    psi: r6(p),
    ks: k ? r6(k.d) : null,
    ksP: k ? r6(k.p) : null,
    status: status(p, k, t, ref.length, recent.length),
  };
}

/** A signal compared from bucket counts (live histograms): PSI over the buckets, KS at their bounds. */
function compareBinned(name: string, kind: SignalDrift["kind"], ref: Float64Array, live: LiveHistogram, t: DriftThresholds): SignalDrift {
  const a = binAt(ref, live.le);
  const b = bucketCounts(live);
  const n = b.reduce((x, y) => x + y, 0);
  const p = binnedPsi(a, b);
  const d = binnedKs(a, b);
  const ne = (ref.length * n) / Math.max(1, ref.length + n);
  const k = d === null ? null : { d, p: kolmogorovQ((Math.sqrt(ne) + 0.12 + 0.11 / Math.sqrt(ne)) * d) };
  // the recent mean from the buckets' midpoints (the exact one needs the raw values)
  const mids = live.le.map((u, i) => (i === 0 ? u / 2 : (u + live.le[i - 1]!) / 2));
  const liveMean = n > 0 ? b.reduce((s, c, i) => s + c * (mids[i] ?? live.le.at(-1)!), 0) / n : null;
  return {
    signal: name,
    kind,
    referenceN: ref.length,
    recentN: n,
    referenceMean: r6(mean(ref)),
    recentMean: r6(liveMean),
    psi: r6(p),
    ks: k ? r6(k.d) : null,
    ksP: k ? r6(k.p) : null,
    status: status(p, k, t, ref.length, n),
  };
}

export interface LiveDriftInput {
  reference: { files: string[]; records: AuditRecord[] };
  /** Live histograms (parsePromHistograms), from `source`. */
  live: { source: string; histograms: Map<string, LiveHistogram> };
  profile: Profile;
  bestEvaluators?: Record<string, string>;
  thresholds?: Partial<DriftThresholds>;
}

/**
 * `driftReport` against live traffic: the reference window (the calibration data, scored) is
 * viewed under the profile in use and binned at the worker's histogram buckets, the recent
 * window is what the worker observed under that profile's hash (poq_score_value). Dimensions
 * and the composite only (the worker exports no evaluator histograms).
 */
export function liveDriftReport(input: LiveDriftInput): DriftReport {
  const t = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const { profile } = input;
  const hash = (profile.hash ?? profileHash(profile)).toLowerCase();
  const live = [...input.live.histograms.values()].filter((h) => h.profile === hash);
  const tasks = [...new Set(live.map((h) => h.task))].filter((task) => input.reference.records.some((r) => r.task === task)).sort();
  const out: Record<string, TaskDrift> = {};
  let recentN = 0;
  for (const task of tasks) {
    const cfg = profile.tasks[task];
    const ref = input.reference.records.filter((r) => r.task === task).map((r) => (cfg ? { ...r, ...rescoreComposite(r, profile) } : r));
    const weights = cfg ? cfg.weights ?? profile.weights : undefined;
    const hist = (signal: string) => live.find((h) => h.task === task && h.signal === signal);
    const signals: SignalDrift[] = [];
    for (const d of DIMENSIONS) {
      const h = hist(d);
      if (!h) continue;
      const s = compareBinned(`dimension.${d}`, "dimension", Float64Array.from(ref, (r) => r.dimensions[d]), h, t);
      s.weight = weights && (cfg ? gateOpen(cfg.gates[d]) : true) ? weights[d] : 0;
      signals.push(s);
    }
    const c = hist("composite");
    if (c) {
      const s = compareBinned("composite", "composite", Float64Array.from(ref, (r) => r.composite), c, t);
      recentN += s.recentN;
      signals.push(s);
    }
    out[task] = judgeTask(signals, cfg, task, input.bestEvaluators);
  }
  return assemble(out, profile, t, { files: input.reference.files, records: input.reference.records.length }, { files: [input.live.source], records: recentN });
}

/**
 * The fallback profile: for every task with a named evaluator, the composite is the semantic
 * dimension alone, computed from that evaluator alone; everything else is the current profile.
 */
export function singleEvaluatorProfile(profile: Profile, evaluators: Record<string, string>): Profile {
  const tasks: Profile["tasks"] = {};
  for (const [task, cfg] of Object.entries(profile.tasks)) {
    const ev = evaluators[task];
    tasks[task] = ev
      ? {
          ...cfg,
          weights: { modelPrior: 0, costPrior: 0, structure: 0, semantic: 1, alignment: 0, agreement: 0 },
          gates: {},
          normalization: {},
          semantic: { ...cfg.semantic, withReferences: [{ id: ev, weight: 1 }] },
          // a calibration map or alternative mix fitted for the full composite does not fit one evaluator
          calibration: undefined,
          mixes: undefined,
        }
      : cfg;
  }
  const names = Object.entries(evaluators).map(([t, e]) => `${t}: ${e}`).join(", ");
  const doc = { ...profile, name: `${profile.name}-fallback`, description: `Safe fallback of ${profile.name}: the best single evaluator alone (${names}).`, tasks };
  delete (doc as { hash?: string }).hash;
  return withHash(parseProfile(doc, "fallback profile"));
}

/**
 * The current profile with drifted dimensions gated off (their weight spread over the rest).
 * Tasks that lose a dimension also lose their calibration map and alternative mixes (fitted
 * for the full weights): their composite is back on the raw scale until the next audit.
 */
export function reducedProfile(profile: Profile, drifted: Record<string, Dimension[]>): Profile {
  const tasks: Profile["tasks"] = {};
  for (const [task, cfg] of Object.entries(profile.tasks)) {
    const off = drifted[task] ?? [];
    if (off.length === 0) {
      tasks[task] = cfg;
      continue;
    }
    const w = { ...(cfg.weights ?? profile.weights) };
    for (const d of off) w[d] = 0;
    // the calibration map and the alternative mixes were fitted for the full weights: dropped (re-audit to calibrate again)
    tasks[task] = { ...cfg, weights: w, calibration: undefined, mixes: undefined };
  }
  const doc = { ...profile, name: `${profile.name}-reduced`, description: `${profile.name} without drifted dimensions (${Object.entries(drifted).map(([t, d]) => `${t}: ${d.join("/")}`).join("; ")}).`, tasks };
  delete (doc as { hash?: string }).hash;
  return withHash(parseProfile(doc, "reduced profile"));
}

export interface DriftInput {
  reference: { files: string[]; records: AuditRecord[] };
  recent: { files: string[]; records: AuditRecord[] };
  profile: Profile;
  /** Best single evaluator per task (from an audit report); else the largest weight in the semantic mix. */
  bestEvaluators?: Record<string, string>;
  thresholds?: Partial<DriftThresholds>;
}

export function driftReport(input: DriftInput): DriftReport {
  const t = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const { profile } = input;
  const tasks = [...new Set([...input.reference.records, ...input.recent.records].map((r) => r.task))].sort();
  const out: Record<string, TaskDrift> = {};
  for (const task of tasks) {
    const cfg = profile.tasks[task];
    // the dimensions as the profile in use computes them (its ratings, semantic mix, pool)
    const view = (r: AuditRecord): AuditRecord => {
      if (!cfg) return r;
      const s = rescoreComposite(r, profile);
      return { ...r, dimensions: s.dimensions, composite: s.composite };
    };
    const ref = input.reference.records.filter((r) => r.task === task).map(view);
    const rec = input.recent.records.filter((r) => r.task === task).map(view);
    const weights = cfg ? cfg.weights ?? profile.weights : undefined;
    const signals: SignalDrift[] = [];
    for (const d of DIMENSIONS) {
      const s = compareSignal(`dimension.${d}`, "dimension", Float64Array.from(ref, (r) => r.dimensions[d]), Float64Array.from(rec, (r) => r.dimensions[d]), t);
      const on = cfg ? gateOpen(cfg.gates[d]) : true;
      s.weight = weights && on ? weights[d] : 0;
      signals.push(s);
    }
    signals.push(compareSignal("composite", "composite", Float64Array.from(ref, (r) => r.composite), Float64Array.from(rec, (r) => r.composite), t));
    for (const id of evaluatorIds([...ref, ...rec])) {
      const a = Float64Array.from(ref.filter((r) => r.evaluators[id] !== undefined), (r) => r.evaluators[id]!);
      const b = Float64Array.from(rec.filter((r) => r.evaluators[id] !== undefined), (r) => r.evaluators[id]!);
      signals.push(compareSignal(`evaluator.${id}`, "evaluator", a, b, t));
    }
    out[task] = judgeTask(signals, cfg, task, input.bestEvaluators);
  }
  return assemble(out, profile, t, { files: input.reference.files, records: input.reference.records.length }, { files: input.recent.files, records: input.recent.records.length });
}

/** Which weighted dimensions drifted, and what to score with now, from one task's signals. */
function judgeTask(signals: SignalDrift[], cfg: Profile["tasks"][string] | undefined, task: string, bestEvaluators?: Record<string, string>): TaskDrift {
  const drifted = signals.filter((s) => s.kind === "dimension" && s.status === "drifted" && (s.weight ?? 0) > 0).map((s) => s.signal.replace("dimension.", "") as Dimension);
  const totalW = signals.filter((s) => s.kind === "dimension").reduce((a, s) => a + (s.weight ?? 0), 0);
  const driftedWeight = totalW > 0 ? signals.filter((s) => drifted.includes(s.signal.replace("dimension.", "") as Dimension)).reduce((a, s) => a + (s.weight ?? 0), 0) / totalW : 0;
  const semanticMix = cfg ? [...cfg.semantic.withReferences].sort((a, b) => b.weight - a.weight) : [];
  const fallbackEvaluator = bestEvaluators?.[task] ?? semanticMix[0]?.id ?? null;
  const fallbackDrifted = signals.find((s) => s.signal === `evaluator.${fallbackEvaluator}`)?.status === "drifted";
  let recommendation: TaskDrift["recommendation"] = "keep";
  let reason = "no weighted dimension drifted";
  if (drifted.length > 0) {
    if (driftedWeight < 0.5 && !drifted.includes("semantic")) {
      recommendation = "drop-drifted-dimensions";
      reason = `${drifted.join(", ")} drifted (${(100 * driftedWeight).toFixed(0)}% of the weight): switch them off until the audit re-estimates their reliability`;
    } else {
      recommendation = "single-evaluator-fallback";
      reason = `${drifted.join(", ")} drifted (${(100 * driftedWeight).toFixed(0)}% of the weight${drifted.includes("semantic") ? ", including semantic" : ""}): score with the best single evaluator (${fallbackEvaluator}) until re-calibrated`;
    }
    if (fallbackDrifted) reason += `; note: ${fallbackEvaluator} itself shifted, so re-run the audit on recent labelled data before trusting any profile`;
  }
  return { signals, driftedDimensions: drifted, driftedWeight: r6(driftedWeight)!, recommendation, fallbackEvaluator, reason };
}

function assemble(out: Record<string, TaskDrift>, profile: Profile, t: DriftThresholds, reference: { files: string[]; records: number }, recent: { files: string[]; records: number }): DriftReport {
  const recs = Object.values(out).map((x) => x.recommendation);
  const recommendedProfile = recs.includes("single-evaluator-fallback") ? "fallback" : recs.includes("drop-drifted-dimensions") ? "reduced" : "current";
  const advice = [
    "Re-estimate reliability periodically: run `poq audit` on recently labelled outputs and re-calibrate.",
    "Watch the distribution shift of every weighted dimension (this report).",
    "Keep a strong single evaluator as a safe fallback (fallback profile).",
  ];
  return {
    schema: DRIFT_SCHEMA,
    reference,
    recent,
    profile: { name: profile.name, hash: profile.hash ?? profileHash(profile) },
    thresholds: t,
    tasks: out,
    recommendedProfile,
    advice,
  };
}
