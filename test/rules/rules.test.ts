import { describe, expect, it } from "vitest";
import {
  aggregate,
  DEFAULT_SETTLEMENT_PARAMS,
  leaveOneOutDeviations,
  normalisedDeviation,
  packScores,
  penaliseMiss,
  Rule,
  sampleCommittee,
  settleTask,
  trimCount,
  trustFactor,
  unpackScores,
  updateTrust,
} from "../../oracle/rules/index.js";

const ones = (n: number) => new Array<number>(n).fill(10_000);

describe("aggregate", () => {
  it("MEAN floors", () => {
    expect(aggregate(Rule.MEAN, [1, 2], ones(2), 0)).toBe(1);
    expect(aggregate(Rule.MEAN, [10_000, 9_999, 0], ones(3), 0)).toBe(6_666);
  });
  it("MEDIAN odd and even", () => {
    expect(aggregate(Rule.MEDIAN, [9, 1, 5], ones(3), 0)).toBe(5);
    expect(aggregate(Rule.MEDIAN, [4, 1, 2, 9], ones(4), 0)).toBe(3); // floor((2+4)/2)
    expect(aggregate(Rule.MEDIAN, [1, 2], ones(2), 0)).toBe(1);
  });
  it("TRIMMED_MEAN trims floor(n*trim) each side and keeps at least one", () => {
    expect(trimCount(5, 2_000)).toBe(1);
    expect(trimCount(4, 2_000)).toBe(0);
    expect(trimCount(3, 4_500)).toBe(1);
    expect(trimCount(2, 4_500)).toBe(0);
    expect(trimCount(1, 4_500)).toBe(0);
    expect(aggregate(Rule.TRIMMED_MEAN, [0, 5_000, 5_001, 5_002, 10_000], ones(5), 2_000)).toBe(5_001);
  });
  it("TRUST_WEIGHTED_MEAN", () => {
    expect(aggregate(Rule.TRUST_WEIGHTED_MEAN, [0, 10_000], [1_000, 3_000], 0)).toBe(7_500);
    expect(aggregate(Rule.TRUST_WEIGHTED_MEAN, [1, 2], [1, 1], 0)).toBe(1);
  });
  it("TRUST_WEIGHTED_MEDIAN is the lowest score reaching half the weight", () => {
    expect(aggregate(Rule.TRUST_WEIGHTED_MEDIAN, [100, 200, 300], [1, 1, 1], 0)).toBe(200);
    expect(aggregate(Rule.TRUST_WEIGHTED_MEDIAN, [100, 200], [1, 1], 0)).toBe(100);
    expect(aggregate(Rule.TRUST_WEIGHTED_MEDIAN, [100, 200, 300], [1, 1, 5], 0)).toBe(300);
    expect(aggregate(Rule.TRUST_WEIGHTED_MEDIAN, [300, 100, 200], [5, 1, 1], 0)).toBe(300);
  });
  it("rejects bad input", () => {
    expect(() => aggregate(Rule.MEAN, [], [], 0)).toThrow(RangeError);
    expect(() => aggregate(Rule.MEAN, [10_001], [1], 0)).toThrow(RangeError);
    expect(() => aggregate(Rule.TRUST_WEIGHTED_MEAN, [1], [0], 0)).toThrow(RangeError);
  });
});

describe("trust", () => {
  it("leave-one-out excludes the evaluator's own score", () => {
    // Two agree at 8000, one says 2000. LOO median for the outlier is 8000 (dev 6000);
    // for each honest one it is floor((8000+2000)/2)=5000 (dev 3000).
    expect(leaveOneOutDeviations(Rule.MEDIAN, [[8_000], [8_000], [2_000]], ones(3), 0)).toEqual([3_000, 3_000, 6_000]);
    expect(leaveOneOutDeviations(Rule.MEAN, [[8_000]], ones(1), 0)).toEqual([0]);
  });
  it("normalises, updates and clips", () => {
    expect(normalisedDeviation(1_000, 2_000)).toBe(5_000);
    expect(normalisedDeviation(9_000, 2_000)).toBe(10_000);
    expect(trustFactor(0, 2_000)).toBe(11_000);
    expect(trustFactor(10_000, 2_000)).toBe(9_000);
    expect(trustFactor(5_001, 3)).toBe(10_000); // trunc toward zero
    expect(updateTrust(10_000, 0, { lambdaBps: 2_000, wMin: 1_000, wMax: 30_000 })).toBe(11_000);
    expect(updateTrust(29_999, 0, { lambdaBps: 2_000, wMin: 1_000, wMax: 30_000 })).toBe(30_000);
    expect(updateTrust(1_050, 10_000, { lambdaBps: 2_000, wMin: 1_000, wMax: 30_000 })).toBe(1_000);
    expect(penaliseMiss(10_000, { missPenaltyBps: 2_000, wMin: 1_000, wMax: 30_000 })).toBe(8_000);
  });
});

describe("settleTask", () => {
  const base = { rule: Rule.MEDIAN, params: DEFAULT_SETTLEMENT_PARAMS, m: 2, nodeBudget: 1_000n, evalBudget: 300n };
  it("pays, slashes and refunds so that the escrow is conserved", () => {
    const r = settleTask({
      ...base,
      members: [
        { trust: 10_000, stake: 1_000n, cost: 100n, revealed: true, scores: [9_000, 7_000] },
        { trust: 10_000, stake: 1_000n, cost: 100n, revealed: true, scores: [9_000, 7_000] },
        { trust: 10_000, stake: 1_000n, cost: 100n, revealed: false },
      ],
    });
    expect(r.consensus).toEqual([9_000, 7_000]);
    expect(r.deviations).toEqual([0, 0, 0]);
    expect(r.newTrust).toEqual([11_000, 11_000, 8_000]);
    expect(r.slashed).toEqual([0n, 0n, 100n]);
    expect(r.evaluatorPay).toEqual([100n, 100n, 0n]);
    // per output 500; (9000-5000)/5000 -> 400, (7000-5000)/5000 -> 200
    expect(r.nodePay).toEqual([400n, 200n]);
    expect(r.refund).toBe(1_300n - 800n);
    expect(r.treasury).toBe(100n);
  });
  it("refunds everything when nobody reveals", () => {
    const r = settleTask({ ...base, members: [{ trust: 10_000, stake: 50n, cost: 100n, revealed: false }] });
    expect(r.consensus).toBeNull();
    expect(r.refund).toBe(1_300n);
    expect(r.slashed).toEqual([5n]);
  });
  it("keeps trust for a lone revealer and pays the full fee", () => {
    const r = settleTask({ ...base, members: [{ trust: 12_345, stake: 1n, cost: 77n, revealed: true, scores: [1, 2] }] });
    expect(r.newTrust).toEqual([12_345]);
    expect(r.evaluatorPay).toEqual([77n]);
  });
});

describe("sampling and packing", () => {
  const seed = `0x${"ab".repeat(32)}` as const;
  it("draws distinct candidates within the budget", () => {
    const c = [
      { weight: 10n, cost: 5n },
      { weight: 10n, cost: 50n },
      { weight: 10n, cost: 5n },
      { weight: 10n, cost: 5n },
    ];
    const picked = sampleCommittee(c, 3, 15n, seed);
    expect(picked.sort()).toEqual([0, 2, 3]);
    expect(sampleCommittee(c, 3, 9n, seed)).toHaveLength(1);
    expect(new Set(sampleCommittee(c, 4, 1_000n, seed)).size).toBe(4);
  });
  it("round-trips packed scores", () => {
    const s = [0, 1, 10_000, 65_535 > 10_000 ? 9_999 : 0, 42];
    expect(unpackScores(packScores(s), s.length)).toEqual(s);
    expect(() => packScores([10_001])).toThrow(RangeError);
  });
});
