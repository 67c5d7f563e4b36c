/**
 * The sealed round (ProofOfQuality.commitAll / revealSealed / finalizeSealed, library Sealing).
 *
 * Instead of k commit and k reveal transactions, anyone posts the committee's k commitments in
 * one `commitAll`, each carrying its member's EIP-712 signature of SealedCommit(taskId,
 * commitment) in the domain ("ProofOfQuality", "1", chainId, the ProofOfQuality address); the
 * contract stores only the seal, keccak256(abi.encode(commitments)). Once every member has shared
 * its opening off chain, anyone settles with `finalizeSealed` (all k openings, before the reveal
 * deadline; a member that committed or revealed alone keeps its own). If a member withholds its opening, the others
 * reveal one by one with `revealSealed` and `finalize` after the reveal deadline slashes only the
 * silent one, exactly as in an unsealed round.
 *
 * Evaluators here are registered from private keys (they must sign); transactions are sent from
 * them as impersonated accounts.
 *
 * Attack table (who controls the input -> what the attacker would gain):
 *   SEAL-1 forged / misattributed signatures   poster of commitAll  -> commitments put in members' names
 *   SEAL-2 replayed signatures (task, domain)  poster of commitAll  -> a member bound to scores it never chose
 *   SEAL-3 malleable signature (n - s, v^1)    poster of commitAll  -> a second valid signature (replay tag)
 *   SEAL-4 wrong lengths / zero commitment     poster of commitAll  -> members left out or unopenable
 *   SEAL-5 ordering (mixing commit paths)      any member / poster  -> a commitment changed or counted twice
 *   SEAL-6 slashing by omission                finalizer            -> an honest member counted silent/altered
 *   SEAL-7 revealSealed with a forged list     revealer             -> a reveal against a commitment never sealed
 *   SEAL-8 finalizeSealed out of turn          finalizer            -> a second settlement, or one overriding a lone reveal
 *   SEAL-9 copying others' scores              a committee member   -> free riding on another member's work
 */
import { describe, expect, it } from "vitest";
import {
  getAddress,
  hashTypedData,
  hexToBigInt,
  keccak256,
  numberToHex,
  parseEventLogs,
  recoverTypedDataAddress,
  size,
  slice,
  concat,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { sealedCommitTypedData } from "../../oracle/contract/commitment.js";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, salt } from "./helpers.js";
import { settledEvents, sameAddress } from "./settlement-helpers.js";
import { ABSTAIN, commitAll, expectConserved, finalizeSealed, keyedAccounts, pastRevealDeadline, prepare, revealSealed, reverts, sealedChainFor, sign, task, type Openings } from "./sealed-helpers.js";

/** secp256k1 group order. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** The keyed evaluators every chain registers (same keys on every chain). */
const KEYS = keyedAccounts("sealed-ev");
/** A key that never registers. */
const OUTSIDER = privateKeyToAccount(keccak256(toHex("sealed-outsider")));

/** A chain with the keyed evaluators registered (5 by default; stake 1,000, cost 1) and 2 inference nodes. */
const sealedChain = sealedChainFor(KEYS, 5, [OUTSIDER]);

const pack = (xs: readonly number[]) => xs.reduce((acc, x, j) => acc | (BigInt(x) << BigInt(16 * j)), 0n);
const copy = (o: Openings): Openings => ({ commitments: [...o.commitments], scores: o.scores.map((x) => [...x]), salts: [...o.salts] });

// ====================================================================================== behaviour

describe("sealed round: behaviour", () => {
  it("happy path: commitAll then finalizeSealed settles the task (consensus, pay, trust, events)", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members, fee } = await task(s);
    expect(fee).toBe(2n * E18);
    const scores = [
      [8_000, 6_000],
      [8_000, 6_000],
      [8_200, 5_800],
    ];
    const p = await prepare(s, taskId, members, scores);
    // the helper's commitment is the contract's
    expect(await c.poq.read.commitmentFor([taskId, members[0]!, scores[0]!, p.salts[0]!])).toBe(p.commitments[0]);

    const trustBefore = await Promise.all(members.map(async (m) => (await c.registry.read.getEvaluator([m])).trust));
    const claimBefore = await Promise.all(members.map((m) => c.poq.read.claimableOf([m])));

    // anyone (here an outsider, the requester) posts the round
    const h1 = await commitAll(c, taskId, p.commitments, p.signatures, s.requester);
    const rc1 = await c.publicClient.waitForTransactionReceipt({ hash: h1 });
    const committed = parseEventLogs({ abi: c.poq.abi, logs: rc1.logs, eventName: "Committed" });
    expect(committed.map((e) => getAddress(e.address))).toEqual(members.map(() => getAddress(c.poq.address)));
    expect(committed.map((e) => [e.args.taskId, getAddress(e.args.evaluator), e.args.commitment])).toEqual(
      members.map((m, i) => [taskId, getAddress(m), p.commitments[i]]),
    );
    const t1 = await c.poq.read.getTask([taskId]);
    expect(t1.commits).toBe(3);
    expect(t1.reveals).toBe(0);
    expect(t1.status).toBe(TaskStatus.OPEN);
    for (const m of members) {
      const [isMember, isCommitted, revealed] = await c.poq.read.getMember([taskId, m]);
      expect([isMember, isCommitted, revealed]).toEqual([true, true, false]);
    }
    const [outsiderIsMember, outsiderCommitted] = await c.poq.read.getMember([taskId, s.requester]);
    expect([outsiderIsMember, outsiderCommitted]).toEqual([false, false]);

    // anyone settles with every opening
    const h2 = await finalizeSealed(c, taskId, p.openings, s.requester);
    const rc2 = await c.publicClient.waitForTransactionReceipt({ hash: h2 });
    const revealedEv = parseEventLogs({ abi: c.poq.abi, logs: rc2.logs, eventName: "Revealed" });
    expect(revealedEv.map((e) => [getAddress(e.args.evaluator), e.args.packedScores])).toEqual(
      members.map((m, i) => [getAddress(m), pack(scores[i]!)]),
    );
    const r = await settledEvents(c, h2);
    expect(r.task.hasConsensus).toBe(true);
    expect(r.task.slashed).toBe(0n);
    expect(r.members.map((m) => getAddress(m.evaluator))).toEqual(members.map((m) => getAddress(m)));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(r.members.map((m) => m.slashShare)).toEqual([0n, 0n, 0n]);

    const t2 = await c.poq.read.getTask([taskId]);
    expect(t2.status).toBe(TaskStatus.FINALIZED);
    expect(t2.reveals).toBe(3);
    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(true);
    expect(consensus).toEqual([8_000, 6_000]); // the weighted median of each output
    // the two that sit on the median are paid their full fee; the member 200 off a reduced one
    expect(r.members.map((m) => m.pay)).toEqual([2n * E18, 2n * E18, (18n * E18) / 10n]);
    for (let i = 0; i < 3; i++) {
      expect((await c.poq.read.claimableOf([members[i]!])) - claimBefore[i]!).toBe(r.members[i]!.pay);
      const e = await c.registry.read.getEvaluator([members[i]!]);
      expect(BigInt(e.trust)).toBe(r.members[i]!.newTrust);
      expect(e.stake).toBe(1_000n * E18);
    }
    // agreeing members gain trust; exact agreement gains at least as much as a small deviation
    expect(r.members[0]!.deviation).toBe(0n);
    expect(r.members[2]!.deviation).toBeGreaterThan(0n);
    expect(Number(r.members[0]!.newTrust)).toBeGreaterThan(trustBefore[0]!);
    expect(r.members[0]!.newTrust).toBeGreaterThanOrEqual(r.members[2]!.newTrust);
    await expectConserved(c);
  });

  it("differential: commit+reveal+finalize and commitAll+finalizeSealed of the same scores settle identically", async () => {
    const s = await sealedChain(5);
    const { c } = s;
    // k = 5 of 5: both tasks draw the same members (checked); scores are keyed by address
    const byKey = new Map<string, number[]>(
      [
        [7_000, 5_000],
        [7_000, 5_000],
        [7_300, 4_800],
        [6_600, 5_400],
        [0, 10_000], // an outlier: judged, paid nothing, loses trust
      ].map((x, i) => [getAddress(KEYS[i]!.address), x]),
    );
    const pick = (m: Address) => byKey.get(getAddress(m))!;

    const snap = await c.networkHelpers.takeSnapshot();
    const run = async (sealed: boolean) => {
      const t = await task(s, 5);
      const scores = t.members.map(pick);
      const claim0 = await Promise.all(t.members.map((m) => c.poq.read.claimableOf([m])));
      const refund0 = await c.poq.read.claimableOf([s.requester]);
      let hash: Hex;
      if (sealed) {
        const p = await prepare(s, t.taskId, t.members, scores);
        await commitAll(c, t.taskId, p.commitments, p.signatures);
        hash = await finalizeSealed(c, t.taskId, p.openings);
      } else {
        await c.play(t.taskId, t.members, scores);
        expect((await c.poq.read.getTask([t.taskId])).reveals).toBe(5);
        hash = await c.poq.write.finalize([t.taskId]);
      }
      const r = await settledEvents(c, hash);
      const byAddr = new Map(
        t.members.map((m, i) => {
          const { taskId: _t, ...rest } = r.members[i]!;
          return [getAddress(m), rest];
        }),
      );
      const claims = new Map(
        await Promise.all(t.members.map(async (m, i) => [getAddress(m), (await c.poq.read.claimableOf([m])) - claim0[i]!] as const)),
      );
      const trust = new Map(
        await Promise.all(t.members.map(async (m) => [getAddress(m), (await c.registry.read.getEvaluator([m])).trust] as const)),
      );
      const { taskId: _x, ...task_ } = r.task;
      return {
        members: new Set(t.members.map((m) => getAddress(m))),
        consensus: await c.poq.read.getConsensus([t.taskId]),
        byAddr,
        claims,
        trust,
        task: task_,
        outputs: r.outputs.map(({ taskId: _y, ...o }) => o),
        refund: (await c.poq.read.claimableOf([s.requester])) - refund0,
        nodes: await Promise.all(s.nodes.map(async (n) => (await c.poq.read.getNode([n])).pending)),
      };
    };
    const a = await run(false);
    await snap.restore();
    const b = await run(true);
    expect(b.members).toEqual(a.members);
    expect(a.consensus[0]).toBe(true);
    expect(b.consensus).toEqual(a.consensus);
    expect(b.byAddr).toEqual(a.byAddr);
    expect(b.claims).toEqual(a.claims);
    expect(b.trust).toEqual(a.trust);
    expect(b.task).toEqual(a.task);
    expect(b.outputs).toEqual(a.outputs);
    expect(b.refund).toEqual(a.refund);
    expect(b.nodes).toEqual(a.nodes);
    // the comparison is not vacuous: the outlier is paid nothing and the others are paid
    const outlier = a.byAddr.get(getAddress(KEYS[4]!.address))!;
    expect(outlier.pay).toBe(0n);
    expect(a.byAddr.get(getAddress(KEYS[0]!.address))!.pay).toBe(2n * E18);
    await expectConserved(c);
  });

  it("fallback: a member withholds its opening; the others revealSealed; finalize after the deadline slashes only the withholder", async () => {
    const s = await sealedChain(5);
    const { c } = s;
    // k = 5: four revealers are enough for honesty (>= 3), so the slash is shared, not burned
    const { taskId, members } = await task(s, 5);
    const scores = [
      [7_000, 3_000],
      [7_000, 3_000],
      [7_100, 3_100],
      [6_900, 3_000],
      [7_000, 3_000], // the withholder's (never opened)
    ];
    const p = await prepare(s, taskId, members, scores);
    await commitAll(c, taskId, p.commitments, p.signatures);
    const stakeBefore = await Promise.all(members.map(async (m) => (await c.registry.read.getEvaluator([m])).stake));
    const claimBefore = await Promise.all(members.map((m) => c.poq.read.claimableOf([m])));

    // members 0..3 reveal alone (before the commit deadline: everyone is committed)
    for (let i = 0; i < 4; i++) await revealSealed(c, taskId, members[i]!, p.commitments, scores[i]!, p.salts[i]!);
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(4);
    const m0 = await c.poq.read.getMember([taskId, members[0]!]);
    expect([m0[1], m0[2], [...m0[4]]]).toEqual([true, true, [7_000, 3_000]]);
    const m4 = await c.poq.read.getMember([taskId, members[4]!]);
    expect([m4[1], m4[2]]).toEqual([true, false]);

    // member 4 withholds: nobody can finalize early, and finalizeSealed needs its true opening
    await reverts(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    const guessed = { ...p.openings, salts: p.openings.salts.map((x, i) => (i === 4 ? salt(44) : x)) };
    await reverts(finalizeSealed(c, taskId, guessed), "OpeningMismatch", [4n]);
    await pastRevealDeadline(c, taskId);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true, true, false]);
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n, 0n, 100n * E18]); // 10% of 1,000, the withholder only
    expect(r.members[4]!.pay).toBe(0n);
    expect(r.members[4]!.slashShare).toBe(0n);
    // the slash goes to the honest revealers, in full
    expect(r.members.reduce((a, m) => a + m.slashShare, 0n)).toBe(100n * E18);
    expect(r.members.slice(0, 4).every((m) => m.slashShare >= 25n * E18)).toBe(true);
    expect(r.task.slashed).toBe(100n * E18);
    expect(r.task.burned).toBe(0n);
    expect(r.task.hasConsensus).toBe(true);
    const stakeAfter = await Promise.all(members.map(async (m) => (await c.registry.read.getEvaluator([m])).stake));
    expect(stakeAfter).toEqual([...stakeBefore.slice(0, 4), stakeBefore[4]! - 100n * E18]);
    for (let i = 0; i < 5; i++) {
      expect((await c.poq.read.claimableOf([members[i]!])) - claimBefore[i]!).toBe(r.members[i]!.pay + r.members[i]!.slashShare);
    }
    await expectConserved(c);
  });

  it("an abstention opens in finalizeSealed and is never slashed", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    const scores = [[6_000, 4_000], ABSTAIN, [6_000, 4_000]];
    const p = await prepare(s, taskId, members, scores);
    await commitAll(c, taskId, p.commitments, p.signatures);
    const stakeBefore = (await c.registry.read.getEvaluator([members[1]!])).stake;
    const hash = await finalizeSealed(c, taskId, p.openings);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    const abst = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Abstained" });
    expect(abst.map((e) => getAddress(e.args.evaluator))).toEqual([getAddress(members[1]!)]);
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Revealed" }).length).toBe(2);
    const r = await settledEvents(c, hash);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(r.task.slashed).toBe(0n);
    expect(r.task.hasConsensus).toBe(true); // two scorers out of three agree
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual([6_000, 4_000]);
    expect((await c.registry.read.getEvaluator([members[1]!])).stake).toBe(stakeBefore);
    await expectConserved(c);
  });

  it("after finalizeSealed, getMember reads every member as committed and revealed, with empty scores (no member word is written; the Revealed/Abstained events carry the openings)", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    const scores = [[6_000, 4_000], ABSTAIN, [6_000, 4_000]];
    const p = await prepare(s, taskId, members, scores);
    await commitAll(c, taskId, p.commitments, p.signatures);
    await finalizeSealed(c, taskId, p.openings);
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.FINALIZED);
    for (const m of members) {
      const [isMember, committed, revealed, commitment, sc] = await c.poq.read.getMember([taskId, m]);
      // after `finalize` of the same reveals the scores would be there too: a sealed round's
      // are in its events only
      expect([isMember, committed, revealed, commitment, [...sc]]).toEqual([true, true, true, `0x${"00".repeat(32)}`, []]);
    }
  });
});

// ======================================================================================== attacks

describe("sealed round: attacks", () => {
  // SEAL-1: the poster of commitAll (anyone) controls the commitment list and the signatures.
  // Gain: commitments put in members' names (e.g. scores that get an honest member judged an
  // outlier, or a commitment nobody can open: the member is then slashed as silent).
  it("SEAL-1: forged or misattributed signatures revert BadSealSignature(i) and store nothing", async () => {
    const s = await sealedChain(6);
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, [
      [5_000, 5_000],
      [5_000, 5_000],
      [5_000, 5_000],
    ]);
    const nonMember = KEYS.find((k) => !members.some((m) => sameAddress(m, k.address)))!; // registered, not drawn
    const [s0, s1, s2] = p.signatures as [Hex, Hex, Hex];
    const [c0, c1, c2] = p.commitments as [Hex, Hex, Hex];

    // a registered non-member signs member 1's slot
    await reverts(commitAll(c, taskId, p.commitments, [s0, await sign(s, nonMember, taskId, c1), s2]), "BadSealSignature", [1n]);
    // a key that never registered
    await reverts(commitAll(c, taskId, p.commitments, [s0, s1, await sign(s, OUTSIDER, taskId, c2)]), "BadSealSignature", [2n]);
    // signatures in the wrong order
    await reverts(commitAll(c, taskId, p.commitments, [s1, s0, s2]), "BadSealSignature", [0n]);
    // commitments and signatures permuted together: member 1's commitment put in member 0's slot
    await reverts(commitAll(c, taskId, [c1, c0, c2], [s1, s0, s2]), "BadSealSignature", [0n]);
    // member 0's signature reused for member 2
    await reverts(commitAll(c, taskId, p.commitments, [s0, s1, s0]), "BadSealSignature", [2n]);
    // member 0 signs a commitment for member 2's slot (one member speaking for another)
    await reverts(commitAll(c, taskId, p.commitments, [s0, s1, await sign(s, s.keyOf(members[0]!), taskId, c2)]), "BadSealSignature", [2n]);
    // a commitment swapped under a valid signature
    const forged = c.commitment(taskId, members[1]!, [0, 0], salt(99));
    await reverts(commitAll(c, taskId, [c0, forged, c2], p.signatures), "BadSealSignature", [1n]);

    // nothing stored
    const t = await c.poq.read.getTask([taskId]);
    expect([t.commits, t.reveals, t.status]).toEqual([0, 0, TaskStatus.OPEN]);
    for (const m of members) expect((await c.poq.read.getMember([taskId, m]))[1]).toBe(false);
    await reverts(revealSealed(c, taskId, members[0]!, p.commitments, [5_000, 5_000], p.salts[0]!), "NotSealed", [taskId]);
    // and the honest round still goes through (the rejections above were not spurious)
    await commitAll(c, taskId, p.commitments, p.signatures);
    expect((await c.poq.read.getTask([taskId])).commits).toBe(3);
  });

  // SEAL-2: the poster controls which task and which signatures. Gain: binding a member to a
  // commitment it signed for another task (another committee, or another deployment/chain).
  it("SEAL-2: signatures replayed across tasks or made in another domain revert BadSealSignature", async () => {
    const s = await sealedChain(5);
    const { c } = s;
    // k = 5 of 5: both tasks have the same members
    const A = await task(s, 5);
    const B = await task(s, 5);
    expect(new Set(B.members.map((m) => getAddress(m)))).toEqual(new Set(A.members.map((m) => getAddress(m))));
    const scores = A.members.map(() => [4_000, 4_000]);
    const pa = await prepare(s, A.taskId, A.members, scores);
    // A's commitments and signatures, reordered into B's committee order, posted for B
    const idx = B.members.map((m) => A.members.findIndex((x) => sameAddress(x, m)));
    await reverts(
      commitAll(c, B.taskId, idx.map((i) => pa.commitments[i]!), idx.map((i) => pa.signatures[i]!)),
      "BadSealSignature",
      [0n],
    );
    // B's own commitments with signatures that bind task A
    const pb = await prepare(s, B.taskId, B.members, scores);
    const forA = await Promise.all(B.members.map((m, i) => sign(s, s.keyOf(m), A.taskId, pb.commitments[i]!)));
    await reverts(commitAll(c, B.taskId, pb.commitments, forA), "BadSealSignature", [0n]);

    // a different (k = 3) committee: A's signatures posted for C
    const C = await task(s, 3);
    await reverts(commitAll(c, C.taskId, pa.commitments.slice(0, 3), pa.signatures.slice(0, 3)), "BadSealSignature", [0n]);

    // wrong domain: another verifyingContract, another chainId (everything else right)
    const wrongContract = await Promise.all(B.members.map((m, i) => sign(s, s.keyOf(m), B.taskId, pb.commitments[i]!, { contract: c.registry.address })));
    await reverts(commitAll(c, B.taskId, pb.commitments, wrongContract), "BadSealSignature", [0n]);
    const wrongChain = await Promise.all(B.members.map((m, i) => sign(s, s.keyOf(m), B.taskId, pb.commitments[i]!, { chainId: 1 })));
    await reverts(commitAll(c, B.taskId, pb.commitments, wrongChain), "BadSealSignature", [0n]);
    // one bad slot among good ones is located
    await reverts(commitAll(c, B.taskId, pb.commitments, [...pb.signatures.slice(0, 3), wrongChain[3]!, pb.signatures[4]!]), "BadSealSignature", [3n]);

    expect((await c.poq.read.getTask([B.taskId])).commits).toBe(0);
    await commitAll(c, B.taskId, pb.commitments, pb.signatures);
    await commitAll(c, A.taskId, pa.commitments, pa.signatures);
    expect((await c.poq.read.getTask([A.taskId])).commits).toBe(5);
  });

  // SEAL-3: the poster controls the signature bytes. Gain: a second, distinct valid signature
  // for the same message (a malleated copy), or a short encoding the contract reads differently.
  it("SEAL-3: a malleated signature (s -> n - s, v flipped) or a 64-byte compact one reverts BadSealSignature", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, members.map(() => [1_000, 9_000]));
    const sig = p.signatures[1]!;
    expect(size(sig)).toBe(65);
    const r = slice(sig, 0, 32);
    const sv = hexToBigInt(slice(sig, 32, 64));
    const v = Number(hexToBigInt(slice(sig, 64, 65)));
    expect(sv < SECP256K1_N / 2n).toBe(true); // viem signs low-s
    const malleated = concat([r, numberToHex(SECP256K1_N - sv, { size: 32 }), numberToHex(v === 27 ? 28 : 27, { size: 1 })]);
    // the malleated signature is a valid twin: viem and the raw ecrecover precompile both
    // recover member 1 from it (so only the contract's low-s rule stands in the way)
    const typed = sealedCommitTypedData({ chainId: c.chainId, contract: c.poq.address, taskId, commitment: p.commitments[1]! });
    expect(getAddress(await recoverTypedDataAddress({ ...typed, signature: malleated }))).toBe(getAddress(members[1]!));
    const ecrecover = await c.publicClient.call({
      to: "0x0000000000000000000000000000000000000001",
      data: concat([hashTypedData(typed), numberToHex(v === 27 ? 28 : 27, { size: 32 }), r, numberToHex(SECP256K1_N - sv, { size: 32 })]),
    });
    expect(getAddress(slice(ecrecover.data!, 12, 32))).toBe(getAddress(members[1]!));
    await reverts(commitAll(c, taskId, p.commitments, [p.signatures[0]!, malleated, p.signatures[2]!]), "BadSealSignature", [1n]);
    // EIP-2098 compact form (r, yParity|s): OpenZeppelin 5 accepts only 65 bytes
    const vs = sv | (BigInt(v - 27) << 255n);
    const compact = concat([r, numberToHex(vs, { size: 32 })]);
    await reverts(commitAll(c, taskId, p.commitments, [p.signatures[0]!, compact, p.signatures[2]!]), "BadSealSignature", [1n]);
    // v = 0/1 instead of 27/28, and an empty signature
    const v01 = concat([r, slice(sig, 32, 64), numberToHex(v - 27, { size: 1 })]);
    await reverts(commitAll(c, taskId, p.commitments, [p.signatures[0]!, v01, p.signatures[2]!]), "BadSealSignature", [1n]);
    await reverts(commitAll(c, taskId, p.commitments, [p.signatures[0]!, "0x", p.signatures[2]!]), "BadSealSignature", [1n]);
    expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
    await commitAll(c, taskId, p.commitments, p.signatures);
  });

  // SEAL-4: the poster controls the array lengths and the commitments. Gain: a member left out
  // of (or a ghost added to) the round; a zero commitment (nothing can open it, or it reads as
  // "no commitment" in the member word).
  it("SEAL-4: wrong lengths revert SealLength; a zero commitment reverts InvalidCommitment", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    const p = await prepare(s, taskId, members, members.map(() => [2_000, 2_000]));
    await reverts(commitAll(c, taskId, p.commitments.slice(0, 2), p.signatures), "SealLength", [3n, 2n]);
    await reverts(commitAll(c, taskId, p.commitments, p.signatures.slice(0, 2)), "SealLength", [3n, 2n]);
    await reverts(commitAll(c, taskId, p.commitments, [...p.signatures, p.signatures[0]!]), "SealLength", [3n, 4n]);
    await reverts(commitAll(c, taskId, [...p.commitments, p.commitments[0]!], [...p.signatures, p.signatures[0]!]), "SealLength", [3n, 4n]);
    await reverts(commitAll(c, taskId, [], []), "SealLength", [3n, 0n]);
    // member 1 really signed a zero commitment
    const zero = `0x${"00".repeat(32)}` as Hex;
    const zsig = await sign(s, s.keyOf(members[1]!), taskId, zero);
    await reverts(commitAll(c, taskId, [p.commitments[0]!, zero, p.commitments[2]!], [p.signatures[0]!, zsig, p.signatures[2]!]), "InvalidCommitment");
    expect((await c.poq.read.getTask([taskId])).commits).toBe(0);
  });

  // SEAL-5: a member or the poster controls the order of commit / commitAll calls. Gain: a
  // member's commitment replaced after it was fixed, or counted twice (commits > k).
  it("SEAL-5: a lone commit before the seal stands (its sealed entry is ignored: its slot holds its own commitment), nothing commits twice, and commitAll after the commit deadline reverts CommitTooLate", async () => {
    const s = await sealedChain();
    const { c } = s;
    const scores = [
      [3_000, 3_000],
      [3_000, 3_000],
      [3_000, 3_000],
    ];
    // one member committed alone first (other scores, another salt): the seal commits the
    // others (redteam V10-1) and that member must open its own lone commitment
    const A = await task(s);
    const pa = await prepare(s, A.taskId, A.members, scores);
    await c.commit(A.taskId, A.members[0]!, [3_100, 3_000], salt(50));
    await commitAll(c, A.taskId, pa.commitments, pa.signatures);
    expect((await c.poq.read.getTask([A.taskId])).commits).toBe(3);
    await reverts(commitAll(c, A.taskId, pa.commitments, pa.signatures), "AlreadyCommitted");
    // the sealed list has a lone committer's own commitment in its slot, whatever the poster
    // sent there (redteam V11-1, V12-1): the posted entry, or 0, in that slot is another list
    const lone = c.commitment(A.taskId, A.members[0]!, [3_100, 3_000], salt(50));
    const listA = pa.commitments.map((x, i) => (i === 0 ? lone : x));
    const zeroA = pa.commitments.map((x, i) => (i === 0 ? (`0x${"00".repeat(32)}` as Hex) : x));
    await reverts(finalizeSealed(c, A.taskId, pa.openings), "SealMismatch");
    await reverts(finalizeSealed(c, A.taskId, { ...pa.openings, commitments: zeroA }), "SealMismatch");
    await reverts(finalizeSealed(c, A.taskId, { ...pa.openings, commitments: listA }), "OpeningMismatch", [0n]);
    const own = { commitments: listA, scores: pa.openings.scores.map((x, i) => (i === 0 ? [3_100, 3_000] : x)), salts: pa.openings.salts.map((x, i) => (i === 0 ? salt(50) : x)) };
    await finalizeSealed(c, A.taskId, own);
    expect((await c.poq.read.getTask([A.taskId])).status).toBe(TaskStatus.FINALIZED);

    // after commitAll: no individual commit (member or not-yet-word member), no second commitAll
    const B = await task(s);
    const pb = await prepare(s, B.taskId, B.members, scores);
    await commitAll(c, B.taskId, pb.commitments, pb.signatures);
    await reverts(c.commit(B.taskId, B.members[0]!, [9_999, 9_999], salt(7)), "AlreadyCommitted");
    await reverts(c.commit(B.taskId, B.members[2]!, scores[2]!, salt(2)), "AlreadyCommitted");
    await reverts(commitAll(c, B.taskId, pb.commitments, pb.signatures), "AlreadyCommitted");
    const other = await prepare(s, B.taskId, B.members, [
      [9_000, 9_000],
      [9_000, 9_000],
      [9_000, 9_000],
    ]);
    await reverts(commitAll(c, B.taskId, other.commitments, other.signatures), "AlreadyCommitted");
    expect((await c.poq.read.getTask([B.taskId])).commits).toBe(3);
    // the sealed commitments are the ones that count
    await reverts(finalizeSealed(c, B.taskId, other.openings), "SealMismatch");
    await finalizeSealed(c, B.taskId, pb.openings);
    expect([...(await c.poq.read.getConsensus([B.taskId]))[1]]).toEqual([3_000, 3_000]);

    // after the commit deadline
    const C = await task(s);
    const pc = await prepare(s, C.taskId, C.members, scores);
    const t = await c.poq.read.getTask([C.taskId]);
    await c.warp(BigInt(t.commitDeadline) - (await c.now()) + 1n);
    await reverts(commitAll(c, C.taskId, pc.commitments, pc.signatures), "CommitTooLate", [BigInt(t.commitDeadline)]);

    // a task that is not drawn yet, and one that does not exist
    const D = await c.create(s.requester, c.spec(s.nodes));
    await reverts(commitAll(c, D, pc.commitments, pc.signatures), "TaskNotOpen", [D]);
    await reverts(commitAll(c, 999n, pc.commitments, pc.signatures), "UnknownTask", [999n]);
  });

  // SEAL-6: the finalizer (anyone holding some openings) controls the Openings it submits.
  // Gain: settling with an honest member's opening altered (to make it an outlier) or missing
  // (to slash it as silent and take a share of its stake).
  it("SEAL-6: finalizeSealed rejects altered, substituted or missing openings; no early finalize counts an honest member silent", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    const scores = [
      [5_500, 4_500],
      [5_500, 4_500],
      [5_600, 4_400],
    ];
    const p = await prepare(s, taskId, members, scores);
    await commitAll(c, taskId, p.commitments, p.signatures);

    let o = copy(p.openings);
    o.scores[1] = [0, 10_000]; // member 1 made an outlier
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [1n]);
    o = copy(p.openings);
    o.salts[2] = salt(42);
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [2n]);
    o = copy(p.openings);
    o.scores[0] = ABSTAIN; // member 0 turned into an abstainer (paid nothing)
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [0n]);
    o = copy(p.openings);
    [o.scores[0], o.scores[2]] = [o.scores[2]!, o.scores[0]!]; // openings swapped between members
    [o.salts[0], o.salts[2]] = [o.salts[2]!, o.salts[0]!];
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [0n]);

    // another commitment list: swapped, or one commitment the finalizer can open
    o = copy(p.openings);
    [o.commitments[0], o.commitments[1]] = [o.commitments[1]!, o.commitments[0]!];
    await reverts(finalizeSealed(c, taskId, o), "SealMismatch");
    o = copy(p.openings);
    o.commitments[1] = c.commitment(taskId, members[1]!, [0, 10_000], salt(1));
    o.scores[1] = [0, 10_000];
    await reverts(finalizeSealed(c, taskId, o), "SealMismatch");

    // fewer openings
    o = copy(p.openings);
    await reverts(finalizeSealed(c, taskId, { ...o, scores: o.scores.slice(0, 2) }), "SealLength", [3n, 2n]);
    await reverts(finalizeSealed(c, taskId, { ...o, salts: o.salts.slice(0, 2) }), "SealLength", [3n, 2n]);
    await reverts(finalizeSealed(c, taskId, { ...o, commitments: o.commitments.slice(0, 2) }), "SealLength", [3n, 2n]);
    await reverts(finalizeSealed(c, taskId, { commitments: [], scores: [], salts: [] }), "SealLength", [3n, 0n]);
    // a wrong score count or an out-of-range score
    o = copy(p.openings);
    o.scores[1] = [5_500];
    await reverts(finalizeSealed(c, taskId, o), "WrongScoreCount", [2n, 1n]);
    o = copy(p.openings);
    o.scores[1] = [5_500, 10_001];
    await reverts(finalizeSealed(c, taskId, o), "ScoreOutOfRange", [1n, 10_001n]);

    // the finalizer cannot count anyone silent before the reveal deadline
    await reverts(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    const t0 = await c.poq.read.getTask([taskId]);
    expect([t0.status, t0.reveals]).toEqual([TaskStatus.OPEN, 0]);
    // ... while every member can still reveal alone, and when all have, nobody is slashed
    for (let i = 0; i < 3; i++) await revealSealed(c, taskId, members[i]!, p.commitments, scores[i]!, p.salts[i]!);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect(r.members.map((m) => m.slashed)).toEqual([0n, 0n, 0n]);
    expect(r.members.map((m) => m.revealed)).toEqual([true, true, true]);
    await expectConserved(c);
  });

  // SEAL-7: the revealer controls the commitment list it presents. Gain: a reveal against a
  // commitment that was never sealed (changing its scores after seeing others'), or a
  // non-member slipping a word into a sealed task.
  it("SEAL-7: revealSealed checks the sealed list, the caller's membership and the round's kind", async () => {
    const s = await sealedChain(6);
    const { c } = s;
    const { taskId, members } = await task(s);
    const scores = [
      [1_000, 2_000],
      [1_000, 2_000],
      [1_000, 2_000],
    ];
    const p = await prepare(s, taskId, members, scores);
    await commitAll(c, taskId, p.commitments, p.signatures);

    // member 0 presents a list where its slot opens to other scores
    const forgedList = [c.commitment(taskId, members[0]!, [9_000, 9_000], p.salts[0]!), p.commitments[1]!, p.commitments[2]!];
    await reverts(revealSealed(c, taskId, members[0]!, forgedList, [9_000, 9_000], p.salts[0]!), "SealMismatch");
    await reverts(revealSealed(c, taskId, members[0]!, p.commitments.slice(0, 2), scores[0]!, p.salts[0]!), "SealMismatch");
    await reverts(revealSealed(c, taskId, members[0]!, [...p.commitments].reverse(), scores[0]!, p.salts[0]!), "SealMismatch");
    // a non-member (registered, not drawn), with the real list
    const nonMember = KEYS.find((k) => !members.some((m) => sameAddress(m, k.address)))!.address;
    await reverts(revealSealed(c, taskId, nonMember, p.commitments, scores[0]!, p.salts[0]!), "NotCommitteeMember", [taskId, getAddress(nonMember)]);
    expect((await c.poq.read.getMember([taskId, nonMember]))[1]).toBe(false);
    // a sealed member using the plain reveal
    await reverts(c.reveal(taskId, members[0]!, scores[0]!, p.salts[0]!), "SealedRound", [taskId]);
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(0);
    // the honest reveal works
    await revealSealed(c, taskId, members[0]!, p.commitments, scores[0]!, p.salts[0]!);
    expect((await c.poq.read.getTask([taskId])).reveals).toBe(1);
    await reverts(revealSealed(c, taskId, members[0]!, p.commitments, scores[0]!, p.salts[0]!), "AlreadyRevealed");

    // an unsealed task (members committed one by one, or not at all)
    const U = await task(s);
    await reverts(revealSealed(c, U.taskId, U.members[0]!, p.commitments, scores[0]!, salt(0)), "NotSealed", [U.taskId]);
    for (let i = 0; i < 3; i++) await c.commit(U.taskId, U.members[i]!, scores[i]!, salt(i));
    const list = U.members.map((m, i) => c.commitment(U.taskId, m, scores[i]!, salt(i)));
    await reverts(revealSealed(c, U.taskId, U.members[0]!, list, scores[0]!, salt(0)), "NotSealed", [U.taskId]);
    await c.reveal(U.taskId, U.members[0]!, scores[0]!, salt(0)); // the plain reveal still works there
  });

  // SEAL-8: the finalizer controls when finalizeSealed is called. Gain: a second settlement
  // (double pay), one after the deadline (when silent members must be slashed), or one that
  // overrides a member that already revealed alone.
  it("SEAL-8: finalizeSealed after the deadline, on an unsealed task, or twice reverts; after a lone reveal it keeps that reveal", async () => {
    const s = await sealedChain();
    const { c } = s;
    const scores = [
      [4_000, 6_000],
      [4_000, 6_000],
      [4_000, 6_000],
    ];
    // after the reveal deadline
    const A = await task(s);
    const pa = await prepare(s, A.taskId, A.members, scores);
    await commitAll(c, A.taskId, pa.commitments, pa.signatures);
    const ta = await c.poq.read.getTask([A.taskId]);
    await pastRevealDeadline(c, A.taskId);
    await reverts(finalizeSealed(c, A.taskId, pa.openings), "RevealTooLate", [BigInt(ta.revealDeadline)]);
    // (then finalize slashes everyone as silent: nobody revealed in time)
    const ra = await settledEvents(c, await c.poq.write.finalize([A.taskId]));
    expect(ra.members.map((m) => m.revealed)).toEqual([false, false, false]);
    expect(ra.members.every((m) => m.slashed > 0n)).toBe(true);

    // after one member revealed alone
    const B = await task(s);
    const pb = await prepare(s, B.taskId, B.members, scores);
    await commitAll(c, B.taskId, pb.commitments, pb.signatures);
    await revealSealed(c, B.taskId, B.members[2]!, pb.commitments, scores[2]!, pb.salts[2]!);
    // the lone reveal stands: its entry in the openings is not read (redteam V10-2)
    const ignored = { ...pb.openings, scores: pb.openings.scores.map((x, i) => (i === 2 ? [9_999, 9_999] : x)) };
    const rb = await settledEvents(c, await finalizeSealed(c, B.taskId, ignored));
    expect(rb.members.map((m) => m.revealed)).toEqual([true, true, true]);
    expect([...(await c.poq.read.getConsensus([B.taskId]))[1]]).toEqual([4_000, 6_000]);
    expect((await c.poq.read.getTask([B.taskId])).reveals).toBe(3);

    // on an unsealed task
    const C = await task(s);
    const pc = await prepare(s, C.taskId, C.members, scores);
    await reverts(finalizeSealed(c, C.taskId, pc.openings), "NotSealed", [C.taskId]);
    for (let i = 0; i < 3; i++) await c.commit(C.taskId, C.members[i]!, scores[i]!, salt(i));
    await reverts(finalizeSealed(c, C.taskId, pc.openings), "NotSealed", [C.taskId]);

    // twice
    const D = await task(s);
    const pd = await prepare(s, D.taskId, D.members, scores);
    await commitAll(c, D.taskId, pd.commitments, pd.signatures);
    const claims = await Promise.all(D.members.map((m) => c.poq.read.claimableOf([m])));
    await finalizeSealed(c, D.taskId, pd.openings);
    const after = await Promise.all(D.members.map((m) => c.poq.read.claimableOf([m])));
    await reverts(finalizeSealed(c, D.taskId, pd.openings), "TaskNotOpen", [D.taskId]);
    await reverts(c.poq.write.finalize([D.taskId]), "TaskNotOpen", [D.taskId]);
    await reverts(revealSealed(c, D.taskId, D.members[0]!, pd.commitments, scores[0]!, pd.salts[0]!), "TaskNotOpen", [D.taskId]);
    expect(await Promise.all(D.members.map((m) => c.poq.read.claimableOf([m])))).toEqual(after);
    expect(after.map((x, i) => x - claims[i]!)).toEqual([2n * E18, 2n * E18, 2n * E18]);
    await expectConserved(c);
  });

  // SEAL-9: a committee member controls its own commit and reveal. Gain: free riding: seeing
  // another member's scores (from its revealSealed, or from openings shared off chain) and
  // copying them instead of evaluating.
  it("SEAL-9: every commitment is fixed by commitAll; a member cannot switch to scores it saw afterwards", async () => {
    const s = await sealedChain();
    const { c } = s;
    const { taskId, members } = await task(s);
    // member 0 committed lazy scores; members 1 and 2 did the work
    const scores = [
      [5_000, 5_000],
      [9_000, 1_000],
      [9_000, 1_000],
    ];
    const p = await prepare(s, taskId, members, scores);
    const h = await commitAll(c, taskId, p.commitments, p.signatures);
    // the commitAll transaction carries no opening: no scores are public yet
    const rc = await c.publicClient.waitForTransactionReceipt({ hash: h });
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "Revealed" }).length).toBe(0);

    // before anybody reveals, a finalizer (e.g. member 0, who collected the openings) cannot
    // substitute member 0's opening with a copy of member 1's
    let o = copy(p.openings);
    o.scores[0] = [...scores[1]!];
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [0n]);
    o.salts[0] = p.salts[1]!; // even with member 1's salt: the commitment binds the evaluator
    await reverts(finalizeSealed(c, taskId, o), "OpeningMismatch", [0n]);

    // member 1 reveals alone; member 0 sees its scores
    await revealSealed(c, taskId, members[1]!, p.commitments, scores[1]!, p.salts[1]!);
    const seen = [...(await c.poq.read.getMember([taskId, members[1]!]))[4]];
    expect(seen).toEqual([9_000, 1_000]);
    // member 0 cannot re-commit ...
    await reverts(c.commit(taskId, members[0]!, seen, salt(50)), "AlreadyCommitted");
    // ... nor open its sealed commitment to the copied scores (own salt, or member 1's)
    await reverts(revealSealed(c, taskId, members[0]!, p.commitments, seen, p.salts[0]!), "CommitmentMismatch");
    await reverts(revealSealed(c, taskId, members[0]!, p.commitments, seen, p.salts[1]!), "CommitmentMismatch");
    // ... nor present a list with a new commitment of its own in its slot
    const mine = c.commitment(taskId, members[0]!, seen, salt(50));
    await reverts(revealSealed(c, taskId, members[0]!, [mine, p.commitments[1]!, p.commitments[2]!], seen, salt(50)), "SealMismatch");
    // its only valid opening is the one it sealed
    await revealSealed(c, taskId, members[0]!, p.commitments, scores[0]!, p.salts[0]!);
    const m0 = await c.poq.read.getMember([taskId, members[0]!]);
    expect([...m0[4]]).toEqual([5_000, 5_000]);
    await revealSealed(c, taskId, members[2]!, p.commitments, scores[2]!, p.salts[2]!);
    const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
    expect([...(await c.poq.read.getConsensus([taskId]))[1]]).toEqual([9_000, 1_000]);
    expect(r.members[0]!.deviation).toBeGreaterThan(0n);
    expect(r.members[0]!.pay).toBe(0n); // the lazy member is judged on what it sealed
    expect(r.members[1]!.pay).toBe(2n * E18);
  });
});
