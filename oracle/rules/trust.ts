/** Leave-one-out deviation and the adaptive trust update, in the contract's integer arithmetic. */
import { aggregate, type Weight } from "./aggregate.js";
import { BPS, MIN_REVEALERS_FOR_DEVIATION, Rule } from "./constants.js";

/**
 * Deviations of the revealers over `m` outputs, as `Settlement` computes them.
 *
 * For each output j the reference is the WEIGHTED MEDIAN (TRUST_WEIGHTED_MEDIAN) of all
 * revealers' scores under their voting weights (fixed at the draw), whatever the task's rule:
 * no member holding less than half the weight moves it. The raw deviation of revealer i is the
 * LARGEST absolute difference over the outputs, max_j |s(i,j) - ref_j|, in bps: a boost on one
 * output counts in full (it is not averaged away over the outputs).
 *
 * With fewer than MIN_REVEALERS_FOR_DEVIATION (3) revealers the deviations are all zero: nobody
 * can be told apart.
 *
 * @param scores scores[i][j]: revealer i, output j (bps)
 * @param weights voting weight of each revealer (positive)
 * @returns raw deviation per revealer (bps)
 */
export function medianDeviations(scores: readonly (readonly number[])[], weights: readonly Weight[], anyCount = false): number[] {
  const n = scores.length;
  if (n === 0 || (n < MIN_REVEALERS_FOR_DEVIATION && !anyCount)) return scores.map(() => 0);
  const m = scores[0]!.length;
  const out = new Array<number>(n).fill(0);
  const col = new Array<number>(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) col[i] = scores[i]![j]!;
    const ref = aggregate(Rule.TRUST_WEIGHTED_MEDIAN, col, weights, 0);
    for (let i = 0; i < n; i++) {
      const d = Math.abs(col[i]! - ref);
      if (d > out[i]!) out[i] = d;
    }
  }
  return out;
}

/**
 * Leave-one-out deviations (max over outputs of |s(i,j) - consensus of the others on j|). NOT
 * what the contract settles with since settlement v2 (see `medianDeviations`); kept for
 * analyses that compare the two references.
 */
export function leaveOneOutDeviations(
  rule: Rule,
  scores: readonly (readonly number[])[],
  weights: readonly Weight[],
  trimBps: number,
): number[] {
  const n = scores.length;
  if (n < 2) return scores.map(() => 0);
  const m = scores[0]!.length;
  const out = new Array<number>(n).fill(0);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      const others: number[] = [];
      const otherW: Weight[] = [];
      for (let r = 0; r < n; r++) {
        if (r === i) continue;
        others.push(scores[r]![j]!);
        otherW.push(weights[r]!);
      }
      const d = Math.abs(scores[i]![j]! - aggregate(rule, others, otherW, trimBps));
      if (d > out[i]!) out[i] = d;
    }
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
  const t = clipTrust(Math.floor((trust * f) / BPS), p.wMin, p.wMax);
  // a deviation of at least half the scale never raises trust (the floor wMin could)
  return dNorm >= 5_000 && t > trust ? trust : t;
}

/** Trust of a non-revealer: min(w, clip(floor(w * (10000 - missPenaltyBps) / 10000), wMin, wMax)): a miss never raises trust. */
export function penaliseMiss(trust: number, p: { missPenaltyBps: number; wMin: number; wMax: number }): number {
  return Math.min(trust, clipTrust(Math.floor((trust * (BPS - p.missPenaltyBps)) / BPS), p.wMin, p.wMax));
}
