import { describe, expect, it } from "vitest";
import { fromBps } from "../../oracle/core/units.js";
import { ATTACKS, DEFAULT_ATTACK_PARAMS, strategyOf, type AttackContext } from "../../oracle/sim/attacks/index.js";
import { createRun } from "../../oracle/sim/engine.js";
import { DEFAULT_PROTOCOL_PARAMS } from "../../oracle/rules/index.js";
import { median } from "../../oracle/sim/metrics.js";
import { Rng } from "../../oracle/sim/rng.js";
import { honestScore } from "../../oracle/sim/signals.js";
import { spec } from "./helpers.js";

function ctx(over: Partial<AttackContext> = {}): AttackContext {
  return {
    round: 3,
    nodes: [0, 1, 2, 3],
    honest: [0.9, 0.6, 0.3, 0.1],
    groupHonest: [0.8, 0.5, 0.4, 0.2],
    targets: new Set([3]),
    groupActive: true,
    rng: new Rng(7),
    previousConsensus: [0.55, 0.45],
    visibleScores: [],
    params: { ...DEFAULT_ATTACK_PARAMS },
    ...over,
  };
}

const s = (id: (typeof ATTACKS)[number]) => strategyOf(id)!;

describe("attack strategies (one context, exact outputs)", () => {
  it("none has no strategy; every other id has one", () => {
    expect(strategyOf("none")).toBeNull();
    for (const id of ATTACKS.filter((a) => a !== "none")) expect(strategyOf(id)!.id).toBe(id);
  });

  it("boost raises only its own node", () => {
    expect(s("boost").score(ctx())).toEqual([0.9, 0.6, 0.3, 1]);
  });

  it("sabotage keeps its own node honest and floors competitors", () => {
    expect(s("sabotage").score(ctx())).toEqual([0, 0, 0, 0.1]);
  });

  it("collude: the group's shared vector with the common target boosted (and optional sabotage)", () => {
    expect(s("collude").score(ctx())).toEqual([0.8, 0.5, 0.4, 1]);
    expect(s("collude").score(ctx({ params: { ...DEFAULT_ATTACK_PARAMS, colludeSabotage: true } }))).toEqual([0, 0, 0, 1]);
  });

  it("intermittent attacks only when the group's coin says so", () => {
    expect(s("intermittent").score(ctx({ groupActive: true }))).toEqual([0.8, 0.5, 0.4, 1]);
    expect(s("intermittent").score(ctx({ groupActive: false }))).toEqual([0.9, 0.6, 0.3, 0.1]);
  });

  it("reverse reports 1 - honest", () => {
    expect(s("reverse").score(ctx())!.map((x) => +x.toFixed(12))).toEqual([0.1, 0.4, 0.7, 0.9]);
  });

  it("lazy is constant and does no work", () => {
    expect(s("lazy").score(ctx())).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(s("lazy").doesWork).toBe(false);
  });

  it("noise stays in [0,1], is reproducible by seed and has the configured spread", () => {
    const a = s("noise").score(ctx({ rng: new Rng(1) }));
    const b = s("noise").score(ctx({ rng: new Rng(1) }));
    expect(a).toEqual(b);
    const rng = new Rng(2);
    const devs: number[] = [];
    for (let i = 0; i < 4000; i++) {
      const out = s("noise").score(ctx({ rng, honest: [0.5, 0.5, 0.5, 0.5] }))!;
      for (const x of out) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
        devs.push(x - 0.5);
      }
    }
    const sd = Math.sqrt(devs.reduce((a2, d) => a2 + d * d, 0) / devs.length);
    expect(sd).toBeGreaterThan(0.22); // sd 0.25, slightly shrunk by clipping at 0 and 1
    expect(sd).toBeLessThan(0.26);
  });

  it("copy under commit-reveal can only reuse the previous task's consensus (or stay silent)", () => {
    const honestScores = [[0.9, 0.6, 0.3, 0.1]];
    // Under commit-reveal nothing of the current task is visible, so the copy ignores it.
    expect(s("copy").score(ctx({ visibleScores: [] }))).toEqual([0.55, 0.45, 0.55, 0.45]);
    expect(s("copy").score(ctx({ visibleScores: honestScores }))).toEqual([0.55, 0.45, 0.55, 0.45]);
    expect(s("copy").score(ctx({ previousConsensus: null }))).toBeNull();
    expect(s("copy").score(ctx({ params: { ...DEFAULT_ATTACK_PARAMS, copyMode: "silent" } }))).toBeNull();
  });

  it("the plaintext counterfactual copies this task's honest median", () => {
    const visible = [
      [0.9, 0.6, 0.3, 0.1],
      [0.7, 0.6, 0.5, 0.3],
      [0.8, 0.2, 0.4, 0.2],
    ];
    expect(s("copy-plaintext").score(ctx({ visibleScores: visible }))).toEqual([0.8, 0.6, 0.4, 0.2]);
    expect(s("copy-plaintext").score(ctx({ visibleScores: [] }))).toBeNull();
  });
});

describe("attacks inside the engine (contract rules)", () => {
  it("colluders share one target (the worst node by default); independent attackers work for their own; others for none", () => {
    const collude = createRun(spec({ attack: "collude", attackerRatio: 0.5 }), 1).evaluators.filter((e) => e.attacker);
    const worst = spec().dataset.nodeQuality.indexOf(Math.min(...spec().dataset.nodeQuality));
    expect(collude.map((e) => [...e.targets])).toEqual(collude.map(() => [worst]));
    const boosters = createRun(spec({ attack: "boost", attackerRatio: 0.5 }), 1).evaluators.filter((e) => e.attacker);
    expect(boosters.every((e) => e.targets.size === 1)).toBe(true);
    expect(new Set(boosters.map((e) => [...e.targets][0])).size).toBeGreaterThan(1);
    const noisy = createRun(spec({ attack: "noise", attackerRatio: 0.5 }), 1).evaluators.filter((e) => e.attacker);
    expect(noisy.every((e) => e.targets.size === 0)).toBe(true);
  });

  it("a colluding majority under MEDIAN lifts its target's consensus to the boost score", () => {
    const run = createRun(spec({ attack: "collude", attackerRatio: 1, defense: "MEDIAN", evaluatorPool: 5, committeeSize: 5 }), 30);
    const target = run.evaluators.find((e) => e.attacker)!.targets;
    expect(target.size).toBe(1);
    const [t] = [...target];
    let seen = 0;
    for (let r = 0; r < 30; r++) {
      const rec = run.step();
      rec.outputs.forEach((o, j) => {
        if (o.node === t) {
          seen++;
          expect(rec.consensus![j]).toBe(10_000);
        }
      });
    }
    expect(seen).toBeGreaterThan(0);
  });

  it("a colluding minority that also floors competitors loses trust under TRUST_WEIGHTED_MEDIAN; honest members gain it", () => {
    const run = createRun(
      spec({ attack: "collude", attackerRatio: 0.3, attackParams: { ...DEFAULT_ATTACK_PARAMS, colludeSabotage: true } }),
      200,
    );
    for (let r = 0; r < 200; r++) run.step();
    const t = run.totals();
    expect(t.attackerTrust[199]!).toBeLessThan(10_000);
    expect(t.honestTrust[199]!).toBeGreaterThan(10_000);
  });

  it("honest members submit their signal exactly (composite in bps)", () => {
    const run = createRun(spec(), 5);
    const rec = run.step();
    rec.scores.forEach((sc) => {
      expect(sc).not.toBeNull();
      sc!.forEach((b, j) => expect(fromBps(b)).toBeCloseTo(honestScore(rec.outputs[j]!, "composite", 0), 4));
    });
  });

  it("commit-reveal copiers never submit the current honest scores; plaintext copiers do", () => {
    const cr = createRun(spec({ attack: "copy", attackerRatio: 0.3, signal: "single" }), 60);
    const pt = createRun(spec({ attack: "copy-plaintext", attackerRatio: 0.3, signal: "single" }), 60);
    let crCopies = 0;
    let crMatches = 0;
    let ptCopies = 0;
    for (let r = 0; r < 60; r++) {
      for (const [run, isPt] of [[cr, false], [pt, true]] as const) {
        const rec = run.step();
        const honestBps = rec.committee.map((ei, pos) => (run.evaluators[ei]!.attacker ? null : rec.scores[pos]!)).filter((x): x is number[] => x !== null);
        rec.committee.forEach((ei, pos) => {
          if (!run.evaluators[ei]!.attacker || rec.scores[pos] === null) return;
          const mine = rec.scores[pos]!;
          if (isPt) {
            ptCopies++;
            const med = rec.outputs.map((_, j) => Math.round(median(honestBps.map((h) => h[j]!))));
            mine.forEach((b, j) => expect(Math.abs(b - med[j]!)).toBeLessThanOrEqual(1));
          } else {
            crCopies++;
            if (mine.every((b, j) => honestBps.some((h) => h[j] === b))) crMatches++;
          }
        });
      }
    }
    expect(ptCopies).toBeGreaterThan(10);
    expect(crCopies).toBeGreaterThan(10);
    expect(crMatches / crCopies).toBeLessThan(0.2);
  });

  it("a copier that stays silent is slashed by the contract rule when sampled", () => {
    const run = createRun(
      spec({ attack: "copy", attackerRatio: 0.3, attackParams: { ...DEFAULT_ATTACK_PARAMS, copyMode: "silent" } }),
      40,
    );
    for (let r = 0; r < 40; r++) run.step();
    const copiers = run.evaluators.filter((e) => e.attacker);
    expect(copiers.some((e) => e.sampled > 0)).toBe(true);
    for (const e of copiers) {
      if (e.sampled > 0) expect(e.slashed).toBeGreaterThan(0n);
      expect(e.fees).toBe(0n);
      expect(e.workCost).toBe(0n);
    }
  });

  it("shirkers abstain on every task: never slashed; unpaid wherever the others score (paid only where they hold half the revealed weight and void the task, like any committee majority); their trust falls", () => {
    expect(s("shirk").score(ctx())).toEqual([]);
    expect(s("shirk").doesWork).toBe(false);
    const run = createRun(spec({ attack: "shirk", attackerRatio: 0.3 }), 120);
    let abstentions = 0;
    let voided = 0;
    for (let r = 0; r < 120; r++) {
      const rec = run.step();
      if (rec.committee.length === 0) continue;
      if (rec.consensus === null) voided++;
      rec.committee.forEach((ei, pos) => {
        if (!run.evaluators[ei]!.attacker) return;
        expect(rec.scores[pos]).toEqual([]);
        abstentions++;
        if (rec.consensus !== null) expect(rec.evaluatorPay[pos]).toBe(0n);
      });
    }
    expect(abstentions).toBeGreaterThan(20);
    expect(voided).toBeLessThan(30); // 30% of the pool rarely holds half a committee's weight
    const shirkers = run.evaluators.filter((e) => e.attacker);
    const honest = run.evaluators.filter((e) => !e.attacker);
    const perSeat = (es: typeof shirkers) => Number(es.reduce((a, e) => a + e.fees, 0n)) / Math.max(1, es.reduce((a, e) => a + e.sampled, 0));
    expect(perSeat(shirkers)).toBeLessThan(0.3 * perSeat(honest));
    for (const e of shirkers) {
      expect(e.slashed).toBe(0n);
      expect(e.workCost).toBe(0n);
    }
    const t = run.totals();
    expect(t.attackerTrust[119]!).toBeLessThan(DEFAULT_PROTOCOL_PARAMS.staking.initialTrust);
    expect(t.honestTrust[119]!).toBeGreaterThan(DEFAULT_PROTOCOL_PARAMS.staking.initialTrust);
  });

  it("intermittent groups attack in about intermittentProb of the rounds", () => {
    const run = createRun(spec({ attack: "intermittent", attackerRatio: 0.5, evaluatorPool: 10, committeeSize: 10, signal: "composite" }), 400);
    const target = [...run.evaluators.find((e) => e.attacker)!.targets][0]!;
    let withTarget = 0;
    let boosted = 0;
    for (let r = 0; r < 400; r++) {
      const rec = run.step();
      const j = rec.outputs.findIndex((o) => o.node === target);
      if (j < 0) continue;
      const attackerScores = rec.committee.map((ei, pos) => (run.evaluators[ei]!.attacker ? rec.scores[pos]![j]! : null)).filter((x) => x !== null);
      withTarget++;
      if (attackerScores.every((x) => x === 10_000)) boosted++;
    }
    expect(withTarget).toBeGreaterThan(100);
    expect(boosted / withTarget).toBeGreaterThan(0.2);
    expect(boosted / withTarget).toBeLessThan(0.4);
  });
});

describe("protocol attacks on the v2 rules (engine scenarios)", () => {
  const E18 = 10n ** 18n;
  const rounds = 300;
  const finish = (sp: Parameters<typeof createRun>[0]) => {
    const run = createRun(sp, rounds);
    for (let i = 0; i < rounds; i++) run.step();
    return run;
  };

  it("self-dealing requester: pays a protocol fee on every own task; its minStake sybils hold few seats of honest committees", () => {
    const run = finish(spec({ attack: "self-deal", attackerRatio: 0.3, evaluatorPool: 10, committeeSize: 5, seed: 9 }));
    const t = run.totals();
    const sybils = run.evaluators.filter((e) => e.attacker);
    expect(sybils.every((e) => e.cost === 0n && e.stake <= run.protocol.staking.minStake)).toBe(true);
    expect(t.selfTasks).toBe(rounds);
    // 0.1 token + 2% of (100 + 3 x 0.1) per own task
    const perTask = run.protocol.governance.tasks.taskFee + ((100n * E18 + 3n * (E18 / 10n)) * 200n) / 10_000n;
    expect(t.requesterProtocolFees).toBe(perTask * BigInt(rounds));
    // sybils at the minimum stake weigh a tenth of an honest member: 30% of the pool, < 10% of the seats
    expect(t.honestSeats / t.seats).toBeGreaterThan(0.9);
    const income = sybils.reduce((a, e) => a + e.fees + e.slashShares, 0n);
    expect(income - t.requesterSpend).toBeLessThan(0n); // in cash, self-dealing loses money
    // at the minimum price only the cost-0 sybils fit: they hold < minEligibleBps (50%) of the
    // profile's weight, so every own task is cancelled and no node is stiffed
    expect(t.selfCancelled).toBe(t.selfTasks);
    expect(t.selfNodePay).toBe(0n);
    expect(t.selfSeats).toBe(0);
  });

  it("self-dealing without the eligibility quorum (minEligibleBps = 0): the sybils take the requester's own committees and stiff the nodes", () => {
    const run = finish(
      spec({
        attack: "self-deal",
        attackerRatio: 0.3,
        evaluatorPool: 10,
        committeeSize: 5,
        seed: 9,
        protocol: { staking: DEFAULT_PROTOCOL_PARAMS.staking, governance: { ...DEFAULT_PROTOCOL_PARAMS.governance, tasks: { ...DEFAULT_PROTOCOL_PARAMS.governance.tasks, minEligibleBps: 0 } } },
      }),
    );
    const t = run.totals();
    expect(t.selfCancelled).toBe(0);
    expect(t.selfHonestSeats).toBe(0);
    expect(t.selfNodePayHonest - t.selfNodePay).toBeGreaterThan(100n * E18);
  });

  it("whitewashing: a fresh identity starts at initialTrust, below established honest members, and waits out the activation delay", () => {
    const run = finish(spec({ attack: "whitewash", attackerRatio: 0.3, evaluatorPool: 10, committeeSize: 5, seed: 4 }));
    const t = run.totals();
    const washers = run.evaluators.filter((e) => e.attacker);
    expect(washers.reduce((a, e) => a + e.washes, 0)).toBeGreaterThan(0);
    expect(Math.max(...t.washTrustBefore)).toBeLessThan(run.protocol.staking.initialTrust);
    // the attackers hold 30% of the pool but far less of the sampling weight
    expect(t.attackerWeightShareSum / t.weightRounds).toBeLessThan(0.15);
    const honest = run.evaluators.filter((e) => !e.attacker);
    for (const e of washers) expect(e.trust).toBeLessThanOrEqual(Math.min(...honest.map((h) => h.trust)));
  });

  it("short-window griefing: members answering within the protocol minimum are never slashed; slower ones are", () => {
    const fast = finish(spec({ attack: "short-window", attackerRatio: 0.5, evaluatorPool: 10, committeeSize: 5, seed: 2 }));
    expect(fast.totals().griefedTasks).toBeGreaterThan(100);
    expect(fast.totals().honestMisses).toBe(0);
    expect(fast.evaluators.every((e) => e.slashed === 0n)).toBe(true);
    const slow = finish(
      spec({ attack: "short-window", attackerRatio: 0.5, evaluatorPool: 10, committeeSize: 5, seed: 2, attackParams: { ...DEFAULT_ATTACK_PARAMS, honestLatencySeconds: 600 } }),
    );
    expect(slow.totals().honestMisses).toBeGreaterThan(0);
    expect(slow.evaluators.some((e) => e.slashed > 0n)).toBe(true);
  });

  it("the cost filter binds: at a price only cheap evaluators fit, tasks are drawn among them or cancelled", () => {
    const cheap = finish(spec({ evaluatorPool: 12, committeeSize: 5, economics: { ...spec().economics, feePerMember: E18 } }));
    expect(cheap.evaluators.filter((e) => e.sampled > 0).every((e) => e.cost <= E18)).toBe(true);
    const tooCheap = finish(spec({ evaluatorPool: 12, committeeSize: 5, economics: { ...spec().economics, feePerMember: E18 / 2n } }));
    expect(tooCheap.totals().unfillableRounds).toBe(rounds); // 3 evaluators declare 0.5: no committee of 5
  });
});
