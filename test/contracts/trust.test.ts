/** Leave-one-out trust over many tasks, the never-revealing committee, swappable randomness. */
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Address } from "viem";
import { aggregate, DEFAULT_PARAMS, normalisedDeviation, Rule, settleTask, TaskStatus } from "../../oracle/rules/index.js";
import { E18, salt, setupChain } from "./helpers.js";

describe("trust dynamics", () => {
  it("moves honest evaluators up and a dishonest one down over several tasks", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(3);
    const requester = (await c.actor(1)).address;
    const liar = evals[4]!;
    const trustOf = async (a: Address) => (await c.poq.read.getEvaluator([a])).trust;
    for (let t = 0; t < 8; t++) {
      const s = await c.spec(nodes, { k: 5, rule: Rule.TRUST_WEIGHTED_MEDIAN, queryHash: keccak256(toHex(`q${t}`)) });
      const { taskId, members } = await c.createTask(requester, s);
      const truth = [2_000 + 700 * t, 8_000 - 300 * t, 5_000];
      for (let i = 0; i < 5; i++) {
        const m = members[i]!;
        const sc = m === liar ? truth.map((x) => 10_000 - x) : truth.map((x, j) => x + ((i + j + t) % 3) * 100 - 100);
        await c.commit(taskId, m, sc, salt(t * 10 + i));
      }
      for (let i = 0; i < 5; i++) {
        const m = members[i]!;
        const sc = m === liar ? truth.map((x) => 10_000 - x) : truth.map((x, j) => x + ((i + j + t) % 3) * 100 - 100);
        await c.reveal(taskId, m, sc, salt(t * 10 + i));
      }
      await c.poq.write.finalize([taskId]);
    }
    const honest = await Promise.all(evals.slice(0, 4).map(trustOf));
    for (const w of honest) expect(w).toBeGreaterThan(15_000);
    expect(await trustOf(liar)).toBeLessThan(6_000);
    // the liar also earned (almost) no fees, the honest ones nearly all of theirs
    expect((await c.poq.read.getEvaluator([liar])).rewards).toBeLessThan(20n * E18);
    expect((await c.poq.read.getEvaluator([evals[0]!])).rewards).toBeGreaterThan(70n * E18);
  });

  it("leave-one-out lowers an outlier that a self-inclusive consensus would reward", () => {
    // Two agree at 7000, one says 5800. Self-inclusive MEAN = 6600: the outlier's deviation is
    // only 800 (d = 0.4 < 0.5, trust would RISE). Leave-one-out compares it with 7000 only:
    // deviation 1200, d = 0.6, trust falls; the honest pair sees 6400 (d = 0.3) and rises.
    const p = DEFAULT_PARAMS.settlement;
    const scores = [7_000, 7_000, 5_800];
    const selfInclusive = aggregate(Rule.MEAN, scores, [1, 1, 1], 0);
    expect(normalisedDeviation(Math.abs(5_800 - selfInclusive), p.deviationScaleBps)).toBeLessThan(5_000);
    const r = settleTask({
      rule: Rule.MEAN,
      params: p,
      m: 1,
      nodeBudget: 0n,
      evalBudget: 0n,
      members: scores.map((x) => ({ trust: 10_000, stake: 0n, cost: 0n, revealed: true, scores: [x] })),
    });
    expect(r.deviations).toEqual([600, 600, 1_200]);
    expect(r.newTrust).toEqual([10_400, 10_400, 9_800]);
  });

  it("finalizes a never-revealing committee: full refund, penalties, nothing locked", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const s = await c.spec(nodes, { k: 3 });
    const bal0 = await c.token.read.balanceOf([requester]);
    const { taskId, members } = await c.createTask(requester, s);
    await c.commit(taskId, members[0]!, [5_000, 5_000], salt(0)); // commits but never reveals
    await c.networkHelpers.time.increaseTo(s.revealDeadline + 1);
    await c.poq.write.finalize([taskId]);
    const task = await c.poq.read.getTask([taskId]);
    expect(task.status).toBe(TaskStatus.FINALIZED);
    expect(task.hasConsensus).toBe(false);
    const [has, cons] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(false);
    expect(cons).toHaveLength(0);
    expect(await c.poq.read.refunds([requester])).toBe(s.nodeBudget + s.evalBudget);
    await c.poq.write.claim({ account: requester });
    expect(await c.token.read.balanceOf([requester])).toBe(bal0);
    for (const m of members) {
      const e = await c.poq.read.getEvaluator([m]);
      expect(e.trust).toBe(8_000);
      expect(e.stake).toBe(900n * E18);
      expect(e.tasksMissed).toBe(1);
      const [assigned, revealed, missed, open, earned] = await c.poq.read.evaluatorHistory([m]);
      expect([assigned, revealed, missed, open, earned]).toEqual([1n, 0n, 1n, 0n, 0n]);
      expect(e.openTasks).toBe(0);
    }
    const [staked, escrowed, claimable, treasury] = await c.poq.read.totals();
    expect([staked, escrowed, claimable, treasury]).toEqual([2_700n * E18, 0n, 0n, 300n * E18]);
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
  });

  it("samples with a swapped randomness source", async () => {
    const c = await setupChain();
    await c.evaluators(6);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const fixed = await c.viem.deployContract("FixedRandomness");
    await fixed.write.set([keccak256(toHex("fixed"))]);
    await c.poq.write.setRandomnessSource([fixed.address]);
    expect((await c.poq.read.randomness()).toLowerCase()).toBe(fixed.address.toLowerCase());
    const a = await c.createTask(requester, await c.spec(nodes, { k: 3 }));
    await c.networkHelpers.time.increase(5_000);
    for (const m of a.members) expect(m).toBeDefined();
    // same seed, same eligible set and weights (nobody settled) -> same committee
    const b = await c.createTask(requester, await c.spec(nodes, { k: 3, queryHash: keccak256(toHex("other")) }));
    expect(b.members).toEqual(a.members);
  });
});
