/** Shared fixtures for the simulator tests. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_SETTLEMENT_PARAMS } from "../../oracle/rules/index.js";
import { DEFAULT_ATTACK_PARAMS, type AttackId } from "../../oracle/sim/attacks/index.js";
import type { DefenseId } from "../../oracle/sim/config.js";
import { groupTasks, parseScoredJsonl } from "../../oracle/sim/data.js";
import type { RunSpec } from "../../oracle/sim/engine.js";
import { buildDataset, type Dataset, type SignalId } from "../../oracle/sim/signals.js";

export const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "sim", "scored.jsonl");

export function fixtureRecords(dataset?: string) {
  const all = parseScoredJsonl(readFileSync(FIXTURE, "utf8"), FIXTURE);
  return dataset ? all.filter((r) => r.dataset === dataset) : all;
}

export function fixtureDataset(dataset = "fixqa"): Dataset {
  return buildDataset(groupTasks(fixtureRecords(dataset)));
}

export function spec(over: Partial<RunSpec> & { attack?: AttackId; defense?: DefenseId; signal?: SignalId } = {}): RunSpec {
  return {
    dataset: over.dataset ?? fixtureDataset(),
    attack: "none",
    attackerRatio: 0,
    defense: "TRUST_WEIGHTED_MEDIAN",
    signal: "composite",
    committeeSize: 5,
    evaluatorPool: 10,
    outputsPerTask: 5,
    seed: 42,
    attackParams: { ...DEFAULT_ATTACK_PARAMS },
    target: "worst",
    economics: {
      stake: 1000n * 10n ** 18n,
      evaluatorCosts: [5n * 10n ** 17n, 10n ** 18n, 15n * 10n ** 17n, 2n * 10n ** 18n],
      feePerMember: 2n * 10n ** 18n,
      nodeBudget: 100n * 10n ** 18n,
      workCostBps: 8000,
    },
    settlement: { ...DEFAULT_SETTLEMENT_PARAMS },
    ...over,
  };
}
