/**
 * Settlement of one task, exactly as the Solidity `Settlement.settle` library function that
 * `ProofOfQuality.finalize` calls. Amounts are token wei (bigint); scores and trust are bps
 * (number); voting weights are bigint. What happens afterwards in the EvaluatorRegistry (the
 * trust-rise cap, slashing from stake then unbonding) and the split of the slashed stake among
 * the honest revealers is in `registry.ts` (`applySettlement`, `splitSlash`, `finalizeTask`).
 */
import { aggregate } from "./aggregate.js";
import { BPS, HONEST_MAX_DNORM, MIN_REVEALERS_FOR_DEVIATION, Rule, type SettlementParams } from "./constants.js";
import { medianDeviations, normalisedDeviation, penaliseMiss, updateTrust } from "./trust.js";

/** One committee member as `Settlement.Member` sees it at finalisation. */
export interface MemberInput {
  /** Current trust (bps) when the task is finalised. */
  trust: number;
  /**
   * Voting weight of the trust-weighted rules: trust x max(1, (min(effStake, stakeCap) << 24) / stakeCap)
   * (`votingWeight`; the registry's `memberStates`). Positive.
   */
  weight: bigint;
  /** Slashable stake (active + unbonding), token wei; only read for non-revealers. */
  stake: bigint;
  /** Whether the member revealed in time (scores, or an abstention). */
  revealed: boolean;
  /** Revealed an abstention (an empty score list): it could not score the task. */
  abstained?: boolean;
  /** One bps score per output (required when revealed and not abstained, ignored otherwise). */
  scores?: readonly number[];
}

/** Everything `settleTask` needs. */
export interface SettleInput {
  rule: Rule;
  params: SettlementParams;
  /** Committee in draw order. */
  members: readonly MemberInput[];
  /** Number of outputs (1..MAX_OUTPUTS). */
  m: number;
  /** Escrow for the inference nodes (token wei). */
  nodeBudget: bigint;
  /** Price of one committee member (token wei): the task's evalBudget / k, the same for every member. */
  fee: bigint;
}

/** `Settlement.Outcome`; arrays are indexed like `members` (or outputs for `nodePay`). */
export interface SettleResult {
  /** Consensus per output (bps), or null when nobody scored or the task is void. */
  consensus: number[] | null;
  /** Largest absolute deviation over the outputs from the scorers' weighted median (bps); 0 for non-revealers or with < 3 scorers; 10000 for an outweighed abstainer. */
  deviations: number[];
  /** Normalised deviation d per member (bps, 0..10000); 0 for non-revealers or with < 3 revealers. */
  normalisedDeviations: number[];
  /** Trust the settlement asks for (before the registry's per-period cap on rises). */
  newTrust: number[];
  /** Stake the settlement asks to slash per member (non-revealers; the registry takes at most what is there). */
  slashed: bigint[];
  /** Fee credited per member: fee x (10000 - d) / 10000 for revealers, 0 otherwise. */
  evaluatorPay: bigint[];
  /** Payout per output, credited to that output's inference node. */
  nodePay: bigint[];
  /** Revealed, >= 3 revealers and d <= HONEST_MAX_DNORM: shares the stake slashed in this task. */
  honest: boolean[];
  honestCount: number;
  /** Sum of `slashed` (nominal; the registry reports what it actually took). */
  slashTotal: bigint;
  /** Unspent escrow credited to the task's refundTo: nodeBudget + fee x k - everything paid - forfeited. */
  refund: bigint;
  /** Abstainers' fees in a void that somebody scored: burned, not refunded to the requester. */
  forfeited: bigint;
}

/**
 * Settles a task:
 * 0. Agreement. Abstainers revealed an empty score list: they could not score the task. With
 *    n >= 1 scorers, each scorer's largest deviation from the scorers' per-output weighted median
 *    is computed (whatever n); the task settles (steps 3-8 over the scorers) only when the
 *    scorers within HONEST_MAX_DNORM of it hold MORE than half of all the revealed weight
 *    (abstainers included; with nobody abstaining and nobody disagreeing this always holds).
 *    Each abstainer is then judged as the largest deviation: deviation = d = 10000, fee 0, trust
 *    updateTrust(trust, 10000) when n >= 3 (else unchanged). Otherwise the task is VOID (a
 *    committee split into two halves of equal weight included): no consensus, no node pay, no
 *    trust change, nobody honest; each scorer is paid `fee`, and abstainers are paid `fee` only
 *    when nobody scored (otherwise their fees are forfeited: burned, not refunded).
 *    Non-revealers are penalised as in step 6 either way.
 * 1. R = members that revealed scores (committee order), n = |R|.
 * 2. n = 0 and nobody abstained: no consensus, no payouts, full refund; every member is a non-revealer.
 * 3. n >= 3: per output j, consensus c_j = aggregate(rule, scores of R, voting weights of R,
 *    trimBps) (MEDIAN over an even n: the weighted median clamped between the two middle scores); dev_i = max_j |s_ij - ref_j| with ref_j the WEIGHTED median (voting weights) of
 *    all of R's scores on j; d_i = normalisedDeviation(dev_i); trust_i <- updateTrust(trust_i, d_i).
 * 4. n = 1 or 2: c_j = the revealers' WEIGHTED median on j whatever the rule (the heavier of
 *    two; the lower one at equal weight: going silent cannot turn a weighted-out member into the
 *    decider); d = 0, trust unchanged, and nobody is honest (a silent member's slash is burned,
 *    not paid to an unchecked partner).
 * 5. Revealer fee: floor(fee * (10000 - d_i) / 10000); honest_i = n >= 3 && d_i <= 5000.
 * 6. Non-revealer: trust <- penaliseMiss(trust) (never above its trust); slash floor(stake * slashBps / 10000).
 * 7. Node pay for output j: per = floor(nodeBudget / m); pay_j = c_j > floor
 *    ? floor(per * (c_j - floor) / (10000 - floor)) : 0.
 * 8. refund = nodeBudget + fee * k - sum(nodePay) - sum(evaluatorPay) - forfeited.
 */
export function settleTask(input: SettleInput): SettleResult {
  const { rule, params: p, members, m, fee } = input;
  const k = members.length;
  const revealers: number[] = [];
  let revealWeight = 0n;
  let abstainWeight = 0n;
  members.forEach((mem, i) => {
    if (!mem.revealed) return;
    revealWeight += mem.weight;
    if (mem.abstained) {
      abstainWeight += mem.weight;
      return;
    }
    if (!mem.scores || mem.scores.length !== m) throw new RangeError(`settleTask: member ${i} needs ${m} scores`);
    revealers.push(i);
  });
  const anyAbstained = abstainWeight !== 0n;
  const scores = revealers.map((i) => members[i]!.scores!);
  const weights = revealers.map((i) => members[i]!.weight);
  const n = revealers.length;
  const full = n >= MIN_REVEALERS_FOR_DEVIATION;
  const devs = medianDeviations(scores, weights, true);
  // only scorers agreeing with the reference and holding more than half of all the revealed
  // weight settle the task: not the few given the texts, not the lower half of a tie (V7-1)
  const agreeing = revealers.reduce((w, i, r) => (normalisedDeviation(devs[r]!, p.deviationScaleBps) <= HONEST_MAX_DNORM ? w + members[i]!.weight : w), 0n);
  const settles = n > 0 && 2n * agreeing > revealWeight;
  const isVoid = !settles && (n > 0 || anyAbstained);
  const deviations = new Array<number>(k).fill(0);
  const dNorm = new Array<number>(k).fill(0);
  const newTrust = members.map((mem) => mem.trust);
  const slashed = new Array<bigint>(k).fill(0n);
  const evaluatorPay = new Array<bigint>(k).fill(0n);
  const nodePay = new Array<bigint>(m).fill(0n);
  const honest = new Array<boolean>(k).fill(false);
  let honestCount = 0;
  let slashTotal = 0n;
  let consensus: number[] | null = null;
  let paid = 0n;

  let forfeited = 0n;
  if (isVoid) {
    members.forEach((mem, i) => {
      if (!mem.revealed) return;
      if (mem.abstained && n > 0) {
        forfeited += fee;
        return;
      }
      evaluatorPay[i] = fee;
      paid += fee;
    });
  }
  if (settles) {
    consensus = [];
    for (let j = 0; j < m; j++) {
      const col = scores.map((s) => s[j]!);
      const ref = aggregate(Rule.TRUST_WEIGHTED_MEDIAN, col, weights, 0);
      if (!full || rule === Rule.TRUST_WEIGHTED_MEDIAN) consensus.push(ref);
      else if (rule === Rule.MEDIAN && n % 2 === 0) {
        // an even MEDIAN: the middle score nearest the weighted median (V7-1c, V8-1)
        const sorted = [...col].sort((a, b) => a - b);
        consensus.push(Math.min(Math.max(ref, sorted[n / 2 - 1]!), sorted[n / 2]!));
      } else consensus.push(aggregate(rule, col, weights, p.trimBps));
    }
    const per = input.nodeBudget / BigInt(m);
    for (let j = 0; j < m; j++) {
      const c = consensus[j]!;
      if (c > p.qualityFloorBps) nodePay[j] = (per * BigInt(c - p.qualityFloorBps)) / BigInt(BPS - p.qualityFloorBps);
      paid += nodePay[j]!;
    }
    if (full) {
      revealers.forEach((i, r) => {
        deviations[i] = devs[r]!;
        dNorm[i] = normalisedDeviation(devs[r]!, p.deviationScaleBps);
        newTrust[i] = updateTrust(members[i]!.trust, dNorm[i]!, p);
      });
    }
    for (const i of revealers) {
      evaluatorPay[i] = (fee * BigInt(BPS - dNorm[i]!)) / BigInt(BPS);
      paid += evaluatorPay[i]!;
      if (full && dNorm[i]! <= HONEST_MAX_DNORM) {
        honest[i] = true;
        honestCount++;
      }
    }
    members.forEach((mem, i) => {
      if (!mem.abstained) return;
      deviations[i] = BPS;
      dNorm[i] = BPS;
      if (full) newTrust[i] = updateTrust(mem.trust, BPS, p);
    });
  }
  members.forEach((mem, i) => {
    if (mem.revealed) return;
    newTrust[i] = penaliseMiss(mem.trust, p);
    slashed[i] = (mem.stake * BigInt(p.slashBps)) / BigInt(BPS);
    slashTotal += slashed[i]!;
  });
  const refund = input.nodeBudget + fee * BigInt(k) - paid - forfeited;
  return {
    consensus,
    deviations,
    normalisedDeviations: dNorm,
    newTrust,
    slashed,
    evaluatorPay,
    nodePay,
    honest,
    honestCount,
    slashTotal,
    refund,
    forfeited,
  };
}
