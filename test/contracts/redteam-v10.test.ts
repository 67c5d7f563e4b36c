/**
 * Red team v10: issue 13's sealed round (`commitAll`, `revealSealed`, `finalizeSealed`, library
 * `Sealing`, which decodes `msg.data[4:]` itself; `Governance.install` from bytes; `_settle`
 * shared by `finalize` and `finalizeSealed`; `getMember`'s inference for sealed members) and
 * the `History` trace (latest entry + count in one word) under the sum trees, the network sum
 * and the slot owners.
 *
 * Labels: "fixed V10-n" tests play an attack that worked on the code under review and assert
 * that it fails now (the figures from before the fix are in their titles); "HOLDS V10-n" tests
 * assert the attack fails; "ACCEPTED V10-n" pin a residual with its figures.
 *
 * Status: V10-1 and V10-2 fixed (a single member vetoed the batch call with a lone commit or
 * reveal; sent in the batch's block at the window's end, the honest members could no longer act
 * and were slashed as silent, the attacker alone setting the consensus): commitAll reverts only
 * when t.commits >= k and Sealing.seal skips members that already committed alone (their stored
 * word stands and their slot in the sealed list is their own commitment; the seal's lowest bit
 * says "mixed"); finalizeSealed no longer reverts after a lone
 * reveal: Sealing.open keeps a lone revealer's stored word and checks a lone committer's opening
 * against its stored 240 bits. V10-3..V10-10 and V10-13 hold; V10-11, V10-12, V10-14, V10-15
 * accepted.
 *
 * Figures use DEV_PROTOCOL_PARAMS: activation delay 60 s, unbonding 3600 s, min stake 100,
 * stake cap 10,000, initial trust 5000 (trust bound 2^13), slashBps 1000, missPenaltyBps 2000,
 * quality floor 5000; tasks k = 3, m = 2, fee 2 a member, node budget 100 (50 an output), 60 s
 * windows. Keyed evaluators (stake 1,000, cost 1) are registered from private keys as in
 * sealed.test.ts, so they can sign SealedCommit.
 */
import { describe, expect, it } from "vitest";
import { concat, decodeErrorResult, encodeFunctionData, getAddress, numberToHex, size, slice, type Address, type Hex } from "viem";
import { toGovernanceTuple, toStakingTuple } from "../../oracle/contract/params.js";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, salt, setupChain, type Chain } from "./helpers.js";
import { settledEvents, sameAddress, nodePending } from "./settlement-helpers.js";
import { GAS, GREEDY, HONEST, expectConserved, keyedAccounts, oneBlock, prepare, reverts, sealedChainFor, sign, task, type Openings } from "./sealed-helpers.js";

const MAX = 2n ** 256n - 1n;
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const BIT = 1n; // TEST_PROFILE is profile id 0
const KEYS = keyedAccounts("redteam-v10-ev");

/** A chain with `count` keyed evaluators (3 by default; stake 1,000, cost 1) and 2 inference nodes. */
const sealedChain = sealedChainFor(KEYS, 3);

// ========================================================================== sealed round: vetoes

describe("V10-1 a member's lone commit vetoed a late commitAll (sealed round, commit side)", () => {
  it("fixed V10-1: k = 3, all three sign SealedCommit for the honest scores [6000, 4000]; the poster sends commitAll in the last block of the commit window and member M front-runs it there with a plain commit of [10000, 10000]. Before the fix commitAll reverted (AlreadyCommitted), the two honest members could no longer commit, M's lone reveal set the consensus (nodes paid 50 each instead of 10 in total) and each honest member was slashed 100 (trust 5000 -> 4000). Now both land: M's own commitment stands, the seal commits the others, and the task settles honestly with M the outlier", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, H1, M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const t = await c.poq.read.getTask([taskId]);
    const deadline = BigInt(t.commitDeadline);

    const { statuses } = await oneBlock(c, deadline, [
      () => c.poq.write.commit([taskId, c.commitment(taskId, M, GREEDY, salt(99))], { account: M, gas: GAS, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.commitAll([taskId, p.commitments, p.signatures], { account: s.requester, gas: GAS, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "success"]);
    expect((await c.poq.read.getTask([taskId])).commits).toBe(3);
    // M's entry in the sealed list is ignored: it must open what it committed alone
    await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[2]!], { account: M }), "CommitmentMismatch");
    await c.reveal(taskId, M, GREEDY, salt(99));
    // the honest members' openings settle the task with M's lone reveal kept (V10-2's rule);
    // M's slot in the sealed list is its own lone commitment (redteam V11-1, V12-1): 0 there,
    // or the entry the poster sent, is another list
    const lone = c.commitment(taskId, M, GREEDY, salt(99));
    const list = p.commitments.map((x, i) => (i === 2 ? lone : x));
    const zeroList = p.commitments.map((x, i) => (i === 2 ? (`0x${"00".repeat(32)}` as Hex) : x));
    await reverts(c.poq.write.finalizeSealed([taskId, { ...p.openings, commitments: zeroList }]), "SealMismatch");
    await reverts(c.poq.write.finalizeSealed([taskId, p.openings]), "SealMismatch");
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, { ...p.openings, commitments: list }]));
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(r.outputs.map((o) => o.pay)).toEqual([10n * E18, 0n]);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 0n]);
    expect((await c.registry.read.getEvaluator([H0])).trust).toBeGreaterThanOrEqual(5_000);
    expect((await c.registry.read.getEvaluator([H1])).trust).toBeGreaterThanOrEqual(5_000);
    expect((await c.registry.read.getEvaluator([M])).trust).toBeLessThan(5_000);
    await expectConserved(c);
  });

  it("fixed V10-1b: the same race with the seal first: M's lone commit after it reverts AlreadyCommitted (the seal holds M's signed commitment)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const M = members[2]!;
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const deadline = BigInt((await c.poq.read.getTask([taskId])).commitDeadline);
    const { statuses } = await oneBlock(c, deadline, [
      () => c.poq.write.commitAll([taskId, p.commitments, p.signatures], { account: s.requester, gas: GAS, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.commit([taskId, c.commitment(taskId, M, GREEDY, salt(99))], { account: M, gas: GAS, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "reverted"]);
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, p.openings]));
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });
});

describe("V10-2 a member's lone revealSealed vetoed a late finalizeSealed (sealed round, reveal side)", () => {
  it("fixed V10-2: the round is sealed early (M sealed [10000, 10000], the others [6000, 4000]); every opening is shared and the relayer sends finalizeSealed in the last block of the reveal window; M front-runs it there with revealSealed. Before the fix finalizeSealed reverted (AlreadyRevealed), the honest members were counted silent (slashed 100 each, trust 5000 -> 4000) and M's scores became the consensus (nodes paid 100 instead of 10). Now finalizeSealed keeps M's lone reveal and settles honestly: M the outlier, nobody slashed", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const [H0, , M] = members as [Address, Address, Address];
    const p = await prepare(s, taskId, members, [HONEST, HONEST, GREEDY]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    const deadline = BigInt((await c.poq.read.getTask([taskId])).revealDeadline);

    const snap = await c.networkHelpers.takeSnapshot();
    const fair = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, p.openings]));
    await snap.restore();

    const { statuses } = await oneBlock(c, deadline, [
      () =>
        c.poq.write.revealSealed([taskId, p.commitments, GREEDY, p.salts[2]!], { account: M, gas: GAS, maxPriorityFeePerGas: 10n ** 10n }),
      () => c.poq.write.finalizeSealed([taskId, p.openings], { account: s.requester, gas: GAS, maxPriorityFeePerGas: 10n ** 9n }),
    ]);
    expect(statuses).toEqual(["success", "success"]);
    const task1 = await c.poq.read.getTask([taskId]);
    expect(task1.status).toBe(3); // FINALIZED
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual(HONEST);
    expect(fair.outputs.map((o) => o.pay)).toEqual([10n * E18, 0n]);
    expect(fair.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 0n]);
    expect(fair.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect((await c.registry.read.getEvaluator([H0])).trust).toBeGreaterThanOrEqual(5_000);
    await expectConserved(c);
  });
});

// ================================================================= msg.data decoding by the library

const w = (x: bigint | number) => numberToHex(BigInt(x), { size: 32 });
const JUNK = concat([w(0xdeadbeefn), w(MAX)]);
/** ABI `bytes` body: length word + data right-padded to 32 bytes. */
function bytesBody(b: Hex): Hex {
  const n = size(b);
  const padded = Math.ceil(n / 32) * 32;
  return concat([w(n), b, `0x${"00".repeat(padded - n)}`]);
}

/**
 * finalizeSealed(taskId, Openings) encoded by hand, non-canonically: a junk word between the head
 * and the tuple, the tuple's arrays in the order salts, scores, commitments, every member's score
 * list one shared (aliased) array, and junk after the end. `lane0` replaces the first score word.
 */
function finalizeSealedRaw(c: Chain, taskId: bigint, o: Openings, lane0?: bigint): Hex {
  const selector = slice(encodeFunctionData({ abi: c.poq.abi, functionName: "finalizeSealed", args: [taskId, o] }), 0, 4);
  const shared = o.scores[0]!;
  for (const s of o.scores) expect(s).toEqual(shared); // aliasing is only a valid encoding of equal lists
  const k = o.commitments.length;
  const salts = concat([w(k), ...o.salts]);
  const inner = concat([w(shared.length), ...shared.map((x, j) => w(j === 0 && lane0 !== undefined ? lane0 : BigInt(x)))]);
  const scores = concat([w(k), ...o.scores.map(() => w(32 * k)), inner]); // all k offsets -> the one inner array
  const commitments = concat([w(k), ...o.commitments]);
  const offSalts = 96;
  const offScores = offSalts + size(salts);
  const offCommitments = offScores + size(scores);
  const tuple = concat([w(offCommitments), w(offScores), w(offSalts), salts, scores, commitments]);
  return concat([selector, w(taskId), w(96), w(0x1234n), tuple, JUNK]);
}

/** commitAll(taskId, commitments, signatures), signatures first, junk in between and after; sigOffsets[i] picks the body signature i points at. */
function commitAllRaw(c: Chain, taskId: bigint, commitments: Hex[], signatures: Hex[], pick: number[] = [0, 1, 2]): Hex {
  const selector = slice(encodeFunctionData({ abi: c.poq.abi, functionName: "commitAll", args: [taskId, commitments, signatures] }), 0, 4);
  const k = signatures.length;
  const bodies = signatures.map(bytesBody);
  const at: number[] = [];
  let off = 32 * k;
  for (const b of bodies) {
    at.push(off);
    off += size(b);
  }
  const sigs = concat([w(k), ...pick.map((i) => w(at[i]!)), ...bodies]);
  const comms = concat([w(k), ...commitments]);
  const offSigs = 32 * 4; // head (3 words) + a junk word
  const offComms = offSigs + size(sigs) + 32; // one junk word after the signatures
  return concat([selector, w(taskId), w(offComms), w(offSigs), w(0x55n), sigs, w(0x66n), comms, JUNK]);
}

describe("V10-3 non-canonical calldata, aliased offsets and trailing bytes under Multicall (Sealing decodes msg.data[4:])", () => {
  it("HOLDS V10-3: finalizeSealed hand-encoded (junk word before the tuple, arrays reordered, the k score lists one aliased array, 64 junk bytes after) and sent inside multicall settles exactly as the canonical call (same pays, trust, deviations, consensus [6000, 4000], node pay 10); a score lane with dirty high bits (0x10000 + 6000) reverts and leaves the task OPEN; commitAll hand-encoded (signatures before commitments, junk words) inside multicall stores the canonical seal (a canonical finalizeSealed then opens it), and aliasing all three signature offsets to member 0's signature reverts BadSealSignature at index 1", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);

    // commitAll: aliased signatures are refused, the odd layout is accepted and seals the canonical list
    const aliased = commitAllRaw(c, taskId, p.commitments, p.signatures, [0, 0, 0]);
    await reverts(c.poq.write.multicall([[aliased]], { account: s.requester }), "BadSealSignature", [1n]);
    expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
    const odd = commitAllRaw(c, taskId, p.commitments, p.signatures);
    await c.poq.write.multicall([[odd]], { account: s.requester });
    expect((await c.poq.read.getTask([taskId])).commits).toBe(3);

    // the canonical settlement (snapshot) against the hand-encoded one in a multicall
    const snap = await c.networkHelpers.takeSnapshot();
    const canon = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, p.openings]));
    await snap.restore();
    // a dirty uint16 lane: the library's abi.decode refuses it
    const dirty = finalizeSealedRaw(c, taskId, p.openings, 0x10000n + 6_000n);
    await expect(c.poq.write.multicall([[dirty]], { account: s.requester })).rejects.toThrow();
    const wallet = await c.viem.getWalletClient(s.requester);
    await expect(wallet.sendTransaction({ to: c.poq.address, data: dirty })).rejects.toThrow();
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.OPEN);

    const raw = finalizeSealedRaw(c, taskId, p.openings);
    const r = await settledEvents(c, await c.poq.write.multicall([[raw]], { account: s.requester }));
    const strip = (xs: typeof r.members) => xs.map((m) => [getAddress(m.evaluator), m.revealed, m.deviation, m.newTrust, m.pay, m.slashed, m.slashShare]);
    expect(strip(r.members)).toEqual(strip(canon.members));
    expect(r.outputs.map((o) => [o.consensus, o.pay])).toEqual([
      [6_000n, 10n * E18],
      [4_000n, 0n],
    ]);
    expect(canon.outputs.map((o) => [o.consensus, o.pay])).toEqual(r.outputs.map((o) => [o.consensus, o.pay]));
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });

  it("HOLDS V10-3b: revealSealed hand-encoded with its commitments list placed after the scores, a junk word and trailing bytes, inside multicall: the typed scores and the library's decoded list come from the same bytes (member revealed [6000, 4000], reveals 1); pointing the list's offset at the scores array instead (so the library would read the scores as the list) reverts SealMismatch and writes no member word", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    const M0 = members[0]!;
    const selector = slice(encodeFunctionData({ abi: c.poq.abi, functionName: "revealSealed", args: [taskId, p.commitments, HONEST, p.salts[0]!] }), 0, 4);
    const scores = concat([w(2), w(HONEST[0]!), w(HONEST[1]!)]);
    const comms = concat([w(3), ...p.commitments]);
    const offScores = 32 * 5; // 4 head words + junk
    const offComms = offScores + size(scores);
    const build = (listAt: number) => concat([selector, w(taskId), w(listAt), w(offScores), p.salts[0]!, w(0x77n), scores, comms, JUNK]);
    await reverts(c.poq.write.multicall([[build(offScores)]], { account: M0 }), "SealMismatch");
    const m0 = await c.poq.read.getMember([taskId, M0]);
    expect([m0[1], m0[2], m0[3]]).toEqual([true, false, `0x${"00".repeat(32)}`]);
    await c.poq.write.multicall([[build(offComms)]], { account: M0 });
    const after = await c.poq.read.getMember([taskId, M0]);
    expect([after[2], [...after[4]]]).toEqual([true, HONEST]);
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(1);
  });
});

// ============================================================ revealSealed atomicity, seal leftovers

describe("V10-4 revealSealed writes the member word before _reveal runs", () => {
  it("HOLDS V10-4: a revealSealed whose _reveal reverts (wrong salt: CommitmentMismatch; a non-member: NotCommitteeMember; a second reveal in the same multicall: AlreadyRevealed) leaves no member word behind: getMember reads commitment 0 and not revealed, t.reveals stays 0, and finalizeSealed still settles all three afterwards", async () => {
    const s = await sealedChain(4);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    const [M0] = members as [Address];
    const outsider = KEYS.slice(0, 4).find((k) => !members.some((m) => sameAddress(m, k.address)))!.address;

    await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, salt(42)], { account: M0 }), "CommitmentMismatch");
    await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[0]!], { account: outsider }), "NotCommitteeMember");
    const once = encodeFunctionData({ abi: c.poq.abi, functionName: "revealSealed", args: [taskId, p.commitments, HONEST, p.salts[0]!] });
    await reverts(c.poq.write.multicall([[once, once]], { account: M0 }), "AlreadyRevealed");
    for (const a of [M0, outsider]) {
      const [, , revealed, commitment] = await c.poq.read.getMember([taskId, a]);
      expect([revealed, commitment]).toEqual([false, `0x${"00".repeat(32)}`]);
    }
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(0);
    const r = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, p.openings]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(r.task.slashed).toBe(0n);
    await expectConserved(c);
  });
});

describe("V10-5 the seal left behind by a fallback finalize", () => {
  it("HOLDS V10-5: members 0 and 1 revealSealed, member 2 stays silent, finalize after the deadline slashes member 2 by 100 (burned: fewer than 3 revealers) and replaces the seal by the consensus; afterwards revealSealed by the silent member, finalizeSealed, commitAll and finalize all revert TaskNotOpen, getMember reads the silent member committed and not revealed, and both contracts stay conserved", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    for (const i of [0, 1]) await c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[i]!], { account: members[i]! });
    await c.warp(BigInt((await c.poq.read.getTask([taskId])).revealDeadline) - (await c.now()) + 1n);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 100n * E18]);
    expect(r.task.burned).toBe(100n * E18);
    await reverts(c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[2]!], { account: members[2]! }), "TaskNotOpen");
    await reverts(c.poq.write.finalizeSealed([taskId, p.openings]), "TaskNotOpen");
    await reverts(c.poq.write.commitAll([taskId, p.commitments, p.signatures]), "TaskNotOpen");
    await reverts(c.poq.write.finalize([taskId]), "TaskNotOpen");
    const [isMember, committed, revealed] = await c.poq.read.getMember([taskId, members[2]!]);
    expect([isMember, committed, revealed]).toEqual([true, true, false]);
    await expectConserved(c);
  });
});

describe("V10-6 counters (uint8 commits/reveals), abstentions and early finalize in a sealed round", () => {
  it("HOLDS V10-6: sealed [6000,4000], abstain, [6000,4000]; finalize right after commitAll reverts FinalizeTooEarly (reveals 0); after two lone reveals (one an abstention, reveals 2 < k) finalize still reverts FinalizeTooEarly; the third lone reveal makes reveals 3 = k and finalize runs before the commit deadline, paying exactly what finalizeSealed of the same openings pays (scorers 2 each, the outweighed abstainer 0, node 10, no slash)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const scores = [HONEST, [] as number[], HONEST];
    const p = await prepare(s, taskId, members, scores);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    await reverts(c.poq.write.finalize([taskId]), "FinalizeTooEarly");

    const snap = await c.networkHelpers.takeSnapshot();
    const sealed = await settledEvents(c, await c.poq.write.finalizeSealed([taskId, p.openings]));
    await snap.restore();

    for (const i of [0, 1]) await c.poq.write.revealSealed([taskId, p.commitments, scores[i]!, p.salts[i]!], { account: members[i]! });
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(2);
    await reverts(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    await c.poq.write.revealSealed([taskId, p.commitments, scores[2]!, p.salts[2]!], { account: members[2]! });
    const t = await c.poq.read.getTask([taskId]);
    expect([t.commits, t.reveals]).toEqual([3, 3]);
    expect(await c.now()).toBeLessThanOrEqual(BigInt(t.commitDeadline));
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    const strip = (xs: typeof r.members) => xs.map((m) => [getAddress(m.evaluator), m.revealed, m.deviation, m.newTrust, m.pay, m.slashed, m.slashShare]);
    expect(strip(r.members)).toEqual(strip(sealed.members));
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 0n, 2n * E18]);
    expect(r.outputs.map((o) => o.pay)).toEqual([10n * E18, 0n]);
    expect(r.task.slashed).toBe(0n);
    expect([r.task.refund, r.task.burned]).toEqual([sealed.task.refund, sealed.task.burned]);
    await expectConserved(c);
  });
});

// ============================================================================== reentrancy

describe("V10-7 re-entering the sealed round from a token callback", () => {
  it("HOLDS V10-7: with a ReentrantToken, a claim whose transfer re-enters finalizeSealed is stopped by the guard (ReentrancyGuardReentrantCall, the task stays OPEN, the claim pays once); a re-entered commitAll (unguarded) only posts the valid seal, moving no tokens; afterwards finalizeSealed settles and balance == accounted", async () => {
    const s = await sealedChain(3, { reentrantToken: true });
    const { c } = s;
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    // a first task gives member 0 something to claim
    const A = await task(s);
    const pa = await prepare(s, A.taskId, A.members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commitAll([A.taskId, pa.commitments, pa.signatures]);
    await c.poq.write.finalizeSealed([A.taskId, pa.openings]);
    const B = await task(s);
    const pb = await prepare(s, B.taskId, B.members, [HONEST, HONEST, HONEST]);
    const victim = A.members[0]!;
    const owed = await c.poq.read.claimableOf([victim]);
    expect(owed).toBe(2n * E18);

    // 1. commitAll from inside a claim: allowed, harmless
    await token.write.arm([c.poq.address, encodeFunctionData({ abi: c.poq.abi, functionName: "commitAll", args: [B.taskId, pb.commitments, pb.signatures] }), false]);
    const b0 = await token.read.balanceOf([victim]);
    await c.poq.write.claim([victim], { account: victim });
    expect(await token.read.lastReentrySucceeded()).toBe(true);
    expect((await c.poq.read.getTask([B.taskId])).commits).toBe(3);
    expect((await token.read.balanceOf([victim])) - b0).toBe(owed);
    await expectConserved(c);

    // 2. finalizeSealed from inside a claim: blocked
    const other = A.members[1]!;
    await token.write.arm([c.poq.address, encodeFunctionData({ abi: c.poq.abi, functionName: "finalizeSealed", args: [B.taskId, pb.openings] }), false]);
    await c.poq.write.claim([other], { account: other });
    expect(await token.read.lastReentrySucceeded()).toBe(false);
    const data = await token.read.lastReentryData();
    expect(decodeErrorResult({ abi: c.poq.abi, data }).errorName).toBe("ReentrancyGuardReentrantCall");
    expect((await c.poq.read.getTask([B.taskId])).status).toBe(TaskStatus.OPEN);
    await c.poq.write.finalizeSealed([B.taskId, pb.openings]);
    expect((await c.poq.read.getTask([B.taskId])).status).toBe(TaskStatus.FINALIZED);
    await expectConserved(c);
  });
});

// ============================================================================ History traces

describe("V10-8 History at its boundaries: the network sum and the tree roots, entry counts 1..9", () => {
  it("HOLDS V10-8: 8 evaluators register >= 10 s apart (stakes 100, 200, .., 800: keys K1 < .. < K8 = registration + 60 s), then two more in ONE block (300 and 400: one key K9, the head overwritten); after every registration, for every key so far, treeTotals as of 0, K-1, K, K+1 and far ahead equal the stake registered with a key <= that time (network and price tree), x 2^13 for the draw tree: the head read, the binary search (count <= 5) and the sqrt probe (count > 5) all agree with a plain list; as of K9-1 the sum is 3,600, as of K9 4,300", async () => {
    const c = await setupChain();
    const keys: bigint[] = [];
    const stakes: bigint[] = [];
    const expected = (at: bigint) => keys.reduce((acc, k, i) => (k <= at ? acc + stakes[i]! : acc), 0n);
    async function checkAll() {
      const times = new Set<bigint>([0n, keys.at(-1)! + 10_000n]);
      for (const k of keys) for (const d of [-1n, 0n, 1n]) times.add(k + d);
      for (const at of times) {
        const [draw, price, net] = await c.registry.read.treeTotals([0n, at]);
        const e = expected(at);
        expect([net, price, draw], `as of ${at}`).toEqual([e, e, e * 8_192n]);
      }
    }
    for (let i = 0; i < 8; i++) {
      const a = (await c.actor(200 + i)).address;
      await c.registry.write.register([BigInt(i + 1) * 100n * E18, E18, [TEST_PROFILE]], { account: a });
      keys.push(BigInt((await c.registry.read.getEvaluator([a])).pendingAt));
      stakes.push(BigInt(i + 1) * 100n * E18);
      if (i > 0) expect(keys[i]! - keys[i - 1]! >= 11n).toBe(true); // distinct keys, at least the 10 s warp apart
      await checkAll();
      await c.warp(10);
    }
    // two registrations in one block: one key, the second push overwrites the head
    const x = (await c.actor(220)).address;
    const y = (await c.actor(221)).address;
    await c.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      await c.registry.write.register([300n * E18, E18, [TEST_PROFILE]], { account: x, gas: 3_000_000n });
      await c.registry.write.register([400n * E18, E18, [TEST_PROFILE]], { account: y, gas: 3_000_000n });
      await c.networkHelpers.mine();
    } finally {
      await c.conn.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const kx = BigInt((await c.registry.read.getEvaluator([x])).pendingAt);
    expect(BigInt((await c.registry.read.getEvaluator([y])).pendingAt)).toBe(kx);
    keys.push(kx, kx);
    stakes.push(300n * E18, 400n * E18);
    await checkAll();
    expect((await c.registry.read.treeTotals([0n, kx - 1n]))[2]).toBe(3_600n * E18);
    expect((await c.registry.read.treeTotals([0n, kx]))[2]).toBe(4_300n * E18);
  });
});

describe("V10-9 History on one slot's owners: 4 occupants in turn (8 entries)", () => {
  it("HOLDS V10-9: slot 0 is taken by X1, emptied by an eviction, retaken by X2, .., X4, emptied again (owner keys R1 < E1 < R2 < .. < E4; after each setProfiles([]) the leaf drops at S_i); drawInputs as of every key - 1, key, key + 1 names the occupant of the last owner entry with key <= that time (nobody before R1, between E_i and R_i+1 and after E4) and its leaf 1,000 x 2^13 only in [R_i, S_i): after every cycle too, so counts 1..7 of older entries and the sqrt probe are exercised", async () => {
    const c = await setupChain();
    const events: { key: bigint; owner: Address }[] = [];
    const live: { from: bigint; to: bigint }[] = [];
    const ownerAt = (at: bigint) => {
      let o: Address = ZERO;
      for (const e of events) if (e.key <= at) o = e.owner;
      return o;
    };
    const leafAt = (at: bigint) => (live.some((r) => r.from <= at && at < r.to) ? 1_000n * E18 * 8_192n : 0n);
    async function checkAll() {
      for (const e of events) {
        for (const at of [e.key - 1n, e.key, e.key + 1n]) {
          const [slots, leaves] = await c.registry.read.drawInputs([BIT, 2n * E18, ZERO, at]);
          expect(slots.length).toBe(1);
          expect(getAddress(slots[0]!), `owner as of ${at}`).toBe(getAddress(ownerAt(at)));
          expect(leaves[0], `leaf as of ${at}`).toBe(leafAt(at));
        }
      }
    }
    for (let i = 0; i < 4; i++) {
      const X = (await c.actor(230 + i)).address;
      await c.registry.write.register([1_000n * E18, E18, [TEST_PROFILE]], { account: X });
      const R = BigInt((await c.registry.read.getEvaluator([X])).pendingAt);
      expect(Number((await c.registry.read.getEvaluator([X])).listIndex)).toBe(1);
      events.push({ key: R, owner: X });
      await c.activate();
      await c.registry.write.setProfiles([[]], { account: X });
      const S = BigInt((await c.registry.read.getEvaluator([X])).pendingAt);
      live.push({ from: R, to: S });
      await c.activate();
      await c.registry.write.evict([X]);
      const E = (await c.now()) + 60n;
      events.push({ key: E, owner: ZERO });
      await checkAll();
      await c.warp(5);
    }
    const keys = events.map((e) => e.key);
    expect([...keys].sort((a, b) => (a < b ? -1 : 1))).toEqual(keys);
    expect(new Set(keys).size).toBe(8);
  });
});

describe("V10-10 History value width: can a real input push a node over 192 bits?", () => {
  it("HOLDS V10-10: governance raises stakeCap to 2^96 - 1 and three evaluators stake the most a uint88 holds (2^88 - 1 each); their leaves (2^88 - 1) x 2^13 sum to 3 x (2^88 - 1) x 2^13 < 2^103 in the draw tree, a task draws all three, and a further addStake(1) reverts (uint88 overflow). Bound: part < 2^88, trust bound <= 2^17 (trust <= wMax <= 100,000), 2^14 leaves: a node < 2^119, 73 bits under the 192-bit limit", async () => {
    const c = await setupChain();
    const huge = 2n ** 88n - 1n;
    await c.registry.write.setParams([toStakingTuple({ ...c.params.staking, stakeCap: 2n ** 96n - 1n })]);
    const whales: Address[] = [];
    for (let i = 0; i < 3; i++) {
      const a = (await c.actor(240 + i, 2n ** 89n)).address;
      await c.registry.write.register([huge, E18, [TEST_PROFILE]], { account: a });
      whales.push(a);
    }
    await c.activate();
    const [draw, price, net] = await c.registry.read.treeTotals([0n, await c.now()]);
    expect([draw, price, net]).toEqual([3n * huge * 8_192n, 3n * huge, 3n * huge]);
    expect(draw < 2n ** 103n).toBe(true);
    expect((2n ** 88n) * (2n ** 17n) * (2n ** 14n)).toBe(2n ** 119n);
    await expect(c.registry.write.addStake([1n], { account: whales[0]! })).rejects.toThrow();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const { members } = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    expect(members.map((m) => getAddress(m)).sort()).toEqual(whales.map((m) => getAddress(m)).sort());
  });
});

describe("V10-11 History key width (32 bits)", () => {
  it("ACCEPTED V10-11: keys are Unix times + activationDelay; at block time 2^32 - 30 (7 Feb 2106) a registration's key 2^32 + 30 does not fit 32 bits and every registry write reverts HistoryKeyTooLarge (no user input moves the clock; the per-evaluator Checkpoints.Trace224 already truncated keys to 32 bits before this change)", async () => {
    const c = await setupChain();
    const a = (await c.actor(250)).address;
    await c.networkHelpers.time.setNextBlockTimestamp(2n ** 32n - 30n);
    await reverts(c.registry.write.register([1_000n * E18, E18, [TEST_PROFILE]], { account: a }), "HistoryKeyTooLarge", [2n ** 32n + 30n]);
  });
});

// ============================================================== views, governance bytes, timing

describe("V10-12 getMember after finalizeSealed", () => {
  it("ACCEPTED V10-12: after finalizeSealed of [6000,4000], abstain, [6000,4000], getMember returns the same tuple for a scorer and for the abstainer (member, committed, revealed, commitment 0, scores []), which the view's own rule reads as 'abstained'; after the per-member round of the same scores it returns the scorer's [6000, 4000]. No money reads it (settlement uses the in-memory words; Revealed/Abstained events carry the truth, the indexer reads events); documented in getMember's natspec", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const scores = [HONEST, [] as number[], HONEST];
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, scores);
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    await c.poq.write.finalizeSealed([taskId, p.openings]);
    const scorer = await c.poq.read.getMember([taskId, members[0]!]);
    const abstainer = await c.poq.read.getMember([taskId, members[1]!]);
    const flat = (m: typeof scorer) => [m[0], m[1], m[2], m[3], [...m[4]]];
    expect(flat(scorer)).toEqual([true, true, true, `0x${"00".repeat(32)}`, []]);
    expect(flat(scorer)).toEqual(flat(abstainer));

    const U = await task(s);
    await c.play(U.taskId, U.members, [HONEST, [], HONEST]);
    await c.finalize(U.taskId);
    expect([...(await c.poq.read.getMember([U.taskId, U.members[0]!]))[4]]).toEqual(HONEST);
    expect([...(await c.poq.read.getMember([U.taskId, U.members[1]!]))[4]]).toEqual([]);
  });
});

describe("V10-13 Governance.install decodes msg.data[4:] of setParams", () => {
  it("HOLDS V10-13: the governor's setParams(minK 4) inside multicall with 64 junk bytes appended installs exactly that struct (params().tasks.minK = 4, every other field unchanged); the same call with minK's word dirty (0x0104, not a uint8) reverts and leaves minK 4; a non-governor's multicall([setParams]) reverts AccessControlUnauthorizedAccount", async () => {
    const c = await setupChain();
    const g = toGovernanceTuple(c.params.governance);
    const want = { ...g, tasks: { ...g.tasks, minK: 4 } };
    const data = encodeFunctionData({ abi: c.poq.abi, functionName: "setParams", args: [want] });
    await c.poq.write.multicall([[concat([data, JUNK])]]);
    const got = await c.poq.read.params();
    expect(got.tasks).toEqual(want.tasks);
    expect(got.settlement).toEqual(want.settlement);
    // word 3 of the struct is minK (selector, then minFeePerMember, taskFee, protocolFeeBps, minK)
    const dirty = concat([slice(data, 0, 4 + 3 * 32), w(0x0104n), slice(data, 4 + 4 * 32)]);
    expect(size(dirty)).toBe(size(data));
    await expect(c.poq.write.multicall([[concat([dirty, JUNK])]])).rejects.toThrow();
    expect((await c.poq.read.params()).tasks.minK).toBe(4);
    const eve = (await c.actor(9)).address;
    await reverts(c.poq.write.multicall([[data]], { account: eve }), "AccessControlUnauthorizedAccount");
  });
});

describe("V10-14 a member that signed two commitments for one task", () => {
  it("ACCEPTED V10-14: member 0 signs SealedCommit for [6000,4000] (salt 0), then re-scores and signs [7000,3000] (salt 10); the poster chooses which one to seal (here the first, valid because the member signed it): revealSealed with the later opening reverts CommitmentMismatch, the earlier one reveals. A signature is an offer the member cannot withdraw until the commit deadline; it must keep every opening it signed (nobody else can open them, so no free slash)", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const later = c.commitment(taskId, members[0]!, [7_000, 3_000], salt(10));
    const laterSig = await sign(s, s.keyOf(members[0]!), taskId, later);
    // both lists verify; the poster picks the first
    const snap = await c.networkHelpers.takeSnapshot();
    await c.poq.write.commitAll([taskId, [later, p.commitments[1]!, p.commitments[2]!], [laterSig, p.signatures[1]!, p.signatures[2]!]]);
    await snap.restore();
    await c.poq.write.commitAll([taskId, p.commitments, p.signatures]);
    await reverts(c.poq.write.revealSealed([taskId, p.commitments, [7_000, 3_000], salt(10)], { account: members[0]! }), "CommitmentMismatch");
    await c.poq.write.revealSealed([taskId, p.commitments, HONEST, p.salts[0]!], { account: members[0]! });
    expect([...(await c.poq.read.getMember([taskId, members[0]!]))[4]]).toEqual(HONEST);
  });
});

describe("V10-15 draw, seal and settle in one transaction", () => {
  it("ACCEPTED V10-15: the committee is computable from the create block's hash before anyone draws, so members can sign before the draw and one multicall([drawCommittee, commitAll, finalizeSealed]) opens and settles the task in the draw's own transaction (status FINALIZED, 2 paid to each member, node 10). Not a new lever: the per-member round allows commit, reveal and finalize in one block once everyone committed, and the draw's seed and weights are fixed at creation", async () => {
    const s = await sealedChain(3);
    const { c } = s;
    const taskId = await c.create(s.requester, c.spec(s.nodes, { k: 3 }));
    const snap = await c.networkHelpers.takeSnapshot();
    const { members } = await c.draw(taskId);
    await snap.restore();
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.PENDING);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    const calls = [
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittee", args: [taskId] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "commitAll", args: [taskId, p.commitments, p.signatures] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "finalizeSealed", args: [taskId, p.openings] }),
    ];
    const r = await settledEvents(c, await c.poq.write.multicall([calls], { account: s.requester }));
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.FINALIZED);
    expect(r.members.map((m) => getAddress(m.evaluator))).toEqual(members.map((m) => getAddress(m)));
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    expect(await nodePending(c, s.nodes)).toBe(10n * E18);
    await expectConserved(c);
  });
});
