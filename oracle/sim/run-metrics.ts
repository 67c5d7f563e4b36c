/**
 * Turns one run's totals into its metrics, with the attack-free run of the same seed (same
 * task stream) as the reference for reward fidelity and the attackers' counterfactual.
 */
import { lowQualityRewardShare, spearman } from "./metrics.js";
import type { RunTotals } from "./engine.js";

const WEI_PER_TOKEN = 1e18;
export const toTokens = (wei: bigint): number => Number(wei) / WEI_PER_TOKEN;

export interface RunMetrics {
  /** Spearman of node reward rates (pay per output served) vs node quality (mean human score). */
  rewardSpearman: number | null;
  /** Spearman of the pay of every output served vs its human score (pooled over rounds). */
  outputRewardSpearman: number | null;
  /** Share of reward rates paid to nodes below the median node quality. */
  lowQualityRewardShare: number | null;
  /** Mean |consensus - human| over settled outputs. */
  consensusError: number | null;
  /** Mean trust (1.0 = initial) of honest members and attackers after the last round. */
  honestTrust: number | null;
  attackerTrust: number | null;
  /** Per attacker, over the run, in tokens. */
  attackerFees: number | null;
  attackerSlashed: number | null;
  attackerWorkCost: number | null;
  /** Extra pay the attackers' target nodes received compared with the attack-free run, per attacker. */
  attackerTargetGain: number | null;
  /** fees + slash shares - slashing - work cost + target gain - spend as a requester, per attacker (tokens). */
  attackerProfit: number | null;
  /** attackerProfit minus what an honest member earned in the attack-free run (fees + slash shares - slashing - work). */
  attackerExcessProfit: number | null;
  /** Per honest member over the run: fees + slash shares - slashing - work cost (tokens). */
  honestProfit: number | null;
  /** Share of honest requesters' tasks no committee could be drawn for (cancelled; the cost filter binds). */
  unfillableShare: number;
  /** Per attacker: shares of slashed stake received as an honest revealer (tokens). */
  attackerSlashShares: number | null;
  /** Attacker as a requester (self-dealing, griefing), per attacker: escrow + protocol fees - refunds (tokens). */
  requesterSpend: number | null;
  /** ... of which protocol fees (tokens, per attacker). */
  requesterProtocolFees: number | null;
  /** Share of the seats of honest requesters' committees held by honest members. */
  honestSeatShare: number | null;
  /** Mean over rounds of the attackers' share of the candidates' sampling weight. */
  attackerWeightShare: number | null;
  /** Self-dealing: share of the seats of the attacker's own tasks held by honest members. */
  selfHonestSeatShare: number | null;
  /** Self-dealing: share of the attacker's own tasks cancelled (no committee). */
  selfCancelledShare: number | null;
  /** Self-dealing: node pay the attacker's own tasks withheld vs the honest consensus, per attacker (tokens). */
  stiffedNodePay: number | null;
  /** Whitewashing: re-registrations per attacker; trust of an identity when it left and of honest members then (1.0 = 10000 bps). */
  washes: number | null;
  washTrustBefore: number | null;
  washHonestTrust: number | null;
  /** Short-window griefing: tasks with minimum windows, and honest members' misses in them. */
  griefedTasks: number | null;
  honestMisses: number | null;
  /** Per honest member: stake slashed (tokens). */
  honestSlashed: number | null;
  /** Slashed stake burned for lack of an honest revealer (tokens, whole run). */
  burned: number;
}

/** Node reward rates and qualities over the nodes that served at least one output. */
export function nodeRates(t: RunTotals): { rate: number[]; quality: number[]; nodes: number[] } {
  const rate: number[] = [];
  const quality: number[] = [];
  const nodes: number[] = [];
  for (let i = 0; i < t.nodePay.length; i++) {
    const n = t.nodeAppearances[i]!;
    if (n === 0) continue;
    nodes.push(i);
    rate.push(toTokens(t.nodePay[i]!) / n);
    quality.push(t.nodeHumanSum[i]! / n);
  }
  return { rate, quality, nodes };
}

function profitOf(e: { fees: bigint; slashShares: bigint; slashed: bigint; workCost: bigint }): number {
  return toTokens(e.fees + e.slashShares - e.slashed - e.workCost);
}

export function runMetrics(t: RunTotals, clean: RunTotals): RunMetrics {
  const { rate, quality } = nodeRates(t);
  const attackers = t.evaluators.filter((e) => e.attacker);
  const honest = t.evaluators.filter((e) => !e.attacker);
  const mean = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const last = t.rounds - 1;
  let targetGain: number | null = null;
  if (attackers.length > 0) {
    let g = 0n;
    for (const n of t.targetNodes) g += t.nodePay[n]! - clean.nodePay[n]!;
    targetGain = toTokens(g) / attackers.length;
  }
  const cleanProfit = mean(clean.evaluators.map(profitOf));
  const nA = attackers.length;
  const requesterSpend = nA > 0 ? toTokens(t.requesterSpend) / nA : null;
  const attackerProfit = nA > 0 ? mean(attackers.map(profitOf))! + (targetGain ?? 0) - (requesterSpend ?? 0) : null;
  const meanOf = (xs: number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    rewardSpearman: spearman(rate, quality),
    outputRewardSpearman: spearman(t.outputPay, t.outputHuman),
    lowQualityRewardShare: lowQualityRewardShare(rate, quality),
    consensusError: t.settledOutputs > 0 ? t.absErrorSum / t.settledOutputs : null,
    honestTrust: honest.length > 0 && last >= 0 ? t.honestTrust[last]! / 10_000 : null,
    attackerTrust: attackers.length > 0 && last >= 0 ? t.attackerTrust[last]! / 10_000 : null,
    attackerFees: mean(attackers.map((e) => toTokens(e.fees))),
    attackerSlashed: mean(attackers.map((e) => toTokens(e.slashed))),
    attackerWorkCost: mean(attackers.map((e) => toTokens(e.workCost))),
    attackerTargetGain: targetGain,
    attackerProfit,
    attackerExcessProfit: attackerProfit !== null && cleanProfit !== null ? attackerProfit - cleanProfit : null,
    honestProfit: mean(honest.map(profitOf)),
    unfillableShare: t.rounds > 0 ? t.unfillableRounds / t.rounds : 0,
    attackerSlashShares: mean(attackers.map((e) => toTokens(e.slashShares))),
    requesterSpend,
    requesterProtocolFees: nA > 0 ? toTokens(t.requesterProtocolFees) / nA : t.griefedTasks > 0 ? toTokens(t.requesterProtocolFees) : null,
    honestSeatShare: t.seats > 0 ? t.honestSeats / t.seats : null,
    attackerWeightShare: t.weightRounds > 0 ? t.attackerWeightShareSum / t.weightRounds : null,
    selfHonestSeatShare: t.selfSeats > 0 ? t.selfHonestSeats / t.selfSeats : null,
    selfCancelledShare: t.selfTasks > 0 ? t.selfCancelled / t.selfTasks : null,
    stiffedNodePay: t.selfTasks > 0 && nA > 0 ? toTokens(t.selfNodePayHonest - t.selfNodePay) / nA : null,
    washes: nA > 0 ? mean(attackers.map((e) => e.washes)) : null,
    washTrustBefore: meanOf(t.washTrustBefore.map((x) => x / 10_000)),
    washHonestTrust: meanOf(t.washHonestTrust.map((x) => x / 10_000)),
    griefedTasks: t.griefedTasks > 0 ? t.griefedTasks : null,
    honestMisses: t.griefedTasks > 0 ? t.honestMisses : null,
    honestSlashed: mean(honest.map((e) => toTokens(e.slashed))),
    burned: toTokens(t.burned),
  };
}
