/** Leave-one-out deviation and the adaptive trust update, in the contract's integer arithmetic. */
import { aggregate } from "./aggregate.js";
import { BPS, Rule } from "./constants.js";

/**
 * Leave-one-out deviations of `n >= 2` revealers over `m` outputs.
 *
 * For revealer i and output j, the leave-one-out consensus c(-i, j) is `aggregate(rule)` over
 * the other revealers' scores (and weights). The raw deviation of i is
 * floor( sum_j |s(i,j) - c(-i,j)| / m ), in bps.
 *
 * @param scores scores[i][j]: revealer i, output j (bps)
 * @param weights trust of each revealer (positive)
 * @returns raw deviation per revealer (bps); all zeros when n < 2
 */
export function leaveOneOutDeviations(
  rule: Rule,
  scores: readonly (readonly number[])[],
  weights: readonly number[],
  trimBps: number,
): number[] {
  const n = scores.length;
  if (n < 2) return scores.map(() => 0);
  const m = scores[0]!.length;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let total = 0;
    for (let j = 0; j < m; j++) {
      const others: number[] = [];
      const otherW: number[] = [];
      for (let r = 0; r < n; r++) {
        if (r === i) continue;
        others.push(scores[r]![j]!);
        otherW.push(weights[r]!);
      }
      const loo = aggregate(rule, others, otherW, trimBps);
      total += Math.abs(scores[i]![j]! - loo);
    }
    out.push(Math.floor(total / m));
  }
  return out;
}

/** Normalised deviation d in bps: min(10000, floor(dev * 10000 / deviationScaleBps)). */
export function normalisedDeviation(devBps: number, deviationScaleBps: number): number {
  return Math.min(BPS, Math.floor((devBps * BPS) / deviationScaleBps));
}

/**
 * Trust multiplier in bps: 10000 + trunc(lambdaBps * (5000 - d) / 10000). Truncation is
 * toward zero (Solidity signed division), so a negative adjustment rounds up.
 */
export function trustFactor(dNorm: number, lambdaBps: number): number {
  return BPS + Math.trunc((lambdaBps * (5_000 - dNorm)) / BPS);
}

/** Clamp to [wMin, wMax]. */
export function clipTrust(w: number, wMin: number, wMax: number): number {
  return Math.min(wMax, Math.max(wMin, w));
}

/**
 * Adaptive trust update w <- clip(floor(w * factor / 10000), wMin, wMax) with
 * factor = trustFactor(d, lambda): d = 0 (perfect agreement) raises trust by lambda/2,
 * d = 10000 lowers it by lambda/2, d = 5000 leaves it unchanged.
 */
export function updateTrust(trust: number, dNorm: number, p: { lambdaBps: number; wMin: number; wMax: number }): number {
  const f = trustFactor(dNorm, p.lambdaBps);
  return clipTrust(Math.floor((trust * f) / BPS), p.wMin, p.wMax);
}

/** Trust of a non-revealer: clip(floor(w * (10000 - missPenaltyBps) / 10000), wMin, wMax). */
export function penaliseMiss(trust: number, p: { missPenaltyBps: number; wMin: number; wMax: number }): number {
  return clipTrust(Math.floor((trust * (BPS - p.missPenaltyBps)) / BPS), p.wMin, p.wMax);
}
