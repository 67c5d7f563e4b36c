/**
 * Red team v11 (twelfth review): the V10-1/V10-2 fix (commit c3d7d98). `commitAll` is allowed
 * while t.commits < k; `Sealing.seal` skips members that already committed alone (their entry and
 * signature are ignored) and sets the seal's lowest bit when "mixed"; `Sealing.matches` ignores
 * that bit; `finalizeSealed` keeps lone reveals and checks lone commitments against their stored
 * 240 bits, reading member words only when the seal is mixed or t.reveals != 0.
 *
 * Labels: "fixed V11-n" plays an attack that worked on the code under review and asserts it
 * fails now (the figures from before in the title); "HOLDS V11-n" asserts the attack fails.
 *
 * Status: V11-1 and V11-2 fixed (one root cause): a lone committer's entry in the sealed list was
 * neither signed nor emitted, yet part of the seal's hash, so whoever posted a mixed commitAll (a
 * member-relayer, or anyone copying the signatures from a pending commitAll) could put bytes
 * there that no event and no agreed list carried; the other members got SealMismatch, stayed
 * silent and were slashed. They stay fixed: Sealing.seal fixes such a slot to the member's own
 * (stored) commitment whatever was posted, so the sealed list is every member's commitment as its
 * single Committed event carries it, in committee order, whichever transaction emitted it
 * (`sealedList` in oracle/contract/commitment.ts), and every poster of the same signatures seals
 * the same list. (An earlier fix sealed that slot as 0, which redteam-v12 V12-1..3 broke; lists
 * are compared on each entry's low 240 bits, what a member word keeps.) V11-3 .. V11-9 hold.
 *
 * Figures use DEV_PROTOCOL_PARAMS (as redteam-v10): stake 1,000 each, slashBps 1000 (100),
 * tasks k = 3, m = 2, fee 2 a member, node budget 100 (50 an output), 60 s windows.
 */
import { describe, expect, it } from "vitest";
import { encodeAbiParameters, encodeFunctionData, getAddress, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { sealOf as sealOfList, sealedList } from "../../oracle/contract/commitment.js";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, salt, type Chain } from "./helpers.js";
import { settledEvents, sameAddress, nodePending } from "./settlement-helpers.js";
import { ABSTAIN, GAS, GREEDY, HONEST, ZERO32, expectConserved, keyedAccounts, oneBlock, pays, prepare, reverts, sealedChainFor, sign, slashes, task } from "./sealed-helpers.js";

const KEYS = keyedAccounts("redteam-v11-ev");
const GARBAGE = keccak256(toHex("v11-garbage-entry"));

const sealedChain = sealedChainFor(KEYS, 3);

/** Sealing.sealOf, through the TypeScript helper: keccak256(abi.encode(uint256[] each entry's low 240 bits)). */
const sealOf = (list: readonly Hex[]) => BigInt(sealOfList(list));

/** The stored seal word of `taskId`: a word of the task's record (the mapping slot keccak(taskId, p) and the words after it) whose value is one of `candidates`. */
async function storedSeal(c: Chain, taskId: bigint, candidates: bigint[]) {
  for (let p = 0n; p < 128n; p++) {
    const base = BigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [taskId, p])));
    for (let w = 0n; w < 6n; w++) {
      const slot = `0x${(base + w).toString(16).padStart(64, "0")}` as Hex;
      const v = BigInt((await c.publicClient.getStorageAt({ address: c.poq.address, slot })) ?? "0x0");
      if (v !== 0n && candidates.includes(v)) return { p, v };
    }
  }
  return undefined;
}

// ============================================================ the sealed list's unsigned entries

describe("V11-1 a member-relayer garbled its own (lone) entry in a mixed seal", () => {
  it("fixed V11-1: k = 3, all sign SealedCommit for [6000, 4000] and hand their signatures to member M, who relays. M first commits alone [10000, 10000], then posts commitAll with H0's and H1's signed entries and bytes of its own choosing in its own (skipped, unsigned, un-emitted) slot. Before the fix those bytes were part of the seal: the honest members' lists (from the events, or agreed) reverted SealMismatch, they were slashed 100 each and M's scores became the consensus (nodes paid 100 instead of 10). Now a skipped slot is sealed as the member's own commitment: the list rebuilt from the task's Committed events (sealedList) opens it and the task settles honestly, M the outlier", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);

    await c.commit(taskId, M, GREEDY, salt(99));
    const posted = [p.commitments[0]!, p.commitments[1]!, GARBAGE];
    await c.poq.write.commitAll([taskId, posted, [p.signatures[0]!, p.signatures[1]!, "0x"]], { account: M });
    expect((await c.poq.read.getTask([taskId])).commits).toBe(3);

    const logs = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "Committed", args: { taskId }, fromBlock: 0n });
    const list = sealedList(members, logs);
    expect(list).toEqual([p.commitments[0], p.commitments[1], c.commitment(taskId, M, GREEDY, salt(99))]);
    // the garbage M sent is not the sealed list, nor is 0 in M's slot
    await reverts(c.poq.write.revealSealed([taskId, posted, HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, ZERO32], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[0]!], { account: H0 });
    await c.reveal(taskId, M, GREEDY, salt(99));
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, HONEST, GREEDY], salts: [p.salts[0]!, p.salts[1]!, salt(99)] }]));
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 0n]);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    expect((await c.registry.read.getEvaluator([H1])).trust).toBeGreaterThanOrEqual(5_000);
    await expectConserved(c);
  });
});

describe("V11-2 an outsider front-ran an honest mixed commitAll with a copied, re-entried list", () => {
  it("fixed V11-2: honest member H2 committed alone [6000, 4000]; the requester relays commitAll for H0 and H1 in the last block of the commit window. An outsider copies H0's and H1's signatures from that pending transaction and lands its own commitAll first in the same block, with a different H2 entry. Before the fix its seal differed from the honest one and H0 and H1 were slashed 100 each. Now H2's slot is sealed as H2's own commitment whatever was sent: the outsider's seal is the honest one (the requester's call reverts AlreadyCommitted, harmlessly) and the task settles with nobody slashed", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, H2] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.commit(taskId, H2, HONEST, salt(2)); // = p.commitments[2]: H2 simply used the per-member round
    const eve = (await c.actor(77)).address;
    const deadline = BigInt((await c.poq.read.getTask([taskId])).commitDeadline);
    const { statuses } = await oneBlock(c, deadline, [
      () => c.poq.write.commitAll([taskId, [p.commitments[0]!, p.commitments[1]!, GARBAGE], [p.signatures[0]!, p.signatures[1]!, "0x"]], { account: eve, gas: GAS, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.commitAll([taskId, p.commitments, p.signatures], { account: s.requester, gas: GAS, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "reverted"]);
    const list = [p.commitments[0]!, p.commitments[1]!, p.commitments[2]!]; // H2's slot: its own lone commitment
    const stored = await storedSeal(c, taskId, [sealOf(list) | 1n]);
    expect(stored?.v).toBe(sealOf(list) | 1n); // mixed: the honest list, lowest bit set
    const logs = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "Committed", args: { taskId }, fromBlock: 0n });
    expect(sealedList(members, logs)).toEqual(list);
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, GARBAGE], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    await reverts(c.poq.write.revealSealed([taskId, [p.commitments[0]!, p.commitments[1]!, ZERO32], HONEST, p.salts[0]!], { account: H0 }), "SealMismatch");
    for (const [i, a] of [H0, H1].entries()) await c.poq.write.revealSealed([taskId, list, HONEST, p.salts[i]!], { account: a });
    await c.poq.write.revealSealed([taskId, [GARBAGE], HONEST, salt(2)], { account: H2 }); // a lone committer's list is not read
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });
});

// ================================================================== openings and signatures hold

describe("V11-3 the unsigned entry cannot choose a lone committer's scores", () => {
  it("HOLDS V11-3: victim V committed alone [6000, 4000]; the relayer seals with V's entry = commitmentFor(V, [10000, 10000], salt 66) and opens V with exactly that (scores, salt): finalizeSealed reverts OpeningMismatch(2), as does V's own list-based revealSealed with it (CommitmentMismatch); with V's real opening the task settles [6000, 4000], nobody slashed, 2 each", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const V = members[2]!;
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.commit(taskId, V, HONEST, salt(2));
    const forged = c.commitment(taskId, V, GREEDY, salt(66));
    await c.poq.write.commitAll([taskId, [p.commitments[0]!, p.commitments[1]!, forged], [p.signatures[0]!, p.signatures[1]!, "0x"]]);
    const list = [p.commitments[0]!, p.commitments[1]!, c.commitment(taskId, V, HONEST, salt(2))]; // the lone slot is sealed as V's own commitment whatever was posted
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: [p.commitments[0]!, p.commitments[1]!, forged], scores: [HONEST, HONEST, HONEST], salts: p.salts }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: [p.commitments[0]!, p.commitments[1]!, ZERO32], scores: [HONEST, HONEST, HONEST], salts: p.salts }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, HONEST, GREEDY], salts: [p.salts[0]!, p.salts[1]!, salt(66)] }]), "OpeningMismatch", [2n]);
    await reverts(c.poq.write.revealSealed([taskId, list, GREEDY, salt(66)], { account: V }), "CommitmentMismatch");
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(0);
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, HONEST, HONEST], salts: p.salts }]));
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });
});

describe("V11-4 skipping a signature for a member that did not commit alone", () => {
  it("HOLDS V11-4: (1) A commits alone, then a seal with B's entry signed by A reverts BadSealSignature(1); (2) the same as one multicall from A [commit, commitAll] reverts BadSealSignature(1) and leaves commits 1; (3) an outsider cannot make the seal mixed (commit: NotCommitteeMember; revealSealed before a seal: NotSealed; both leave commits 0); (4) multicall [commitAll, commit] reverts AlreadyCommitted as a whole; (5) at commits = k - 1 only the last member's signature is checked (a forged one: BadSealSignature(2)); at commits = k commitAll reverts AlreadyCommitted and finalizeSealed NotSealed", async () => {
    const s = await sealedChain(4);
    const { c } = s;
    // (3) and (4) on a fresh task
    {
      const { taskId, members } = await task(s);
      const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
      const outsider = KEYS.slice(0, 4).find((k) => !members.some((m) => sameAddress(m, k.address)))!;
      await reverts(c.poq.write.commit([taskId, GARBAGE], { account: outsider.address }), "NotCommitteeMember");
      await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[0]!], { account: members[0]! }), "NotSealed", [taskId]);
      expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
      const calls = [
        encodeFunctionData({ abi: c.poq.abi, functionName: "commitAll", args: [taskId, p.commitments, p.signatures] }),
        encodeFunctionData({ abi: c.poq.abi, functionName: "commit", args: [taskId, c.commitment(taskId, members[0]!, GREEDY, salt(9))] }),
      ];
      await reverts(c.poq.write.multicall([calls], { account: members[0]! }), "AlreadyCommitted");
      expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
    }
    // (1), (2), (5)
    const { taskId, members } = await task(s);
    const [A, B, C] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const forgedB = c.commitment(taskId, B, GREEDY, salt(7));
    const sigByA = await sign(s, s.keyOf(A), taskId, forgedB);
    const mc = [
      encodeFunctionData({ abi: c.poq.abi, functionName: "commit", args: [taskId, p.commitments[0]!] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "commitAll", args: [taskId, [GARBAGE, forgedB, p.commitments[2]!], ["0x", sigByA, p.signatures[2]!]] }),
    ];
    await reverts(c.poq.write.multicall([mc], { account: A }), "BadSealSignature", [1n]);
    expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
    await c.poq.write.commit([taskId, p.commitments[0]!], { account: A });
    await reverts(c.poq.write.commitAll([taskId, [GARBAGE, forgedB, p.commitments[2]!], ["0x", sigByA, p.signatures[2]!]]), "BadSealSignature", [1n]);
    await c.poq.write.commit([taskId, p.commitments[1]!], { account: B });
    expect((await c.poq.read.getTask([taskId])).commits).toBe(2);
    const forgedC = c.commitment(taskId, C, GREEDY, salt(8));
    await reverts(c.poq.write.commitAll([taskId, [GARBAGE, GARBAGE, forgedC], ["0x", "0x", await sign(s, s.keyOf(A), taskId, forgedC)]]), "BadSealSignature", [2n]);
    const snap = await c.networkHelpers.takeSnapshot();
    await c.poq.write.commit([taskId, p.commitments[2]!], { account: C });
    await reverts(c.poq.write.commitAll([taskId, p.commitments, p.signatures]), "AlreadyCommitted");
    await reverts(c.poq.write.finalizeSealed([taskId, p.openings]), "NotSealed", [taskId]);
    await snap.restore();
    // the one member that did not commit alone is sealed under its own signature only
    await c.poq.write.commitAll([taskId, [ZERO32, ZERO32, p.commitments[2]!], ["0x", "0x", p.signatures[2]!]]);
    // the lone committers' slots hold their own commitments, not the zeros posted there
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: [ZERO32, ZERO32, p.commitments[2]!], scores: [HONEST, HONEST, HONEST], salts: p.salts }]), "SealMismatch");
    const logs = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "Committed", args: { taskId }, fromBlock: 0n });
    expect(sealedList(members, logs)).toEqual(p.commitments);
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { commitments: p.commitments, scores: [HONEST, HONEST, HONEST], salts: p.salts }]));
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });
});

// ================================================================ the lowest bit and the words read

describe("V11-5 the seal's lowest bit", () => {
  it("HOLDS V11-5: the stored seal is keccak(abi.encode(uint256[] each entry's low 240 bits)) with bit 0 cleared (no lone commit) or set (mixed, the lone committer's slot holding its own commitment), read straight from storage; matches() ignores only that bit, so the same list opens either seal (an entry's top 16 bits are not compared), while any other list (one entry changed, the bytes posted in the lone committer's slot or 0 there included, or the list hash's bit-0 twin which would need a 255-bit keccak collision) reverts SealMismatch in revealSealed and finalizeSealed", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    // plain seal
    const A = await task(s);
    const pa = await prepare(s, A.taskId, A.members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([A.taskId, pa.commitments, pa.signatures]);
    const ha = sealOf(pa.commitments);
    const sa = await storedSeal(c, A.taskId, [ha & ~1n, ha | 1n]);
    expect(sa?.v).toBe(ha & ~1n);
    // mixed seal
    const B = await task(s);
    const pb = await prepare(s, B.taskId, B.members, [HONEST, HONEST, HONEST]);
    await c.commit(B.taskId, B.members[1]!, HONEST, salt(1));
    await c.poq.write.commitAll([B.taskId, [pb.commitments[0]!, GARBAGE, pb.commitments[2]!], [pb.signatures[0]!, "0x", pb.signatures[2]!]]);
    const listB = [pb.commitments[0]!, c.commitment(B.taskId, B.members[1]!, HONEST, salt(1)), pb.commitments[2]!]; // the lone slot sealed as its own commitment
    const hb = sealOf(listB);
    const sb = await storedSeal(c, B.taskId, [hb & ~1n, hb | 1n]);
    expect(sb?.v).toBe(hb | 1n);
    expect(sb?.p).toBe(sa?.p);

    const altered = [listB[0]!, GARBAGE, listB[2]!]; // what was posted in the lone slot
    await reverts(c.poq.write.revealSealed([B.taskId, [listB[0]!, keccak256(toHex("another")), listB[2]!], HONEST, pb.salts[0]!], { account: B.members[0]! }), "SealMismatch");
    await reverts(c.poq.write.revealSealed([B.taskId, altered, HONEST, pb.salts[0]!], { account: B.members[0]! }), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([B.taskId, { ...pb.openings, commitments: altered }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([B.taskId, { ...pb.openings, commitments: [listB[0]!, ZERO32, listB[2]!] }]), "SealMismatch");
    // only the low 240 bits of an entry are sealed: flipping an entry's top 16 bits is the same list
    const topFlipped = pa.commitments.map((x, i) => (i === 1 ? toHex(BigInt(x) ^ (0xffffn << 240n), { size: 32 }) : x));
    expect(sealOf(topFlipped)).toBe(ha);
    await c.poq.write.revealSealed([A.taskId, topFlipped, HONEST, pa.salts[0]!], { account: A.members[0]! });
    expect((await c.poq.read.getTask([A.taskId])).reveals).toBe(1);
    await reverts(c.poq.write.finalizeSealed([A.taskId, { ...pa.openings, commitments: [pa.commitments[1]!, pa.commitments[0]!, pa.commitments[2]!] }]), "SealMismatch");
    const ra = await settledEvents(c, await c.poq.write.finalizeSealed([A.taskId, pa.openings]));
    const rb = await settledEvents(c, await c.poq.write.finalizeSealed([B.taskId, { ...pb.openings, commitments: listB }]));
    expect(pays(ra)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    expect(pays(rb)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    expect((await storedSeal(c, B.taskId, [hb & ~1n, hb | 1n]))).toBeUndefined(); // replaced by the consensus on settlement
    await expectConserved(c);
  });
});

describe("V11-6 lone reveals before finalizeSealed: not overridden, not counted twice, no stale word", () => {
  it("HOLDS V11-6: plain seal (read = false until a reveal); member 0 revealSealed [6000, 4000] (reveals 1), then finalizeSealed with member 0's opening replaced by [10000, 10000] and a wrong salt: member 0's stored reveal is kept (no second Revealed for it; 2 Revealed events in the settlement, one per other member), reveals = 3, consensus [6000, 4000], 2 each; the same with member 1's opening altered instead reverts OpeningMismatch(1)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    await c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[0]!], { account: members[0]! });
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(1);
    await reverts(c.poq.write.finalizeSealed([taskId, { ...p.openings, scores: [HONEST, GREEDY, HONEST] }]), "OpeningMismatch", [1n]);
    const hash = await c.poq.write.finalizeSealed([taskId, { ...p.openings, scores: [GREEDY, HONEST, HONEST], salts: [salt(55), p.salts[1]!, p.salts[2]!] }]);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    const revealed = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Revealed" }).map((e) => getAddress(e.args.evaluator));
    expect(revealed).toEqual([getAddress(members[1]!), getAddress(members[2]!)]);
    const r = await settledEvents(c, hash);
    const t = await c.poq.read.getTask([taskId]);
    expect([t.commits, t.reveals, t.status]).toEqual([3, 3, TaskStatus.FINALIZED]);
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    await expectConserved(c);
  });
});

// ===================================================== lone abstainers, zero entries, garbage lists

describe("V11-7 a lone abstainer with a zero sealed entry, revealSealed with a garbage list", () => {
  it("HOLDS V11-7: member 0 commits an abstention alone; revealSealed before the seal reverts NotSealed; the seal posts a zero entry in its slot (accepted: skipped, the slot sealed as its own commitment); member 0's revealSealed with a one-entry garbage list is a plain reveal (Abstained, reveals 1) and cannot be repeated (AlreadyRevealed); a non-member's garbage list still reverts SealMismatch; finalizeSealed with the posted list (0 in member 0's slot) reverts SealMismatch, with the sealed list and member 0's opening anything it keeps its abstention: revealed [true, true, true], abstainer paid 0, scorers 2 each, node 10, nothing slashed; the same scores in the per-member round pay the same", async () => {
    const s = await sealedChain(4);
    const { c } = s;
    const scores = [ABSTAIN, HONEST, HONEST];
    // per-member reference
    const U = await task(s);
    await c.play(U.taskId, U.members, scores);
    const ref = await settledEvents(c, await c.finalize(U.taskId));
    const refNodes = await nodePending(c, s.nodes);

    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, scores);
    await c.poq.write.commit([taskId, p.commitments[0]!], { account: members[0]! });
    await reverts(c.poq.write.revealSealed([taskId, [GARBAGE], ABSTAIN, p.salts[0]!], { account: members[0]! }), "NotSealed", [taskId]);
    const posted = [ZERO32, p.commitments[1]!, p.commitments[2]!];
    await c.poq.write.commitAll([taskId, posted, ["0x", p.signatures[1]!, p.signatures[2]!]]);
    const list = [p.commitments[0]!, p.commitments[1]!, p.commitments[2]!]; // member 0's slot: its own lone commitment
    await c.poq.write.revealSealed([taskId, [GARBAGE], ABSTAIN, p.salts[0]!], { account: members[0]! });
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(1);
    await reverts(c.poq.write.revealSealed([taskId, list, ABSTAIN, p.salts[0]!], { account: members[0]! }), "AlreadyRevealed");
    const outsider = KEYS.slice(0, 4).find((k) => !members.some((m) => sameAddress(m, k.address)))!.address;
    await reverts(c.poq.write.revealSealed([taskId, [GARBAGE], HONEST, salt(0)], { account: outsider }), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: posted, scores: [GREEDY, HONEST, HONEST], salts: [salt(77), p.salts[1]!, p.salts[2]!] }]), "SealMismatch");
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [GREEDY, HONEST, HONEST], salts: [salt(77), p.salts[1]!, p.salts[2]!] }]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(pays(r)).toEqual([0n, 2n * E18, 2n * E18]);
    expect(pays(r)).toEqual(pays(ref));
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect((await nodePending(c, s.nodes)) - refNodes).toBe(10n * E18);
    await expectConserved(c);
  });
});

// ==================================================== deadlines, finalize vs finalizeSealed, money

describe("V11-8 deadlines and the two settlements after a mixed seal", () => {
  it("HOLDS V11-8: mixed seal (member 2 alone); finalize before the deadline reverts FinalizeTooEarly; finalizeSealed one second after the reveal deadline reverts RevealTooLate (even with every opening); at the deadline it settles the same payments, trust and slashes as all three revealing and finalize (2, 2 and 1 for member 2's [7000, 3000], nobody slashed, node 10); afterwards finalize, finalizeSealed, commitAll and revealSealed revert TaskNotOpen (the seal replaced by the consensus); and a commitAll after the commit deadline reverts CommitTooLate", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, [7_000, 3_000]]);
    await c.poq.write.commit([taskId, p.commitments[2]!], { account: members[2]! });
    const posted = [p.commitments[0]!, p.commitments[1]!, GARBAGE];
    const list = [p.commitments[0]!, p.commitments[1]!, p.commitments[2]!]; // the lone slot sealed as member 2's own commitment
    const o = { commitments: list, scores: p.openings.scores, salts: p.salts };
    const snap0 = await c.networkHelpers.takeSnapshot();
    await c.warp(BigInt((await c.poq.read.getTask([taskId])).commitDeadline) - (await c.now()) + 1n);
    await reverts(c.poq.write.commitAll([taskId, posted, [p.signatures[0]!, p.signatures[1]!, "0x"]]), "CommitTooLate");
    await snap0.restore();
    await c.poq.write.commitAll([taskId, posted, [p.signatures[0]!, p.signatures[1]!, "0x"]]);
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, commitments: [p.commitments[0]!, p.commitments[1]!, ZERO32] }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, commitments: posted }]), "SealMismatch");
    await reverts(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    const rd = BigInt((await c.poq.read.getTask([taskId])).revealDeadline);

    const snap = await c.networkHelpers.takeSnapshot();
    for (let i = 0; i < 3; i++) await c.poq.write.revealSealed([taskId, list, p.openings.scores[i]!, p.salts[i]!], { account: members[i]! });
    const viaFinalize = await settledEvents(c, await c.poq.write.finalize([taskId]));
    await snap.restore();

    const snap2 = await c.networkHelpers.takeSnapshot();
    await c.networkHelpers.time.setNextBlockTimestamp(rd + 1n);
    await reverts(c.poq.write.finalizeSealed([taskId, o]), "RevealTooLate", [rd]);
    await snap2.restore();

    await c.networkHelpers.time.setNextBlockTimestamp(rd);
    const viaSealed = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, o]));
    const strip = (xs: typeof viaSealed.members) => xs.map((m) => [getAddress(m.evaluator), m.revealed, m.deviation, m.newTrust, m.pay, m.slashed, m.slashShare]);
    expect(strip(viaSealed.members)).toEqual(strip(viaFinalize.members));
    expect(pays(viaSealed)).toEqual([2n * E18, 2n * E18, 1n * E18]); // member 2's [7000, 3000]: deviation 1000, half fee
    expect(slashes(viaSealed)).toEqual([0n, 0n, 0n]);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    await reverts(c.poq.write.finalize([taskId]), "TaskNotOpen");
    await reverts(c.poq.write.finalizeSealed([taskId, o]), "TaskNotOpen");
    // revealSealed checks the task is open before the seal (settlement replaced the seal by the consensus)
    await reverts(c.poq.write.revealSealed([taskId, list, HONEST, p.salts[0]!], { account: members[0]! }), "TaskNotOpen", [taskId]);
    await reverts(c.poq.write.commitAll([taskId, posted, [p.signatures[0]!, p.signatures[1]!, "0x"]]), "TaskNotOpen");
    await expectConserved(c);
  });
});

describe("V11-9 no silent member and no missing judgement out of finalizeSealed", () => {
  it("HOLDS V11-9: mixed seal where members 0 and 1 committed alone and member 0 already revealed alone: finalizeSealed with member 1's (lone) opening missing (wrong salt) reverts OpeningMismatch(1), with member 2's sealed opening altered OpeningMismatch(2), with a short list SealLength(3, 2); the full one emits exactly one judgement per member not yet revealed (Revealed for 1 and 2), sets reveals 3, revealed [true, true, true], slashes nobody and pays 2 each", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commit([taskId, p.commitments[0]!], { account: members[0]! });
    await c.poq.write.commit([taskId, p.commitments[1]!], { account: members[1]! });
    await c.poq.write.commitAll([taskId, [GARBAGE, ZERO32, p.commitments[2]!], ["0x", "0x", p.signatures[2]!]]);
    const list = [p.commitments[0]!, p.commitments[1]!, p.commitments[2]!]; // both lone slots sealed as their own commitments
    await c.reveal(taskId, members[0]!, HONEST, p.salts[0]!);
    const o = { commitments: list, scores: p.openings.scores, salts: p.salts };
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, commitments: [ZERO32, ZERO32, p.commitments[2]!] }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, commitments: [GARBAGE, ZERO32, p.commitments[2]!] }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, salts: [p.salts[0]!, salt(50), p.salts[2]!] }]), "OpeningMismatch", [1n]);
    await reverts(c.poq.write.finalizeSealed([taskId, { ...o, scores: [HONEST, HONEST, GREEDY] }]), "OpeningMismatch", [2n]);
    await reverts(c.poq.write.finalizeSealed([taskId, { commitments: list, scores: [HONEST, HONEST], salts: p.salts }]), "SealLength", [3n, 2n]);
    const hash = await c.poq.write.finalizeSealed([taskId, o]);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    const judged = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Revealed" }).map((e) => getAddress(e.args.evaluator));
    expect(judged).toEqual([getAddress(members[1]!), getAddress(members[2]!)]);
    const r = await settledEvents(c, hash);
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(3);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(slashes(r)).toEqual([0n, 0n, 0n]);
    expect(pays(r)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });
});
