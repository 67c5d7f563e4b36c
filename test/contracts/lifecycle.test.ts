import { describe, expect, it } from "vitest";
import { settleTask, Rule, DEFAULT_SETTLEMENT_PARAMS, TaskStatus, unpackScores } from "../../oracle/rules/index.js";
import { E18, salt, setupChain } from "./helpers.js";

describe("ProofOfQuality lifecycle", () => {
  it("runs register -> create -> commit -> reveal -> finalize -> claim and conserves tokens", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(3);
    const requester = (await c.actor(1)).address;
    const s = await c.spec(nodes, { k: 4, rule: Rule.TRUST_WEIGHTED_MEDIAN });
    const { taskId, members, costs } = await c.createTask(requester, s);
    expect(members).toHaveLength(4);
    expect(new Set(members).size).toBe(4);
    for (const m of members) expect(evals).toContain(m);
    expect(costs.every((x) => x === 10n * E18)).toBe(true);

    const scores = [
      [8_000, 6_000, 3_000],
      [8_200, 6_100, 2_900],
      [7_900, 5_800, 3_100],
      [2_000, 9_000, 9_000], // the outlier
    ];
    for (let i = 0; i < 4; i++) await c.commit(taskId, members[i]!, scores[i]!, salt(i));
    for (let i = 0; i < 4; i++) await c.reveal(taskId, members[i]!, scores[i]!, salt(i));
    let bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);

    const before = await Promise.all(members.map((m) => c.poq.read.getEvaluator([m])));
    await c.poq.write.finalize([taskId]);
    const task = await c.poq.read.getTask([taskId]);
    expect(task.status).toBe(TaskStatus.FINALIZED);

    const expected = settleTask({
      rule: Rule.TRUST_WEIGHTED_MEDIAN,
      params: DEFAULT_SETTLEMENT_PARAMS,
      members: members.map((_, i) => ({ trust: before[i]!.trust, stake: 0n, cost: costs[i]!, revealed: true, scores: scores[i]! })),
      m: 3,
      nodeBudget: s.nodeBudget,
      evalBudget: s.evalBudget,
    });
    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(true);
    expect([...consensus]).toEqual(expected.consensus);
    expect(unpackScores(task.consensus, 3)).toEqual(expected.consensus);
    const after = await Promise.all(members.map((m) => c.poq.read.getEvaluator([m])));
    expect(after.map((e) => e.trust)).toEqual(expected.newTrust);
    expect(after[3]!.trust).toBeLessThan(10_000);
    expect(after[0]!.trust).toBeGreaterThan(10_000);
    expect(after.map((e) => e.rewards)).toEqual(expected.evaluatorPay);
    for (let j = 0; j < 3; j++) {
      const n = await c.poq.read.getNode([nodes[j]!]);
      expect(n.pending).toBe(expected.nodePay[j]);
      expect(n.lifetime).toBe(expected.nodePay[j]);
    }
    expect(await c.poq.read.refunds([requester])).toBe(expected.refund);
    bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);

    // claims
    const payout0 = (await c.poq.read.getNode([nodes[0]!])).payout;
    await c.poq.write.claimNode([nodes[0]!]);
    expect(await c.token.read.balanceOf([payout0])).toBe(expected.nodePay[0]);
    const bRequester = await c.token.read.balanceOf([requester]);
    await c.poq.write.claim({ account: requester });
    expect((await c.token.read.balanceOf([requester])) - bRequester).toBe(expected.refund);
    for (let i = 0; i < 4; i++) {
      if (expected.evaluatorPay[i]! > 0n) await c.poq.write.claim({ account: members[i]! });
    }
    expect(expected.evaluatorPay[3]).toBe(0n); // the outlier's deviation saturates: no fee
    for (let i = 0; i < 4; i++) {
      const [assigned, revealed, missed, open, earned] = await c.poq.read.evaluatorHistory([members[i]!]);
      expect([assigned, revealed, missed, open, earned]).toEqual([1n, 1n, 0n, 0n, expected.evaluatorPay[i]]);
      expect(await c.poq.read.claimableOf([members[i]!])).toBe(0n);
    }
    bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    const [staked, escrowed, claimable, treasury] = await c.poq.read.totals();
    expect(escrowed).toBe(0n);
    expect(treasury).toBe(0n);
    expect(staked).toBe(5_000n * E18);
    expect(claimable).toBe(expected.nodePay[1]! + expected.nodePay[2]!);
  });
});
