import { describe, expect, it } from "vitest";
import {
  aggregate,
  DEFAULT_SETTLEMENT_PARAMS,
  leaveOneOutDeviations,
  medianDeviations,
  normalisedDeviation,
  packScores,
  penaliseMiss,
  Rule,
  sample,
  settleTask,
  applySettlement,
  candidates,
  drawCommittee,
  effectiveOf,
  finalizeTask,
  moveTrust,
  samplingTrust,
  protocolFeeFor,
  registerEvaluator,
  requestUnbond,
  setCost,
  slashEvaluator,
  canWithdraw,
  splitSlash,
  votingWeight,
  DEFAULT_STAKING_PARAMS,
  DEFAULT_TASK_PARAMS,
  type RegistryEvaluator,
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
  it("deviation is the largest over the outputs from the revealers' weighted median, from three revealers on", () => {
    // Two agree at 8000, one says 2000: the median (8000) is moved by no single score, so the
    // honest pair deviates 0 (a leave-one-out median would have put them at 3000 each).
    expect(medianDeviations([[8_000], [8_000], [2_000]], ones(3))).toEqual([0, 0, 6_000]);
    expect(leaveOneOutDeviations(Rule.MEDIAN, [[8_000], [8_000], [2_000]], ones(3), 0)).toEqual([3_000, 3_000, 6_000]);
    // many light members cannot outvote a heavy one on the reference
    expect(medianDeviations([[8_000], [2_000], [2_000]], [10n, 1n, 1n])).toEqual([0, 6_000, 6_000]);
    // A boost of one output in five counts in full (the mean over outputs would have been 700).
    const honest = [6_000, 6_000, 6_000, 6_000, 6_000];
    const boosted = [6_000, 6_000, 9_500, 6_000, 6_000];
    expect(medianDeviations([honest, honest, honest, boosted], ones(4))).toEqual([0, 0, 0, 3_500]);
    // even count, equal weights: the reference is the lower middle score
    expect(medianDeviations([[0], [1_000], [3_000], [10_000]], ones(4))).toEqual([1_000, 0, 2_000, 9_000]);
    // fewer than three revealers: nobody can be told apart
    expect(medianDeviations([[8_000], [0]], ones(2))).toEqual([0, 0]);
    expect(medianDeviations([[8_000]], ones(1))).toEqual([0]);
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

const W = 10_000n;
const mem = (o: { trust?: number; weight?: bigint; stake?: bigint; scores?: number[] }) => ({
  trust: o.trust ?? 10_000,
  weight: o.weight ?? W,
  stake: o.stake ?? 0n,
  revealed: o.scores !== undefined,
  scores: o.scores,
});

describe("settleTask", () => {
  const base = { rule: Rule.MEDIAN, params: DEFAULT_SETTLEMENT_PARAMS, m: 2, nodeBudget: 1_000n, fee: 100n };
  it("pays the fee per member, slashes no-shows and refunds so that the escrow is conserved", () => {
    const r = settleTask({
      ...base,
      members: [
        mem({ scores: [9_000, 7_000] }),
        mem({ scores: [9_000, 7_000] }),
        mem({ scores: [9_000, 7_000] }),
        mem({ stake: 1_000n }),
      ],
    });
    expect(r.consensus).toEqual([9_000, 7_000]);
    expect(r.deviations).toEqual([0, 0, 0, 0]);
    expect(r.newTrust).toEqual([11_000, 11_000, 11_000, 8_000]);
    expect(r.slashed).toEqual([0n, 0n, 0n, 100n]);
    expect(r.slashTotal).toBe(100n);
    expect(r.evaluatorPay).toEqual([100n, 100n, 100n, 0n]);
    expect(r.honest).toEqual([true, true, true, false]);
    expect(r.honestCount).toBe(3);
    // per output 500; (9000-5000)/5000 -> 400, (7000-5000)/5000 -> 200
    expect(r.nodePay).toEqual([400n, 200n]);
    expect(r.refund).toBe(1_000n + 4n * 100n - 600n - 300n);
  });
  it("a liar far from the leave-one-out consensus is paid less, loses trust and is not honest", () => {
    const r = settleTask({
      ...base,
      m: 1,
      members: [mem({ scores: [6_000] }), mem({ scores: [6_000] }), mem({ scores: [6_000] }), mem({ scores: [8_000] })],
    });
    // dev 2000 -> d = 10000 at scale 2000: pay 0, trust * 0.9
    expect(r.deviations).toEqual([0, 0, 0, 2_000]);
    expect(r.normalisedDeviations).toEqual([0, 0, 0, 10_000]);
    expect(r.evaluatorPay).toEqual([100n, 100n, 100n, 0n]);
    expect(r.newTrust[3]).toBe(9_000);
    expect(r.honest).toEqual([true, true, true, false]);
  });
  it("refunds everything when nobody reveals", () => {
    const r = settleTask({ ...base, members: [mem({ stake: 50n }), mem({ stake: 0n }), mem({ stake: 10n })] });
    expect(r.consensus).toBeNull();
    expect(r.refund).toBe(1_300n);
    expect(r.slashed).toEqual([5n, 0n, 1n]);
    expect(r.honestCount).toBe(0);
  });
  it("with fewer than three revealers the consensus is their weighted median, trust does not move and the full fee is paid", () => {
    // within the band of each other (deviationScaleBps / 2): equal weights, the lower score
    const r = settleTask({ ...base, members: [mem({ trust: 12_345, scores: [9_000, 8_000] }), mem({ trust: 7_000, scores: [9_500, 7_200] }), mem({ stake: 0n })] });
    expect(r.consensus).toEqual([9_000, 7_200]);
    const heavy = settleTask({ ...base, members: [mem({ weight: 1n, scores: [9_000, 8_000] }), mem({ weight: 3n, scores: [10_000, 6_000] }), mem({ stake: 0n })] });
    expect(heavy.consensus).toEqual([10_000, 6_000]); // the heavier of two
    expect(r.newTrust).toEqual([12_345, 7_000, 8_000]);
    expect(r.evaluatorPay).toEqual([100n, 100n, 0n]);
    expect(r.honest).toEqual([false, false, false]); // nobody could be checked: a slash would be burned
  });
  it("two halves of equal weight that disagree void the task instead of the lower half deciding (V7-1)", () => {
    const split = [mem({ trust: 12_345, scores: [9_000, 8_000] }), mem({ trust: 7_000, scores: [10_000, 6_000] }), mem({ stake: 10n })];
    const r = settleTask({ ...base, members: split });
    expect(r.consensus).toBeNull();
    expect(r.nodePay).toEqual([0n, 0n]);
    expect(r.evaluatorPay).toEqual([100n, 100n, 0n]); // each scorer its fee
    expect(r.newTrust.slice(0, 2)).toEqual([12_345, 7_000]); // nobody judged
    expect(r.slashed).toEqual([0n, 0n, 1n]); // the silent member still pays
    // k = 4, two against two: the same void (MEDIAN or TRUST_WEIGHTED_MEDIAN)
    const four = [mem({ scores: [0, 0] }), mem({ scores: [0, 0] }), mem({ scores: [7_000, 7_000] }), mem({ scores: [7_000, 7_000] })];
    for (const rule of [Rule.MEDIAN, Rule.TRUST_WEIGHTED_MEDIAN]) {
      const t = settleTask({ ...base, rule, members: four });
      expect(t.consensus).toBeNull();
      expect(t.newTrust).toEqual(four.map((x) => x.trust));
    }
    // a majority of the weight still decides: three against one settles and judges the one
    const three = settleTask({ ...base, members: [...four.slice(0, 3), mem({ scores: [7_000, 7_000] }), mem({ scores: [7_000, 7_000] })] });
    expect(three.consensus).toEqual([7_000, 7_000]);
  });
  it("an even MEDIAN takes the weighted median, not the midpoint: two light zeros cannot drag two heavy 7000s under the floor (V7-1c)", () => {
    const members = [mem({ weight: 1n, scores: [0] }), mem({ weight: 1n, scores: [0] }), mem({ weight: 100n, scores: [7_000] }), mem({ weight: 100n, scores: [7_000] })];
    const r = settleTask({ ...base, m: 1, rule: Rule.MEDIAN, members });
    expect(r.consensus).toEqual([7_000]);
    expect(r.evaluatorPay).toEqual([0n, 0n, 100n, 100n]);
    // odd counts keep the unweighted middle score
    expect(settleTask({ ...base, m: 1, rule: Rule.MEDIAN, members: [...members, mem({ weight: 1n, scores: [0] })] }).consensus).toEqual([0]);
  });
  it("a penalty never raises trust, even under a floor wMin above it", () => {
    const p = { ...base.params, wMin: 8_000 };
    const r = settleTask({ ...base, params: p, members: [mem({ trust: 5_000, scores: [0, 0] }), mem({ scores: [7_000, 7_000] }), mem({ scores: [7_000, 7_000] }), mem({ trust: 6_000 })] });
    expect(r.newTrust[0]).toBe(5_000); // the outlier (d = 1) stays at 5000, not lifted to 8000
    expect(r.newTrust[3]).toBe(6_000); // the silent member stays at 6000
  });
  it("trust-weighted rules use the voting weight, not the trust alone", () => {
    const members = [mem({ weight: 1n, scores: [0] }), mem({ weight: 1n, scores: [0] }), mem({ weight: 3n, scores: [10_000] })];
    expect(settleTask({ ...base, m: 1, rule: Rule.TRUST_WEIGHTED_MEDIAN, members }).consensus).toEqual([10_000]);
    expect(settleTask({ ...base, m: 1, rule: Rule.MEDIAN, members }).consensus).toEqual([0]);
  });
});

const S = DEFAULT_STAKING_PARAMS;
const E18 = 10n ** 18n;
function ev(over: Partial<RegistryEvaluator> = {}): RegistryEvaluator {
  return { ...registerEvaluator(S, 1_000n * E18, E18, 1, 0), pendingAt: 0, effStake: 1_000n * E18, effCost: E18, effProfiles: 1, ...over };
}

describe("registry rules", () => {
  it("declared values become effective when pendingAt != 0 && pendingAt <= now", () => {
    const e = registerEvaluator(S, 500n * E18, 3n * E18, 2, 1_000);
    expect(e.trust).toBe(S.initialTrust);
    expect(e.pendingAt).toBe(1_000 + S.activationDelay);
    expect(effectiveOf(e, 1_000 + S.activationDelay - 1)).toEqual({ stake: 0n, cost: 0n, profiles: 0 });
    expect(effectiveOf(e, 1_000 + S.activationDelay)).toEqual({ stake: 500n * E18, cost: 3n * E18, profiles: 2 });
    const c = setCost({ ...e, pendingAt: 0, effStake: 500n * E18, effCost: 3n * E18, effProfiles: 2 }, 9n * E18, 5_000, S);
    expect(effectiveOf(c, 5_000).cost).toBe(3n * E18);
    expect(effectiveOf(c, 5_000 + S.activationDelay).cost).toBe(9n * E18);
  });
  it("voting weight is trust x max(1, (min(effStake, cap) << 24) / cap)", () => {
    expect(votingWeight(10_000, S.stakeCap, S.stakeCap)).toBe(10_000n << 24n);
    expect(votingWeight(10_000, 2n * S.stakeCap, S.stakeCap)).toBe(10_000n << 24n);
    expect(votingWeight(5_000, S.stakeCap / 100n, S.stakeCap)).toBe(5_000n * ((1n << 24n) / 100n));
    expect(votingWeight(7_000, 0n, S.stakeCap)).toBe(7_000n);
  });
  it("candidates: list order, serves the profile, cost <= fee, stake >= minStake, not the requester", () => {
    const list = [
      ev(),
      ev({ effCost: 3n * E18 }), // too expensive
      ev({ effProfiles: 2 }), // does not serve bit 1
      ev({ effStake: S.minStake - 1n }), // under minStake
      ev({ trust: 20_000, effStake: 2n * S.stakeCap }), // capped
      ev(), // the requester
    ];
    const c = candidates(list, 1, 2n * E18, 5, 1_000_000, S);
    expect(c.index).toEqual([0, 4]);
    expect(c.weights).toEqual([BigInt(S.initialTrust) * 1_000n * E18, 20_000n * S.stakeCap]);
  });
  it("a trust rise is capped per period (periods numbered floor(now / trustPeriod)); falls are not; sampling weighs the period's starting trust", () => {
    const p = { trustGainPerPeriod: 1_000, trustPeriod: 3_600 };
    const T = 3_600 * 500; // the start of period 500
    let e = ev({ trust: 10_000 });
    e = moveTrust(e, 10_700, T + 100, p);
    expect([e.trust, e.period, e.periodGain]).toEqual([10_700, 500, 700]);
    e = moveTrust(e, 11_700, T + 200, p); // only 300 left this period
    expect([e.trust, e.periodGain]).toEqual([11_000, 1_000]);
    // sampling weighs the trust the period began with until the period ends
    expect(samplingTrust(e, T + 200, p.trustPeriod)).toBe(10_000);
    expect(samplingTrust(e, T + 3_600, p.trustPeriod)).toBe(11_000);
    e = moveTrust(e, 12_000, T + 3_599, p); // still the same period: no room
    expect(e.trust).toBe(11_000);
    e = moveTrust(e, 9_000, T + 3_599, p); // a fall is never capped
    expect([e.trust, e.periodGain]).toEqual([9_000, 1_000]);
    e = moveTrust(e, 9_500, T + 3_600, p); // the next period: a fresh allowance
    expect([e.trust, e.period, e.periodGain]).toEqual([9_500, 501, 500]);
    // period numbers wrap at 2^16
    expect(moveTrust(ev({ trust: 10_000 }), 10_500, 3_600 * 65_537, p).period).toBe(1);
  });
  it("slashes from stake, then unbonding, at most what is there and at most once per activationDelay; the lower stake reaches sampling at slashAt, which the evaluator cannot postpone", () => {
    const e = requestUnbond(ev({ stake: 300n * E18, effStake: 300n * E18 }), 100n * E18, 10, S);
    expect([e.stake, e.unbonding]).toEqual([200n * E18, 100n * E18]);
    const now = 10 + S.activationDelay; // the unbonding request is effective now
    const r = slashEvaluator(e, 250n * E18, now, S);
    expect(r.taken).toBe(250n * E18);
    expect([r.evaluator.stake, r.evaluator.unbonding]).toEqual([0n, 50n * E18]);
    expect(r.evaluator.pendingAt).toBe(0); // the slash does not postpone (or wait for) other changes
    expect(r.evaluator.slashAt).toBe(now + S.activationDelay);
    expect(effectiveOf(r.evaluator, now).stake).toBe(200n * E18); // still what was effective
    expect(effectiveOf(r.evaluator, now + S.activationDelay).stake).toBe(50n * E18); // capped at what is left at risk
    // a second slash before the first matured takes nothing (one slash per activationDelay) and keeps the maturity time
    const r2 = slashEvaluator(r.evaluator, 80n * E18, now + 1, S);
    expect(r2.taken).toBe(0n);
    expect(r2.evaluator.slashAt).toBe(now + S.activationDelay);
    expect(effectiveOf(r2.evaluator, now + S.activationDelay).stake).toBe(50n * E18);
    // once it matured, the next slash takes stake again and starts a new window
    const r3 = slashEvaluator(r2.evaluator, 80n * E18, now + S.activationDelay, S);
    expect(r3.taken).toBe(50n * E18);
    expect(r3.evaluator.slashAt).toBe(now + 2 * S.activationDelay);
    expect(effectiveOf(r3.evaluator, now + 2 * S.activationDelay).stake).toBe(0n);
    // a pending change blocks the withdrawal, and so does a maturing slash (a withdrawal would
    // bring the lower stake into sampling at a moment the evaluator picks)
    const w = { ...r.evaluator, unbondAt: now, unbondLock: 0 };
    expect(canWithdraw(w, now + 1)).toBe(false);
    expect(canWithdraw(w, now + S.activationDelay)).toBe(true);
    const p = { ...w, slashAt: 0, pendingAt: now + 5 };
    expect(canWithdraw(p, now + 1)).toBe(false);
    expect(canWithdraw(p, now + 5)).toBe(true);
  });
  it("splits the actually-slashed total equally among honest revealers, the remainder to the first; burns without one", () => {
    expect(splitSlash([false, true, false, true, true], 100n)).toEqual({ shares: [0n, 34n, 0n, 33n, 33n], burned: 0n });
    expect(splitSlash([false, false], 7n)).toEqual({ shares: [0n, 0n], burned: 7n });
    expect(splitSlash([true], 0n)).toEqual({ shares: [0n], burned: 0n });
  });
  it("applySettlement caps rises, counts misses and reports what was taken", () => {
    const members = [ev({ trust: 10_000 }), ev({ stake: 10n, effStake: 10n })];
    const r = applySettlement(members, [true, false], [20_000, 8_000], [0n, 100n], 1_000_000, S);
    expect(r.trustSet).toEqual([10_000 + S.trustGainPerPeriod, 8_000]);
    expect(r.slashed).toEqual([0n, 10n]);
    expect(r.total).toBe(10n);
    expect(r.evaluators[1]!.tasksMissed).toBe(1);
    expect(members[0]!.trust).toBe(10_000); // inputs untouched
  });
  it("finalizeTask credits fee + slash share to honest revealers and refunds the rest", () => {
    const members = [ev(), ev(), ev(), ev({ stake: 1_000n * E18 })];
    const r = finalizeTask({
      rule: Rule.MEDIAN,
      params: DEFAULT_SETTLEMENT_PARAMS,
      staking: S,
      members,
      weights: members.map(() => 1n),
      revealed: [true, true, true, false],
      scores: [[7_000], [7_000], [7_000], null],
      m: 1,
      nodeBudget: 10n * E18,
      fee: E18,
      now: 100,
    });
    // 10% of 1000 tokens slashed, shared by the three honest revealers (remainder to the first)
    expect(r.registry.total).toBe(100n * E18);
    expect(r.slashShare).toEqual([33_333_333_333_333_333_334n, 33_333_333_333_333_333_333n, 33_333_333_333_333_333_333n, 0n]);
    expect(r.credit[0]).toBe(E18 + 33_333_333_333_333_333_334n);
    expect(r.burned).toBe(0n);
    expect(r.settlement.refund).toBe(10n * E18 + 4n * E18 - 4n * E18 - 3n * E18);
  });
  it("protocol fee = taskFee + protocolFeeBps of both budgets", () => {
    expect(protocolFeeFor(DEFAULT_TASK_PARAMS, 100n * E18, 7n * E18)).toBe(E18 / 10n + (107n * E18 * 200n) / 10_000n);
  });
});

describe("sampling and packing", () => {
  const seed = `0x${"ab".repeat(32)}` as const;
  it("draws distinct candidates, stops when nothing is left", () => {
    const w = [10n, 10n, 10n, 10n];
    const picked = sample(w, 3, seed);
    expect(new Set(picked).size).toBe(3);
    expect(sample(w, 6, seed)).toHaveLength(4);
    expect(sample([0n, 0n], 1, seed)).toEqual([]);
    expect(w).toEqual([10n, 10n, 10n, 10n]); // input untouched
  });
  it("drawCommittee maps draws to list positions, fixes voting weights, and returns null when unfillable", () => {
    const list = [ev(), ev({ effCost: 5n * E18 }), ev(), null, ev()];
    const c = drawCommittee(list, 1, E18, -1, 3, seed, 0, S, 0)!;
    expect([...c.members].sort()).toEqual([0, 2, 4]); // the hole (3) and the expensive one (1) are never drawn
    expect(c.weights).toEqual(c.members.map(() => votingWeight(S.initialTrust, 1_000n * E18, S.stakeCap)));
    expect(drawCommittee(list, 1, E18, 0, 3, seed, 0, S, 0)).toBeNull(); // the requester is excluded: 2 left
  });
  it("drawCommittee cancels a price only evaluators holding < minEligibleBps of the network's weight accept", () => {
    // three cheap sybils at minStake, two honest members at 1000 tokens declaring 2 tokens
    const sybil = ev({ stake: S.minStake, effStake: S.minStake, effCost: 0n, cost: 0n });
    const list = [sybil, sybil, sybil, ev({ effCost: 2n * E18 }), ev({ effCost: 2n * E18 })];
    // sybils hold 300 / 2300 = 13% of the network weight
    expect(drawCommittee(list, 1, E18 / 10n, -1, 3, seed, 0, S, 5_000)).toBeNull();
    expect(drawCommittee(list, 1, E18 / 10n, -1, 3, seed, 0, S, 1_000)).not.toBeNull();
    expect(drawCommittee(list, 1, 2n * E18, -1, 3, seed, 0, S, 5_000)).not.toBeNull(); // at the honest price everyone fits
    expect(candidates(list, 1, E18 / 10n, -1, 0, S).networkWeight).toBe(BigInt(S.initialTrust) * 2_300n * E18);
  });
  it("drawCommittee measures the eligible weight against the whole network (any profile, any cost), not the profile's servers", () => {
    // three sybils alone on profile bit 2 (1000 tokens each), five honest on bit 1 (1000 each)
    const sybil = ev({ effProfiles: 2 });
    const honest = ev();
    const list = [honest, honest, honest, honest, honest, sybil, sybil, sybil];
    const c = candidates(list, 2, E18, -1, 0, S);
    expect(c.index).toEqual([5, 6, 7]);
    expect(c.networkWeight).toBe(BigInt(S.initialTrust) * 8_000n * E18); // 3,000 of 8,000: 37.5%
    expect(drawCommittee(list, 2, E18, -1, 3, seed, 0, S, 5_000)).toBeNull(); // before: the three sybils, the whole serving set
    expect(drawCommittee(list, 2, E18, -1, 3, seed, 0, S, 3_000)!.members.sort()).toEqual([5, 6, 7]);
    // once two honest evaluators serve bit 2 too, 5,000 of 8,000 is eligible: tasks draw
    const moved = [ev({ effProfiles: 3 }), ev({ effProfiles: 3 }), honest, honest, honest, sybil, sybil, sybil];
    expect(drawCommittee(list.map((e, i) => moved[i] ?? e), 2, E18, -1, 3, seed, 0, S, 5_000)).not.toBeNull();
  });
  it("the network weight leaves out the requester, evaluators under minStake and those serving only retired profiles; a task's retired profile has no candidates", () => {
    const list = [ev(), ev({ effProfiles: 4 }), ev({ effStake: S.minStake - 1n, effProfiles: 2 }), ev({ effProfiles: 2 }), ev({ effProfiles: 8 })];
    const w = BigInt(S.initialTrust) * 1_000n * E18;
    expect(candidates(list, 1, E18, -1, 0, S).networkWeight).toBe(4n * w); // every profile active: 0, 1, 3, 4
    expect(candidates(list, 1, E18, -1, 0, S, 0b011).networkWeight).toBe(2n * w); // bits 4 and 8 retired: 0, 3
    expect(candidates(list, 1, E18, 3, 0, S, 0b011).networkWeight).toBe(w); // 3 is the requester
    // a task whose profile (bit 4) was retired after its creation: nobody is drawn (it is cancelled)
    const c = candidates(list, 4, E18, -1, 0, S, 0b011);
    expect([c.index, c.networkWeight]).toEqual([[], 0n]);
    expect(drawCommittee(list, 4, E18, -1, 1, "0x01", 0, S, 0, 0b011)).toBeNull();
  });
  it("round-trips packed scores", () => {
    const s = [0, 1, 10_000, 9_999, 42];
    expect(unpackScores(packScores(s), s.length)).toEqual(s);
    expect(() => packScores([10_001])).toThrow(RangeError);
  });
});
