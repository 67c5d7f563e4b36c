/**
 * Quality signals an honest evaluator can run, taken from real scored records:
 * - `single`: one evaluator of the pool (e.g. `squad.containment`); honest evaluator j runs
 *   pool evaluator j mod |pool| unless the config pins one, so honest evaluators disagree
 *   exactly as the real scorers do;
 * - `median`: the median over the evaluator pool (the "median consensus" baseline);
 * - `composite`: the composite the scoring engine wrote with its (default) profile;
 * - `calibrated`: the composite recomputed from the record's dimensions with the audit's
 *   calibrated profile (`computeComposite` of the scoring engine).
 */
import { InputError } from "../core/errors.js";
import type { ScoredRecord, SimTask } from "./data.js";
import { nodeId } from "./data.js";
import { median } from "./metrics.js";

export const SIGNALS = ["single", "median", "composite", "calibrated"] as const;
export type SignalId = (typeof SIGNALS)[number];

/** Recomputes a composite from a record's dimensions (the calibrated profile bound in). */
export type CompositeFn = (record: ScoredRecord) => number;

/** One output of a task with every signal precomputed (the hot loop only reads numbers). */
export interface OutputView {
  recordId: string;
  /** Index into `Dataset.nodes`. */
  node: number;
  human: number;
  /** Pool evaluator scores in `Dataset.pools[dataset]` order. */
  single: Float64Array;
  median: number;
  composite: number;
  calibrated: number;
}

export interface TaskView {
  key: string;
  task: string;
  dataset: string;
  outputs: OutputView[];
}

export interface Dataset {
  tasks: TaskView[];
  /** Node ids (`dataset:model`), index = OutputView.node. */
  nodes: string[];
  /** Mean human score of each node over all its loaded outputs. */
  nodeQuality: number[];
  /** Evaluators behind `single` per dataset: the ids every record of that dataset has (or the pinned one). */
  pools: Record<string, string[]>;
  /** Whether `calibrated` comes from a calibrated profile (false: not available). */
  hasCalibrated: boolean;
  /** Hash of the profile behind `calibrated`, when there is one. */
  calibratedProfileHash: string | null;
}

export interface BuildOptions {
  /** Pin the `single` signal of every honest evaluator to this evaluator id. */
  singleEvaluator?: string;
  /**
   * The evaluator pool per task family (e.g. the profile's agreement pool); a family without an
   * entry uses every evaluator scored on all of its records.
   */
  poolsByTask?: Record<string, readonly string[]>;
  calibrated?: { fn: CompositeFn; profileHash: string };
}

/** Precomputes every signal of every output; checks the evaluator pool is usable. */
export function buildDataset(tasks: readonly SimTask[], opts: BuildOptions = {}): Dataset {
  const pools: Record<string, string[]> = {};
  for (const t of tasks) {
    for (const r of t.records) {
      const ids = Object.keys(r.evaluators).filter((id) => r.evaluators[id] !== null && r.evaluators[id] !== undefined);
      const cur = pools[r.dataset];
      pools[r.dataset] = cur === undefined ? ids.sort() : cur.filter((id) => ids.includes(id));
    }
  }
  const taskOf: Record<string, string> = {};
  for (const t of tasks) taskOf[t.dataset] = t.task;
  for (const [ds, pool] of Object.entries(pools)) {
    const wanted = opts.poolsByTask?.[taskOf[ds]!];
    if (wanted === undefined) continue;
    const missing = wanted.filter((id) => !pool.includes(id));
    if (missing.length > 0) {
      throw new InputError(`dataset ${ds}: evaluator pool ${wanted.join(", ")} includes ${missing.join(", ")}, not scored on every record`, {
        field: "honest.evaluators",
        reason: "evaluator not scored",
      });
    }
    pools[ds] = [...wanted];
  }
  const fullPools: Record<string, string[]> = { ...pools };
  for (const [ds, pool] of Object.entries(pools)) {
    if (opts.singleEvaluator !== undefined) {
      if (!pool.includes(opts.singleEvaluator)) {
        throw new InputError(
          `honest.singleEvaluator "${opts.singleEvaluator}" is not scored on every record of dataset ${ds} (available: ${pool.join(", ") || "none"})`,
          { field: "honest.singleEvaluator", reason: "unknown evaluator" },
        );
      }
      pools[ds] = [opts.singleEvaluator];
    } else if (pool.length === 0) {
      throw new InputError(`dataset ${ds}: no evaluator is scored on every record`, { field: "data.scored", reason: "empty evaluator pool" });
    }
  }
  const nodeIndex = new Map<string, number>();
  const nodes: string[] = [];
  const qualitySum: number[] = [];
  const qualityN: number[] = [];
  const views: TaskView[] = tasks.map((t) => ({
    key: t.key,
    task: t.task,
    dataset: t.dataset,
    outputs: t.records.map((r) => {
      const id = nodeId(r);
      let node = nodeIndex.get(id);
      if (node === undefined) {
        node = nodes.length;
        nodeIndex.set(id, node);
        nodes.push(id);
        qualitySum.push(0);
        qualityN.push(0);
      }
      qualitySum[node]! += r.human.score;
      qualityN[node]! += 1;
      const pool = pools[r.dataset]!;
      const single = Float64Array.from(pool.map((e) => r.evaluators[e] as number));
      const all = fullPools[r.dataset]!.map((e) => r.evaluators[e] as number);
      return {
        recordId: r.id,
        node,
        human: r.human.score,
        single,
        median: median(all),
        composite: r.composite,
        calibrated: opts.calibrated ? clip01(opts.calibrated.fn(r)) : Number.NaN,
      };
    }),
  }));
  return {
    tasks: views,
    nodes,
    nodeQuality: qualitySum.map((s, i) => s / qualityN[i]!),
    pools,
    hasCalibrated: opts.calibrated !== undefined,
    calibratedProfileHash: opts.calibrated?.profileHash ?? null,
  };
}

function clip01(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`calibrated composite is not finite: ${x}`);
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** What honest evaluator number `evaluatorIndex` scores for one output under `signal`. */
export function honestScore(o: OutputView, signal: SignalId, evaluatorIndex: number): number {
  switch (signal) {
    case "single":
      return o.single[evaluatorIndex % o.single.length]!;
    case "median":
      return o.median;
    case "composite":
      return o.composite;
    case "calibrated":
      return o.calibrated;
  }
}
