/**
 * Attack 10: slashing honest evaluators by withholding a task's texts. A requester names a
 * query (or output) hash whose text it never publishes, or publishes something that does not
 * match it. Before abstentions, an honest member could not score such a task, stayed silent and
 * was slashed (and its slash went to whoever "revealed", e.g. the requester's own sybils); the
 * requester got its escrow back and lost only the protocol fee. Now a member that cannot score
 * reveals an abstention (a committed empty score list): it is never slashed; when abstainers hold
 * at least half of the revealed weight the task is void and the requester pays every revealer's
 * fee. docs/contract.md ("Abstaining", threat model row 10) names the rules.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, salt, setupChain, type Chain } from "./helpers.js";
import { ABSTAIN, settledEvents } from "./settlement-helpers.js";

async function stakes(c: Chain, evals: readonly Address[]) {
  return Promise.all(evals.map(async (e) => (await c.registry.read.getEvaluator([e])).stake));
}

describe("attack 10: slashing honest evaluators by withholding a task's texts", () => {
  it("before: members that cannot score and stay silent are slashed while the requester loses only the protocol fee; now: they abstain, nobody is slashed and the requester pays every fee", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes); // k = 3, fee 2 tokens a member, node budget 100

    // the old worker's behaviour: nobody could score the withheld query, nobody revealed
    const before = await c.token.read.balanceOf([requester]);
    const silent = await c.createTask(requester, s);
    const stakesBefore = await stakes(c, silent.members);
    const old = await settledEvents(c, await c.finalize(silent.taskId));
    expect(old.members.map((m) => m.slashed)).toEqual([100n * E18, 100n * E18, 100n * E18]); // 10% of each member's 1,000
    expect((await stakes(c, silent.members)).every((x, i) => x < stakesBefore[i]!)).toBe(true);
    await c.poq.write.claim([requester], { account: requester });
    const protocolFee = await c.poq.read.protocolFeeFor([s.nodeBudget, s.evalBudget]);
    expect(protocolFee).toBe((222n * E18) / 100n);
    expect(before - (await c.token.read.balanceOf([requester]))).toBe(protocolFee); // the whole escrow came back

    // today: every member abstains (commits and reveals an empty score list)
    const before2 = await c.token.read.balanceOf([requester]);
    const withheld = await c.createTask(requester, s);
    const stakes2 = await stakes(c, withheld.members);
    const trust2 = await Promise.all(withheld.members.map(async (e) => (await c.registry.read.getEvaluator([e])).trust));
    await c.play(withheld.taskId, withheld.members, withheld.members.map(() => ABSTAIN));
    const m0 = await c.poq.read.getMember([withheld.taskId, withheld.members[0]!]);
    expect(m0[2]).toBe(true); // revealed
    expect(m0[4]).toEqual([]); // with no scores: abstained
    const now = await settledEvents(c, await c.finalize(withheld.taskId));
    expect(now.task.hasConsensus).toBe(false); // void
    expect(now.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(now.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 2n * E18]); // each paid its fee
    expect(await stakes(c, withheld.members)).toEqual(stakes2);
    expect(now.members.map((m) => Number(m.newTrust))).toEqual(trust2); // no information, no trust change
    for (const n of nodes) expect((await c.poq.read.getNode([n])).pending).toBe(0n);
    await c.poq.write.claim([requester], { account: requester });
    // the griefer now pays the protocol fee and every member's fee: 2.22 + 3 x 2 = 8.22 tokens a task
    expect(before2 - (await c.token.read.balanceOf([requester]))).toBe(protocolFee + 6n * E18);
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    expect(bal.registryBalance).toBe(bal.staked);
  });

  it("sybils that were given the texts cannot outvote abstaining honest members of equal or greater weight: the task is void, nobody is slashed, nothing is judged", async () => {
    const c = await setupChain();
    await c.evaluators(3); // equal stake and trust: equal voting weight
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    // one member (a sybil that got the texts) scores the requester's nodes at 0; two abstain
    await c.play(taskId, members, [[0, 0], ABSTAIN, ABSTAIN]);
    const r = await settledEvents(c, await c.finalize(taskId));
    expect(r.task.hasConsensus).toBe(false);
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    // somebody scored: the scorer is paid, abstainers are not (abstaining never earns more than scoring)
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 0n, 0n]);
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.FINALIZED);
  });

  it("a tie between abstainers and agreeing scorers is void; agreeing scorers holding more than half the revealed weight settle the task; disagreeing ones do not", async () => {
    const c = await setupChain();
    await c.evaluators(4);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const tie = await c.createTask(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18 }));
    await c.play(tie.taskId, tie.members, [[8_000], [8_000], ABSTAIN, ABSTAIN]);
    expect((await settledEvents(c, await c.finalize(tie.taskId))).task.hasConsensus).toBe(false);
    const more = await c.createTask(requester, c.spec(nodes, { k: 3, evalBudget: 6n * E18 }));
    await c.play(more.taskId, more.members, [[8_000], [8_000], ABSTAIN]);
    const r = await settledEvents(c, await c.finalize(more.taskId));
    expect(r.task.hasConsensus).toBe(true);
    expect((await c.poq.read.getConsensus([more.taskId]))[1]).toEqual([8_000]);
    // two scorers that disagree (2,000 apart: d = 1 for one of them) against one abstainer: only
    // a third of the revealed weight agrees with the reference, so nobody decides
    const split = await c.createTask(requester, c.spec(nodes, { k: 3, evalBudget: 6n * E18 }));
    await c.play(split.taskId, split.members, [[8_000], [6_000], ABSTAIN]);
    const v = await settledEvents(c, await c.finalize(split.taskId));
    expect(v.task.hasConsensus).toBe(false);
    expect(v.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 0n]);
  });

  it("abstaining is no escape from a bad score: an outweighed abstainer is paid nothing and loses the trust of a maximal outlier, and is not slashed", async () => {
    const c = await setupChain();
    await c.evaluators(5);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const s = c.spec(nodes, { k: 5, evalBudget: 10n * E18 });
    // same committee twice (snapshot): the fifth member abstains, or reveals garbage
    const snap = await c.networkHelpers.takeSnapshot();
    const a = await c.createTask(requester, s);
    await c.play(a.taskId, a.members, [[7_000], [7_000], [7_000], [7_000], ABSTAIN]);
    const abstained = (await settledEvents(c, await c.finalize(a.taskId))).members[4]!;
    await snap.restore();
    const b = await c.createTask(requester, s);
    expect(b.members).toEqual(a.members);
    await c.play(b.taskId, b.members, [[7_000], [7_000], [7_000], [7_000], [0]]);
    const garbage = (await settledEvents(c, await c.finalize(b.taskId))).members[4]!;
    expect(abstained.pay).toBe(0n);
    expect(abstained.slashed).toBe(0n);
    expect(abstained.deviation).toBe(10_000n);
    expect(abstained.newTrust).toBe(garbage.newTrust); // both judged as d = 1
    expect(garbage.pay).toBe(0n);
    expect(abstained.newTrust).toBeLessThan(5_000n);
  });

  it("an abstention is committed like scores: a member cannot switch between scoring and abstaining after the commit", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    await c.commit(taskId, members[0]!, [5_000, 5_000], salt(0));
    await c.commit(taskId, members[1]!, ABSTAIN, salt(1));
    await c.commit(taskId, members[2]!, [5_000, 5_000], salt(2));
    const rv = (p: Promise<unknown>, name: string) => c.viem.assertions.revertWithCustomError(p as never, c.poq as never, name as never);
    await rv(c.reveal(taskId, members[0]!, ABSTAIN, salt(0)), "CommitmentMismatch");
    await rv(c.reveal(taskId, members[1]!, [5_000, 5_000], salt(1)), "CommitmentMismatch");
    await rv(c.reveal(taskId, members[2]!, [5_000], salt(2)), "WrongScoreCount");
    await c.reveal(taskId, members[1]!, ABSTAIN, salt(1));
    await rv(c.reveal(taskId, members[1]!, ABSTAIN, salt(1)), "AlreadyRevealed");
    // the commitment view agrees with the contract's opening of an empty list
    expect(await c.poq.read.commitmentFor([taskId, members[1]!, [], salt(1)])).toBe(c.commitment(taskId, members[1]!, [], salt(1)));
  });
});
