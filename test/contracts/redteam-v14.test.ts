/**
 * Red team v14 (fifteenth review): the gas commits since 51d15e1, as an attacker.
 *
 *  1. History.Wide (the registry's per-evaluator activation history: head word = key << 224 |
 *     value, the count in its own slot, older entries in `past`): lookups before the latest key.
 *  2. Record word 0 now holds lockedUntil and tasksAssigned; the draw's unbonding-lock condition
 *     was reordered; trust periods are stored mod 2^16.
 *  3. TaskRecord word 3 (`sealOrConsensus`): a sealed round's seal while OPEN, then the consensus.
 *  4. `_escrowPlusOne`; treasury and burned written only when nonzero.
 *  5. Finalisation in the linked library TaskSettlement (delegatecalled with storage pointers).
 *  6. Assembly loops: Settlement._column / _raiseMax, SumTree.findAtExcept, ScorePacking.packMemory.
 *
 * Labels: "HOLDS V14-n" asserts the attack fails; "ACCEPTED V14-n" asserts a documented residual.
 * Figures use DEV_PROTOCOL_PARAMS: stake 1,000 each, slashBps 1000 (100), fee 2 a member, node
 * budget 100, 60 s windows, activation 60 s, unbonding 3600 s, trust period 3600 s.
 */
import { network } from "hardhat";
import { describe, expect, it } from "vitest";
import {
  encodeAbiParameters,
  getContractAddress,
  keccak256,
  numberToHex,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { sealedList } from "../../oracle/contract/commitment.js";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import {
  DEFAULT_PARAMS,
  Rule,
  TaskStatus,
  packScores,
  settleTask,
  treeSample,
  unpackScores,
  type MemberInput,
  type SettlementParams,
} from "../../oracle/rules/index.js";
import { E18, salt, setupChain, type Chain } from "./helpers.js";
import { expectBalanced, sameAddress, settledEvents, totals } from "./settlement-helpers.js";
import {
  HONEST,
  commitAll,
  committedLogs,
  finalizeSealed,
  keyedAccounts,
  oneBlock,
  pastRevealDeadline,
  prepare,
  revealSealed,
  reverts,
  sealedChainFor,
  task,
} from "./sealed-helpers.js";

const BIT = 1n; // TEST_PROFILE is profile id 0
const ZERO_ADDR: Address = "0x0000000000000000000000000000000000000000";
const MASK240 = (1n << 240n) - 1n;
const KEYS3 = keyedAccounts("redteam-v14-ev", 3);
const sealed3 = sealedChainFor(KEYS3, 3);
const KEYS32 = keyedAccounts("redteam-v14-big", 32);
const sealed32 = sealedChainFor(KEYS32, 32);

// ------------------------------------------------------------------------------------ helpers

/** The storage slot of `_tasks[taskId]` word 0, found by its word 1: the task blob's CREATE nonce (low 32 bits), whose blob's code holds the requester at byte 9. */
async function taskBase(c: Chain, taskId: bigint, requester: Address): Promise<bigint> {
  for (let s = 0n; s < 64n; s++) {
    const base = BigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [taskId, s])));
    const w1 = await c.publicClient.getStorageAt({ address: c.poq.address, slot: numberToHex(base + 1n, { size: 32 }) });
    const nonce = BigInt(w1 ?? "0x0") & 0xffffffffn;
    if (nonce === 0n) continue;
    const code = await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce }) });
    if (code && code.length >= 2 + 2 * 29 && BigInt(`0x${code.slice(2 + 2 * 9, 2 + 2 * 29)}`) === BigInt(requester)) return base;
  }
  throw new Error("task slot not found");
}

/** Task word 2 (sealOrConsensus), raw. */
async function word3(c: Chain, base: bigint): Promise<bigint> {
  const w = await c.publicClient.getStorageAt({ address: c.poq.address, slot: numberToHex(base + 2n, { size: 32 }) });
  return BigInt(w ?? "0x0");
}

/** Sealing.sealOf + the mixed bit, as the contract stores it. */
function expectedSeal(list: readonly Hex[], mixed: boolean): bigint {
  const root = BigInt(keccak256(encodeAbiParameters([{ type: "uint256[]" }], [list.map((x) => BigInt(x) & MASK240)])));
  return mixed ? root | 1n : root & ~1n;
}


/** The mirror's member inputs for a committee about to be finalised (trust and slashable stake now, weights of the draw). */
async function mirrorMembers(
  c: Chain,
  taskId: bigint,
  members: readonly Address[],
  reveal: readonly (readonly number[] | undefined)[],
): Promise<MemberInput[]> {
  const [, , weights] = await c.poq.read.getCommittee([taskId]);
  const cap = (await c.registry.read.params()).stakeCap;
  const out: MemberInput[] = [];
  for (let i = 0; i < members.length; i++) {
    const e = await c.registry.read.getEvaluator([members[i]!]);
    const s = e.stake + e.unbonding;
    const r = reveal[i];
    out.push({
      trust: e.trust,
      weight: weights[i]!,
      stake: r === undefined ? (s < cap ? s : cap) : 0n,
      revealed: r !== undefined,
      abstained: r !== undefined && r.length === 0,
      scores: r && r.length ? [...r] : undefined,
    });
  }
  return out;
}

/** Asserts a finalize receipt against settleTask. */
function expectMirror(
  r: Awaited<ReturnType<typeof settledEvents>>,
  w: ReturnType<typeof settleTask>,
  m: number,
) {
  expect(r.task.hasConsensus).toBe(w.consensus !== null);
  if (w.consensus) expect(unpackScores(r.task.packedConsensus, m)).toEqual(w.consensus);
  else expect(r.task.packedConsensus).toBe(0n);
  expect(r.members.map((x) => Number(x.deviation))).toEqual(w.deviations);
  expect(r.members.map((x) => x.pay)).toEqual(w.evaluatorPay);
  expect(r.members.map((x) => Number(x.newTrust))).toEqual(w.newTrust);
  expect(r.members.map((x) => x.slashed)).toEqual(w.slashed);
  expect(r.task.refund).toBe(w.refund);
  if (w.consensus) expect(r.outputs.map((o) => o.pay)).toEqual(w.nodePay);
  const honestIdx = w.honest.map((h, i) => (h ? i : -1)).filter((i) => i >= 0);
  const shares = r.members.map((x) => x.slashShare);
  expect(shares.reduce((a, b) => a + b, 0n)).toBe(w.honestCount ? w.slashTotal : 0n);
  shares.forEach((s, i) => {
    if (!w.honest[i]) expect(s).toBe(0n);
  });
  if (honestIdx.length) expect(shares[honestIdx[0]!]! >= shares[honestIdx[honestIdx.length - 1]!]!).toBe(true);
}

// ============================================================================ 1. History.Wide

describe("V14-1 History.Wide: an evaluator's state as of any past key", () => {
  it("HOLDS V14-1: X writes its state at 15 distinct activation keys (register, 11 top-ups one block apart, two top-ups in ONE block = one key overwritten in place, then 2 top-ups after a task's creation), so `past` holds 14 entries (the sqrt probe of _search runs). stateAt(X, K - 1 | K | K + 1) for every key K equals the StateScheduled step function (0 before the first key), and the draw, made after X's latest key moved past the task's creation, seats X with the voting weight of its stake as of creation (1,116: 5000 x ((1116e18 << 24) / 10000e18)), not the 1,316 it holds at the draw", async () => {
    const c = await setupChain();
    await c.evaluators(2, 1_000n * E18, E18, { first: 100, wait: false });
    const [X] = await c.evaluators(1, 1_000n * E18, E18, { first: 110, wait: false });
    for (let i = 1; i <= 11; i++) await c.registry.write.addStake([BigInt(i) * E18], { account: X! });
    const add = (n: bigint) => () => c.registry.write.addStake([n * E18], { account: X! });
    await oneBlock(c, (await c.now()) + 2n, [add(20n), add(30n)]);
    await c.activate();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const taskId = await c.create(requester, c.spec(nodes));
    const T0 = await c.now();
    await c.registry.write.addStake([100n * E18], { account: X! });
    await c.registry.write.addStake([100n * E18], { account: X! });

    const logs = await c.publicClient.getContractEvents({
      address: c.registry.address,
      abi: c.registry.abi,
      eventName: "StateScheduled",
      args: { evaluator: X! },
      fromBlock: 0n,
    });
    // key -> stake (a later write at the same key replaces the earlier one)
    const byKey = new Map<bigint, bigint>();
    for (const l of logs) byKey.set(l.args.activeAt!, l.args.stake!);
    const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : 1));
    expect(logs.length).toBe(16);
    expect(keys.length).toBe(15);
    expect(keys.filter((k) => k > T0).length).toBe(2);
    const at = (t: bigint) => {
      let v = 0n;
      for (const k of keys) if (k <= t) v = byKey.get(k)!;
      return v;
    };
    for (const k of keys) {
      for (const t of [k - 1n, k, k + 1n]) {
        const [stake] = await c.registry.read.stateAt([X!, t]);
        expect(stake, `as of ${t}`).toBe(at(t));
      }
    }
    expect((await c.registry.read.stateAt([X!, 0n]))[0]).toBe(0n);
    expect((await c.registry.read.stateAt([X!, 2n ** 64n]))[0]).toBe(1_316n * E18);
    expect(at(T0)).toBe(1_116n * E18);

    const { members } = await c.draw(taskId);
    const [, , weights] = await c.poq.read.getCommittee([taskId]);
    const ix = members.findIndex((a) => sameAddress(a, X!));
    expect(ix).toBeGreaterThanOrEqual(0);
    const cap = 10_000n * E18;
    expect(weights[ix]).toBe(5_000n * ((1_116n * E18 << 24n) / cap));
    expect(weights[ix]).not.toBe(5_000n * ((1_316n * E18 << 24n) / cap));
  });
});

// ================================================================ 2. word 0, the unbonding lock

describe("V14-2 escaping a slash: unbonding stake that counted for a draw", () => {
  it("HOLDS V14-2: X (1,000) is counted at a task's creation and requests unbonding of all of it before the draw. The draw locks the unbonding part until the task's end (unbondLock = reveal deadline + 1 day, from CommitteeSampled), writes lockedUntil and tasksAssigned into word 0 without touching stake, trust or the period fields beside them; after unbondAt (1 h) X's withdraw reverts StakeLocked(lockUntil); X stays silent and is slashed 100 from its unbonding (burned: 2 revealers); after the lock X withdraws exactly 900", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(3, 1_000n * E18, E18);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    // a commit window past unbondAt (1 h), so the withdrawal is tried while the task runs
    const taskId = await c.create(requester, c.spec(nodes, { commitWindow: 7_200 }));
    const X = evs[2]!;
    await c.registry.write.requestUnbond([1_000n * E18], { account: X });
    const before = await c.registry.read.getEvaluator([X]);
    expect([before.stake, before.unbonding, before.unbondLock]).toEqual([0n, 1_000n * E18, 0]);

    const hash = await c.poq.write.drawCommittee([taskId]);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    // the lock is the reveal deadline + FINALIZE_GRACE, both in CommitteeSampled
    const sampled = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" })[0]!.args;
    const locked = { lockedUntil: BigInt(sampled.revealDeadline) + BigInt(await c.poq.read.FINALIZE_GRACE()) };
    const [members] = await c.poq.read.getCommittee([taskId]);
    expect(members.some((a) => sameAddress(a, X))).toBe(true);
    const t = await c.poq.read.getTask([taskId]);
    const lockUntil = BigInt(t.revealDeadline) + 86_400n;
    expect(locked.lockedUntil).toBe(lockUntil);
    const after = await c.registry.read.getEvaluator([X]);
    expect(BigInt(after.unbondLock)).toBe(lockUntil);
    expect(BigInt(after.lockedUntil)).toBe(lockUntil);
    expect(after.tasksAssigned).toBe(before.tasksAssigned + 1);
    // word 0's other fields are untouched by the draw's writes
    expect([after.stake, after.trust, after.periodTrust, after.periodGain, after.period]).toEqual([
      before.stake,
      before.trust,
      before.periodTrust,
      before.periodGain,
      before.period,
    ]);
    expect(BigInt(after.unbondAt) < lockUntil).toBe(true);

    await c.warp(BigInt(after.unbondAt) - (await c.now()) + 1n);
    await reverts(c.registry.write.withdraw({ account: X }), "StakeLocked", [lockUntil]);

    const scores = members.map((a) => (sameAddress(a, X) ? undefined : [6_000, 4_000]));
    await c.play(taskId, [...members], scores);
    const r = await settledEvents(c, await c.finalize(taskId));
    const xi = members.findIndex((a) => sameAddress(a, X));
    expect(r.members[xi]!.slashed).toBe(100n * E18);
    // two revealers: nobody is honest (n < 3), the slash is burned
    expect(r.task.slashed).toBe(100n * E18);
    expect(r.task.burned).toBe(100n * E18);
    const settled = await c.registry.read.getEvaluator([X]);
    expect(settled.unbonding).toBe(900n * E18);
    expect(BigInt(settled.lockedUntil)).toBe(lockUntil); // settlement's word-0 writes keep the lock
    expect(settled.tasksAssigned).toBe(after.tasksAssigned);
    expect(settled.tasksMissed).toBe(1);

    await reverts(c.registry.write.withdraw({ account: X }), "StakeLocked", [lockUntil]);
    await c.warp(lockUntil - (await c.now()) + 1n);
    const bal = await c.token.read.balanceOf([X]);
    await c.registry.write.withdraw({ account: X });
    expect((await c.token.read.balanceOf([X])) - bal).toBe(900n * E18);
    await expectBalanced(c);
  });

  it("HOLDS V14-3: the reordered condition (stake counted > stake now, then unbonding) with a top-up: X unbonds 500 after creation and re-adds 500 before the draw, so the stake counted (1,000) is not above its stake (1,000) and the draw does not lock the unbonding 500, which X withdraws mid-task. The counted stake cannot follow: a new unbond request takes unbondLock = lockedUntil (the task's end) and its withdraw reverts StakeLocked; silent, X is slashed 100 = 10% of the 1,000 that counted (and gave its weight), the same as had it never touched its stake", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(3, 1_000n * E18, E18);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const taskId = await c.create(requester, c.spec(nodes, { commitWindow: 7_200, revealWindow: 7_200 }));
    const X = evs[1]!;
    await c.registry.write.requestUnbond([500n * E18], { account: X });
    await c.registry.write.addStake([500n * E18], { account: X });
    const { members } = await c.draw(taskId);
    expect(members.some((a) => sameAddress(a, X))).toBe(true);
    const honest = members.filter((a) => !sameAddress(a, X));
    for (const [i, h] of honest.entries()) await c.commit(taskId, h, [6_000, 4_000], salt(i));
    const t = await c.poq.read.getTask([taskId]);
    const lockUntil = BigInt(t.revealDeadline) + 86_400n;
    let e = await c.registry.read.getEvaluator([X]);
    expect(e.unbondLock).toBe(0); // not counted: the 1,000 that counted is still staked
    expect(BigInt(e.lockedUntil)).toBe(lockUntil);

    // the 500 leaves mid-task (it is not what counted)
    await c.warp(BigInt(e.unbondAt) - (await c.now()) + 1n);
    await c.registry.write.withdraw({ account: X });
    // the counted 1,000 cannot
    await c.registry.write.requestUnbond([1_000n * E18], { account: X });
    e = await c.registry.read.getEvaluator([X]);
    expect(BigInt(e.unbondLock)).toBe(lockUntil);
    await c.warp(BigInt(e.unbondAt) - (await c.now()) + 1n);
    expect(BigInt(await c.now()) < BigInt(t.revealDeadline)).toBe(true);
    await reverts(c.registry.write.withdraw({ account: X }), "StakeLocked", [lockUntil]);

    for (const [i, h] of honest.entries()) await c.reveal(taskId, h, [6_000, 4_000], salt(i));
    const r = await settledEvents(c, await c.finalize(taskId));
    expect(r.members[members.findIndex((a) => sameAddress(a, X))]!.slashed).toBe(100n * E18);
    expect((await c.registry.read.getEvaluator([X])).unbonding).toBe(900n * E18);
    await expectBalanced(c);
  });
});

describe("V14-4 trust periods stored mod 2^16", () => {
  it("ACCEPTED V14-4: X misses a task in period P (trust 5000 -> its penalised trust, periodTrust 5000). In P + 1 a draw weighs the lower trust; 65,536 periods later (trustPeriod 1 h: 7.5 years; the default 1 day: 179 years, past the uint32 activation keys' 2106) uint16(P + 65536) == its stored period and sampling weighs the stale periodTrust 5000 again for that one period (acceptance and voting weight). No write moves it: only waiting 65,536 periods without a trust change does; documented in _moveTrust", async () => {
    const c = await setupChain();
    await c.alignToTrustPeriod();
    const evs = await c.evaluators(3, 1_000n * E18, E18);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    const X = members[0]!;
    await c.play(taskId, members, [undefined, [6_000, 4_000], [6_000, 4_000]]);
    await c.finalize(taskId);
    const P = (await c.now()) / 3_600n;
    const e = await c.registry.read.getEvaluator([X]);
    expect(e.period).toBe(Number(P % 65_536n));
    expect(e.periodTrust).toBe(5_000);
    expect(e.trust < 5_000).toBe(true);
    expect(evs.some((a) => sameAddress(a, X))).toBe(true);

    const sampled = async () => {
      const at = await c.now();
      const [slots, , accept] = await c.registry.read.drawInputs([BIT, 2n * E18, requester, at]);
      const i = slots.findIndex((a) => sameAddress(a, X));
      const [stake, , , , part] = await c.registry.read.stateAt([X, at]);
      return accept[i]! / (part < stake ? part : stake);
    };
    await c.warp(3_600n);
    expect((await c.now()) / 3_600n).toBe(P + 1n);
    expect(await sampled()).toBe(BigInt(e.trust));
    await c.warp(3_600n * 65_535n);
    expect((await c.now()) / 3_600n).toBe(P + 65_536n);
    expect(await sampled()).toBe(5_000n);
    await c.warp(3_600n);
    expect(await sampled()).toBe(BigInt(e.trust));
  });
});

// ======================================================================= 3. task word 3

describe("V14-5 word 3: a sealed round's seal while OPEN, its consensus after", () => {
  it("HOLDS V14-5: word 3 is 0 while PENDING and OPEN, the seal (keccak of the low-240-bit list, low bit 0; low bit 1 when a member committed alone) after commitAll, with getTask.consensus 0, getConsensus (false, []) and getMember (member, committed, not revealed, commitment 0) while OPEN and a plain reveal reverting SealedRound. finalizeSealed rewrites it with the packed consensus (= getTask.consensus = TaskFinalized.packedConsensus; getConsensus [6000, 4000]); from then on revealSealed with the real sealed list, finalizeSealed with the real openings, commitAll, commit, reveal and finalize all revert TaskNotOpen (the consensus is never read as a seal), getMember reads committed + revealed for every member", async () => {
    const s = await sealed3(3);
    const { c } = s;
    const taskId = await c.create(s.requester, c.spec(s.nodes, { k: 3, evalBudget: 6n * E18 }));
    const base = await taskBase(c, taskId, s.requester);
    expect(await word3(c, base)).toBe(0n);
    expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.PENDING);
    const { members } = await c.draw(taskId);
    expect(await word3(c, base)).toBe(0n);
    const p = await prepare(s, taskId, members, [HONEST, HONEST, HONEST]);
    await commitAll(c, taskId, p.commitments, p.signatures);
    const list = sealedList(members, await committedLogs(c, taskId));
    const seal = await word3(c, base);
    expect(seal).toBe(expectedSeal(list, false));
    expect(seal).not.toBe(0n);
    const open = await c.poq.read.getTask([taskId]);
    expect([open.status, open.hasConsensus, open.consensus]).toEqual([TaskStatus.OPEN, false, 0n]);
    expect(await c.poq.read.getConsensus([taskId])).toEqual([false, []]);
    await reverts(c.poq.write.reveal([taskId, HONEST, p.salts[0]!], { account: members[0]! }), "SealedRound", [taskId]);
    // getMember while sealed: committed (commits == k), not revealed, no stored commitment
    for (const m of members) expect(await c.poq.read.getMember([taskId, m])).toEqual([true, true, false, `0x${"00".repeat(32)}`, []]);

    const r = await settledEvents(c, await finalizeSealed(c, taskId, p.openings));
    const packed = packScores(HONEST);
    expect(await word3(c, base)).toBe(packed);
    expect(r.task.packedConsensus).toBe(packed);
    const done = await c.poq.read.getTask([taskId]);
    expect([done.status, done.hasConsensus, done.consensus]).toEqual([TaskStatus.FINALIZED, true, packed]);
    expect(await c.poq.read.getConsensus([taskId])).toEqual([true, HONEST]);
    for (const m of members) expect(await c.poq.read.getMember([taskId, m])).toEqual([true, true, true, `0x${"00".repeat(32)}`, []]);

    await reverts(revealSealed(c, taskId, members[0]!, list, HONEST, p.salts[0]!), "TaskNotOpen", [taskId]);
    await reverts(finalizeSealed(c, taskId, p.openings), "TaskNotOpen", [taskId]);
    await reverts(commitAll(c, taskId, p.commitments, p.signatures), "TaskNotOpen", [taskId]);
    await reverts(c.poq.write.commit([taskId, p.commitments[0]!], { account: members[0]! }), "TaskNotOpen", [taskId]);
    await reverts(c.poq.write.reveal([taskId, HONEST, p.salts[0]!], { account: members[0]! }), "TaskNotOpen", [taskId]);
    await reverts(c.poq.write.finalize([taskId]), "TaskNotOpen", [taskId]);
    expect(await word3(c, base)).toBe(packed);

    // a mixed seal (member 2 committed alone first): low bit 1
    const B = await task(s);
    const q = await prepare(s, B.taskId, B.members, [HONEST, HONEST, HONEST]);
    await c.poq.write.commit([B.taskId, q.commitments[2]!], { account: B.members[2]! });
    await commitAll(c, B.taskId, q.commitments, q.signatures);
    const baseB = await taskBase(c, B.taskId, s.requester);
    const listB = sealedList(B.members, await committedLogs(c, B.taskId));
    expect(await word3(c, baseB)).toBe(expectedSeal(listB, true));
    // the lone committer reveals plainly (it has a member word); the others need the list
    await c.poq.write.reveal([B.taskId, HONEST, q.salts[2]!], { account: B.members[2]! });
    await reverts(c.poq.write.reveal([B.taskId, HONEST, q.salts[0]!], { account: B.members[0]! }), "SealedRound", [B.taskId]);
    await finalizeSealed(c, B.taskId, q.openings);
    expect(await word3(c, baseB)).toBe(packed);
    await expectBalanced(c);
  });

  it("HOLDS V14-6: the per-member `finalize` of a sealed task clears the seal when there is no consensus and writes the consensus when there is one. (a) nobody reveals after commitAll: word 3 = 0, hasConsensus false, packedConsensus 0, each member slashed 100, 300 burned; (b) a void (2 abstain, 1 scores: the scorer holds 1/3 of the revealed weight): word 3 = 0, getTask.consensus 0; (c) 2 reveal via revealSealed, 1 silent: word 3 = packed [6000, 4000], the silent one slashed 90 (10% of the 900 it kept after (a)). Per-member rounds: word 3 stays 0 without a consensus and gets the consensus with one. After each, revealSealed reverts TaskNotOpen", async () => {
    const s = await sealed3(3);
    const { c } = s;
    const run = async (sealedRound: boolean, scores: (number[] | undefined)[]) => {
      const { taskId, members } = await task(s);
      const base = await taskBase(c, taskId, s.requester);
      const full = scores.map((x) => x ?? HONEST);
      const p = await prepare(s, taskId, members, full);
      if (sealedRound) {
        await commitAll(c, taskId, p.commitments, p.signatures);
        expect(await word3(c, base)).not.toBe(0n);
        for (let i = 0; i < 3; i++) if (scores[i]) await revealSealed(c, taskId, members[i]!, p.commitments, scores[i]!, p.salts[i]!);
      } else {
        for (let i = 0; i < 3; i++) if (scores[i]) await c.poq.write.commit([taskId, p.commitments[i]!], { account: members[i]! });
        if (scores.some((x) => x === undefined)) await c.warp(BigInt((await c.poq.read.getTask([taskId])).commitDeadline) - (await c.now()) + 1n);
        for (let i = 0; i < 3; i++) if (scores[i]) await c.poq.write.reveal([taskId, scores[i]!, p.salts[i]!], { account: members[i]! });
      }
      await pastRevealDeadline(c, taskId);
      const r = await settledEvents(c, await c.poq.write.finalize([taskId]));
      const w = await word3(c, base);
      const v = await c.poq.read.getTask([taskId]);
      expect(v.status).toBe(TaskStatus.FINALIZED);
      expect(v.consensus).toBe(v.hasConsensus ? w : 0n);
      expect(r.task.packedConsensus).toBe(w);
      if (sealedRound) await reverts(revealSealed(c, taskId, members[0]!, p.commitments, full[0]!, p.salts[0]!), "TaskNotOpen", [taskId]);
      return { r, w, v };
    };
    const a = await run(true, [undefined, undefined, undefined]);
    expect([a.w, a.v.hasConsensus]).toEqual([0n, false]);
    expect(a.r.members.map((m) => m.slashed)).toEqual([100n * E18, 100n * E18, 100n * E18]);
    expect(a.r.task.burned).toBe(300n * E18);
    const b = await run(true, [[], [], HONEST]);
    expect([b.w, b.v.hasConsensus, b.v.consensus]).toEqual([0n, false, 0n]);
    expect(await c.poq.read.getConsensus([b.r.task.taskId])).toEqual([false, []]);
    const cc = await run(true, [HONEST, undefined, HONEST]);
    expect([cc.w, cc.v.hasConsensus]).toEqual([packScores(HONEST), true]);
    // every member holds 900 since (a): 10% of it
    expect(cc.r.members.map((m) => m.slashed)).toEqual([0n, 90n * E18, 0n]);
    const d = await run(false, [undefined, undefined, undefined]);
    expect([d.w, d.v.hasConsensus]).toEqual([0n, false]);
    const e = await run(false, [HONEST, HONEST, [7_000, 3_000]]);
    expect([e.w, e.v.hasConsensus]).toEqual([packScores(HONEST), true]);
    await expectBalanced(c);
  });
});

// ================================================================= 4. the escrow word, totals

describe("V14-7 totals with the escrow sharing a word with the task count", () => {
  it("HOLDS V14-7: a fresh deployment reads totals (0, 0, 0, 0) and accountedBalance 0 (the escrow shares its word with the task count and the parameter version); create (escrow 106, treasury 2.22), a cancelled task (expired seed: its 106 escrow back to exactly the open task's), finalize with a silent member (escrow exactly 0), every claim, claimNode and withdrawTreasury of all 4.44: totals (0, 0, 0, 100 burned) = the token balance; a zero protocol fee is refused by governance; at the smallest (1 bps, no flat fee) a task pulls exactly 106 + 0.0106 and the treasury holds exactly 0.0106 (withdrawTreasury of 1 wei more reverts InsufficientTreasury); balance == accounted at every step", async () => {
    const c = await setupChain();
    expect(await totals(c)).toEqual([0n, 0n, 0n, 0n]);
    expect(await c.poq.read.accountedBalance()).toBe(0n);
    const evs = await c.evaluators(3, 1_000n * E18, E18);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const fee = 222n * E18 / 100n; // 0.1 + 2% of 106
    expect(await c.poq.read.protocolFeeFor([100n * E18, 6n * E18])).toBe(fee);

    const t1 = await c.create(requester, c.spec(nodes));
    expect(await totals(c)).toEqual([106n * E18, 0n, fee, 0n]);
    await expectBalanced(c);
    const t2 = await c.create(requester, c.spec(nodes));
    expect(await totals(c)).toEqual([212n * E18, 0n, 2n * fee, 0n]);
    await c.networkHelpers.mine(300);
    await c.poq.write.drawCommittee([t2]);
    expect((await c.poq.read.getTask([t2])).status).toBe(TaskStatus.CANCELLED);
    // t1's seed expired too: re-check which is still pending
    const s1 = (await c.poq.read.getTask([t1])).status;
    expect(s1).toBe(TaskStatus.PENDING);
    expect(await totals(c)).toEqual([106n * E18, 106n * E18, 2n * fee, 0n]);
    await expectBalanced(c);
    await c.poq.write.drawCommittee([t1]);
    const cancelled = await c.poq.read.getTask([t1]);
    expect([cancelled.status, cancelled.hasConsensus, cancelled.consensus]).toEqual([TaskStatus.CANCELLED, false, 0n]);
    expect(await c.poq.read.getConsensus([t1])).toEqual([false, []]);
    expect(await totals(c)).toEqual([0n, 212n * E18, 2n * fee, 0n]);

    const t3 = await c.createTask(requester, c.spec(nodes));
    await c.play(t3.taskId, t3.members, [HONEST, HONEST, undefined]);
    await c.finalize(t3.taskId);
    const [esc, , , burned] = await totals(c);
    expect(esc).toBe(0n);
    expect(burned).toBe(100n * E18);
    await expectBalanced(c);
    for (const a of [requester, ...evs]) if ((await c.poq.read.claimableOf([a])) > 0n) await c.poq.write.claim([a], { account: a });
    for (const n of nodes) if ((await c.poq.read.getNode([n])).pending > 0n) await c.poq.write.claimNode([n]);
    expect(await totals(c)).toEqual([0n, 0n, 3n * fee, 100n * E18]);
    await c.poq.write.withdrawTreasury([c.admin.account.address, 3n * fee]);
    expect(await totals(c)).toEqual([0n, 0n, 0n, 100n * E18]);
    await expectBalanced(c);

    const g = toGovernanceTuple(c.params.governance);
    // the smallest protocol fee governance allows (taskFee 0 AND protocolFeeBps 0 reverts
    // ParamOutOfRange("taskFee"), so createTask's `protocolFee != 0` skip is unreachable)
    g.tasks.taskFee = 0n;
    g.tasks.protocolFeeBps = 0;
    await reverts(c.poq.write.setParams([g]), "ParamOutOfRange");
    g.tasks.protocolFeeBps = 1;
    await c.poq.write.setParams([g]);
    const small = (106n * E18) / 10_000n;
    const before = await c.token.read.balanceOf([requester]);
    const t4 = await c.createTask(requester, c.spec(nodes));
    expect(before - (await c.token.read.balanceOf([requester]))).toBe(106n * E18 + small);
    expect(await totals(c)).toEqual([106n * E18, 0n, small, 100n * E18]);
    await reverts(c.poq.write.withdrawTreasury([c.admin.account.address, small + 1n]), "InsufficientTreasury", [small + 1n, small]);
    await c.play(t4.taskId, t4.members, [HONEST, HONEST, HONEST]);
    await c.finalize(t4.taskId);
    expect((await totals(c))[0]).toBe(0n);
    await expectBalanced(c);
  });
});

// ============================================================ 5. the linked settlement library

describe("V14-8 TaskSettlement / Sealing / Governance as linked libraries", () => {
  it("HOLDS V14-8: each library's runtime starts with the call-protection prologue (PUSH20 its own address, ADDRESS, EQ) and dispatches its state-changing selectors (TaskSettlement.settle 0x8f1224a2, Sealing.seal/open/admit, Governance.install); called directly (eth_call and transactions: 'library was called directly', arguments aimed at slot 0 and an attacker's address) every one reverts and ProofOfQuality's totals do not move. A finalize's EvaluatorSettled / OutputSettled / TaskFinalized logs all come from ProofOfQuality's address (none from the library), with ProofOfQuality's ABI topics, and the escrow released = evaluators' pay + slash shares + nodes' pay + refund + forfeited (nothing lost or doubled)", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(4, 1_000n * E18, E18);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const attacker = (await c.actor(2)).address;
    const libs: { addr: Address; sigs: string[] }[] = [
      {
        addr: c.settlement.address,
        sigs: [
          "settle(uint256,TaskRecord storage,SettlementParams storage,mapping(address => uint256) storage,uint256[],mapping(address => uint256) storage,mapping(address => Node) storage,EvaluatorRegistry,uint256)",
        ],
      },
      {
        addr: c.sealing.address,
        sigs: [
          "seal(mapping(address => uint256) storage,uint256,uint256,bool,bytes)",
          "open(mapping(address => uint256) storage,uint256,uint256,uint256,bytes32,bool,bytes)",
          "admit(mapping(address => uint256) storage,uint256,uint256,bytes32,bytes)",
        ],
      },
      { addr: c.governance.address, sigs: ["install(GovernanceParams storage,mapping(uint256 => SettlementParams) storage,uint256,bytes)"] },
    ];
    // a library's selector hashes its internal signature as written (storage, mapping names)
    const selectorOf = (sig: string) => keccak256(toHex(sig)).slice(0, 10);
    expect(selectorOf(libs[0]!.sigs[0]!)).toBe("0x8f1224a2");
    const t0 = await totals(c);
    const args = encodeAbiParameters(
      [{ type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }, { type: "address" }],
      [1n, 0n, 0n, 0n, 256n, 0n, 0n, attacker],
    );
    const wallet = await c.viem.getWalletClient(attacker);
    for (const { addr, sigs } of libs) {
      const code = (await c.publicClient.getCode({ address: addr }))!.toLowerCase();
      expect(code.startsWith(`0x73${addr.slice(2).toLowerCase()}3014`)).toBe(true);
      for (const sig of sigs) {
        const sel = selectorOf(sig);
        expect(code.includes(`63${sel.slice(2)}`)).toBe(true);
        const data = (sel + args.slice(2) + "00".repeat(64)) as Hex;
        // the node names the cause: the call-protection check, not a decoding failure
        await expect(c.publicClient.call({ account: attacker, to: addr, data })).rejects.toThrow(/library was called directly/);
        await expect(wallet.sendTransaction({ to: addr, data, gas: 3_000_000n })).rejects.toThrow(/library was called directly/);
      }
    }
    expect(await totals(c)).toEqual(t0);

    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18 }));
    await c.play(taskId, members, [HONEST, HONEST, [6_500, 4_000], undefined]);
    const [esc0, cl0, , b0] = await totals(c);
    const hash = await c.finalize(taskId);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash });
    const names = ["EvaluatorSettled", "OutputSettled", "TaskFinalized"] as const;
    const ours = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: [...names] });
    expect(ours.length).toBe(4 + 2 + 1);
    for (const l of ours) expect(sameAddress(l.address, c.poq.address)).toBe(true);
    expect(rc.logs.some((l) => sameAddress(l.address, c.settlement.address))).toBe(false);
    const r = await settledEvents(c, hash);
    const [esc1, cl1, , b1] = await totals(c);
    const paid = r.members.reduce((a, m) => a + m.pay + m.slashShare, 0n) + r.outputs.reduce((a, o) => a + o.pay, 0n);
    expect(r.task.slashed).toBe(100n * E18);
    expect(esc0 - esc1).toBe(108n * E18);
    expect(cl1 - cl0).toBe(paid + r.task.refund);
    expect(b1 - b0).toBe(r.task.burned);
    expect(paid + r.task.refund + r.task.burned).toBe(108n * E18 + r.task.slashed);
    expect(evs.length).toBe(4);
    await expectBalanced(c);
  });
});

// ======================================================================= 6. assembly loops

describe("V14-9 Settlement's assembly column / deviation loops against the mirror", () => {
  it("HOLDS V14-9: settleTask equals Settlement.settle (RulesHarness, the internal library compiled in) on 160 committees of k = 24..32 and m = 12..15, scores drawn from {0, 1, 999, 5000, 9000, 9999, 10000} around a per-output base of 0 or 10000, abstainers and silent members interleaved with scorers (so rev indices skip), every rule; consensus, deviations, trust, slashes, pays, node pays, refund and forfeits all equal", async () => {
    const { viem } = await network.create();
    const h = await viem.deployContract("RulesHarness");
    let seed = 0x14a5;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const NOISE = [0, 1, 999, 5_000, 9_000, 9_999, 10_000];
    const params: SettlementParams[] = [DEFAULT_PARAMS.settlement, { ...DEFAULT_PARAMS.settlement, deviationScaleBps: 10_000, trimBps: 4_500, qualityFloorBps: 0 }];
    const cases = Array.from({ length: 160 }, (_, n) => {
      const k = n < 40 ? 32 : 24 + Math.floor(rnd() * 9);
      const m = n < 40 ? 15 : 12 + Math.floor(rnd() * 4);
      const baseOf = Array.from({ length: m }, (_, j) => (j % 2 === 0 ? 10_000 : 0));
      const members: MemberInput[] = Array.from({ length: k }, (_, i) => {
        const roll = rnd();
        const revealed = !(i % 7 === 3 || roll < 0.1);
        const abstained = revealed && (i % 5 === 1 || roll < 0.2);
        const wild = rnd() < 0.2;
        return {
          trust: pick([100, 5_000, 9_999, 10_000, 30_000]),
          weight: BigInt(pick([1, 5_000, 1 << 20])) * BigInt(1 + (i % 3)),
          stake: revealed ? 0n : pick([1n, 10n ** 21n]),
          revealed,
          abstained,
          scores: baseOf.map((b) => (wild ? pick(NOISE) : b === 0 ? pick([0, 1, 999]) : pick([9_000, 9_999, 10_000]))),
        };
      });
      return { rule: pick([Rule.MEDIAN, Rule.TRUST_WEIGHTED_MEDIAN, Rule.MEAN, Rule.TRIMMED_MEAN, Rule.TRUST_WEIGHTED_MEAN]), p: pick(params), members, m, nodeBudget: 100n * E18 + BigInt(n), fee: 2n * E18 + 7n };
    });
    let settled = 0;
    for (let from = 0; from < cases.length; from += 20) {
      const chunk = cases.slice(from, from + 20);
      const got = await Promise.all(
        chunk.map((x) =>
          h.read.settle([
            x.rule,
            x.p,
            x.members.map((mm) => ({
              trust: BigInt(mm.trust),
              weight: mm.weight,
              stake: mm.stake,
              revealed: mm.revealed,
              abstained: !!mm.abstained,
              scores: mm.revealed && !mm.abstained ? packScores(mm.scores!) : 0n,
            })),
            BigInt(x.m),
            x.nodeBudget,
            x.fee,
          ]),
        ),
      );
      chunk.forEach((x, i) => {
        const g = got[i]!;
        const w = settleTask({ rule: x.rule, params: x.p, members: x.members, m: x.m, nodeBudget: x.nodeBudget, fee: x.fee });
        const tag = `case ${from + i}`;
        expect(g.hasConsensus, tag).toBe(w.consensus !== null);
        if (w.consensus) {
          expect(unpackScores(g.consensus, x.m), tag).toEqual(w.consensus);
          settled++;
        } else expect(g.consensus, tag).toBe(0n);
        expect(g.deviation.map(Number), tag).toEqual(w.deviations);
        expect(g.dNorm.map(Number), tag).toEqual(w.normalisedDeviations);
        expect(g.newTrust.map(Number), tag).toEqual(w.newTrust);
        expect([...g.slashed], tag).toEqual(w.slashed);
        expect([...g.evaluatorPay], tag).toEqual(w.evaluatorPay);
        expect([...g.nodePay], tag).toEqual(w.nodePay);
        expect([...g.honest], tag).toEqual(w.honest);
        expect(g.refund, tag).toBe(w.refund);
        expect(g.forfeited, tag).toBe(w.forfeited);
      });
    }
    // most committees settle (the loops ran over their columns), some are void
    expect(settled).toBeGreaterThan(100);
  }, 300_000);
});

describe("V14-10 k = 32, m = 15 through the deployed stack", () => {
  const SCORES = (i: number, m: number): number[] | undefined => {
    if (i % 5 === 2) return []; // abstainers interleaved
    return Array.from({ length: m }, (_, j) => {
      const base = j === m - 1 ? 5_000 : j % 2 === 0 ? 10_000 : 0;
      if (i === 3 || i === 20) return 10_000 - base; // two deviants
      // mostly exact 0 / 10000 (the medians land there), some within 600 of it
      const off = (i * 11 + j) % 4 === 0 ? 300 * (1 + (j % 2)) : 0;
      return base === 10_000 ? 10_000 - off : base === 0 ? off : 5_000 + (i % 2) * 100;
    });
  };
  it("HOLDS V14-10: a sealed round of 32 members on 15 outputs (scores 0 and 10000, 6 abstainers at i = 2 mod 5, 2 deviants, members 0 and 31 revealing alone first) settles with finalizeSealed exactly as settleTask says (consensus, each deviation, pay, trust, node pay, refund), word 3 = the packed consensus, getMember of the lone revealers reads their 15 scores; then a per-member round of the same 32 with 4 silent members interleaved (i = 4 mod 7) settles as the mirror says, slashes included, and both contracts stay balanced", async () => {
    const s = await sealed32(32);
    const { c } = s;
    const nodes = await c.nodes(15, 600);
    const m = 15;
    const spec = c.spec(nodes, { k: 32, evalBudget: 64n * E18 });
    const A = await c.createTask(s.requester, spec);
    expect(A.members.length).toBe(32);
    const scoresA = A.members.map((_, i) => SCORES(i, m)!);
    const p = await prepare(s, A.taskId, A.members, scoresA);
    await commitAll(c, A.taskId, p.commitments, p.signatures);
    for (const i of [0, 31]) await revealSealed(c, A.taskId, A.members[i]!, p.commitments, scoresA[i]!, p.salts[i]!);
    expect([...(await c.poq.read.getMember([A.taskId, A.members[31]!]))[4]]).toEqual(scoresA[31]);
    const inA = await mirrorMembers(c, A.taskId, A.members, scoresA);
    const hash = await finalizeSealed(c, A.taskId, p.openings);
    const rA = await settledEvents(c, hash);
    const wA = settleTask({ rule: Rule.TRUST_WEIGHTED_MEDIAN, params: DEFAULT_PARAMS.settlement, members: inA, m, nodeBudget: 100n * E18, fee: 2n * E18 });
    expect(wA.consensus).not.toBeNull();
    expectMirror(rA, wA, m);
    const baseA = await taskBase(c, A.taskId, s.requester);
    expect(await word3(c, baseA)).toBe(packScores(wA.consensus!));
    expect([...(await c.poq.read.getConsensus([A.taskId]))[1]]).toEqual(wA.consensus);
    expect([...(await c.poq.read.getMember([A.taskId, A.members[0]!]))[4]]).toEqual(scoresA[0]);
    expect(wA.consensus!.includes(0) && wA.consensus!.includes(10_000)).toBe(true);
    console.log("V14-10 sealed gas", (await c.publicClient.waitForTransactionReceipt({ hash })).gasUsed);

    const B = await c.createTask(s.requester, spec);
    expect(B.members.length).toBe(32);
    const scoresB = B.members.map((_, i) => (i % 7 === 4 ? undefined : SCORES(i, m)));
    await c.play(B.taskId, B.members, scoresB);
    await pastRevealDeadline(c, B.taskId);
    const inB = await mirrorMembers(c, B.taskId, B.members, scoresB);
    const rB = await settledEvents(c, await c.poq.write.finalize([B.taskId]));
    const wB = settleTask({ rule: Rule.TRUST_WEIGHTED_MEDIAN, params: DEFAULT_PARAMS.settlement, members: inB, m, nodeBudget: 100n * E18, fee: 2n * E18 });
    expect(wB.consensus).not.toBeNull();
    expect(wB.slashed.filter((x) => x > 0n).length).toBe(4);
    expectMirror(rB, wB, m);
    expect(await word3(c, await taskBase(c, B.taskId, s.requester))).toBe(packScores(wB.consensus!));
    await expectBalanced(c);
  }, 600_000);
});

describe("V14-11 SumTree.findAtExcept's unchecked removed-leaf loop", () => {
  it("HOLDS V14-11: 40 evaluators in interleaved slots (every odd one too expensive for the fee, stakes 150..1,700, one excluded as the requester), a draw as of a creation time T1 after which 8 evaluators changed stake or cost (the trees read their past): previewDraw equals treeSample over drawInputs (the slots' leaves and acceptance weights as of T1) for 30 seeds at k = 8, 14 and 19 (19 = every eligible one: up to 140 proposals, dozens of removed leaves subtracted per tree level); members, order and voting weights, and both give up on the same seeds", async () => {
    const c = await setupChain();
    const evs: Address[] = [];
    for (let i = 0; i < 40; i++) {
      const [a] = await c.evaluators(1, BigInt(150 + 37 * i) * E18, i % 2 === 1 ? 5n * E18 : E18, { first: 100 + i, wait: false });
      evs.push(a!);
    }
    await c.activate();
    const requester = evs[6]!; // an eligible evaluator as the requester: excluded
    const T1 = await c.now();
    for (let i = 0; i < 8; i++) {
      const a = evs[i * 5]!;
      if (i % 2 === 0) await c.registry.write.addStake([BigInt(1 + i) * 100n * E18], { account: a });
      else await c.registry.write.setCost([i % 4 === 1 ? 5n * E18 : E18], { account: a });
    }
    await c.activate();
    const fee = 2n * E18;
    const [slots, leaves, accept] = await c.registry.read.drawInputs([BIT, fee, requester, T1]);
    const eligible = accept.filter((x) => x > 0n).length;
    expect(eligible).toBe(19);
    let full = 0;
    let none = 0;
    for (const k of [8, 14, 19]) {
      for (let i = 0; i < 10; i++) {
        const seed = keccak256(toHex(`v14-11-${k}-${i}`));
        const [members, weights] = await c.registry.read.previewDraw([BIT, fee, requester, BigInt(k), seed, 0n, T1]);
        const want = treeSample(leaves, accept, k, seed);
        if (want === null) {
          expect(members.length, `k ${k} seed ${i}`).toBe(0);
          none++;
          continue;
        }
        expect(members.map((a) => a.toLowerCase()), `k ${k} seed ${i}`).toEqual(want.map((j) => slots[j]!.toLowerCase()));
        // voting weights: sampling trust (5000, nobody settled a task) x (min(stake as of T1, cap) << 24) / cap
        const cap = 10_000n * E18;
        for (let j = 0; j < k; j++) {
          const [st] = await c.registry.read.stateAt([members[j]!, T1]);
          expect(weights[j]).toBe(5_000n * (((st < cap ? st : cap) << 24n) / cap));
        }
        if (k === 19) full++;
      }
    }
    console.log("V14-11 full draws at k = 19:", full, "gave up:", none);
    expect(full).toBeGreaterThan(0);
  }, 300_000);
});
