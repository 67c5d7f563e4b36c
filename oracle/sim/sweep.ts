/**
 * The Monte Carlo sweep: every (dataset, signal, defense, committee size) is run attack-free
 * once per seed, and every (attack, attacker ratio > 0) against that same task stream, so
 * each attacked row has its own clean reference. Rows summarise metrics over seeds (mean and
 * 95% t-interval).
 */
import { DEFAULT_SETTLEMENT_PARAMS } from "../rules/index.js";
import { strategyOf, type AttackId } from "./attacks/index.js";
import { protocolOf, stripUndefined, type DefenseId, type SimConfig, type SweepGrid } from "./config.js";
import { createRun, type RunSpec, type RunTotals } from "./engine.js";
import { summarize, thinIndices, type Summary } from "./metrics.js";
import type { Partition } from "./prepare.js";
import { hashSeed } from "./rng.js";
import { runMetrics, type RunMetrics } from "./run-metrics.js";
import type { SignalId } from "./signals.js";

export const ROW_METRICS = [
  "rewardSpearman",
  "outputRewardSpearman",
  "lowQualityRewardShare",
  "consensusError",
  "honestTrust",
  "attackerTrust",
  "attackerFees",
  "attackerSlashed",
  "attackerWorkCost",
  "attackerTargetGain",
  "attackerProfit",
  "attackerExcessProfit",
  "honestProfit",
  "unfillableShare",
  "attackerSlashShares",
  "requesterSpend",
  "requesterProtocolFees",
  "honestSeatShare",
  "attackerWeightShare",
  "selfHonestSeatShare",
  "selfCancelledShare",
  "stiffedNodePay",
  "washes",
  "washTrustBefore",
  "washHonestTrust",
  "griefedTasks",
  "honestMisses",
  "honestSlashed",
  "burned",
] as const satisfies ReadonlyArray<keyof RunMetrics>;
type RowMetric = (typeof ROW_METRICS)[number];

/** One configuration, summarised over seeds (means; `<metric>Ci95` are 95% t-intervals over seeds). */
export type SimRow = {
  /** Name of the sweep grid the row belongs to. */
  sweep: string;
  dataset: string;
  attack: AttackId;
  attackerRatio: number;
  attackers: number;
  defense: DefenseId;
  signal: SignalId;
  committeeSize: number;
  /** Price per committee member (tokens). */
  feePerMember: number;
  seeds: number;
  rounds: number;
  /** Same metrics in the attack-free run with the same seeds and task stream. */
  rewardSpearmanClean: number | null;
  outputRewardSpearmanClean: number | null;
  lowQualityRewardShareClean: number | null;
  consensusErrorClean: number | null;
  /** rewardSpearman / rewardSpearmanClean (ratio of the means); null unless the clean value is > 0. */
  rewardFidelity: number | null;
} & { [K in RowMetric]: number | null } & { [K in `${RowMetric}Ci95`]: [number, number] | null };

export interface Trajectory {
  sweep: string;
  dataset: string;
  attack: AttackId;
  attackerRatio: number;
  defense: DefenseId;
  signal: SignalId;
  committeeSize: number;
  feePerMember: number;
  /** Round numbers (1-based) of the kept points. */
  round: number[];
  /** Mean over seeds of the honest members' / attackers' mean trust (1.0 = initial). */
  honest: number[];
  attacker: number[];
}

export interface SweepResult {
  rows: SimRow[];
  trajectories: Trajectory[];
  runs: number;
  roundsSimulated: number;
  elapsedMs: number;
}

export interface SweepProgress {
  done: number;
  total: number;
}

/** The prices per member a grid sweeps (token wei). */
export function feesOf(cfg: SimConfig, g: SweepGrid): bigint[] {
  return g.feesPerMember ?? [cfg.economics.feePerMember];
}

function specFor(
  cfg: SimConfig,
  g: SweepGrid,
  p: Partition,
  signal: SignalId,
  defense: DefenseId,
  k: number,
  fee: bigint,
  seed: number,
  attack: AttackId,
  ratio: number,
): RunSpec {
  return {
    dataset: p.dataset,
    attack,
    attackerRatio: ratio,
    defense,
    signal,
    committeeSize: k,
    evaluatorPool: cfg.evaluatorPool,
    outputsPerTask: cfg.outputsPerTask,
    seed,
    attackParams: {
      boostScore: cfg.attack.boostScore,
      sabotageScore: cfg.attack.sabotageScore,
      colludeSabotage: cfg.attack.colludeSabotage,
      noiseSd: cfg.attack.noiseSd,
      intermittentProb: cfg.attack.intermittentProb,
      lazyScore: cfg.attack.lazyScore,
      copyMode: cfg.attack.copyMode,
      selfDealTasksPerRound: cfg.attack.selfDealTasksPerRound,
      selfDealMode: cfg.attack.selfDealMode,
      washBelow: cfg.attack.washBelow,
      honestLatencySeconds: cfg.attack.honestLatencySeconds,
    },
    target: cfg.attack.target,
    economics: { ...cfg.economics, feePerMember: fee },
    settlement: { ...DEFAULT_SETTLEMENT_PARAMS, ...stripUndefined(cfg.settlement), ...stripUndefined(g.settlement ?? {}) },
    protocol: protocolOf(cfg, g),
    secondsPerTask: cfg.secondsPerTask,
    windows: cfg.windows,
  };
}

/** Malicious evaluators of a cell (a griefing requester has none). */
export function attackersOf(cfg: SimConfig, attack: AttackId, ratio: number): number {
  if (attack === "none" || strategyOf(attack)?.kind === "short-window") return 0;
  return Math.round(ratio * cfg.evaluatorPool);
}

function run(spec: RunSpec, rounds: number): RunTotals {
  const r = createRun(spec, rounds);
  for (let i = 0; i < rounds; i++) r.step();
  return r.totals();
}

/** The attacked (attack, ratio) cells of a grid: attack "none" and ratio 0 are the clean run. */
export function attackedCells(cfg: SimConfig, g: SweepGrid): Array<{ attack: AttackId; ratio: number }> {
  const out: Array<{ attack: AttackId; ratio: number }> = [];
  for (const attack of g.attacks) {
    if (attack === "none") continue;
    for (const ratio of g.attackerRatios) {
      const requesterSide = strategyOf(attack)?.kind === "short-window";
      if (ratio > 0 && (requesterSide || Math.round(ratio * cfg.evaluatorPool) > 0)) out.push({ attack, ratio });
    }
  }
  return out;
}

/** Number of simulated runs (one per seed and configuration, clean references included). */
export function countRuns(cfg: SimConfig, partitions: number): number {
  let n = 0;
  for (const g of cfg.sweep) {
    n += partitions * g.signals.length * g.defenses.length * g.committeeSizes.length * feesOf(cfg, g).length * cfg.seeds * (1 + attackedCells(cfg, g).length);
  }
  return n;
}

export function seedOf(cfg: SimConfig, replicate: number): number {
  return hashSeed(cfg.baseSeed, "replicate", replicate);
}

interface Acc {
  metrics: RunMetrics[];
  clean: RunMetrics[];
  honest: Float64Array;
  attacker: Float64Array;
}

export function runSweep(cfg: SimConfig, partitions: readonly Partition[], onProgress?: (p: SweepProgress) => void): SweepResult {
  const t0 = performance.now();
  const total = countRuns(cfg, partitions.length);
  const rows: SimRow[] = [];
  const trajectories: Trajectory[] = [];
  const keep = thinIndices(cfg.rounds, cfg.trajectoryPoints);
  let done = 0;
  const tick = () => {
    done++;
    onProgress?.({ done, total });
  };
  for (const g of cfg.sweep) {
    const cells = attackedCells(cfg, g);
    for (const p of partitions) {
      for (const signal of g.signals) {
        for (const defense of g.defenses) {
          for (const k of g.committeeSizes) {
            for (const fee of feesOf(cfg, g)) {
              const cleanAcc: Acc = newAcc(cfg.rounds);
              const acc = cells.map(() => newAcc(cfg.rounds));
              for (let s = 0; s < cfg.seeds; s++) {
                const seed = seedOf(cfg, s);
                const clean = run(specFor(cfg, g, p, signal, defense, k, fee, seed, "none", 0), cfg.rounds);
                const cleanM = runMetrics(clean, clean);
                addRun(cleanAcc, cleanM, cleanM, clean);
                tick();
                cells.forEach((c, ci) => {
                  const t = run(specFor(cfg, g, p, signal, defense, k, fee, seed, c.attack, c.ratio), cfg.rounds);
                  addRun(acc[ci]!, runMetrics(t, clean), cleanM, t);
                  tick();
                });
              }
              const base = { sweep: g.name, dataset: p.name, defense, signal, committeeSize: k, feePerMember: Number(fee) / 1e18 };
              for (const attack of g.attacks) {
                for (const ratio of g.attackerRatios) {
                  const ci = cells.findIndex((c) => c.attack === attack && c.ratio === ratio);
                  const a = ci >= 0 ? acc[ci]! : cleanAcc;
                  const nAtt = ci >= 0 ? attackersOf(cfg, attack, ratio) : 0;
                  rows.push(makeRow({ ...base, attack, attackerRatio: ratio, attackers: nAtt }, a, cfg));
                  trajectories.push({
                    ...base,
                    attack,
                    attackerRatio: ratio,
                    round: keep.map((i) => i + 1),
                    honest: keep.map((i) => a.honest[i]! / cfg.seeds / 10_000),
                    attacker: keep.map((i) => (nAtt > 0 ? a.attacker[i]! / cfg.seeds / 10_000 : Number.NaN)),
                  });
                }
              }
            }
          }
        }
      }
    }
  }
  return { rows, trajectories, runs: done, roundsSimulated: done * cfg.rounds, elapsedMs: performance.now() - t0 };
}

function newAcc(rounds: number): Acc {
  return { metrics: [], clean: [], honest: new Float64Array(rounds), attacker: new Float64Array(rounds) };
}

function addRun(acc: Acc, m: RunMetrics, clean: RunMetrics, t: RunTotals): void {
  acc.metrics.push(m);
  acc.clean.push(clean);
  for (let i = 0; i < t.rounds; i++) {
    acc.honest[i]! += t.honestTrust[i]!;
    acc.attacker[i]! += t.attackerTrust[i]!;
  }
}

function makeRow(
  base: Pick<SimRow, "sweep" | "dataset" | "attack" | "attackerRatio" | "attackers" | "defense" | "signal" | "committeeSize" | "feePerMember">,
  acc: Acc,
  cfg: SimConfig,
): SimRow {
  const row: Record<string, unknown> = { ...base, seeds: cfg.seeds, rounds: cfg.rounds };
  for (const key of ROW_METRICS) {
    const s: Summary = summarize(acc.metrics.map((m) => m[key]));
    row[key] = s.mean;
    row[`${key}Ci95`] = s.ci95;
  }
  row.rewardSpearmanClean = summarize(acc.clean.map((m) => m.rewardSpearman)).mean;
  row.outputRewardSpearmanClean = summarize(acc.clean.map((m) => m.outputRewardSpearman)).mean;
  row.lowQualityRewardShareClean = summarize(acc.clean.map((m) => m.lowQualityRewardShare)).mean;
  row.consensusErrorClean = summarize(acc.clean.map((m) => m.consensusError)).mean;
  const a = row.rewardSpearman as number | null;
  const c = row.rewardSpearmanClean as number | null;
  // Fidelity is only meaningful when the attack-free ranking is positively related to quality.
  row.rewardFidelity = a !== null && c !== null && c > 0 ? a / c : null;
  return row as SimRow;
}
