/**
 * Per-output consensus rules, in the contract's exact integer arithmetic. This module is the
 * *reference* definition: it sorts and recomputes from scratch, while the contract derives
 * the same numbers incrementally (the differential test proves they agree).
 */
import { BPS, Rule } from "./constants.js";

/** Number of entries TRIMMED_MEAN drops from each side of `n` sorted scores. */
export function trimCount(n: number, trimBps: number): number {
  let t = Math.floor((n * trimBps) / BPS);
  if (2 * t >= n) t = Math.floor((n - 1) / 2);
  return t;
}

/** A voting weight: a positive integer (trust x stake factor on chain; any positive integer here). */
export type Weight = number | bigint;

function assertInputs(scores: readonly number[], weights: readonly Weight[]): void {
  if (scores.length === 0) throw new RangeError("aggregate: no scores");
  if (weights.length !== scores.length) throw new RangeError("aggregate: scores/weights length mismatch");
  for (const s of scores) {
    if (!Number.isInteger(s) || s < 0 || s > BPS) throw new RangeError(`aggregate: score out of range: ${s}`);
  }
  for (const w of weights) {
    const ok = typeof w === "bigint" ? w > 0n : Number.isSafeInteger(w) && w > 0;
    if (!ok) throw new RangeError(`aggregate: weight must be a positive integer: ${w}`);
  }
}

/**
 * Consensus of one output's scores under `rule`.
 *
 * - MEAN: floor(sum / n).
 * - MEDIAN: sorted ascending; odd n: the middle; even n: floor of the two middles' mean.
 * - TRIMMED_MEAN: t = trimCount(n, trimBps) dropped from each side, floor mean of the rest.
 * - TRUST_WEIGHTED_MEAN: floor(sum(w*s) / sum(w)).
 * - TRUST_WEIGHTED_MEDIAN: the lowest score s with 2 * (weight of scores <= s) >= total weight.
 *
 * @param scores basis points 0..10000, at least one
 * @param weights positive integers (voting weights: trust x stake factor, see `votingWeight`),
 *        same length; ignored by unweighted rules
 * @param trimBps used by TRIMMED_MEAN only
 */
export function aggregate(rule: Rule, scores: readonly number[], weights: readonly Weight[], trimBps: number): number {
  assertInputs(scores, weights);
  const n = scores.length;
  switch (rule) {
    case Rule.MEAN: {
      let sum = 0;
      for (const s of scores) sum += s;
      return Math.floor(sum / n);
    }
    case Rule.MEDIAN: {
      const sorted = [...scores].sort((a, b) => a - b);
      const h = Math.floor(n / 2);
      return n % 2 === 1 ? sorted[h]! : Math.floor((sorted[h - 1]! + sorted[h]!) / 2);
    }
    case Rule.TRIMMED_MEAN: {
      const sorted = [...scores].sort((a, b) => a - b);
      const t = trimCount(n, trimBps);
      let sum = 0;
      for (let i = t; i < n - t; i++) sum += sorted[i]!;
      return Math.floor(sum / (n - 2 * t));
    }
    case Rule.TRUST_WEIGHTED_MEAN: {
      let sws = 0n;
      let sw = 0n;
      for (let i = 0; i < n; i++) {
        sws += BigInt(weights[i]!) * BigInt(scores[i]!);
        sw += BigInt(weights[i]!);
      }
      return Number(sws / sw);
    }
    case Rule.TRUST_WEIGHTED_MEDIAN: {
      let total = 0n;
      for (const w of weights) total += BigInt(w);
      // The value is order-independent among equal scores; sort by score only.
      const idx = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
      let cum = 0n;
      for (const i of idx) {
        cum += BigInt(weights[i]!);
        if (2n * cum >= total) return scores[i]!;
      }
      throw new Error("unreachable: cumulative weight never reached half");
    }
    default:
      throw new RangeError(`aggregate: unknown rule ${String(rule)}`);
  }
}

/** True for the rules that use trust weights. */
export function isTrustWeighted(rule: Rule): boolean {
  return rule === Rule.TRUST_WEIGHTED_MEAN || rule === Rule.TRUST_WEIGHTED_MEDIAN;
}
