/**
 * Settlement of one task, exactly as `ProofOfQuality.finalize` does it (via the Solidity
 * `Settlement` library). Amounts are token wei (bigint); scores and trust are bps (number).
 */
import { aggregate } from "./aggregate.js";
import { BPS, Rule, type SettlementParams } from "./constants.js";
import { leaveOneOutDeviations, normalisedDeviation, penaliseMiss, updateTrust } from "./trust.js";

/** One committee member as the contract sees it at finalisation. */
export interface MemberInput {
  /** Current trust (bps) when the task is finalised. */
  trust: number;
  /** Slashable stake (active + unbonding), token wei. */
  stake: bigint;
  /** Declared cost per evaluation, snapshotted when the committee was sampled (token wei). */
  cost: bigint;
  /** Whether the member revealed valid scores. */
  revealed: boolean;
  /** One bps score per output (required when revealed, ignored otherwise). */
  scores?: readonly number[];
}

/** Everything `settleTask` needs. */
export interface SettleInput {
  rule: Rule;
  params: SettlementParams;
  /** Committee in sampling order. */
  members: readonly MemberInput[];
  /** Number of outputs (1..MAX_OUTPUTS). */
  m: number;
  /** Escrow for the inference nodes (token wei). */
  nodeBudget: bigint;
  /** Escrow for the evaluators (token wei); the committee's costs fit in it. */
  evalBudget: bigint;
}

/** Result of settling one task; arrays are indexed like `members` (or outputs for node data). */
export interface SettleResult {
  /** Consensus per output (bps), or null when nobody revealed. */
  consensus: number[] | null;
  /** Raw leave-one-out mean absolute deviation per member (bps); 0 for non-revealers or a lone revealer. */
  deviations: number[];
  /** Normalised deviation d per member (bps, 0..10000); 0 for non-revealers or a lone revealer. */
  normalisedDeviations: number[];
  /** Trust after the task. */
  newTrust: number[];
  /** Stake slashed per member (non-revealers only). */
  slashed: bigint[];
  /** Evaluator fee credited per member. */
  evaluatorPay: bigint[];
  /** Payout per output, credited to that output's inference node. */
  nodePay: bigint[];
  /** Unspent escrow credited back to the requester. */
  refund: bigint;
  /** Total slashed stake credited to the treasury. */
  treasury: bigint;
}

/**
 * Settles a task:
 * 1. R = members that revealed (committee order), n = |R|.
 * 2. n = 0: no consensus, no payouts, full refund; every member is a non-revealer.
 * 3. Per output j: consensus c_j = aggregate(rule, scores of R, trust of R, trimBps).
 * 4. n >= 2: dev_i = leave-one-out mean absolute deviation, d_i = normalisedDeviation(dev_i);
 *    trust_i <- updateTrust(trust_i, d_i). n = 1: d = 0 and trust unchanged.
 * 5. Revealer fee: floor(cost_i * (10000 - d_i) / 10000).
 * 6. Non-revealer: trust <- penaliseMiss(trust); slash floor(stake * slashBps / 10000) to treasury.
 * 7. Node pay for output j: per = floor(nodeBudget / m); pay_j = c_j > floor
 *    ? floor(per * (c_j - floor) / (10000 - floor)) : 0.
 * 8. refund = nodeBudget + evalBudget - sum(nodePay) - sum(evaluatorPay).
 */
export function settleTask(input: SettleInput): SettleResult {
  const { rule, params: p, members, m } = input;
  const k = members.length;
  const revealers: number[] = [];
  members.forEach((mem, i) => {
    if (mem.revealed) {
      if (!mem.scores || mem.scores.length !== m) throw new RangeError(`settleTask: member ${i} needs ${m} scores`);
      revealers.push(i);
    }
  });
  const n = revealers.length;
  const deviations = new Array<number>(k).fill(0);
  const dNorm = new Array<number>(k).fill(0);
  const newTrust = members.map((mem) => mem.trust);
  const slashed = new Array<bigint>(k).fill(0n);
  const evaluatorPay = new Array<bigint>(k).fill(0n);
  const nodePay = new Array<bigint>(m).fill(0n);
  let treasury = 0n;
  let consensus: number[] | null = null;

  if (n > 0) {
    const scores = revealers.map((i) => members[i]!.scores!);
    const weights = revealers.map((i) => members[i]!.trust);
    consensus = [];
    for (let j = 0; j < m; j++) {
      consensus.push(aggregate(rule, scores.map((s) => s[j]!), weights, p.trimBps));
    }
    if (n >= 2) {
      const devs = leaveOneOutDeviations(rule, scores, weights, p.trimBps);
      revealers.forEach((i, r) => {
        deviations[i] = devs[r]!;
        dNorm[i] = normalisedDeviation(devs[r]!, p.deviationScaleBps);
        newTrust[i] = updateTrust(members[i]!.trust, dNorm[i]!, p);
      });
    }
    for (const i of revealers) {
      evaluatorPay[i] = (members[i]!.cost * BigInt(BPS - dNorm[i]!)) / BigInt(BPS);
    }
    const per = input.nodeBudget / BigInt(m);
    for (let j = 0; j < m; j++) {
      const c = consensus[j]!;
      if (c > p.qualityFloorBps) {
        nodePay[j] = (per * BigInt(c - p.qualityFloorBps)) / BigInt(BPS - p.qualityFloorBps);
      }
    }
  }
  members.forEach((mem, i) => {
    if (mem.revealed) return;
    newTrust[i] = penaliseMiss(mem.trust, p);
    slashed[i] = (mem.stake * BigInt(p.slashBps)) / BigInt(BPS);
    treasury += slashed[i]!;
  });
  const paid = nodePay.reduce((a, b) => a + b, 0n) + evaluatorPay.reduce((a, b) => a + b, 0n);
  const refund = input.nodeBudget + input.evalBudget - paid;
  if (refund < 0n) throw new RangeError("settleTask: payouts exceed the escrow (committee costs exceed evalBudget)");
  return { consensus, deviations, normalisedDeviations: dNorm, newTrust, slashed, evaluatorPay, nodePay, refund, treasury };
}
