import { describe, expect, it } from "vitest";
import { keccak256, toHex } from "viem";
import {
  aggregate,
  DEFAULT_SETTLEMENT_PARAMS,
  leaveOneOutDeviations,
  medianDeviations,
  normalisedDeviation,
  packScores,
  penaliseMiss,
  Rule,
  settleTask,
  applySettlement,
  acceptWord,
  addStake,
  bucketOf,
  canEvict,
  drawCommittee,
  drawInputs,
  drawWord,
  drawWindow,
  ownerAt,
  eligibleStake,
  effectiveOf,
  evaluatorView,
  evictEvaluator,
  gridCost,
  gridValue,
  PRICE_BUCKETS,
  samplingWeight,
  setProfiles,
  stateAt,
  syncEvaluator,
  treeSample,
  trustBound,
  withdrawUnbonded,
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
const D = S.activationDelay;
const E18 = 10n ** 18n;
/** The clock of the registry tests: registrations at T0 count from T0 + D. */
const T0 = 1_000_000;
/** A registered evaluator in `slot` (1000 tokens, cost 1 token, serving bit 1 unless told), effective from T0 + D. */
function ev(slot = 0, o: { stake?: bigint; cost?: bigint; mask?: number; trust?: number } = {}): RegistryEvaluator {
  const e = registerEvaluator(S, o.stake ?? 1_000n * E18, o.cost ?? E18, o.mask ?? 1, T0, slot);
  return o.trust === undefined ? e : { ...e, trust: o.trust, periodTrust: o.trust };
}

describe("registry rules", () => {
  it("each declaration takes effect at its own key, now + activationDelay: a later one never postpones an earlier one", () => {
    const e = registerEvaluator(S, 500n * E18, 3n * E18, 2, 1_000, 0);
    expect(e.trust).toBe(S.initialTrust);
    expect(e.since).toBe(1_000 + D);
    expect(effectiveOf(e, 1_000 + D - 1)).toEqual({ stake: 0n, cost: 0n, profiles: 0 });
    expect(effectiveOf(e, 1_000 + D)).toEqual({ stake: 500n * E18, cost: 3n * E18, profiles: 2 });
    // a cost change declared before the registration matured: the registration still matures on time
    const c = setCost(e, 9n * E18, 1_000 + D - 10, S);
    expect(effectiveOf(c, 1_000 + D)).toEqual({ stake: 500n * E18, cost: 3n * E18, profiles: 2 });
    expect(effectiveOf(c, 1_000 + 2 * D - 11).cost).toBe(3n * E18);
    expect(effectiveOf(c, 1_000 + 2 * D - 10).cost).toBe(9n * E18);
    // getEvaluator: pendingAt is the latest key while it is ahead, effective fields from the history
    expect(evaluatorView(c, 1_000 + D).pendingAt).toBe(1_000 + 2 * D - 10);
    expect(evaluatorView(c, 1_000 + 2 * D - 10).pendingAt).toBe(0);
    expect(evaluatorView(c, 1_000 + D)).toMatchObject({ stake: 500n * E18, effStake: 500n * E18, cost: 9n * E18, effCost: 3n * E18, effProfiles: 2 });
    // three writes, three entries; two writes in one block share a key (the second replaces the first)
    const more = addStake(setProfiles(c, 3, 200_000, S), E18, 200_000, S);
    expect(more.history.map((h) => h.key)).toEqual([1_000 + D, 1_000 + 2 * D - 10, 200_000 + D]);
    expect(stateAt(more, 200_000 + D)).toMatchObject({ stake: 501n * E18, mask: 3, bucket: bucketOf(9n * E18) });
    expect(stateAt(more, 200_000 + D - 1)).toMatchObject({ stake: 500n * E18, mask: 2 });
    // keys never go back: a write keyed before the latest key joins it
    expect(setProfiles(c, 1, 2_000, S).history.map((h) => h.key)).toEqual([1_000 + D, 1_000 + 2 * D - 10]);
    expect(e.history).toHaveLength(1); // inputs untouched
  });
  it("part is min(stake, stakeCap) from minStake on, with the params of the write", () => {
    expect(stateAt(ev(0, { stake: 2n * S.stakeCap }), T0 + D).part).toBe(S.stakeCap);
    expect(stateAt(ev(0, { stake: S.minStake }), T0 + D).part).toBe(S.minStake);
    const low = requestUnbond(ev(0, { stake: 2n * S.minStake }), 2n * S.minStake, T0 + D, S); // everything: stake 0
    expect(stateAt(low, T0 + 2 * D)).toMatchObject({ stake: 0n, part: 0n, mask: 1 });
    // a later minStake applies at the next write (sync)
    const e = ev(0, { stake: 150n * E18 });
    expect(stateAt(syncEvaluator(e, T0 + D, { ...S, minStake: 200n * E18 }), T0 + 2 * D).part).toBe(0n);
    expect(() => registerEvaluator(S, S.minStake - 1n, E18, 1, T0, 0)).toThrow(RangeError);
  });
  it("the price grid: costs rounded up to two significant digits, buckets ordered like the grid", () => {
    expect([0n, 7n, 99n, 100n, 101n, 1_234n, 1_200n, 9_999n].map((c) => gridCost(c))).toEqual([0n, 7n, 99n, 100n, 110n, 1_300n, 1_200n, 10_000n]);
    expect(gridCost(E18 + 1n)).toBe(11n * 10n ** 17n);
    expect(() => gridCost(S.maxCost + 1n, S.maxCost)).toThrow(RangeError);
    expect([0n, 1n, 9n, 10n, 11n, 99n, 100n, 109n, 110n].map(bucketOf)).toEqual([0, 1, 81, 91, 92, 180, 181, 181, 182]);
    expect(bucketOf(10n ** 29n)).toBe(PRICE_BUCKETS - 2);
    // on the grid: cost <= fee exactly when bucketOf(cost) <= bucketOf(fee), and gridValue inverts bucketOf
    let x = 12_345n;
    const next = () => (x = (x * 6_364_136_223_846_793_005n + 1_442_695_040_888_963_407n) % 2n ** 64n);
    for (let i = 0; i < 2_000; i++) {
      const scale = 10n ** (next() % 22n);
      const cost = gridCost((next() % 1_000n) * scale);
      const fee = (next() % 1_000n) * scale + (next() % 3n === 0n ? 0n : next() % scale);
      expect(bucketOf(cost) <= bucketOf(fee), `${cost} vs ${fee}`).toBe(cost <= fee);
      expect(gridValue(bucketOf(cost))).toBe(cost);
      expect(gridCost(cost)).toBe(cost);
    }
  });
  it("the trust bound: the smallest power of two at or above trust, kept while trust stays in (bound / 4, bound]", () => {
    const e = ev(); // initialTrust 5000
    expect(stateAt(e, T0 + D).tb).toBe(13);
    const at = T0 + 10 * S.trustPeriod; // a later period: sampling weighs the trust itself
    const tb = (trust: number) => trustBound({ ...e, trust }, at, S.trustPeriod);
    expect([tb(8_192), tb(8_193), tb(2_049), tb(2_048), tb(1)]).toEqual([13, 14, 13, 11, 0]);
    // during a period, the bound covers the period's starting trust too
    const p = { trustGainPerPeriod: 1_000, trustPeriod: S.trustPeriod };
    const fell = moveTrust(e, 1_000, at, p);
    expect(trustBound(fell, at, S.trustPeriod)).toBe(13); // samplingTrust still 5000
    expect(trustBound(fell, at + S.trustPeriod, S.trustPeriod)).toBe(10);
    // trust moves write nothing: the bound follows at the next write or sync
    const r = applySettlement([e], [true], [1_000], [0n], at, { ...S, ...p });
    const later = applySettlement(r.evaluators, [true], [900], [0n], at + S.trustPeriod, { ...S, ...p });
    expect(later.evaluators[0]!.history).toHaveLength(1);
    expect(syncEvaluator(later.evaluators[0]!, at + S.trustPeriod, S).history.at(-1)).toMatchObject({ key: at + S.trustPeriod + D, tb: 10 });
    // until then a draw weighs min(trust, 2^tb): a rise past the bound does not count
    const rose = applySettlement([e], [true], [9_000], [0n], at, { ...S, trustGainPerPeriod: 10_000 }).evaluators[0]!;
    expect(rose.trust).toBe(9_000);
    expect(drawInputs({ list: [rose] }, 1, E18, -1, T0 + D, at + S.trustPeriod, S).accept[0]).toBe(8_192n * 1_000n * E18);
  });
  it("voting weight is trust x max(1, (min(stake, cap) << 24) / cap); acceptance weight min(trust, 2^tb) x min(part, stake)", () => {
    expect(votingWeight(10_000, S.stakeCap, S.stakeCap)).toBe(10_000n << 24n);
    expect(votingWeight(10_000, 2n * S.stakeCap, S.stakeCap)).toBe(10_000n << 24n);
    expect(votingWeight(5_000, S.stakeCap / 100n, S.stakeCap)).toBe(5_000n * ((1n << 24n) / 100n));
    expect(votingWeight(7_000, 0n, S.stakeCap)).toBe(7_000n);
    expect(samplingWeight(5_000, 10n, 10n, 13)).toBe(50_000n);
    expect(samplingWeight(9_000, 5n, 10n, 13)).toBe(8_192n * 5n); // part carries the cap of its write
    expect(samplingWeight(5_000, 10n, 4n, 13)).toBe(20_000n); // a slashed stake under part
  });
  it("a trust rise is capped per period (periods numbered floor(now / trustPeriod)); falls are not; sampling weighs the period's starting trust", () => {
    const p = { trustGainPerPeriod: 1_000, trustPeriod: 3_600 };
    const T = 3_600 * 500; // the start of period 500
    let e = ev(0, { trust: 10_000 });
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
    // the record keeps the whole period number; getEvaluator shows it mod 2^16
    const wrapped = moveTrust(ev(0, { trust: 10_000 }), 10_500, 3_600 * 65_537, p);
    expect([wrapped.period, evaluatorView(wrapped, 3_600 * 65_537).period]).toEqual([65_537, 1]);
  });
  it("a draw weighs the trust the draw's period began with: a finalization in an earlier period counts", () => {
    const p = { trustGainPerPeriod: 10_000, trustPeriod: S.trustPeriod };
    const P = (n: number) => S.trustPeriod * n;
    let e = ev(0, { trust: 5_000 });
    e = moveTrust(e, 6_000, P(101) + 5, p); // first change in period 101
    const list = [e];
    expect(drawInputs({ list }, 1, E18, -1, T0 + D, P(101) + 10, S).accept[0]).toBe(5_000n * 1_000n * E18);
    expect(drawInputs({ list }, 1, E18, -1, T0 + D, P(102), S).accept[0]).toBe(6_000n * 1_000n * E18);
    expect(drawInputs({ list }, 1, E18, -1, T0 + D, P(102), S).weights[0]).toBe(votingWeight(6_000, 1_000n * E18, S.stakeCap));
  });
  it("slashes from stake, then unbonding, at most once while a slash matures; the lower stake counts from the slash's key", () => {
    const e = requestUnbond(ev(0, { stake: 300n * E18 }), 100n * E18, T0 + D, S);
    expect([e.stake, e.unbonding]).toEqual([200n * E18, 100n * E18]);
    expect(e.unbondAt).toBe(Math.max(T0 + D + S.unbondingDelay, T0 + 2 * D + drawWindow(S))); // max(now + unbondingDelay, key + drawWindow)
    expect(drawWindow({ activationDelay: 60, unbondingDelay: 3_600 })).toBe(3_540);
    expect(drawWindow({ activationDelay: 600, unbondingDelay: 1_000 })).toBe(600);
    const now = T0 + 2 * D; // the unbonding request is effective now
    const r = slashEvaluator(e, 250n * E18, now, S);
    expect(r.taken).toBe(250n * E18);
    expect([r.evaluator.stake, r.evaluator.unbonding]).toEqual([0n, 50n * E18]);
    expect(r.evaluator.slashAt).toBe(now + D);
    expect(effectiveOf(r.evaluator, now + D - 1).stake).toBe(200n * E18); // still what was effective
    expect(effectiveOf(r.evaluator, now + D).stake).toBe(0n); // the declared stake from the slash's key
    expect(stateAt(r.evaluator, now + D)).toMatchObject({ part: 200n * E18, mask: 1, tb: 13 }); // the leaves keep the old part (no tree moves)
    // a second slash before the first matured takes nothing and writes nothing
    const r2 = slashEvaluator(r.evaluator, 80n * E18, now + 1, S);
    expect(r2.taken).toBe(0n);
    expect(r2.evaluator.history).toEqual(r.evaluator.history);
    // once it matured, the next slash takes again (from unbonding) and starts a new window
    const r3 = slashEvaluator(r2.evaluator, 80n * E18, now + D, S);
    expect(r3.taken).toBe(50n * E18);
    expect(r3.evaluator.slashAt).toBe(now + 2 * D);
    // a declaration after the slash does not postpone it
    const r4 = addStake(r.evaluator, 500n * E18, now + D - 1, S);
    expect(effectiveOf(r4, now + D).stake).toBe(0n);
    expect(effectiveOf(r4, now + 2 * D - 1).stake).toBe(500n * E18);
  });
  it("withdraws after unbondAt and every committee it counted for; a full withdrawal exits and frees the slot; evict", () => {
    const e = requestUnbond(ev(3), 1_000n * E18, T0 + D, S);
    expect(canWithdraw(e, e.unbondAt - 1)).toBe(false);
    expect(canWithdraw(e, e.unbondAt)).toBe(true);
    expect(canWithdraw({ ...e, unbondLock: e.unbondAt }, e.unbondAt)).toBe(false);
    const w = withdrawUnbonded(e, e.unbondAt, S);
    expect([w.amount, w.exits, w.evaluator.registered, w.evaluator.slot]).toEqual([1_000n * E18, true, false, -1]);
    expect(w.evaluator.history.at(-1)).toMatchObject({ key: e.unbondAt + D, stake: 0n, mask: 0, slot: 3 });
    // evict: serving only a retired profile, or under minStake both declared and effective
    const x = ev(1, { mask: 4 });
    expect(canEvict(x, T0 + D, S.minStake, 0b011)).toBe(true);
    expect(canEvict(x, T0 + D, S.minStake)).toBe(false);
    const out = evictEvaluator(x, T0 + D, S, 0b011);
    expect([out.registered, out.stake, out.unbonding, out.unbondAt]).toEqual([false, 0n, 1_000n * E18, Math.max(T0 + D + S.unbondingDelay, T0 + 2 * D + drawWindow(S))]);
    // re-registering keeps trust and history; `since` is the new key
    const back = registerEvaluator(S, 500n * E18, E18, 1, T0 + 5 * D, 7, { ...out, trust: 7_777 });
    expect([back.trust, back.since, back.slot, back.history.length]).toEqual([7_777, T0 + 6 * D, 7, 3]);
  });
  it("splits the actually-slashed total equally among honest revealers, the remainder to the first; burns without one", () => {
    expect(splitSlash([false, true, false, true, true], 100n)).toEqual({ shares: [0n, 34n, 0n, 33n, 33n], burned: 0n });
    expect(splitSlash([false, false], 7n)).toEqual({ shares: [0n, 0n], burned: 7n });
    expect(splitSlash([true], 0n)).toEqual({ shares: [0n], burned: 0n });
  });
  it("applySettlement caps rises, counts misses and reports what was taken", () => {
    const members = [ev(0, { trust: 10_000 }), { ...ev(1), stake: 10n }];
    const r = applySettlement(members, [true, false], [20_000, 8_000], [0n, 100n], T0 + D, S);
    expect(r.trustSet).toEqual([10_000 + S.trustGainPerPeriod, 8_000]);
    expect(r.slashed).toEqual([0n, 10n]);
    expect(r.total).toBe(10n);
    expect(r.evaluators[1]!.tasksMissed).toBe(1);
    expect(members[0]!.trust).toBe(10_000); // inputs untouched
    // the slash schedules the lower stake at the next key (part unchanged); trust moves write nothing
    expect(r.evaluators[1]!.history.at(-1)).toMatchObject({ key: T0 + 2 * D, stake: 0n, part: 1_000n * E18 });
    expect(r.evaluators[0]!.history).toHaveLength(1);
  });
  it("finalizeTask credits fee + slash share to honest revealers and refunds the rest", () => {
    const members = [ev(0), ev(1), ev(2), ev(3)];
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
  /** Draws as of T0 + D (every `ev` effective), right then. */
  const AS_OF = T0 + D;
  const draw = (reg: Parameters<typeof drawCommittee>[0], bit: number, fee: bigint, exclude: number, k: number, bps = 0, active?: number, s: `0x${string}` = seed) =>
    drawCommittee(reg, bit, fee, exclude, k, s, AS_OF, AS_OF, S, bps, active);
  it("treeSample: distinct slots with accept > 0, proposals by leaf, accepted with accept / leaf; null when it cannot fill", () => {
    const leaves = [8n, 0n, 8n, 8n, 8n];
    const accept = [8n, 0n, 0n, 2n, 8n];
    for (let i = 0; i < 50; i++) {
      const s = keccak256(toHex(`tree-${i}`));
      const got = treeSample(leaves, accept, 3, s)!;
      expect([...got].sort()).toEqual([0, 3, 4]); // slot 2 is ineligible, slot 1 empty
    }
    expect(treeSample(leaves, accept, 4, seed)).toBeNull(); // only three eligible
    expect(treeSample([0n, 0n], [0n, 0n], 1, seed)).toBeNull();
    // the first proposal is drawWord(seed, 0) mod W on the prefix intervals; accepted when acceptWord mod leaf < accept
    const r0 = drawWord(seed, 0) % 32n;
    const slot0 = [0, 0, 2, 3, 4][Number(r0 / 8n) + (r0 >= 8n ? 1 : 0)]!;
    const first = treeSample(leaves, leaves.map((l) => l), 1, seed)!;
    expect(first).toEqual([slot0]);
    expect(acceptWord(seed, 0)).not.toBe(drawWord(seed, 0));
  });
  it("drawCommittee maps draws to slots, fixes voting weights, and returns null when unfillable", () => {
    const list = [ev(0), ev(1, { cost: 5n * E18 }), ev(2), null, ev(4)];
    const c = draw(list, 1, E18, -1, 3)!;
    expect([...c.members].sort()).toEqual([0, 2, 4]); // the hole (3) and the expensive one (1) are never drawn
    expect(c.weights).toEqual(c.members.map(() => votingWeight(S.initialTrust, 1_000n * E18, S.stakeCap)));
    expect(draw(list, 1, E18, 0, 3)).toBeNull(); // the requester is excluded: 2 left
    // the cost filter is on the grid: a fee just under the rounded-up cost does not reach it
    const odd = [ev(0, { cost: 1_234n }), ev(1, { cost: 1_234n }), ev(2, { cost: 1_234n })];
    expect(draw(odd, 1, 1_299n, -1, 3)).toBeNull();
    expect(draw(odd, 1, 1_300n, -1, 3)).not.toBeNull();
  });
  it("draws from the registry as of the task's creation, and only within the draw window after it", () => {
    const list = [ev(0), ev(1), ev(2)];
    expect(drawCommittee(list, 1, E18, -1, 3, seed, T0 + D - 1, T0 + D, S, 0)).toBeNull(); // nobody counted yet
    expect(drawCommittee(list, 1, E18, -1, 3, seed, T0 + D, T0 + D + drawWindow(S), S, 0)).not.toBeNull();
    expect(drawCommittee(list, 1, E18, -1, 3, seed, T0 + D, T0 + D + drawWindow(S) + 1, S, 0)).toBeNull(); // too late
    // a change declared after the creation does not move the draw: a cost raise, a stake cut
    const later = [setCost(list[0]!, 9n * E18, T0 + D, S), requestUnbond(list[1]!, 1_000n * E18, T0 + D, S), list[2]!];
    const [a, b] = [draw(later, 1, E18, -1, 3)!, draw(list, 1, E18, -1, 3)!];
    expect([a.members, a.weights]).toEqual([b.members, b.weights]);
    // an exit frees the slot at once, but the slot's owner as of the creation is still the leaver
    // (its state then counts, and it may be drawn); a newcomer in the slot changes nothing
    const unbonding = requestUnbond(list[1]!, 1_000n * E18, T0 + 1, S); // keyed T0 + D + 1
    const gone = withdrawUnbonded(unbonding, unbonding.unbondAt, S).evaluator;
    const newcomer = registerEvaluator(S, 1_000n * E18, E18, 1, gone.history.at(-1)!.key, 1);
    const reg = { list: [list[0]!, newcomer, list[2]!], departed: [gone] };
    const asOf = T0 + D; // before the unbonding's key: the leaver still counts in the tree
    expect(eligibleStake(reg, 1, E18, -1, asOf)).toEqual({ eligible: 3_000n * E18, network: 3_000n * E18 });
    const inputs = drawInputs(reg, 1, E18, -1, asOf, asOf, S);
    expect(inputs.owners).toEqual([list[0], gone, list[2]]);
    expect(ownerAt(reg, 1, newcomer.since)).toBe(newcomer);
    expect(inputs.leaves).toEqual(list.map(() => (1_000n * E18) << 13n));
    expect(inputs.accept).toEqual(list.map(() => 5_000n * 1_000n * E18));
    const three = drawCommittee(reg, 1, E18, -1, 3, seed, asOf, asOf, S, 0)!;
    expect([...three.members].sort()).toEqual([0, 1, 2]);
    expect(three.owners[three.members.indexOf(1)]).toBe(gone);
    // as of a time after the exit's key and the newcomer's registration: the newcomer owns the slot
    const after = newcomer.since;
    expect(drawInputs(reg, 1, E18, -1, after, after, S).owners).toEqual([list[0], newcomer, list[2]]);
  });
  it("drawCommittee cancels a price only evaluators holding < minEligibleBps of the network's stake accept", () => {
    // three cheap sybils at minStake, two honest members at 1000 tokens declaring 2 tokens
    const sybil = (i: number) => ev(i, { stake: S.minStake, cost: 0n });
    const list = [sybil(0), sybil(1), sybil(2), ev(3, { cost: 2n * E18 }), ev(4, { cost: 2n * E18 })];
    // sybils hold 300 / 2300 = 13% of the network's stake
    expect(draw(list, 1, E18 / 10n, -1, 3, 5_000)).toBeNull();
    expect(draw(list, 1, E18 / 10n, -1, 3, 1_000)).not.toBeNull();
    expect(draw(list, 1, 2n * E18, -1, 3, 5_000)).not.toBeNull(); // at the honest price everyone fits
    expect(eligibleStake({ list }, 1, E18 / 10n, -1, AS_OF)).toEqual({ eligible: 3n * S.minStake, network: 2_300n * E18 });
    // the requester's own stake counts on neither side
    expect(eligibleStake({ list }, 1, E18 / 10n, 0, AS_OF)).toEqual({ eligible: 2n * S.minStake, network: 2_200n * E18 });
  });
  it("drawCommittee measures the eligible stake against the whole network (any profile, any cost), not the profile's servers", () => {
    // three sybils alone on profile bit 2 (1000 tokens each), five honest on bit 1 (1000 each)
    const list = [0, 1, 2, 3, 4].map((i) => ev(i)).concat([5, 6, 7].map((i) => ev(i, { mask: 2 })));
    expect(eligibleStake({ list }, 2, E18, -1, AS_OF)).toEqual({ eligible: 3_000n * E18, network: 8_000n * E18 }); // 37.5%
    expect(draw(list, 2, E18, -1, 3, 5_000)).toBeNull();
    expect([...draw(list, 2, E18, -1, 3, 3_000)!.members].sort()).toEqual([5, 6, 7]);
    // once two honest evaluators serve bit 2 too (declared before the task), 5,000 of 8,000 is eligible: tasks draw
    const moved = list.map((e, i) => (i < 2 ? setProfiles(e!, 3, T0, S) : e));
    expect(draw(moved, 2, E18, -1, 3, 5_000)).not.toBeNull();
  });
  it("a retired profile draws nobody; evaluators serving only retired profiles still count in the network", () => {
    const list = [ev(0), ev(1, { mask: 4 }), ev(2, { stake: S.minStake, mask: 2 }), ev(3, { mask: 2 }), ev(4, { mask: 8 })];
    expect(eligibleStake({ list }, 1, E18, -1, AS_OF, 0b011).network).toBe(4_000n * E18 + S.minStake);
    expect(eligibleStake({ list }, 4, E18, -1, AS_OF, 0b011)).toEqual({ eligible: 0n, network: 0n });
    expect(drawInputs({ list }, 4, E18, -1, AS_OF, AS_OF, S, 0b011).leaves.every((l) => l === 0n)).toBe(true);
    expect(drawCommittee(list, 4, E18, -1, 1, "0x01", AS_OF, AS_OF, S, 0, 0b011)).toBeNull();
  });
  it("round-trips packed scores", () => {
    const s = [0, 1, 10_000, 9_999, 42];
    expect(unpackScores(packScores(s), s.length)).toEqual(s);
    expect(() => packScores([10_001])).toThrow(RangeError);
  });
});
