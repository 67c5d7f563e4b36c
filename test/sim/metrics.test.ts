import { describe, expect, it } from "vitest";
import { lowQualityRewardShare, median, pearson, ranks, spearman, summarize, thinIndices } from "../../oracle/sim/metrics.js";
import { nodeRates, runMetrics } from "../../oracle/sim/run-metrics.js";
import type { RunTotals } from "../../oracle/sim/engine.js";

describe("sim metrics on hand-computed cases", () => {
  it("ranks ties with their average rank", () => {
    expect(ranks([10, 20, 20, 5])).toEqual([2, 3.5, 3.5, 1]);
  });

  it("spearman: perfect, reversed, and a hand-computed mixed case", () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1, 12);
    // ranks x = 1..5, y ranks = 2,1,4,3,5: d^2 sum = 1+1+1+1+0 = 4; rho = 1 - 6*4/(5*24) = 0.8
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 12);
  });

  it("correlations of a constant series are undefined, not 0", () => {
    expect(spearman([1, 2, 3], [5, 5, 5])).toBeNull();
    expect(pearson([1], [2])).toBeNull();
  });

  it("pearson of a hand-computed case", () => {
    // x = 1,2,3; y = 1,3,2: cov = (−1)(−1)+0+(1)(0) = 1; sxx = 2; syy = 2 -> r = 0.5
    expect(pearson([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 12);
  });

  it("low-quality reward share counts nodes strictly below the median quality", () => {
    // qualities 0.2, 0.4, 0.6, 0.8: median 0.5, nodes 0 and 1 are below it
    expect(lowQualityRewardShare([1, 3, 2, 4], [0.2, 0.4, 0.6, 0.8])).toBeCloseTo(4 / 10, 12);
    // odd count: median = 0.4 itself is not below it
    expect(lowQualityRewardShare([5, 5, 10], [0.2, 0.4, 0.9])).toBeCloseTo(5 / 20, 12);
    expect(lowQualityRewardShare([0, 0], [0.1, 0.2])).toBeNull();
  });

  it("median of odd and even lists", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("summaries: mean, t-interval over seeds, nulls left out", () => {
    const s = summarize([1, 2, 3, null]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(2, 12);
    expect(s.sd).toBeCloseTo(1, 12);
    // t(0.975, df=2) = 4.303; half width = 4.303 * 1 / sqrt(3)
    const half = 4.303 / Math.sqrt(3);
    expect(s.ci95![0]).toBeCloseTo(2 - half, 9);
    expect(s.ci95![1]).toBeCloseTo(2 + half, 9);
    expect(summarize([null]).mean).toBeNull();
    expect(summarize([7]).ci95).toBeNull();
  });

  it("thins trajectories keeping first and last", () => {
    expect(thinIndices(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(thinIndices(101, 3)).toEqual([0, 50, 100]);
  });

  it("run metrics: reward rates, attacker economics against the clean run", () => {
    const e18 = 10n ** 18n;
    const ev = (attacker: boolean, fees: bigint, slashed: bigint, workCost: bigint) => ({
      index: 0,
      attacker,
      trust: 10_000,
      stake: 0n,
      cost: e18,
      targets: new Set<number>(),
      fees,
      slashShares: 0n,
      slashed,
      workCost,
      sampled: 1,
      washes: 0,
    });
    const base = (nodePay: bigint[], evaluators: ReturnType<typeof ev>[]): RunTotals => ({
      rounds: 2,
      settledRounds: 2,
      unfillableRounds: 0,
      nodePay,
      nodeAppearances: [2, 2, 1, 0],
      nodeHumanSum: [1.8, 1.0, 0.2, 0],
      absErrorSum: 0.6,
      settledOutputs: 4,
      outputPay: [10, 2, 30, 4, 1],
      outputHuman: [0.5, 0.1, 0.9, 0.6, 0.0],
      evaluators,
      honestTrust: Float64Array.from([10_000, 12_000]),
      attackerTrust: Float64Array.from([10_000, 8_000]),
      targetNodes: [2],
      seats: 10,
      honestSeats: 9,
      attackerWeightShareSum: 0.2,
      weightRounds: 2,
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
    });
    const clean = base([40n * e18, 20n * e18, 2n * e18, 0n], [ev(false, 2n * e18, 0n, e18), ev(false, 2n * e18, 0n, e18)]);
    const attacked = base([40n * e18, 20n * e18, 6n * e18, 0n], [ev(false, 2n * e18, 0n, e18), ev(true, e18, e18 / 2n, e18)]);
    const rates = nodeRates(attacked);
    expect(rates.nodes).toEqual([0, 1, 2]); // node 3 never served
    expect(rates.rate).toEqual([20, 10, 6]);
    expect(rates.quality.map((q) => +q.toFixed(9))).toEqual([0.9, 0.5, 0.2]);
    const m = runMetrics(attacked, clean);
    expect(m.rewardSpearman).toBeCloseTo(1, 12);
    expect(m.consensusError).toBeCloseTo(0.15, 12);
    // pay ranks 4,2,5,3,1 vs human ranks 3,2,5,4,1: d^2 = 1+0+0+1+0 = 2 -> 1 - 12/120 = 0.9
    expect(m.outputRewardSpearman).toBeCloseTo(0.9, 12);
    expect(m.honestTrust).toBeCloseTo(1.2, 12);
    expect(m.attackerTrust).toBeCloseTo(0.8, 12);
    // target node 2 earned 4 more tokens than in the clean run; one attacker
    expect(m.attackerTargetGain).toBeCloseTo(4, 12);
    // fees 1 - slashed 0.5 - work 1 + gain 4 = 3.5; honest clean profit = 2 - 1 = 1 -> excess 2.5
    expect(m.attackerProfit).toBeCloseTo(3.5, 12);
    expect(m.attackerExcessProfit).toBeCloseTo(2.5, 12);
    expect(m.honestProfit).toBeCloseTo(1, 12);
    // low-quality share: qualities 0.9, 0.5, 0.2 -> median 0.5 -> node 2 only: 6 / 36
    expect(m.lowQualityRewardShare).toBeCloseTo(6 / 36, 12);
    expect(m.honestSeatShare).toBeCloseTo(0.9, 12);
    expect(m.attackerWeightShare).toBeCloseTo(0.1, 12);
    expect(m.requesterSpend).toBe(0);
  });
});
