/** Loads the scored data a config names and builds the simulator's datasets (one per partition). */
import { InputError } from "../core/errors.js";
import { loadScoredFiles as loadAuditRecords } from "../audit/records.js";
import { rescoreComposite } from "../audit/rescore.js";
import { defaultProfile, loadProfile, profileHash } from "../scoring/profile.js";
import type { SimConfig } from "./config.js";
import { groupTasks, loadScoredFiles, type ScoredRecord } from "./data.js";
import { buildDataset, type BuildOptions, type Dataset } from "./signals.js";

export interface Partition {
  /** Dataset name, or the joined names of a mixed pool. */
  name: string;
  dataset: Dataset;
}

export interface PreparedData {
  partitions: Partition[];
  records: number;
  /** Where the `calibrated` signal comes from, in words (or why it is absent). */
  calibratedSource: string;
}

export async function prepareData(cfg: SimConfig): Promise<PreparedData> {
  let records = await loadScoredFiles(cfg.data.scored);
  if (cfg.data.datasets) {
    const keep = new Set(cfg.data.datasets);
    const present = new Set(records.map((r) => r.dataset));
    for (const d of keep) {
      if (!present.has(d)) {
        throw new InputError(`data.datasets: dataset "${d}" is not in the scored files (present: ${[...present].join(", ")})`, {
          field: "data.datasets",
          reason: "unknown dataset",
        });
      }
    }
    records = records.filter((r) => keep.has(r.dataset));
  }
  let calibrated: BuildOptions["calibrated"];
  let calibratedSource = "not available (no calibrated profile given)";
  if (cfg.data.profile !== undefined) {
    // Rescoring under the calibrated profile recomputes what the profile can change (model and
    // cost priors from its ratings, semantic mix, agreement pool) with the scoring engine's own
    // functions, then computeComposite: the same numbers `poq score --profile` would write.
    const profile = await loadProfile(cfg.data.profile);
    const hash = profile.hash ?? profileHash(profile);
    const audit = await loadAuditRecords(cfg.data.scored, { keepUnlabelled: true });
    const byId = new Map(audit.records.map((r) => [r.id, rescoreComposite(r, profile).composite]));
    calibrated = {
      fn: (r: ScoredRecord) => {
        const c = byId.get(r.id);
        if (c === undefined) throw new InputError(`record ${r.id} could not be rescored with ${cfg.data.profile}`, { recordId: r.id, field: "data.profile" });
        return c;
      },
      profileHash: hash,
    };
    calibratedSource = `records rescored with the calibrated profile ${cfg.data.profile} (audit rescoreComposite = poq score --profile; profile ${hash})`;
  } else if (cfg.data.calibratedScored !== undefined) {
    const rescored = await loadScoredFiles(cfg.data.calibratedScored);
    const byId = new Map(rescored.map((r) => [r.id, r]));
    const hashes = new Set(rescored.map((r) => r.profileHash));
    const missing = records.find((r) => !byId.has(r.id));
    if (missing) {
      throw new InputError(`data.calibratedScored has no record ${missing.id}`, { recordId: missing.id, field: "data.calibratedScored", reason: "missing record" });
    }
    calibrated = { fn: (r: ScoredRecord) => byId.get(r.id)!.composite, profileHash: [...hashes].join(",") };
    calibratedSource = `composite of records rescored with the calibrated profile (${[...hashes].join(", ")})`;
  }
  const build = (rs: ScoredRecord[]): Dataset =>
    buildDataset(groupTasks(rs), { singleEvaluator: cfg.honest.singleEvaluator, calibrated, poolsByTask: evaluatorPools(cfg) });
  const names = [...new Set(records.map((r) => r.dataset))].sort();
  const partitions: Partition[] = cfg.data.splitByDataset
    ? names.map((name) => ({ name, dataset: build(records.filter((r) => r.dataset === name)) }))
    : [{ name: names.join("+"), dataset: build(records) }];
  for (const p of partitions) {
    if (p.dataset.tasks.length === 0) {
      throw new InputError(`dataset ${p.name}: no group has two or more outputs`, { field: "data.scored", reason: "no tasks" });
    }
  }
  return { partitions, records: records.length, calibratedSource };
}

/** The evaluator pool per task family the config asks for (undefined entries = all evaluators). */
export function evaluatorPools(cfg: SimConfig): Record<string, readonly string[]> | undefined {
  const e = cfg.honest.evaluators;
  if (e === "all") return undefined;
  if (e === "profile") {
    const p = defaultProfile();
    return Object.fromEntries(Object.entries(p.tasks).map(([task, t]) => [task, t.agreementPool]));
  }
  return e;
}
