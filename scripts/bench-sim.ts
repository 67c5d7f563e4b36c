/**
 * Simulator throughput: 10,000 rounds of a 7-member committee scoring 5-output tasks under one
 * configuration (collusion at 30%, TRUST_WEIGHTED_MEDIAN, composite signal), on the contract's
 * mirrored v2 rules (default protocol parameters, evaluators declaring 0.5 / 1 / 1.5 / 2 tokens,
 * 2 tokens per member). Data: scored records from .cache/scored/ when present (real data scored by
 * `poq score`), else the test fixture. Prints a table; `--json FILE` writes the numbers.
 *
 *   npm run bench:sim -- [--json FILE] [--rounds N] [--data FILE.jsonl]
 */
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_SETTLEMENT_PARAMS } from "../oracle/rules/index.js";
import { DEFAULT_ATTACK_PARAMS } from "../oracle/sim/attacks/index.js";
import { groupTasks, loadScoredFiles } from "../oracle/sim/data.js";
import { createRun } from "../oracle/sim/engine.js";
import { buildDataset } from "../oracle/sim/signals.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const rounds = Number(arg("rounds") ?? 10_000);
const candidates = [arg("data"), path.join(root, ".cache/scored/evouna_nq.jsonl"), path.join(root, "test/fixtures/sim/scored.jsonl")].filter(
  (p): p is string => p !== undefined,
);
const dataFile = candidates.find((p) => existsSync(p));
if (!dataFile) throw new Error(`no scored data found (tried ${candidates.join(", ")})`);
const records = (await loadScoredFiles([dataFile])).filter((r, _i, all) => r.dataset === all[0]!.dataset);
const dataset = buildDataset(groupTasks(records));

const spec = {
  dataset,
  attack: "collude" as const,
  attackerRatio: 0.3,
  defense: "TRUST_WEIGHTED_MEDIAN" as const,
  signal: "composite" as const,
  committeeSize: 7,
  evaluatorPool: 21,
  outputsPerTask: 5,
  seed: 1,
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
};

// Warm-up (JIT), then the measured run.
const warm = createRun(spec, 500);
for (let r = 0; r < 500; r++) warm.step();

const run = createRun({ ...spec, seed: 2 }, rounds);
let outputs = 0;
const t0 = performance.now();
for (let r = 0; r < rounds; r++) outputs += run.step().outputs.length;
const seconds = (performance.now() - t0) / 1000;
const totals = run.totals();

const result = {
  rounds,
  seconds: +seconds.toFixed(3),
  roundsPerSec: Math.round(rounds / seconds),
  committeeSize: spec.committeeSize,
  evaluatorPool: spec.evaluatorPool,
  meanOutputsPerTask: +(outputs / rounds).toFixed(2),
  configuration: "collude 30%, TRUST_WEIGHTED_MEDIAN, composite",
  data: path.relative(root, dataFile),
  settledRounds: totals.settledRounds,
  target: { maxSeconds: 10, met: seconds < 10 },
  node: process.version,
};

const rows: Array<[string, string]> = [
  ["data", result.data],
  ["configuration", result.configuration],
  ["committee / pool", `${result.committeeSize} / ${result.evaluatorPool}`],
  ["outputs per task (mean)", String(result.meanOutputsPerTask)],
  ["rounds", String(rounds)],
  ["seconds", result.seconds.toFixed(2)],
  ["rounds/s", String(result.roundsPerSec)],
  ["target < 10 s for 10,000 rounds", rounds === 10_000 ? (result.target.met ? "met" : "NOT met") : "n/a (rounds != 10000)"],
];
const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
const jsonOut = arg("json");
if (jsonOut) {
  await mkdir(path.dirname(path.resolve(jsonOut)), { recursive: true });
  await writeFile(jsonOut, JSON.stringify(result, null, 2) + "\n");
}
