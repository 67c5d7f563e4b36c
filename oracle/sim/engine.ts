/**
 * One simulated run: an evaluator pool (honest members and attackers) with different declared
 * costs, registered in the EvaluatorRegistry's list, a stream of tasks drawn from real scored
 * records at one price per member, a clock, and the contract's own rules (oracle/rules, the
 * differential-tested mirror) for the committee draw (as of the task's creation, from every
 * evaluator's activation history: price grid and cost filter, trust-bounded trust x stake
 * weights, the eligibility bar), settlement, the trust-rise cap per period, slashing from stake then
 * unbonding and the split of slashed stake among honest revealers. Nothing about sampling,
 * aggregation, trust, slashing or payouts is re-implemented here.
 *
 * The run is a step machine so that a test can replay it on the real contract round by
 * round (test/sim/replay.test.ts): `peek()` says which task comes next, `step()` settles it.
 */
import { toHex, type Hex } from "viem";
import { toBps } from "../core/units.js";
import {
  DEFAULT_PROTOCOL_PARAMS,
  FINALIZE_GRACE,
  MAX_EVALUATORS,
  Rule,
  drawCommittee,
  drawInputs,
  finalizeTask,
  canWithdraw,
  lockMember,
  protocolFeeFor,
  registerEvaluator,
  requestUnbond,
  withdrawUnbonded,
  latestState,
  syncEvaluator,
  trustBound,
  type ProtocolParams,
  type RegistryEvaluator,
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

/** The one profile every simulated evaluator serves and every task names (bit 0). */
export const SIM_PROFILE_BIT = 1;

export interface Economics {
  /** Stake of every honest evaluator and ordinary attacker (token wei). */
  stake: bigint;
  /** Declared cost per evaluation; pool member i declares evaluatorCosts[i % length] (token wei). */
  evaluatorCosts: readonly bigint[];
  /** Price of one committee member in every honest requester's task (evalBudget = fee x k). */
  feePerMember: bigint;
  /** Inference budget per task paid to nodes (token wei). */
  nodeBudget: bigint;
  /** Real cost of one evaluation as a share of the evaluator's declared cost (bps). */
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
  /** Staking and task parameters (default: the public deployment's). */
  protocol?: ProtocolParams;
  /** Seconds between two honest requesters' tasks (the clock that trust periods and delays run on). */
  secondsPerTask?: number;
  /** Commit and reveal windows of ordinary tasks (seconds). */
  windows?: { commit: number; reveal: number };
}

export interface EvaluatorState {
  /** Pool index (an operator; it may use several identities when it whitewashes). */
  index: number;
  attacker: boolean;
  /** Trust and declared stake of its current identity. */
  trust: number;
  stake: bigint;
  /** Declared cost per evaluation. */
  cost: bigint;
  /** Nodes this attacker works for (empty for honest members and target-free attacks). */
  targets: Set<number>;
  /** Fees earned (fee x (1 - d)). */
  fees: bigint;
  /** Shares of other members' slashed stake received as an honest revealer. */
  slashShares: bigint;
  slashed: bigint;
  /** Evaluation work actually done, valued at workCostBps of the declared cost. */
  workCost: bigint;
  sampled: number;
  /** Identities registered after the first one (whitewashing). */
  washes: number;
}

/** What happened in one honest requester's round (enough to replay it on chain). */
export interface RoundRecord {
  round: number;
  taskKey: string;
  /** Outputs of the task in submission order. */
  outputs: OutputView[];
  seed: Hex;
  /** Clock of the finalisation (unix-like seconds; the draw may be earlier, see `step`). */
  now: number;
  /** Price per member and the windows the task was created with. */
  fee: bigint;
  windows: { commit: number; reveal: number };
  /** Pool indices of the committee in draw order; empty when no committee could be filled (cancelled). */
  committee: number[];
  /** Per member: bps scores, or null when it did not reveal. */
  scores: Array<number[] | null>;
  consensus: number[] | null;
  /** Trust after the task (the registry's, rises capped per period). */
  trustAfter: number[];
  evaluatorPay: bigint[];
  slashed: bigint[];
  slashShare: bigint[];
  burned: bigint;
  nodePay: bigint[];
  refund: bigint;
  /**
   * List positions (slots) of the identities that `sync` one second after the finalisation
   * (in one Multicall, in this order): those whose trust outgrew the trust bound of their draw
   * leaves, which only a write or a sync moves.
   */
  synced: number[];
}

/** Everything the metrics need from one finished run. */
export interface RunTotals {
  rounds: number;
  settledRounds: number;
  /** Honest requesters' tasks no committee could be drawn for (cancelled; the cost filter binds). */
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
  /** Committee seats in honest requesters' tasks: all, held by honest members. */
  seats: number;
  honestSeats: number;
  /** Sum over rounds of the attackers' share of the candidates' sampling weight, and the rounds counted. */
  attackerWeightShareSum: number;
  weightRounds: number;
  /** Attacker as a requester (self-dealing, griefing): escrow + protocol fee - refund, and the protocol fees alone. */
  requesterSpend: bigint;
  requesterProtocolFees: bigint;
  /** Attacker's own tasks: created, cancelled, node pay made, and what the honest consensus would have paid. */
  selfTasks: number;
  selfCancelled: number;
  selfNodePay: bigint;
  selfNodePayHonest: bigint;
  /** Seats of the attacker's own tasks held by honest members, and all seats. */
  selfSeats: number;
  selfHonestSeats: number;
  /** Tasks created with the protocol's minimum windows (griefing) and honest members' misses in them. */
  griefedTasks: number;
  honestMisses: number;
  /** Stake slashed that no honest revealer could receive (burned). */
  burned: bigint;
  /** Whitewashing: trust of an identity when it left and of the established honest members then (bps). */
  washTrustBefore: number[];
  washHonestTrust: number[];
}

export interface Peek {
  round: number;
  taskKey: string;
  outputs: OutputView[];
}

export interface Run {
  readonly spec: RunSpec;
  readonly evaluators: EvaluatorState[];
  /** The protocol parameters the run uses. */
  readonly protocol: ProtocolParams;
  /** The task the next `step()` settles. */
  peek(): Peek;
  /**
   * Draws the committee (from `seed` when given, else the run's own stream) and settles the
   * task. `at`: the draw's and the finalisation's clock (a number: both; default: the run's
   * clock for both, i.e. a task settles in the instant it is drawn), and the task's creation
   * time `create` (the registry draws as of it; default: the draw's clock).
   */
  step(seed?: Hex, at?: number | { create?: number; draw: number; finalize: number }): RoundRecord;
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

/** Time the simulated chain starts at (any positive unix time works; trust periods run from the first rise). */
export const SIM_EPOCH = 1_700_000_000;

export function createRun(spec: RunSpec, totalRounds: number): Run {
  const { dataset, committeeSize: k } = spec;
  if (dataset.tasks.length === 0) throw new RangeError("simulation needs at least one task");
  if (k > spec.evaluatorPool) throw new RangeError(`committee size ${k} exceeds the evaluator pool ${spec.evaluatorPool}`);
  if (spec.signal === "calibrated" && !dataset.hasCalibrated) {
    throw new RangeError("signal \"calibrated\" needs a calibrated profile (data.profile)");
  }
  if (spec.economics.evaluatorCosts.length === 0) throw new RangeError("economics.evaluatorCosts is empty");
  const protocol = spec.protocol ?? DEFAULT_PROTOCOL_PARAMS;
  const S = protocol.staking;
  const T = protocol.governance.tasks;
  if (k < T.minK) throw new RangeError(`committee size ${k} is below the protocol minimum ${T.minK}`);
  const fee = spec.economics.feePerMember;
  if (fee < T.minFeePerMember) throw new RangeError(`fee per member ${fee} is below the protocol minimum ${T.minFeePerMember}`);
  const dt = spec.secondsPerTask ?? 3_600;
  const windows = spec.windows ?? { commit: 3_600, reveal: 3_600 };
  const rule = RULE_OF[spec.defense];
  const strategy: AttackStrategy | null = strategyOf(spec.attack);
  const kind = strategy?.kind;
  const taskRng = new Rng(hashSeed(spec.seed, "tasks"));
  const committeeRng = new Rng(hashSeed(spec.seed, "committee"));
  const poolRng = new Rng(hashSeed(spec.seed, "pool"));
  const attackRng = new Rng(hashSeed(spec.seed, "attack", spec.attack));
  const selfRng = new Rng(hashSeed(spec.seed, "self", spec.attack));
  const latencyRng = new Rng(hashSeed(spec.seed, "latency"));

  // Attackers are a random subset of the pool (same subset for every attack at this seed and
  // ratio). A griefing requester has no evaluators: its ratio is the share of tasks it creates.
  const nAttackers = strategy === null || kind === "short-window" ? 0 : Math.round(spec.attackerRatio * spec.evaluatorPool);
  const attackerSet = new Set(poolRng.sample(spec.evaluatorPool, nAttackers));
  const commonTarget = resolveTarget(dataset, spec.target, poolRng);
  const costs = spec.economics.evaluatorCosts;
  const evaluators: EvaluatorState[] = Array.from({ length: spec.evaluatorPool }, (_, i) => {
    const attacker = attackerSet.has(i);
    const sybil = attacker && kind === "self-deal";
    return {
      index: i,
      attacker,
      trust: S.initialTrust,
      stake: sybil ? S.minStake : spec.economics.stake,
      cost: sybil ? 0n : costs[i % costs.length]!,
      targets: new Set<number>(),
      fees: 0n,
      slashShares: 0n,
      slashed: 0n,
      workCost: 0n,
      sampled: 0,
      washes: 0,
    };
  });
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

  // The registry: every pool member registers at the epoch; the run starts once they count.
  const start = SIM_EPOCH + S.activationDelay;
  /** The registry's list (null: a hole left by an exit, refilled last-in first-out). */
  const list: Array<RegistryEvaluator | null> = evaluators.map((e, i) => registerEvaluator(S, e.stake, e.cost, SIM_PROFILE_BIT, SIM_EPOCH, i));
  const holes: number[] = [];
  /** Identities that exited: their activation history still counts for a draw as of a time before their exit's key. */
  let departed: RegistryEvaluator[] = [];
  /** The registry as a draw as of `asOf` sees it (exits whose key passed no longer matter and are dropped). */
  const registry = (asOf: number) => {
    departed = departed.filter((d) => d.history[d.history.length - 1]!.key > asOf);
    return { list, departed };
  };
  /** Pool index (operator) of each list position (-1: hole). */
  const owner: number[] = evaluators.map((e) => e.index);
  /** List position of each operator's current identity. */
  const current: number[] = evaluators.map((e) => e.index);
  /** List positions of exited identities waiting to withdraw their unbonding stake. */
  const leaving = new Set<number>();
  const minEligibleBps = T.minEligibleBps;

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
    seats: 0,
    honestSeats: 0,
    attackerWeightShareSum: 0,
    weightRounds: 0,
    requesterSpend: 0n,
    requesterProtocolFees: 0n,
    selfTasks: 0,
    selfCancelled: 0,
    selfNodePay: 0n,
    selfNodePayHonest: 0n,
    selfSeats: 0,
    selfHonestSeats: 0,
    griefedTasks: 0,
    honestMisses: 0,
    burned: 0n,
    washTrustBefore: [],
    washHonestTrust: [],
  };
  let previousConsensus: number[] | null = null;
  let round = 0;
  let next: Peek | null = null;

  function pickOutputs(rng: Rng): { key: string; outputs: OutputView[] } {
    const task = dataset.tasks[rng.int(dataset.tasks.length)]!;
    let outputs = task.outputs;
    if (outputs.length > spec.outputsPerTask) {
      const pick = rng.sample(outputs.length, spec.outputsPerTask).sort((a, b) => a - b);
      outputs = pick.map((i) => task.outputs[i]!);
    }
    return { key: task.key, outputs };
  }

  function peek(): Peek {
    if (next === null) {
      const t = pickOutputs(taskRng);
      next = { round, taskKey: t.key, outputs: t.outputs };
    }
    return next;
  }

  /** Registry state of operator `ei`'s current identity. */
  const recOf = (ei: number) => list[current[ei]!]!;

  /** Settles a drawn committee; returns the finalisation and updates every account. */
  function settle(d: Drawn, scores: Array<number[] | null>, m: number, taskFee: bigint, now: number) {
    const { committee, positions, weights } = d;
    const res = finalizeTask({
      rule,
      params: spec.settlement,
      staking: S,
      members: positions.map((p) => list[p]!),
      weights,
      revealed: scores.map((s) => s !== null),
      abstained: scores.map((s) => s !== null && s.length === 0),
      scores,
      m,
      nodeBudget: spec.economics.nodeBudget,
      fee: taskFee,
      now,
    });
    positions.forEach((p, pos) => {
      list[p] = res.registry.evaluators[pos]!;
      const e = evaluators[committee[pos]!]!;
      e.sampled++;
      e.fees += res.settlement.evaluatorPay[pos]!;
      e.slashShares += res.slashShare[pos]!;
      e.slashed += res.registry.slashed[pos]!;
      if (!e.attacker || strategy!.doesWork) e.workCost += (e.cost * BigInt(spec.economics.workCostBps)) / 10_000n;
    });
    totals.burned += res.burned;
    return res;
  }

  interface Drawn {
    positions: number[];
    committee: number[];
    weights: bigint[];
  }

  /**
   * Draws at `now` the committee of a task created at `asOf` (from the registry as it stood then)
   * and locks its members until the task's end; null: the task is cancelled.
   */
  function draw(taskFee: bigint, kk: number, seed: Hex, asOf: number, now: number, revealDeadline: number): Drawn | null {
    const d = drawCommittee(registry(asOf), SIM_PROFILE_BIT, taskFee, -1, kk, seed, asOf, now, S, minEligibleBps);
    if (d === null) return null;
    // the members are the slots' owners as of the creation: in the simulation they still hold
    // them (an identity leaves only once its stake stopped counting, past any draw window)
    d.members.forEach((p, i) => {
      if (d.owners[i] !== list[p]) throw new Error(`simulation: slot ${p} changed hands after the task's creation`);
    });
    for (const p of d.members) list[p] = lockMember(list[p]!, revealDeadline + FINALIZE_GRACE, asOf);
    return { positions: d.members, committee: d.members.map((p) => owner[p]!), weights: d.weights };
  }

  /** The attacker's own task (self-dealing): minimum price and committee, real outputs. */
  function selfDealTask(now: number) {
    const kk = T.minK;
    const selfFee = T.minFeePerMember;
    const { outputs } = pickOutputs(selfRng);
    const m = outputs.length;
    const nodeBudget = spec.economics.nodeBudget;
    const escrow = nodeBudget + selfFee * BigInt(kk);
    const pfee = protocolFeeFor(T, nodeBudget, selfFee * BigInt(kk));
    totals.selfTasks++;
    totals.requesterProtocolFees += pfee;
    const d = draw(selfFee, kk, toHex(selfRng.u256(), { size: 32 }), now, now, now + windows.commit + windows.reveal);
    if (d === null) {
      totals.selfCancelled++;
      totals.requesterSpend += pfee; // the escrow comes back, the protocol fee does not
      return;
    }
    const scores = d.committee.map((ei) => {
      const e = evaluators[ei]!;
      const honest = outputs.map((o) => toBps(honestScore(o, spec.signal, ei)));
      if (!e.attacker) return honest;
      return spec.attackParams.selfDealMode === "farm" ? honest : outputs.map(() => toBps(spec.attackParams.sabotageScore));
    });
    totals.selfSeats += kk;
    totals.selfHonestSeats += d.committee.filter((ei) => !evaluators[ei]!.attacker).length;
    const res = settle(d, scores, m, selfFee, now);
    totals.requesterSpend += escrow + pfee - res.settlement.refund;
    for (const p of res.settlement.nodePay) totals.selfNodePay += p;
    // what the honest consensus (every honest member computes the same signal) would have paid
    const per = nodeBudget / BigInt(m);
    const floor = spec.settlement.qualityFloorBps;
    for (const o of outputs) {
      const c = toBps(honestScore(o, spec.signal, groupLeader));
      if (c > floor) totals.selfNodePayHonest += (per * BigInt(c - floor)) / BigInt(10_000 - floor);
    }
  }

  /** Whitewashing: identities under the threshold leave and re-register; finished exits free their place. */
  function whitewashStep(now: number) {
    const below = spec.attackParams.washBelow > 0 ? spec.attackParams.washBelow : S.initialTrust;
    // withdrawals of exited identities: their place becomes a hole, as `_exit` does
    for (const pos of [...leaving]) {
      const r = list[pos]!;
      if (!canWithdraw(r, now)) continue;
      const w = withdrawUnbonded(r, now, S);
      leaving.delete(pos);
      if (w.exits) {
        departed.push(w.evaluator);
        list[pos] = null;
        owner[pos] = -1;
        holes.push(pos);
      } else list[pos] = w.evaluator;
    }
    const honestMean = meanTrust(evaluators, honestIdx);
    for (const ei of attackerIdx) {
      const r = recOf(ei);
      if (r.trust >= below || r.stake === 0n) continue;
      if (list.length - holes.length >= MAX_EVALUATORS) break; // register would revert TooManyEvaluators
      totals.washTrustBefore.push(r.trust);
      totals.washHonestTrust.push(honestMean);
      // the old identity unbonds everything (still slashable, still drawable until the delay passes)
      list[current[ei]!] = requestUnbond(r, r.stake, now, S);
      leaving.add(current[ei]!);
      // the new identity: new stake, initialTrust, counts after the activation delay; it takes
      // the last hole left by an exit, or a new place at the end of the list
      const e = evaluators[ei]!;
      const pos = holes.length > 0 ? holes.pop()! : list.length;
      const fresh = registerEvaluator(S, spec.economics.stake, e.cost, SIM_PROFILE_BIT, now, pos);
      if (pos < list.length) {
        list[pos] = fresh;
        owner[pos] = ei;
      } else {
        list.push(fresh);
        owner.push(ei);
      }
      current[ei] = pos;
      e.washes++;
    }
  }

  function step(seedOverride?: Hex, at?: number | { create?: number; draw: number; finalize: number }): RoundRecord {
    if (round >= totalRounds) throw new RangeError(`run already did its ${totalRounds} rounds`);
    const { outputs, taskKey } = peek();
    next = null;
    const clock = start + round * dt;
    const drawNow = at === undefined ? clock : typeof at === "number" ? at : at.draw;
    const now = at === undefined ? clock : typeof at === "number" ? at : at.finalize;
    const createdAt = at !== undefined && typeof at !== "number" && at.create !== undefined ? at.create : drawNow;
    const m = outputs.length;
    const nodes = outputs.map((o) => o.node);
    const seed: Hex = seedOverride ?? toHex(committeeRng.u256(), { size: 32 });
    const groupActive = strategy !== null && attackRng.next() < spec.attackParams.intermittentProb;

    if (kind === "self-deal") for (let s = 0; s < spec.attackParams.selfDealTasksPerRound; s++) selfDealTask(now);

    const griefed = kind === "short-window" && attackRng.next() < spec.attackerRatio;
    const w = griefed ? { commit: T.minCommitWindow, reveal: T.minRevealWindow } : windows;
    if (griefed) {
      totals.griefedTasks++;
      const pfee = protocolFeeFor(T, spec.economics.nodeBudget, fee * BigInt(k));
      totals.requesterProtocolFees += pfee;
      totals.requesterSpend += pfee;
    }

    // sampling-weight share of the attackers among the drawable evaluators (acceptance weights
    // min(trust, 2^tb) x min(stake, cap) of the draw as of the task's creation)
    if (attackerIdx.length > 0) {
      const { accept } = drawInputs(registry(createdAt), SIM_PROFILE_BIT, fee, -1, createdAt, drawNow, S);
      let tot = 0n;
      let att = 0n;
      accept.forEach((w, p) => {
        tot += w;
        if (w > 0n && evaluators[owner[p]!]!.attacker) att += w;
      });
      if (tot > 0n) {
        totals.attackerWeightShareSum += Number((att * 1_000_000n) / tot) / 1_000_000;
        totals.weightRounds++;
      }
    }

    const rec: RoundRecord = {
      round,
      taskKey,
      outputs,
      seed,
      now,
      fee,
      windows: w,
      committee: [],
      scores: [],
      consensus: null,
      trustAfter: [],
      evaluatorPay: [],
      slashed: [],
      slashShare: [],
      burned: 0n,
      nodePay: [],
      refund: spec.economics.nodeBudget + fee * BigInt(k),
      synced: [],
    };
    const d = draw(fee, k, seed, createdAt, drawNow, drawNow + w.commit + w.reveal);
    if (d === null) {
      // No committee fits (the cost filter binds): the task is cancelled, its escrow refunded.
      totals.unfillableRounds++;
    } else {
      const { committee } = d;
      rec.committee = committee;
      totals.seats += k;
      totals.honestSeats += committee.filter((ei) => !evaluators[ei]!.attacker).length;
      const floats: Array<number[] | null> = new Array(committee.length).fill(null);
      const visible: number[][] = [];
      // Honest members first (their view is their own signal); in the counterfactual
      // plaintext protocol these are what a copier could read.
      committee.forEach((ei, pos) => {
        if (evaluators[ei]!.attacker) return;
        if (griefed) {
          const late = latencyRng.next() * spec.attackParams.honestLatencySeconds > w.commit || latencyRng.next() * spec.attackParams.honestLatencySeconds > w.reveal;
          if (late) {
            totals.honestMisses++;
            return;
          }
        }
        const s = outputs.map((o) => honestScore(o, spec.signal, ei));
        floats[pos] = s;
        visible.push(s);
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
      const res = settle(d, scores, m, fee, now);
      if (griefed) totals.requesterSpend += spec.economics.nodeBudget + fee * BigInt(k) - res.settlement.refund;
      rec.consensus = res.settlement.consensus;
      rec.trustAfter = res.registry.trustSet;
      rec.evaluatorPay = res.settlement.evaluatorPay;
      rec.slashed = res.registry.slashed;
      rec.slashShare = res.slashShare;
      rec.burned = res.burned;
      rec.nodePay = res.settlement.nodePay;
      rec.refund = res.settlement.refund;
      if (res.settlement.consensus !== null) {
        totals.settledRounds++;
        previousConsensus = res.settlement.consensus.map((c) => c / 10_000);
        for (let j = 0; j < m; j++) {
          const o = outputs[j]!;
          totals.nodePay[o.node]! += res.settlement.nodePay[j]!;
          totals.absErrorSum += Math.abs(res.settlement.consensus[j]! / 10_000 - o.human);
          totals.settledOutputs++;
        }
      }
    }
    if (kind === "whitewash") whitewashStep(now);
    // every operator whose trust outgrew its leaves' trust bound syncs (anyone may; the owner
    // gains weight by it): its draw weight follows from the sync's key
    const syncAt = now + 1;
    list.forEach((r, pos) => {
      if (r === null || !r.registered || trustBound(r, syncAt, S.trustPeriod) <= latestState(r).tb) return;
      list[pos] = syncEvaluator(r, syncAt, S);
      rec.synced.push(pos);
    });
    for (const e of evaluators) {
      const r = recOf(e.index);
      e.trust = r.trust;
      e.stake = r.stake;
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

  return { spec, evaluators, protocol, peek, step, totals: () => totals };
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
