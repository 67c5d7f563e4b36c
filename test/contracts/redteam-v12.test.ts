/**
 * Red team v12 (thirteenth review): the sealed round after the V11 fix (commit 0a31274), as an
 * attacker: the documented client procedure (`sealedList` from the Committed events; before the
 * fix, those of the seal transaction), batched seals, the indexer's and the worker's reading of
 * a sealed round, and members that are contracts.
 *
 * Labels: "fixed V12-n" plays an attack that worked on the code under review and asserts that it
 * fails now (the figures from before the fix are in its title); "HOLDS V12-n" asserts the attack
 * fails.
 *
 * Status: V12-1 .. V12-3 fixed (one root cause): a lone commit sent in the SAME transaction as
 * the seal (multicall [commit, commitAll] by a member-relayer, or a member contract calling both)
 * put a lone Committed event in the seal transaction. The seal fixed that member's slot to 0,
 * but `sealedList` took every Committed event of the seal transaction, so the documented list
 * carried the lone commitment there: every revealSealed / finalizeSealed built from it reverted
 * SealMismatch, the honest members were counted silent and slashed, and the relayer's lone reveal
 * was the consensus. No function of the seal transaction's logs could tell the two apart (V12-3),
 * so the fix is on chain: Sealing.seal now seals every member's own commitment (a lone
 * committer's slot holds its stored commitment, whatever was posted), so the sealed list is every
 * member's commitment as its single Committed event carries it, in committee order, whichever
 * transaction emitted it, and `sealedList(members, events)` is right for every layout (lists
 * are compared on each entry's low 240 bits). V12-4 .. V12-8 hold.
 *
 * Figures use DEV_PROTOCOL_PARAMS (as redteam-v10/v11): stake 1,000 each, slashBps 1000 (100),
 * tasks k = 3, m = 2, fee 2 a member, node budget 100 (50 an output), 60 s windows.
 */
import { describe, expect, it } from "vitest";
import { encodeFunctionData, getAddress, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { sealedList } from "../../oracle/contract/commitment.js";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, salt, type Chain } from "./helpers.js";
import { settledEvents, sameAddress, nodePending } from "./settlement-helpers.js";
import { ABSTAIN, GREEDY, HONEST, ZERO32, committedLogs, expectConserved, keyedAccounts, oneBlock, pastRevealDeadline, pays, prepare, reverts, sealedChainFor, sign, slashes, task } from "./sealed-helpers.js";

const KEYS = keyedAccounts("redteam-v12-ev");

const sealedChain = sealedChainFor(KEYS, 3);

const mc = (c: Chain, fn: "commit" | "commitAll", args: readonly unknown[]) => encodeFunctionData({ abi: c.poq.abi, functionName: fn, args } as never);

// ========================================================== the documented list from the events

describe("V12-1 a member-relayer batches its own lone commit with the seal", () => {
  it("fixed V12-1: k = 3, all sign SealedCommit for [6000, 4000] and hand their signatures to member M, who relays. M sends ONE multicall [commit(M, [10000, 10000]), commitAll(every signed entry)]. Before the fix the seal was mixed with M's slot sealed as 0, but sealedList, the documented rebuild from the seal transaction's Committed events, put M's lone commitment in M's slot: the honest members' revealSealed and the relayer-less finalizeSealed built from it reverted SealMismatch; after the deadline the honest members were silent: slashed 100 each (burned, trust 5000 -> 4000), M was paid its full fee 2 (0 as the outlier of an honest settlement) with its trust intact, M's [10000, 10000] was the consensus and the nodes got 100 instead of 10. Now M's slot is sealed as M's own commitment: the list from the events opens the seal (0 there reverts SealMismatch), both honest members reveal, finalizeSealed from the list settles, and the task settles honestly: consensus [6000, 4000], nobody slashed, M the outlier paid 0, nodes 10", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const mine = c.commitment(taskId, M, GREEDY, salt(99));

    const sealTx = await c.poq.write.multicall([[mc(c, "commit", [taskId, mine]), mc(c, "commitAll", [taskId, p.commitments, p.signatures])]], { account: M });
    expect((await c.poq.read.getTask([taskId])).commits).toBe(3);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash: sealTx });
    const inTx = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Committed" }).map((e) => [getAddress(e.args.evaluator), e.args.commitment]);
    expect(inTx).toEqual([[getAddress(M), mine], [getAddress(H0), p.commitments[0]], [getAddress(H1), p.commitments[1]]]);

    // the documented procedure: every member's Committed commitment, in committee order
    const list = sealedList(members, await committedLogs(c, taskId));
    expect(list).toEqual([p.commitments[0], p.commitments[1], mine]);
    // the old seal's list (0 in M's slot) and the posted entries are not the sealed list
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, ZERO32], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[1]!], { account: H1 }), "SealMismatch");
    // with M's opening (M published it), the relayer-less list-based settlement runs
    {
      const snap = await c.networkHelpers.takeSnapshot();
      const rs = await settledEvents(
        c,
        await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, HONEST, GREEDY], salts: [p.salts[0]!, p.salts[1]!, salt(99)] }]),
      );
      expect(rs.members.map((m) => m.revealed)).toEqual([true, true, true]);
      expect(slashes(rs)).toEqual([0n, 0n, 0n]);
      expect(pays(rs)).toEqual([2n * E18, 2n * E18, 0n]);
      expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
      await snap.restore();
    }

    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[0]!], { account: H0 });
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[1]!], { account: H1 });
    await c.reveal(taskId, M, GREEDY, salt(99)); // a lone committer reveals with plain reveal
    await pastRevealDeadline(c, taskId);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(r.task.burned).toBe(0n);
    // M: the outlier of an honest settlement, paid 0 and losing trust
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 0n]);
    expect((await c.registry.read.getEvaluator([M])).trust).toBeLessThan(5_000);
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    expect((await c.registry.read.getEvaluator([H0])).trust).toBeGreaterThanOrEqual(5_000);
    expect((await c.registry.read.getEvaluator([H1])).trust).toBeGreaterThanOrEqual(5_000);
    await expectConserved(c);
  });
});

describe("V12-2 a member front-runs an honest pending seal with a copied one, batched with its lone commit", () => {
  it("fixed V12-2: the requester relays all three members' signed [6000, 4000] in the last block of the commit window; member M copies the commitments and signatures from that pending transaction and lands first, in the same block, multicall [commit(M, [10000, 10000]), commitAll(copied)] (the requester's call reverts AlreadyCommitted). The only transaction with the honest members' Committed events is M's. Before the fix sealedList over it gave [c0, c1, M's lone commitment] while the seal held [c0, c1, 0], so both honest revealSealed calls reverted SealMismatch; after the deadline H0 and H1 were slashed 100 each (burned), M's scores were the consensus and the nodes got 100 instead of 10. Now the seal holds [c0, c1, M's lone commitment] too: both honest members revealSealed with sealedList's list (0 in M's slot reverts SealMismatch), M reveals alone and finalize settles honestly: consensus [6000, 4000], nobody slashed, M the outlier paid 0, nodes 10", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const mine = c.commitment(taskId, M, GREEDY, salt(99));
    const deadline = BigInt((await c.poq.read.getTask([taskId])).commitDeadline);
    const { statuses, hashes } = await oneBlock(c, deadline, [
      () => c.poq.write.multicall([[mc(c, "commit", [taskId, mine]), mc(c, "commitAll", [taskId, p.commitments, p.signatures])]], { account: M, gas: 3_000_000n, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.commitAll([taskId, p.commitments, p.signatures], { account: s.requester, gas: 3_000_000n, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "reverted"]);
    const logs = await committedLogs(c, taskId);
    expect([...new Set(logs.map((l) => l.transactionHash))]).toEqual([hashes[0]]); // one seal transaction: M's
    const list = sealedList(members, logs);
    expect(list).toEqual([p.commitments[0], p.commitments[1], mine]);
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, ZERO32], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[0]!], { account: H0 });
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[1]!], { account: H1 });
    await c.reveal(taskId, M, GREEDY, salt(99));
    await pastRevealDeadline(c, taskId);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 0n]);
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    await expectConserved(c);
  });
});

describe("V12-3 the seal transaction's logs cannot tell a same-transaction lone commit from a sealed entry", () => {
  it("fixed V12-3: task A: member 0 sends multicall [commit(c'), commitAll(-, c1, c2)]; task B: a relayer sends a plain commitAll(c0, c1, c2) (sealed list [c0, c1, c2]). Both seal transactions carry exactly three Committed events from the same contract, for members 0, 1, 2 in that order, nothing else, so any rebuild from the logs alone must give both the same shape. Before the fix A's sealed list was [0, c1, c2] and sealedList was right for B and wrong for A (A's members 1 and 2 reverted SealMismatch; B's revealed): the bit that differed lived only in storage. Now A's slot 0 is sealed as member 0's own commitment c', so sealedList is right for both: A's members 1 and 2 and B's reveal (reveals 2 each), and [0, c1, c2] reverts SealMismatch for A", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const A = await task(s);
    const B = await task(s);
    const pa = await prepare(s, A.taskId, A.members, [HONEST, HONEST, HONEST]);
    const pb = await prepare(s, B.taskId, B.members, [HONEST, HONEST, HONEST]);
    const lone = c.commitment(A.taskId, A.members[0]!, HONEST, salt(0)); // even an honest batching member
    const txA = await c.poq.write.multicall([[mc(c, "commit", [A.taskId, lone]), mc(c, "commitAll", [A.taskId, pa.commitments, pa.signatures])]], {
      account: A.members[0]!,
    });
    const txB = await c.poq.write.commitAll([B.taskId, pb.commitments, pb.signatures], { account: s.requester });
    const shape = async (hash: Hex, members: readonly Address[]) => {
      const rc = await c.publicClient.waitForTransactionReceipt({ hash });
      expect(rc.logs.every((l) => sameAddress(l.address, c.poq.address))).toBe(true);
      return parseEventLogs({ abi: c.poq.abi, logs: rc.logs }).map((e) => [e.eventName, members.findIndex((m) => sameAddress(m, (e.args as { evaluator: Address }).evaluator))]);
    };
    expect(await shape(txA, A.members)).toEqual([["Committed", 0], ["Committed", 1], ["Committed", 2]]);
    expect(await shape(txB, B.members)).toEqual(await shape(txA, A.members));

    const listA = sealedList(A.members, await committedLogs(c, A.taskId));
    const listB = sealedList(B.members, await committedLogs(c, B.taskId));
    expect(listA).toEqual([lone, pa.commitments[1], pa.commitments[2]]);
    expect(listB).toEqual(pb.commitments);
    await reverts(c.poq.write.revealSealed([A.taskId, [ZERO32, pa.commitments[1]!, pa.commitments[2]!], HONEST, pa.salts[1]!], { account: A.members[1]! }), "SealMismatch");
    for (const i of [1, 2]) await c.poq.write.revealSealed([A.taskId, listA, HONEST, pa.salts[i]!], { account: A.members[i]! });
    for (const i of [1, 2]) await c.poq.write.revealSealed([B.taskId, listB, HONEST, pb.salts[i]!], { account: B.members[i]! });
    expect((await c.poq.read.getTask([A.taskId])).reveals).toBe(2);
    expect((await c.poq.read.getTask([B.taskId])).reveals).toBe(2);
  });
});

// ====================================================================================== holds

describe("V12-4 seals of several tasks (and another task's lone commit) batched in one transaction", () => {
  it("HOLDS V12-4: the same three evaluators sit on tasks T1, T2, T3; member X of T3 sends one multicall [commit(T3, X), commitAll(T1), commitAll(T2)] (the 16-tasks-per-multicall relaying of docs/gas.md): one transaction with 7 Committed events, each member appearing 2 or 3 times. sealedList over each task's own events (args: { taskId }) gives exactly the signed lists; both finalizeSealed settle (2 each, nobody slashed) and T3 is untouched (commits 1)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const T1 = await task(s);
    const T2 = await task(s);
    const T3 = await task(s);
    const p1 = await prepare(s, T1.taskId, T1.members, [HONEST, HONEST, HONEST]);
    const p2 = await prepare(s, T2.taskId, T2.members, [[7_000, 3_000], [7_000, 3_000], [7_000, 3_000]]);
    const X = T3.members[0]!;
    const hash = await c.poq.write.multicall(
      [[mc(c, "commit", [T3.taskId, c.commitment(T3.taskId, X, HONEST, salt(5))]), mc(c, "commitAll", [T1.taskId, p1.commitments, p1.signatures]), mc(c, "commitAll", [T2.taskId, p2.commitments, p2.signatures])]],
      { account: X },
    );
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Committed" }).length).toBe(7);
    expect(sealedList(T1.members, await committedLogs(c, T1.taskId))).toEqual(p1.commitments);
    expect(sealedList(T2.members, await committedLogs(c, T2.taskId))).toEqual(p2.commitments);
    const r1 = await settledEvents(c, await c.poq.write.finalizeSealed([T1.taskId, p1.openings]));
    const r2 = await settledEvents(c, await c.poq.write.finalizeSealed([T2.taskId, p2.openings]));
    expect([...pays(r1), ...pays(r2)]).toEqual(Array(6).fill(2n * E18));
    expect([...slashes(r1), ...slashes(r2)]).toEqual(Array(6).fill(0n));
    expect((await c.poq.read.getTask([T3.taskId])).commits).toBe(1);
    await expectConserved(c);
  });
});

describe("V12-5 the indexer's counters over a mixed sealed round with lone reveals", () => {
  it("HOLDS V12-5: k = 4; member 0 commits an abstention alone, member 1 scores alone, the seal commits 2 and 3 (mixed); member 0 reveals alone (Abstained), member 2 revealSealed, then finalizeSealed. Replaying the task's logs with the indexer's handlers (Committed: commits + 1 and the member's commitment; Revealed / Abstained: reveals + 1, revealed, scores) gives commits 4 and reveals 4 = getTask's, one Committed and one judgement per member, each member's indexed commitment its own (lone or signed), and the indexed revealed flags and scores match EvaluatorSettled and the openings", async () => {
    const s = await sealedChain(4);
    const { c } = s;
    const { taskId, members } = await task(s, 4);
    const scores = [ABSTAIN, [7_000, 3_000], HONEST, [6_500, 3_500]];
    const p = await prepare(s, taskId, members, scores);
    await c.commit(taskId, members[0]!, ABSTAIN, p.salts[0]!);
    await c.commit(taskId, members[1]!, scores[1]!, p.salts[1]!);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    // the lone committers' slots hold their own (lone) commitments
    const list = sealedList(members, await committedLogs(c, taskId));
    expect(list).toEqual(p.commitments);
    await reverts(c.poq.write.revealSealed([taskId, [ZERO32, ZERO32, p.commitments[2]!, p.commitments[3]!], HONEST, p.salts[2]!], { account: members[2]! }), "SealMismatch");
    await c.reveal(taskId, members[0]!, ABSTAIN, p.salts[0]!);
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[2]!], { account: members[2]! });
    const fin = await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: scores.map((x) => [...x]), salts: p.salts }]);
    const r = await settledEvents(c, fin);

    // the indexer's handlers (indexer/src/settlement.ts), replayed over every log of the task
    const logs = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, args: { taskId }, fromBlock: 0n } as never);
    const idx = { commits: 0, reveals: 0 };
    const mem = new Map<string, { commitment?: Hex; revealed: boolean; scores?: number[]; nCommitted: number; nJudged: number }>();
    for (const m of members) mem.set(m.toLowerCase(), { revealed: false, nCommitted: 0, nJudged: 0 });
    for (const e of parseEventLogs({ abi: c.poq.abi, logs: logs as never })) {
      const a = e.args as { taskId: bigint; evaluator?: Address; commitment?: Hex; packedScores?: bigint };
      if (a.taskId !== taskId || !a.evaluator) continue;
      const row = mem.get(a.evaluator.toLowerCase())!;
      if (e.eventName === "Committed") {
        idx.commits++;
        row.commitment = a.commitment;
        row.nCommitted++;
      } else if (e.eventName === "Revealed") {
        idx.reveals++;
        row.revealed = true;
        row.scores = [0, 1].map((j) => Number((a.packedScores! >> BigInt(16 * j)) & 0xffffn));
        row.nJudged++;
      } else if (e.eventName === "Abstained") {
        idx.reveals++;
        row.revealed = true;
        row.scores = [];
        row.nJudged++;
      }
    }
    const t = await c.poq.read.getTask([taskId]);
    expect([idx.commits, idx.reveals]).toEqual([t.commits, t.reveals]);
    expect([t.commits, t.reveals, t.status]).toEqual([4, 4, TaskStatus.FINALIZED]);
    const rows = members.map((m) => mem.get(m.toLowerCase())!);
    expect(rows.map((x) => [x.nCommitted, x.nJudged])).toEqual(Array(4).fill([1, 1]));
    expect(rows.map((x) => x.commitment)).toEqual(p.commitments);
    expect(rows.map((x) => x.scores)).toEqual(scores);
    expect(r.members.map((m) => m.revealed)).toEqual(rows.map((x) => x.revealed));
    expect(slashes(r)).toEqual([0n, 0n, 0n, 0n]);
    await expectConserved(c);
  });
});

describe("V12-6 getMember (what the worker reads) for a per-member member inside a mixed seal", () => {
  it("HOLDS V12-6: worker W (per-member client, no key shared) commits [7000, 3000] alone, the others seal; getMember(W) reads (member, committed, not revealed, its 240-bit commitment) before and after the seal, a sealed member reads committed with commitment 0 (PoqChain only reads the two flags); W's plain reveal works right after the seal (commits = k), a second reveal says AlreadyRevealed, and W's revealed scores survive finalizeSealed (getMember [7000, 3000]; W paid 1 for its deviation, the others 2, exactly as the per-member round pays, nobody slashed)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const W = members[1]!;
    const scores = [HONEST, [7_000, 3_000], HONEST];
    const p = await prepare(s, taskId, members, scores);
    await c.commit(taskId, W, scores[1]!, p.salts[1]!);
    const low240 = (h: Hex) => toHex(BigInt(h) & ((1n << 240n) - 1n), { size: 32 });
    const before = await c.poq.read.getMember([taskId, W]);
    expect([before[0], before[1], before[2], before[3], [...before[4]]]).toEqual([true, true, false, low240(p.commitments[1]!), []]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    const after = await c.poq.read.getMember([taskId, W]);
    expect([after[1], after[2], after[3]]).toEqual([true, false, low240(p.commitments[1]!)]);
    const sealedM = await c.poq.read.getMember([taskId, members[0]!]);
    expect([sealedM[1], sealedM[2], sealedM[3]]).toEqual([true, false, ZERO32]);
    await c.reveal(taskId, W, scores[1]!, p.salts[1]!);
    await reverts(c.reveal(taskId, W, scores[1]!, p.salts[1]!), "AlreadyRevealed");
    const list = [p.commitments[0]!, p.commitments[1]!, p.commitments[2]!]; // W's slot: its own lone commitment
    expect(sealedList(members, await committedLogs(c, taskId))).toEqual(list);
    await reverts(
      c.poq.write.finalizeSealed([taskId, { commitments: [p.commitments[0]!, ZERO32, p.commitments[2]!], scores: [HONEST, GREEDY, HONEST], salts: [p.salts[0]!, salt(77), p.salts[2]!] }]),
      "SealMismatch",
    );
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, GREEDY, HONEST], salts: [p.salts[0]!, salt(77), p.salts[2]!] }]));
    expect([...(await c.poq.read.getMember([taskId, W]))[4]]).toEqual([7_000, 3_000]);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 1n * E18, 2n * E18]);
    await expectConserved(c);
  });
});

describe("V12-7 a member that is a contract burning all gas on any call", () => {
  it("HOLDS V12-7: member Z commits alone, then its account gets code that loops until out of gas on every call (an ERC-1271 wallet gone hostile). The others seal (mixed) and Z reveals; finalizeSealed settles under 1,000,000 gas (2 each). On a second task where Z commits alone and stays silent, the others revealSealed and finalize slashes Z alone (100, shared by nobody: 2 revealers, burned). Settlement never calls a member: claim pays Z's fees to another address, and both contracts stay conserved", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const A = await task(s);
    const B = await task(s);
    const zi = 2;
    const Z = A.members[zi]!;
    const zb = B.members.findIndex((m) => sameAddress(m, Z));
    const pa = await prepare(s, A.taskId, A.members, [HONEST, HONEST, HONEST]);
    const pb = await prepare(s, B.taskId, B.members, [HONEST, HONEST, HONEST]);
    await c.commit(A.taskId, Z, HONEST, pa.salts[zi]!);
    await c.commit(B.taskId, Z, HONEST, pb.salts[zb]!);
    await c.poq.write.commitAll([A.taskId, pa.commitments, pa.signatures]);
    await c.poq.write.commitAll([B.taskId, pb.commitments, pb.signatures]);
    await c.reveal(A.taskId, Z, HONEST, pa.salts[zi]!);
    await c.networkHelpers.setCode(Z, "0x5b600056"); // JUMPDEST PUSH1 0 JUMP: loops forever
    expect(await c.publicClient.getCode({ address: Z })).toBe("0x5b600056");

    // Z's slot holds its own lone commitment (here the one it signed: same scores and salt)
    const listA = sealedList(A.members, await committedLogs(c, A.taskId));
    expect(listA).toEqual(pa.commitments);
    await reverts(c.poq.write.finalizeSealed([A.taskId, { ...pa.openings, commitments: pa.commitments.map((x, i) => (i === zi ? ZERO32 : x)) }]), "SealMismatch");
    const hA = await c.poq.write.finalizeSealed([A.taskId, { ...pa.openings, commitments: listA }], { gas: 5_000_000n });
    const rcA = await c.publicClient.waitForTransactionReceipt({ hash: hA });
    expect(rcA.status).toBe("success");
    expect(rcA.gasUsed < 1_000_000n).toBe(true);
    expect(pays(await settledEvents(c, hA))).toEqual([2n * E18, 2n * E18, 2n * E18]);

    const listB = sealedList(B.members, await committedLogs(c, B.taskId));
    expect(listB).toEqual(pb.commitments);
    for (let i = 0; i < 3; i++) if (i !== zb) await c.poq.write.revealSealed([B.taskId, listB, HONEST, pb.salts[i]!], { account: B.members[i]! });
    await pastRevealDeadline(c, B.taskId);
    const rB = await settledEvents(c, await c.poq.write.finalize([B.taskId]));
    expect(rB.members.map((m) => m.revealed)).toEqual(B.members.map((_, i) => i !== zb));
    expect(slashes(rB)).toEqual(B.members.map((_, i) => (i === zb ? 100n * E18 : 0n)));

    const out = (await c.actor(88, 0n)).address;
    await c.poq.write.claim([out], { account: Z });
    expect(await c.token.read.balanceOf([out])).toBe(2n * E18);
    await expectConserved(c);
  });
});

describe("V12-8 a lone commit in another transaction of the seal's block", () => {
  it("HOLDS V12-8: M's lone commit [10000, 10000] and the requester's commitAll of all three signatures land in the same block as two transactions (the V10-1 race): the seal transaction carries only H0's and H1's Committed events, M's is in its own transaction; sealedList over the task's events gives [c0, c1, M's lone commitment] (0 in M's slot reverts SealMismatch), both honest members revealSealed with it, M reveals alone and finalize settles honestly: consensus [6000, 4000], nobody slashed, nodes 10. The list does not depend on which transaction emitted an event, so sealing every member's own commitment fixes V12-1..3 without reviving the veto", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const mine = c.commitment(taskId, M, GREEDY, salt(99));
    const deadline = BigInt((await c.poq.read.getTask([taskId])).commitDeadline);
    const { statuses, hashes } = await oneBlock(c, deadline, [
      () => c.poq.write.commit([taskId, mine], { account: M, gas: 3_000_000n, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.commitAll([taskId, p.commitments, p.signatures], { account: s.requester, gas: 3_000_000n, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "success"]);
    const logs = await committedLogs(c, taskId);
    expect(logs.map((l) => [getAddress(l.args.evaluator!), l.transactionHash])).toEqual([
      [getAddress(M), hashes[0]],
      [getAddress(H0), hashes[1]],
      [getAddress(H1), hashes[1]],
    ]);
    const list = sealedList(members, logs);
    expect(list).toEqual([p.commitments[0], p.commitments[1], mine]);
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, ZERO32], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[0]!], { account: H0 });
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[1]!], { account: H1 });
    await c.reveal(taskId, M, GREEDY, salt(99));
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    await expectConserved(c);
  });
});
