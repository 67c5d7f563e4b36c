/**
 * The signals the audit correlates with the human score, per record: every dimension, every
 * evaluator, the consensus baselines over the task's evaluator pool, the composites; and the
 * ablation variants of the composite (the published study's table).
 */
import { computeComposite } from "../scoring/composite.js";
import { EVALUATOR_ORDER } from "../scoring/evaluators/registry.js";
import { DIMENSIONS, type Dimension, type Profile, type Weights } from "../scoring/profile.js";
import type { AuditRecord } from "./records.js";
import { round6 } from "./rescore.js";

export type SignalKind = "dimension" | "evaluator" | "consensus" | "composite" | "calibrated-dimension";

export interface SignalColumn {
  name: string;
  kind: SignalKind;
  /** One value per record (NaN where the signal does not apply). */
  values: Float64Array;
  /** Out-of-fold (learned from human labels of other groups only). */
  outOfFold?: boolean;
}

export const ABLATIONS = [
  "default",
  "equalWeights",
  "noPriors",
  "priorHeavy",
  "semanticOnly",
  "noStructure",
  "noAlignment",
  "noAgreement",
  "paperCalibrated",
  "calibrated",
] as const;
export type Ablation = (typeof ABLATIONS)[number];

/** How each ablation changes a task's weights (the calibrated one is learned, not derived). */
export const ABLATION_DESCRIPTIONS: Record<Ablation, string> = {
  default: "the profile's weights (published: 0.15/0.10/0.20/0.25/0.15/0.15)",
  equalWeights: "1/6 for every dimension",
  noPriors: "model and cost prior set to 0, the rest renormalised",
  priorHeavy: "model prior 0.35 and cost prior 0.25, the other four share 0.40 in their published proportions",
  semanticOnly: "semantic alone",
  noStructure: "structure set to 0, the rest renormalised",
  noAlignment: "alignment set to 0, the rest renormalised",
  noAgreement: "agreement set to 0, the rest renormalised",
  paperCalibrated: "the published study's \"calibrated\" variant: the published weights without alignment and agreement, renormalised (model prior, cost prior, structure, semantic)",
  calibrated: "the calibrated profile (learned on training folds, reported out-of-fold)",
};

export function ablationWeights(variant: Exclude<Ablation, "calibrated">, w: Weights): Weights {
  const zero = (ds: Dimension[]): Weights => {
    const out = { ...w };
    for (const d of ds) out[d] = 0;
    return out;
  };
  switch (variant) {
    case "default":
      return { ...w };
    case "equalWeights":
      return Object.fromEntries(DIMENSIONS.map((d) => [d, 1 / 6])) as Weights;
    case "noPriors":
      return zero(["modelPrior", "costPrior"]);
    case "priorHeavy": {
      const rest = w.structure + w.semantic + w.alignment + w.agreement;
      const k = rest > 0 ? 0.4 / rest : 0;
      return {
        modelPrior: 0.35,
        costPrior: 0.25,
        structure: w.structure * k,
        semantic: w.semantic * k,
        alignment: w.alignment * k,
        agreement: w.agreement * k,
      };
    }
    case "semanticOnly":
      return { modelPrior: 0, costPrior: 0, structure: 0, semantic: 1, alignment: 0, agreement: 0 };
    case "noStructure":
      return zero(["structure"]);
    case "noAlignment":
      return zero(["alignment"]);
    case "noAgreement":
      return zero(["agreement"]);
    case "paperCalibrated":
      return zero(["alignment", "agreement"]);
  }
}

/** The composite under an ablation of `base` (its task-wise weights changed, gates removed). */
export function ablationComposite(records: readonly AuditRecord[], base: Profile, variant: Exclude<Ablation, "calibrated">): Float64Array {
  const tasks: Profile["tasks"] = {};
  for (const [t, cfg] of Object.entries(base.tasks)) {
    tasks[t] = { ...cfg, weights: ablationWeights(variant, cfg.weights ?? base.weights), gates: {} };
  }
  const p: Profile = { ...base, tasks };
  return Float64Array.from(records, (r) => round6(computeComposite(r.dimensions, p, r.task)));
}

function median(vals: number[]): number {
  const s = vals.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Evaluator ids present in the records, in the registry's order. */
export function evaluatorIds(records: readonly AuditRecord[]): string[] {
  const ids = new Set<string>();
  for (const r of records) for (const id of Object.keys(r.evaluators)) ids.add(id);
  return [...ids].sort((a, b) => (EVALUATOR_ORDER.get(a) ?? 99) - (EVALUATOR_ORDER.get(b) ?? 99) || a.localeCompare(b));
}

/** Dimension, evaluator, consensus and default-composite columns. */
export function baseSignals(records: readonly AuditRecord[], base: Profile): SignalColumn[] {
  const cols: SignalColumn[] = [];
  for (const d of DIMENSIONS) cols.push({ name: `dimension.${d}`, kind: "dimension", values: Float64Array.from(records, (r) => r.dimensions[d]) });
  for (const id of evaluatorIds(records)) {
    cols.push({ name: `evaluator.${id}`, kind: "evaluator", values: Float64Array.from(records, (r) => r.evaluators[id] ?? Number.NaN) });
  }
  const mean = new Float64Array(records.length);
  const med = new Float64Array(records.length);
  records.forEach((r, i) => {
    const pool = base.tasks[r.task]?.agreementPool ?? Object.keys(r.evaluators);
    const vals = pool.filter((id) => r.evaluators[id] !== undefined).map((id) => r.evaluators[id]!);
    mean[i] = vals.length ? vals.reduce((a, b) => a + b, 0) / vals.length : Number.NaN;
    med[i] = vals.length ? median(vals) : Number.NaN;
  });
  cols.push({ name: "consensus.mean", kind: "consensus", values: mean });
  cols.push({ name: "consensus.median", kind: "consensus", values: med });
  cols.push({ name: "composite.default", kind: "composite", values: Float64Array.from(records, (r) => r.composite) });
  return cols;
}
