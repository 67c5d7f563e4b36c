/** Leave-one-out trust over many tasks, the never-revealing committee, swappable randomness. */
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Address } from "viem";
import { Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, setupChain } from "./helpers.js";

describe("trust dynamics", () => {
  it("moves honest evaluators up and a dishonest one down over several tasks (rises capped per period)", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(3);
    const requester = (await c.actor(1)).address;
    const liar = evals[4]!;
    const trustOf = async (a: Address) => (await c.registry.read.getEvaluator([a])).trust;
    for (let t = 0; t < 8; t++) {
      if (t === 4) await c.warp(c.params.staking.trustPeriod); // a new trust period
      const s = c.spec(nodes, { k: 5, rule: Rule.TRUST_WEIGHTED_MEDIAN, evalBudget: 10n * E18, queryHash: keccak256(toHex(`q${t}`)) });
      const { taskId, members } = await c.createTask(requester, s);
      const truth = [2_000 + 700 * t, 8_000 - 300 * t, 5_000];
      const scores = members.map((m, i) => (m === liar ? truth.map((x) => 10_000 - x) : truth.map((x, j) => x + ((i + j + t) % 3) * 100 - 100)));
      await c.play(taskId, members, scores);
      await c.poq.write.finalize([taskId]);
    }
    const honest = await Promise.all(evals.slice(0, 4).map(trustOf));
    for (const w of honest) expect(w).toBeGreaterThan(8_500); // from 5000
    expect(await trustOf(liar)).toBeLessThan(2_500); // 5000 x 0.9^8
    // the liar earned no fees, the honest ones most of theirs
    expect(await c.poq.read.claimableOf([liar])).toBe(0n);
    expect(await c.poq.read.claimableOf([evals[0]!])).toBeGreaterThan(14n * E18);
  });

  it("deviations are measured from the median, whatever the rule: an outlier cannot hide in a MEAN or drag the honest down", async () => {
    // Two agree at 7000, one says 5800, rule MEAN. Against the self-inclusive MEAN (6600) the
    // outlier's deviation would be only 800 (d = 0.4, trust would RISE); against a leave-one-out
    // MEAN the honest pair would see 6400 (d = 0.3). Against the median (7000) the pair is exact
    // (d = 0, trust x 1.1) and the outlier is 1200 off (d = 0.6, trust x 0.98).
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { rule: Rule.MEAN }));
    await c.play(taskId, members, [[7_000], [7_000], [5_800]]);
    await c.poq.write.finalize([taskId]);
    const t = await Promise.all(members.map(async (m) => (await c.registry.read.getEvaluator([m])).trust));
    expect(t).toEqual([5_500, 5_500, 4_900]);
    expect((await c.poq.read.getConsensus([taskId]))[1]).toEqual([6_600]); // the node is paid by the MEAN
  });

  it("finalizes a never-revealing committee: full refund, penalties, the slash burned, nothing locked", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes, { k: 3 });
    const bal0 = await c.token.read.balanceOf([requester]);
    const { taskId, members } = await c.createTask(requester, s);
    await c.commit(taskId, members[0]!, [5_000, 5_000], `0x${"11".repeat(32)}`); // commits but never reveals
    await c.finalize(taskId);
    const task = await c.poq.read.getTask([taskId]);
    expect(task.status).toBe(TaskStatus.FINALIZED);
    expect(task.hasConsensus).toBe(false);
    const [has, cons] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(false);
    expect(cons).toHaveLength(0);
    expect(await c.poq.read.refundedOf([requester])).toBe(s.nodeBudget + s.evalBudget);
    await c.poq.write.claim([requester], { account: requester });
    const fee = await c.poq.read.protocolFeeFor([s.nodeBudget, s.evalBudget]);
    expect(await c.token.read.balanceOf([requester])).toBe(bal0 - fee);
    for (const m of members) {
      const e = await c.registry.read.getEvaluator([m]);
      expect(e.trust).toBe(4_000);
      expect(e.stake).toBe(900n * E18);
      expect([e.tasksAssigned, e.tasksMissed]).toEqual([1, 1]);
    }
    const [escrowed, claimable, treasury, burned] = await c.poq.read.totals();
    expect([escrowed, claimable, treasury, burned]).toEqual([0n, 0n, fee, 300n * E18]);
    expect(await c.registry.read.totalStaked()).toBe(2_700n * E18);
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    expect(bal.registryBalance).toBe(bal.staked);
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
    const a = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    await c.warp(5_000);
    // same seed, same eligible set and weights (nobody settled) -> same committee
    const b = await c.createTask(requester, c.spec(nodes, { k: 3, queryHash: keccak256(toHex("other")) }));
    expect(b.members).toEqual(a.members);
  });
});
