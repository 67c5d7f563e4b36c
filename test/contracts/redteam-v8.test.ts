/**
 * Ninth review (red team v8), played against 4aa54fc ("eighth review"): the agreement guard
 * now applies to every task, an even MEDIAN takes the weighted median, a penalty never raises
 * trust, governance floors activationDelay >= 60 s and minEligibleBps >= 5000.
 *
 * "fixed" tests play a finding (V8-1, V8-1b, V8-6) and assert the outcome after its fix, with the
 * figures from before in their names; "HOLDS V8-n" tests pin an attack the rules withstand.
 * docs/contract.md, threat model row 13, describes both.
 *
 * Figures use DEV_PROTOCOL_PARAMS unless said: node budget 100 (two outputs, 50 each), fee 2 a
 * member, quality floor 5000, deviation scale 2000 (the agreement band is a 1000 bps deviation),
 * slash 10%, miss penalty 20%, lambda 0.2, stake cap 10,000, min stake 100.
 */
import { describe, expect, it } from "vitest";
import { network } from "hardhat";
import type { Address } from "viem";
import { E18, setupChain, type Chain } from "./helpers.js";
import { ABSTAIN, expectConserved, nodePending, playBy, sameAddress, settledEvents } from "./settlement-helpers.js";
import {
  DEFAULT_PARAMS,
  packScores,
  PARAM_BOUNDS,
  Rule,
  settleTask,
  unpackScores,
  type MemberInput,
  type SettlementParams,
} from "../../oracle/rules/index.js";
import { toStakingTuple } from "../../oracle/contract/params.js";
import { parseSimConfig } from "../../oracle/sim/config.js";


const trustOf = async (c: Chain, a: Address) => (await c.registry.read.getEvaluator([a])).trust;
const isIn = (xs: readonly Address[]) => (a: Address) => xs.some((x) => sameAddress(a, x));

describe("V8-1 the even MEDIAN is now a weighted median, and any one member picks the parity", () => {
  it("fixed: k = 5 MEDIAN, a whale (10,000 tokens: 10x an honest member's weight, 1 seat) and one light sybil (100 tokens) against 3 honest 7000s. Scoring, the sybil leaves n = 5 and the MEDIAN is the honest 7000 (nodes 40); abstaining it makes n = 4 even (before the fix the even MEDIAN was the whale's weighted 0: nodes 0, refund 108); an even MEDIAN is now one of its two middle scores (the one nearest the weighted median): 7000, nodes 40", async () => {
    const c = await setupChain();
    const [whale] = await c.evaluators(1, 10_000n * E18, E18, { first: 100, wait: false });
    const [syb] = await c.evaluators(1, c.params.staking.minStake, E18, { first: 110, wait: false });
    const honest = await c.evaluators(3, 1_000n * E18, E18, { first: 120 });
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes, { k: 5, evalBudget: 10n * E18, rule: Rule.MEDIAN });
    const HON = [7_000, 7_000];
    const isHon = isIn(honest);

    // counterfactual: the sybil scores (0, like the whale): n = 5, the MEDIAN is a seat median
    const snap = await c.networkHelpers.takeSnapshot();
    let t = await c.createTask(requester, s);
    const [, , weights] = await c.poq.read.getCommittee([t.taskId]);
    const wOf = (a: Address) => weights[t.members.findIndex((x) => sameAddress(x, a))]!;
    expect(wOf(whale!) / wOf(honest[0]!)).toBe(10n); // the whale holds 10 / 13.1 of the weight, 1 of 5 seats
    expect(wOf(honest[0]!) / wOf(syb!)).toBe(10n);
    let r = await playBy(c, t, (a) => (isHon(a) ? HON : [0, 0]));
    expect((await c.poq.read.getConsensus([t.taskId]))[1]).toEqual([7_000, 7_000]);
    expect(await nodePending(c, nodes)).toBe(40n * E18);
    expect(r.task.refund).toBe(66n * E18);
    // (already before 4aa54fc: the whale is the weighted reference, so the honest members are
    // judged d = 1 although their 7000 IS the consensus)
    for (const h of honest) expect(r.of(h).pay).toBe(0n);
    await snap.restore();

    // the attack: the sybil abstains, 4 scorers 0, 7000, 7000, 7000: the middle two are 7000
    t = await c.createTask(requester, s);
    r = await playBy(c, t, (a) => (isHon(a) ? HON : sameAddress(a, syb!) ? ABSTAIN : [0, 0]));
    expect(r.task.hasConsensus).toBe(true); // the whale alone is > half of the revealed weight
    expect((await c.poq.read.getConsensus([t.taskId]))[1]).toEqual([7_000, 7_000]);
    expect(await nodePending(c, nodes)).toBe(40n * E18);
    expect(r.task.refund).toBe(68n * E18); // 60 of the node budget + 3 honest fees + the sybil's fee
    expect(r.of(syb!).pay).toBe(0n);
    expect(r.of(whale!).pay).toBe(2n * E18);
    for (const h of honest) expect(r.of(h).pay).toBe(0n);
    expect([await trustOf(c, whale!), await trustOf(c, syb!), await trustOf(c, honest[0]!)]).toEqual([5_500, 4_500, 4_500]);
    await expectConserved(c);
  });

  it("fixed: k = 4 MEDIAN, the whale alone (1 of 4 seats, 10/13 of the weight) scores 0 against 3 honest 7000s (before the fix: consensus 0, nodes 0): the even MEDIAN is one of the middle scores, 7000, nodes 40", async () => {
    const c = await setupChain();
    const [whale] = await c.evaluators(1, 10_000n * E18, E18, { first: 100, wait: false });
    const honest = await c.evaluators(3, 1_000n * E18, E18, { first: 120 });
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const t = await c.createTask(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18, rule: Rule.MEDIAN }));
    const r = await playBy(c, t, (a) => (sameAddress(a, whale!) ? [0, 0] : [7_000, 7_000]));
    expect(r.task.hasConsensus).toBe(true);
    expect((await c.poq.read.getConsensus([t.taskId]))[1]).toEqual([7_000, 7_000]);
    expect(await nodePending(c, nodes)).toBe(40n * E18);
    expect(r.task.refund).toBe(66n * E18); // 60 + the 3 honest members' fees (judged against the whale's weighted reference)
    await expectConserved(c);
  });

  it("HOLDS V8-3: the parity lever does not help LIGHT sybils: k = 5 MEDIAN, 2 light sybils (100 tokens) scoring 0 against 3 heavy honest 7000s; one sybil silent (slashed 10) or abstaining leaves n = 4, whose weighted median is the honest 7000: nodes 40, the scoring sybil judged (fee 0, trust 4500)", async () => {
    const c = await setupChain();
    const syb = await c.evaluators(2, c.params.staking.minStake, E18, { first: 100, wait: false });
    const honest = await c.evaluators(3, 1_000n * E18, E18, { first: 120 });
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes, { k: 5, evalBudget: 10n * E18, rule: Rule.MEDIAN });
    for (const second of [undefined, ABSTAIN]) {
      const snap = await c.networkHelpers.takeSnapshot();
      const t = await c.createTask(requester, s);
      const r = await playBy(c, t, (a) => (sameAddress(a, syb[0]!) ? [0, 0] : sameAddress(a, syb[1]!) ? second : [7_000, 7_000]));
      expect((await c.poq.read.getConsensus([t.taskId]))[1]).toEqual([7_000, 7_000]);
      expect(await nodePending(c, nodes)).toBe(40n * E18);
      expect(r.of(syb[0]!).pay).toBe(0n);
      expect(await trustOf(c, syb[0]!)).toBe(4_500);
      if (second === undefined) {
        expect(r.of(syb[1]!).slashed).toBe(10n * E18);
        // the honest revealers share the slash (the task settled)
        expect(r.members.reduce((x, m) => x + m.slashShare, 0n)).toBe(10n * E18);
      }
      await expectConserved(c);
      await snap.restore();
    }
  });
});

describe("V8-2 forcing a void without half of the revealed weight", () => {
  it("HOLDS V8-2: k = 5, equal weights, 2 sybils (40% of the seats and weight) combine every lever against 3 honest members that agree (a garbage score on one output only, an abstention): the 3 agreeing members hold 3/5 > 1/2, the task settles; the garbage scorer and the abstainer are each paid 0 and fall to 4500, the nodes are paid 40", async () => {
    const c = await setupChain();
    const [s1, s2, ...honest] = (await c.evaluators(5)) as Address[];
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const t = await c.createTask(requester, c.spec(nodes, { k: 5, evalBudget: 10n * E18 }));
    const r = await playBy(c, t, (a) => (sameAddress(a, s1!) ? [7_000, 0] : sameAddress(a, s2!) ? ABSTAIN : [7_000, 7_000]));
    expect(r.task.hasConsensus).toBe(true);
    expect(await nodePending(c, nodes)).toBe(40n * E18);
    expect([r.of(s1!).pay, r.of(s2!).pay]).toEqual([0n, 0n]);
    expect([await trustOf(c, s1!), await trustOf(c, s2!)]).toEqual([4_500, 4_500]);
    for (const h of honest) expect(await trustOf(c, h)).toBe(5_500);
    expect(r.task.refund).toBe(64n * E18);
    await expectConserved(c);
  });

  it("HOLDS V8-2b: a light sybil (1/10 of an honest member's weight) cannot void k = 3 against 2 honest members that agree, by garbage (fee 0, trust 4500) or by abstaining (fee 0; trust kept: only 2 scorers): nodes 40 both ways", async () => {
    const c = await setupChain();
    const [syb] = await c.evaluators(1, c.params.staking.minStake, E18, { first: 100, wait: false });
    const honest = await c.evaluators(2, 1_000n * E18, E18, { first: 120 });
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    for (const play of [[0, 10_000], ABSTAIN]) {
      const snap = await c.networkHelpers.takeSnapshot();
      const t = await c.createTask(requester, c.spec(nodes, { rule: Rule.MEDIAN }));
      const r = await playBy(c, t, (a) => (sameAddress(a, syb!) ? play : [7_000, 7_000]));
      expect(r.task.hasConsensus).toBe(true);
      expect(await nodePending(c, nodes)).toBe(40n * E18);
      expect(r.of(syb!).pay).toBe(0n);
      // judged either way; an abstainer next to only 2 scorers keeps its trust (nobody can be checked)
      expect(await trustOf(c, syb!)).toBe(play === ABSTAIN ? 5_000 : 4_500);
      await expectConserved(c);
      await snap.restore();
    }
  });

  it("HOLDS V8-4: a void's books balance: k = 5, equal weights, honest 7000 x2, a sybil scoring 0, a sybil abstaining, an honest member silent: agreeing 2 of 4 revealed (not more than half): void; 3 scorers paid 2 each, the abstainer's 2 forfeited, the silent member's 100 slashed, both burned (102 in all), refund 102, nobody's trust moves but the silent member's (4000); both contracts conserve", async () => {
    const c = await setupChain();
    const [s1, s2, h1, h2, off] = (await c.evaluators(5)) as [Address, Address, Address, Address, Address];
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const burnedBefore = (await c.poq.read.totals())[3];
    const t = await c.createTask(requester, c.spec(nodes, { k: 5, evalBudget: 10n * E18 }));
    const r = await playBy(c, t, (a) =>
      sameAddress(a, s1) ? [0, 0] : sameAddress(a, s2) ? ABSTAIN : sameAddress(a, off) ? undefined : [7_000, 7_000],
    );
    expect(r.task.hasConsensus).toBe(false);
    expect([r.of(s1).pay, r.of(s2).pay, r.of(h1).pay, r.of(h2).pay, r.of(off).pay]).toEqual([2n * E18, 0n, 2n * E18, 2n * E18, 0n]);
    expect(r.of(off).slashed).toBe(100n * E18);
    expect(r.task.burned).toBe(102n * E18);
    expect((await c.poq.read.totals())[3] - burnedBefore).toBe(102n * E18);
    expect(r.task.refund).toBe(102n * E18);
    expect([await trustOf(c, s1), await trustOf(c, s2), await trustOf(c, h1), await trustOf(c, off)]).toEqual([5_000, 5_000, 5_000, 4_000]);
    await expectConserved(c);
  });
});

describe("V8-5 the mirror against the contract on the new rules' edges", () => {
  it("HOLDS V8-5: settleTask equals Settlement.settle (RulesHarness) on 600 edge cases: n = 0, 1, 2, all abstain, exact weight ties, scores on the band's edge (1000 / 1001 bps), even and odd MEDIAN, one-output disagreement, trust below wMin and above wMax, zero fee and budget", async () => {
    const { viem } = await network.create();
    const h = await viem.deployContract("RulesHarness");
    let seed = 0x5eed8;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const SCORES = [0, 5_000, 6_000, 6_999, 7_000, 7_001, 8_000, 8_001, 10_000];
    const params: SettlementParams[] = [
      DEFAULT_PARAMS.settlement,
      { ...DEFAULT_PARAMS.settlement, wMin: 10_000, wMax: 10_001 }, // every trust below the floor or at it
      { ...DEFAULT_PARAMS.settlement, deviationScaleBps: PARAM_BOUNDS.deviationScaleBps[0], lambdaBps: 10_000 },
      { ...DEFAULT_PARAMS.settlement, deviationScaleBps: 10_000, qualityFloorBps: 0, trimBps: 4_500 },
    ];
    const cases = Array.from({ length: 600 }, () => {
      const k = pick([1, 2, 3, 4, 5, 6]);
      const m = pick([1, 2, 3]);
      const p = pick(params);
      const mode = pick(["equal", "equal", "small", "whale"]);
      const members: MemberInput[] = Array.from({ length: k }, (_, i) => {
        const roll = rnd();
        const revealed = roll > 0.15;
        const abstained = revealed && roll < 0.3;
        const weight = mode === "equal" ? 5_000n : mode === "small" ? BigInt(pick([1, 2, 3])) : i === 0 ? 30_000n << 24n : 100n;
        return {
          trust: pick([100, 999, 5_000, 10_000, 29_999, 100_000]),
          weight,
          stake: revealed ? 0n : pick([0n, 1n, 10n ** 21n]),
          revealed,
          abstained,
          scores: Array.from({ length: m }, () => pick(SCORES)),
        };
      });
      return { rule: pick([Rule.MEDIAN, Rule.TRUST_WEIGHTED_MEDIAN, Rule.MEAN, Rule.TRIMMED_MEAN, Rule.TRUST_WEIGHTED_MEAN]), p, members, m, nodeBudget: pick([0n, 100n * E18, 7n]), fee: pick([0n, 2n * E18, 3n]) };
    });
    let voids = 0;
    let ties = 0;
    for (let from = 0; from < cases.length; from += 25) {
      const chunk = cases.slice(from, from + 25);
      const got = await Promise.all(
        chunk.map((x) =>
          h.read.settle([
            x.rule,
            x.p,
            x.members.map((mm) => ({
              trust: BigInt(mm.trust),
              weight: mm.weight as bigint,
              stake: mm.stake,
              revealed: mm.revealed,
              abstained: !!mm.abstained,
              scores: mm.revealed && !mm.abstained ? packScores(mm.scores!) : 0n,
            })),
            BigInt(x.m),
            x.nodeBudget,
            x.fee,
          ]),
        ),
      );
      chunk.forEach((x, i) => {
        const g = got[i]!;
        const w = settleTask({ rule: x.rule, params: x.p, members: x.members, m: x.m, nodeBudget: x.nodeBudget, fee: x.fee });
        const tag = JSON.stringify(x, (_, v) => (typeof v === "bigint" ? v.toString() : v));
        expect(g.hasConsensus, tag).toBe(w.consensus !== null);
        if (w.consensus) expect(unpackScores(g.consensus, x.m), tag).toEqual(w.consensus);
        else expect(g.consensus, tag).toBe(0n);
        expect(g.deviation.map(Number), tag).toEqual(w.deviations);
        expect(g.dNorm.map(Number), tag).toEqual(w.normalisedDeviations);
        expect(g.newTrust.map(Number), tag).toEqual(w.newTrust);
        expect([...g.slashed], tag).toEqual(w.slashed);
        expect([...g.evaluatorPay], tag).toEqual(w.evaluatorPay);
        expect([...g.nodePay], tag).toEqual(w.nodePay);
        expect([...g.honest], tag).toEqual(w.honest);
        expect(g.refund, tag).toBe(w.refund);
        expect(g.forfeited, tag).toBe(w.forfeited);
        // a penalty never raises trust
        x.members.forEach((mm, j) => {
          if (!mm.revealed || w.normalisedDeviations[j]! >= 5_000) expect(w.newTrust[j]!, tag).toBeLessThanOrEqual(mm.trust);
        });
        if (w.consensus === null && x.members.some((mm) => mm.revealed)) voids++;
        if (x.members.filter((mm) => mm.revealed && !mm.abstained).length % 2 === 0) ties++;
      });
    }
    expect(voids).toBeGreaterThan(50); // the edge that matters is exercised
    expect(ties).toBeGreaterThan(100);
  });
});

describe("V8-6 the governance floors", () => {
  it("fixed (info): the mirror's published bounds start unbondingDelay at 60 (the registry requires unbondingDelay >= activationDelay >= 60; before they said 0); the simulator's config still accepts minEligibleBps 0..4999 on purpose (its `no-quorum` grid replays the contracts before the bar, docs/simulation). DEV_PROTOCOL_PARAMS sit exactly on both floors and deploy", async () => {
    expect(PARAM_BOUNDS.unbondingDelay[0]).toBe(60);
    const c = await setupChain(); // dev params: activationDelay 60, minEligibleBps 5000: deploy fine
    expect((await c.registry.read.params()).activationDelay).toBe(60);
    for (const u of [0, 59]) {
      await expect(c.registry.write.setParams([{ ...toStakingTuple(c.params.staking), activationDelay: 60, unbondingDelay: u }])).rejects.toThrow(/ParamOutOfRange/);
    }
    await c.registry.write.setParams([{ ...toStakingTuple(c.params.staking), activationDelay: 60, unbondingDelay: 60 }]);
    const cfg = parseSimConfig({
      rounds: 1,
      evaluatorPool: 10,
      data: { scored: ["x.jsonl"] },
      sweep: { attacks: ["none"], attackerRatios: [0], committeeSizes: [5], defenses: ["MEDIAN"], signals: ["median"] },
      protocol: { tasks: { minEligibleBps: 0 } },
    });
    expect(cfg.protocol.tasks.minEligibleBps).toBe(0);
  });
});
