import { describe, expect, it } from "vitest";
import { Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, setupChain } from "./helpers.js";

describe("ProofOfQuality lifecycle (v2)", () => {
  it("runs register -> create -> draw -> commit -> reveal -> finalize -> claim and conserves tokens", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(3);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes, { k: 4, rule: Rule.MEDIAN, evalBudget: 8n * E18 + 3n });
    const taskId = await c.create(requester, s);
    const pending = await c.poq.read.getTask([taskId]);
    expect(pending.status).toBe(TaskStatus.PENDING);
    expect(pending.fee).toBe(2n * E18); // evalBudget / k, the odd wei stays with the requester
    expect((await c.poq.read.getCommittee([taskId]))[0]).toEqual([]);
    const protocolFee = await c.poq.read.protocolFeeFor([s.nodeBudget, 8n * E18]);
    expect(protocolFee).toBe(E18 / 10n + ((108n * E18) * 200n) / 10_000n);

    const { members, fee } = await c.draw(taskId);
    expect(fee).toBe(2n * E18);
    expect(members).toHaveLength(4);
    expect(new Set(members).size).toBe(4);
    for (const m of members) expect(evals).toContain(m);
    const open = await c.poq.read.getTask([taskId]);
    expect(open.status).toBe(TaskStatus.OPEN);
    expect(open.revealDeadline - open.commitDeadline).toBe(60);

    const scores = [
      [8_000, 6_000, 3_000],
      [8_000, 6_000, 3_000],
      [8_000, 6_000, 3_000],
      [2_000, 9_000, 9_000], // the outlier
    ];
    await c.play(taskId, members, scores);
    await c.poq.write.finalize([taskId]);
    const task = await c.poq.read.getTask([taskId]);
    expect(task.status).toBe(TaskStatus.FINALIZED);
    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(true);
    expect([...consensus]).toEqual([8_000, 6_000, 3_000]);

    // honest members: zero deviation, full fee, trust up by lambda/2 (10%); the outlier: d = 1, no fee, trust down 10%
    const after = await Promise.all(members.map((m) => c.registry.read.getEvaluator([m])));
    expect(after.map((e) => e.trust)).toEqual([5_500, 5_500, 5_500, 4_500]);
    for (let i = 0; i < 3; i++) expect(await c.poq.read.claimableOf([members[i]!])).toBe(2n * E18);
    expect(await c.poq.read.claimableOf([members[3]!])).toBe(0n);
    // nodes: floor 5000 -> output 0 pays (8000-5000)/5000 of its third, output 1 a fifth, output 2 nothing
    const per = s.nodeBudget / 3n;
    expect((await c.poq.read.getNode([nodes[0]!])).pending).toBe((per * 3_000n) / 5_000n);
    expect((await c.poq.read.getNode([nodes[1]!])).pending).toBe((per * 1_000n) / 5_000n);
    expect((await c.poq.read.getNode([nodes[2]!])).pending).toBe(0n);
    const paid = 6n * E18 + (per * 3_000n) / 5_000n + (per * 1_000n) / 5_000n;
    expect(await c.poq.read.refundedOf([requester])).toBe(s.nodeBudget + 8n * E18 - paid);

    let bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    expect(bal.registryBalance).toBe(bal.staked);

    // claims, including to another address
    const payout0 = (await c.poq.read.getNode([nodes[0]!])).payout;
    await c.poq.write.claimNode([nodes[0]!]);
    expect(await c.token.read.balanceOf([payout0])).toBe((per * 3_000n) / 5_000n);
    const elsewhere = (await c.actor(7, 0n)).address;
    await c.poq.write.claim([elsewhere], { account: requester });
    expect(await c.token.read.balanceOf([elsewhere])).toBe(s.nodeBudget + 8n * E18 - paid);
    for (let i = 0; i < 3; i++) await c.poq.write.claim([members[i]!], { account: members[i]! });
    for (const m of members) {
      const e = await c.registry.read.getEvaluator([m]);
      expect([e.tasksAssigned, e.tasksMissed]).toEqual([1, 0]);
      expect(await c.poq.read.claimableOf([m])).toBe(0n);
    }
    bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    const [escrowed, claimable, treasury, burned] = await c.poq.read.totals();
    expect(escrowed).toBe(0n);
    expect(treasury).toBe(protocolFee);
    expect(burned).toBe(0n);
    expect(claimable).toBe((per * 1_000n) / 5_000n);
    expect(await c.registry.read.totalStaked()).toBe(5_000n * E18);
  });
});
