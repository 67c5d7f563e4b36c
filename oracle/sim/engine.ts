/**
 * One simulated run: a fixed evaluator pool (honest members and attackers), a stream of
 * tasks drawn from real scored records, and the contract's own rules (oracle/rules, the
 * differential-tested mirror) for committee sampling and settlement. Nothing about
 * aggregation, trust, slashing or payouts is re-implemented here.
 *
 * The run is a step machine so that a test can replay it on the real contract round by
 * round (test/sim/replay.test.ts): `peek()` says which task comes next, `step()` settles it.
 */
import { toHex, type Hex } from "viem";
import { toBps } from "../core/units.js";
import {
  DEFAULT_PARAMS,
  INITIAL_TRUST,
  Rule,
  eligibleCandidates,
  sampleCommittee,
  settleTask,
  type EvaluatorRecord,
  type SettlementParams,
} from "../rules/index.js";
import { strategyOf, type AttackId, type AttackParams, type AttackStrategy } from "./attacks/index.js";
import type { DefenseId } from "./config.js";
import { Rng, hashSeed } from "./rng.js";
import { honestScore, type Dataset, type OutputView, type SignalId } from "./signals.js";

export const RULE_OF: Record<DefenseId, Rule> = {
  MEAN: Rule.MEAN,
  MEDIAN: Rule.MEDIAN,
  TRIMMED_MEAN: Rule.TRIMMED_MEAN,
  TRUST_WEIGHTED_MEAN: Rule.TRUST_WEIGHTED_MEAN,
  TRUST_WEIGHTED_MEDIAN: Rule.TRUST_WEIGHTED_MEDIAN,
};

export interface Economics {
  stake: bigint;
  evaluatorCost: bigint;
  /** Per-task evaluation budget; default committee size x evaluatorCost. */
  evalBudget?: bigint;
  nodeBudget: bigint;
  /** Real cost of one evaluation as a share of the declared cost (bps). */
  workCostBps: number;
}

/** One configuration cell and replicate. */
export interface RunSpec {
  dataset: Dataset;
  attack: AttackId;
  attackerRatio: number;
  defense: DefenseId;
  signal: SignalId;
  committeeSize: number;
  evaluatorPool: number;
  outputsPerTask: number;
  seed: number;
  attackParams: AttackParams;
  /** Common target of colluding groups: "worst" | "best" | "random" | a node id. */
  target: string;
  economics: Economics;
  settlement: SettlementParams;
  minStake?: bigint;
  stakeCap?: bigint;
}

export interface EvaluatorState {
  index: number;
  attacker: boolean;
  trust: number;
  stake: bigint;
  cost: bigint;
  /** Nodes this attacker works for (empty for honest members and target-free attacks). */
  targets: Set<number>;
  fees: bigint;
  slashed: bigint;
  /** Evaluation work actually done, valued at the declared cost. */
  workCost: bigint;
  sampled: number;
}

/** What happened in one round (enough to replay it on chain). */
export interface RoundRecord {
  round: number;
  taskKey: string;
  /** Outputs of the task in submission order. */
  outputs: OutputView[];
  seed: Hex;
  /** Pool indices of the committee in sampling order; empty when no committee could be filled. */
  committee: number[];
  /** Per member: bps scores, or null when it did not commit. */
  scores: Array<number[] | null>;
  consensus: number[] | null;
  trustAfter: number[];
  evaluatorPay: bigint[];
  slashed: bigint[];
  nodePay: bigint[];
  refund: bigint;
}

/** Everything the metrics need from one finished run. */
export interface RunTotals {
  rounds: number;
  settledRounds: number;
  unfillableRounds: number;
  nodePay: bigint[];
  nodeAppearances: number[];
  nodeHumanSum: number[];
  /** Sum over settled outputs of |consensus - human| and their number. */
  absErrorSum: number;
  settledOutputs: number;
  /** Pay (tokens) and human score of every output served, in order (settled or not). */
  outputPay: number[];
  outputHuman: number[];
  evaluators: EvaluatorState[];
  /** Mean trust (bps) of honest members and of attackers after every round. */
  honestTrust: Float64Array;
  attackerTrust: Float64Array;
  targetNodes: number[];
}

export interface Peek {
  round: number;
  taskKey: string;
  outputs: OutputView[];
}

export interface Run {
  readonly spec: RunSpec;
  readonly evaluators: EvaluatorState[];
  /** The task the next `step()` settles. */
  peek(): Peek;
  /** Samples the committee (from `seed` when given, else the run's own stream) and settles the task. */
  step(seed?: Hex): RoundRecord;
  totals(): RunTotals;
}

/** Node the colluding group boosts. */
export function resolveTarget(dataset: Dataset, target: string, rng: Rng): number {
  const q = dataset.nodeQuality;
  if (target === "worst" || target === "best") {
    let best = 0;
    for (let i = 1; i < q.length; i++) if (target === "worst" ? q[i]! < q[best]! : q[i]! > q[best]!) best = i;
    return best;
  }
  if (target === "random") return rng.int(q.length);
  const i = dataset.nodes.indexOf(target);
  if (i < 0) throw new RangeError(`attack target "${target}" is not a node of the data (nodes: ${dataset.nodes.join(", ")})`);
  return i;
}

export function createRun(spec: RunSpec, totalRounds: number): Run {
  const { dataset, committeeSize: k } = spec;
  if (dataset.tasks.length === 0) throw new RangeError("simulation needs at least one task");
  if (k > spec.evaluatorPool) throw new RangeError(`committee size ${k} exceeds the evaluator pool ${spec.evaluatorPool}`);
  if (spec.signal === "calibrated" && !dataset.hasCalibrated) {
    throw new RangeError("signal \"calibrated\" needs a calibrated profile (data.profile)");
  }
  const rule = RULE_OF[spec.defense];
  const strategy: AttackStrategy | null = strategyOf(spec.attack);
  const taskRng = new Rng(hashSeed(spec.seed, "tasks"));
  const committeeRng = new Rng(hashSeed(spec.seed, "committee"));
  const poolRng = new Rng(hashSeed(spec.seed, "pool"));
  const attackRng = new Rng(hashSeed(spec.seed, "attack", spec.attack));
  const minStake = spec.minStake ?? DEFAULT_PARAMS.minStake;
  const stakeCap = spec.stakeCap ?? DEFAULT_PARAMS.stakeCap;
  const evalBudget = spec.economics.evalBudget ?? BigInt(k) * spec.economics.evaluatorCost;

  // Attackers are a random subset of the pool (same subset for every attack at this seed and ratio).
  const nAttackers = strategy === null ? 0 : Math.round(spec.attackerRatio * spec.evaluatorPool);
  const attackerSet = new Set(poolRng.sample(spec.evaluatorPool, nAttackers));
  const commonTarget = resolveTarget(dataset, spec.target, poolRng);
  const evaluators: EvaluatorState[] = Array.from({ length: spec.evaluatorPool }, (_, i) => ({
    index: i,
    attacker: attackerSet.has(i),
    trust: INITIAL_TRUST,
    stake: spec.economics.stake,
    cost: spec.economics.evaluatorCost,
    targets: new Set<number>(),
    fees: 0n,
    slashed: 0n,
    workCost: 0n,
    sampled: 0,
  }));
  const attackerIdx = evaluators.filter((e) => e.attacker).map((e) => e.index);
  const honestIdx = evaluators.filter((e) => !e.attacker).map((e) => e.index);
  if (strategy !== null) {
    for (const i of attackerIdx) {
      // Colluders share the common target; independent attackers each work for a node of their own.
      if (strategy.target === "shared") evaluators[i]!.targets.add(commonTarget);
      else if (strategy.target === "own") evaluators[i]!.targets.add(poolRng.int(dataset.nodes.length));
    }
  }
  const groupLeader = attackerIdx.length > 0 ? attackerIdx[0]! : 0;
  const targetNodes = [...new Set(attackerIdx.flatMap((i) => [...evaluators[i]!.targets]))];

  const nNodes = dataset.nodes.length;
  const totals: RunTotals = {
    rounds: 0,
    settledRounds: 0,
    unfillableRounds: 0,
    nodePay: new Array<bigint>(nNodes).fill(0n),
    nodeAppearances: new Array<number>(nNodes).fill(0),
    nodeHumanSum: new Array<number>(nNodes).fill(0),
    absErrorSum: 0,
    settledOutputs: 0,
    outputPay: [],
    outputHuman: [],
    evaluators,
    honestTrust: new Float64Array(totalRounds),
    attackerTrust: new Float64Array(totalRounds),
    targetNodes,
  };
  const records: EvaluatorRecord[] = evaluators.map((e) => ({ registered: true, stake: e.stake, trust: e.trust, cost: e.cost, openTasks: 0 }));
  let previousConsensus: number[] | null = null;
  let round = 0;
  let next: Peek | null = null;

  function drawTask(): Peek {
    const task = dataset.tasks[taskRng.int(dataset.tasks.length)]!;
    let outputs = task.outputs;
    if (outputs.length > spec.outputsPerTask) {
      const pick = taskRng.sample(outputs.length, spec.outputsPerTask).sort((a, b) => a - b);
      outputs = pick.map((i) => task.outputs[i]!);
    }
    return { round, taskKey: task.key, outputs };
  }

  function peek(): Peek {
    if (next === null) next = drawTask();
    return next;
  }

  function step(seedOverride?: Hex): RoundRecord {
    if (round >= totalRounds) throw new RangeError(`run already did its ${totalRounds} rounds`);
    const { outputs, taskKey } = peek();
    next = null;
    const m = outputs.length;
    const nodes = outputs.map((o) => o.node);
    const seed: Hex = seedOverride ?? toHex(committeeRng.u256(), { size: 32 });
    const groupActive = strategy !== null && attackRng.next() < spec.attackParams.intermittentProb;

    for (let i = 0; i < evaluators.length; i++) {
      records[i]!.trust = evaluators[i]!.trust;
      records[i]!.stake = evaluators[i]!.stake;
    }
    const eligible = eligibleCandidates(records, minStake, stakeCap);
    const chosen = sampleCommittee(
      eligible.map((e) => e.candidate),
      k,
      evalBudget,
      seed,
    );
    const rec: RoundRecord = {
      round,
      taskKey,
      outputs,
      seed,
      committee: [],
      scores: [],
      consensus: null,
      trustAfter: [],
      evaluatorPay: [],
      slashed: [],
      nodePay: [],
      refund: spec.economics.nodeBudget + evalBudget,
    };
    if (chosen.length < k) {
      // The contract reverts CommitteeUnfillable: the task is never created.
      totals.unfillableRounds++;
    } else {
      const committee = chosen.map((c) => eligible[c]!.index);
      rec.committee = committee;
      const floats: Array<number[] | null> = new Array(committee.length).fill(null);
      const visible: number[][] = [];
      // Honest members first (their view is their own signal); in the counterfactual
      // plaintext protocol these are what a copier could read.
      committee.forEach((ei, pos) => {
        if (!evaluators[ei]!.attacker) {
          const s = outputs.map((o) => honestScore(o, spec.signal, ei));
          floats[pos] = s;
          visible.push(s);
        }
      });
      if (strategy !== null) {
        const groupHonest = outputs.map((o) => honestScore(o, spec.signal, groupLeader));
        committee.forEach((ei, pos) => {
          const e = evaluators[ei]!;
          if (!e.attacker) return;
          floats[pos] = strategy.score({
            round,
            nodes,
            honest: outputs.map((o) => honestScore(o, spec.signal, ei)),
            groupHonest,
            targets: e.targets,
            groupActive,
            rng: attackRng,
            previousConsensus,
            visibleScores: visible,
            params: spec.attackParams,
          });
        });
      }
      const scores = floats.map((f) => (f === null ? null : f.map(toBps)));
      rec.scores = scores;
      const res = settleTask({
        rule,
        params: spec.settlement,
        members: committee.map((ei, pos) => ({
          trust: evaluators[ei]!.trust,
          stake: evaluators[ei]!.stake,
          cost: evaluators[ei]!.cost,
          revealed: scores[pos] !== null,
          scores: scores[pos] ?? undefined,
        })),
        m,
        nodeBudget: spec.economics.nodeBudget,
        evalBudget,
      });
      committee.forEach((ei, pos) => {
        const e = evaluators[ei]!;
        e.sampled++;
        e.trust = res.newTrust[pos]!;
        e.stake -= res.slashed[pos]!;
        e.slashed += res.slashed[pos]!;
        e.fees += res.evaluatorPay[pos]!;
        if (!e.attacker || strategy!.doesWork) e.workCost += (e.cost * BigInt(spec.economics.workCostBps)) / 10_000n;
      });
      rec.consensus = res.consensus;
      rec.trustAfter = committee.map((ei) => evaluators[ei]!.trust);
      rec.evaluatorPay = res.evaluatorPay;
      rec.slashed = res.slashed;
      rec.nodePay = res.nodePay;
      rec.refund = res.refund;
      if (res.consensus !== null) {
        totals.settledRounds++;
        previousConsensus = res.consensus.map((c) => c / 10_000);
        for (let j = 0; j < m; j++) {
          const o = outputs[j]!;
          totals.nodePay[o.node]! += res.nodePay[j]!;
          totals.absErrorSum += Math.abs(res.consensus[j]! / 10_000 - o.human);
          totals.settledOutputs++;
        }
      }
    }
    outputs.forEach((o, j) => {
      totals.nodeAppearances[o.node]!++;
      totals.nodeHumanSum[o.node]! += o.human;
      totals.outputPay.push(rec.nodePay.length > 0 ? Number(rec.nodePay[j]!) / 1e18 : 0);
      totals.outputHuman.push(o.human);
    });
    totals.honestTrust[round] = meanTrust(evaluators, honestIdx);
    totals.attackerTrust[round] = attackerIdx.length > 0 ? meanTrust(evaluators, attackerIdx) : Number.NaN;
    round++;
    totals.rounds = round;
    return rec;
  }

  return { spec, evaluators, peek, step, totals: () => totals };
}

function meanTrust(evaluators: readonly EvaluatorState[], idx: readonly number[]): number {
  let s = 0;
  for (const i of idx) s += evaluators[i]!.trust;
  return idx.length > 0 ? s / idx.length : Number.NaN;
}

/** Runs every round of a spec and returns its totals. */
export function runSimulation(spec: RunSpec, rounds: number): RunTotals {
  const run = createRun(spec, rounds);
  for (let r = 0; r < rounds; r++) run.step();
  return run.totals();
}
