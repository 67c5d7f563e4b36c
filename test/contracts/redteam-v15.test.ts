/**
 * Red team v15 (sixteenth review): the money-path gas commits 5f57d91 and e72df73, as an attacker.
 *
 *  1. The task record no longer stores `requester` and `fee`: both live in the task blob
 *     (STOP | commitWindow 4 | revealWindow 4 | requester 20 | fee 12 | queryHash 32 | ...) and
 *     are read by drawCommittee (the draw's `exclude`), _cancel, _settle, TaskSettlement, getTask
 *     and getCommittee.
 *  2. `_taskCount` (uint64), `_paramsVersion` (uint32) and `_escrow` (uint128) share one word.
 *  3. ReentrancyGuardTransient in both contracts.
 *  4. Committee weights in 6 bytes (< 2^48; a wider one fails the write).
 *  5. The draw hashes its proposals in assembly; the registry no longer emits MembersLocked.
 *
 * Labels: "HOLDS V15-n" asserts the attack fails; "ACCEPTED V15-n" asserts a documented residual.
 * Figures use DEV_PROTOCOL_PARAMS: stake 1,000 each, slashBps 1000, fee 2 a member, node budget
 * 100, activation 60 s, unbonding 3600 s, trust period 3600 s, initial trust 5000.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  encodeAbiParameters,
  encodeFunctionData,
  keccak256,
  numberToHex,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { contentHashOf } from "../../oracle/contract/content.js";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import { TaskStatus, treeSample } from "../../oracle/rules/index.js";
import { E18, setupChain, type Chain } from "./helpers.js";
import { expectBalanced, sameAddress, totals } from "./settlement-helpers.js";
import { HONEST, reverts } from "./sealed-helpers.js";

const BIT = 1n; // TEST_PROFILE is profile id 0
const ZERO_ADDR: Address = "0x0000000000000000000000000000000000000000";
const GUARD_SELECTOR = keccak256(toHex("ReentrancyGuardReentrantCall()")).slice(0, 10);
const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;
const U128 = (1n << 128n) - 1n;

// ------------------------------------------------------------------------------------ helpers


const readSlot = async (c: Chain, address: Address, slot: bigint) =>
  BigInt((await c.publicClient.getStorageAt({ address, slot: numberToHex(slot, { size: 32 }) })) ?? "0x0");

const mapSlot = (key: Address | bigint, base: bigint) =>
  BigInt(keccak256(encodeAbiParameters([{ type: typeof key === "bigint" ? "uint256" : "address" }, { type: "uint256" }], [key as never, base])));

/** ProofOfQuality's shared word (escrow << 96 | version << 64 | count): the slot whose value matches. */
async function packedSlot(c: Chain, count: bigint, version: bigint, escrow: bigint, blobs: bigint): Promise<bigint> {
  const want = (blobs << 224n) | (escrow << 96n) | (version << 64n) | count;
  for (let s = 0n; s < 48n; s++) if ((await readSlot(c, c.poq.address, s)) === want) return s;
  throw new Error("packed word not found");
}

const unpack = (w: bigint) => ({ count: w & U64, version: (w >> 64n) & U32, escrow: (w >> 96n) & U128, blobs: w >> 224n });

/** The registry's Record word 0 of `a` (stake 88 | trust 24 | periodTrust 24 | ...): its slot. */
async function recordSlot(c: Chain, a: Address): Promise<bigint> {
  const e = await c.registry.read.getEvaluator([a]);
  for (let s = 0n; s < 24n; s++) {
    const slot = mapSlot(a, s);
    const w = await readSlot(c, c.registry.address, slot);
    if (w !== 0n && (w & ((1n << 88n) - 1n)) === e.stake && ((w >> 88n) & 0xffffffn) === BigInt(e.trust)) return slot;
  }
  throw new Error("record not found");
}

/** Plays `members` honestly (everyone reveals HONEST); no warp needed. */
async function playHonest(c: Chain, taskId: bigint, members: readonly Address[]) {
  await c.play(taskId, members, members.map(() => HONEST));
}

/**
 * A raw randomness source (no Solidity: the brief allows no new contract file): its `seed` CALLs
 * `target` with `payload` and returns 0x42 + success. ProofOfQuality staticcalls it, so any
 * re-entry into a state-changing function must fail and the seed reads 0x42.
 */
function reenteringSourceInitcode(target: Address, payload: Hex): Hex {
  const L = (payload.length - 2) / 2;
  const p2 = (n: number) => n.toString(16).padStart(4, "0");
  const P = 54; // runtime code length before the payload
  const runtime =
    `61${p2(L)}61${p2(P)}600039` + // CODECOPY(0, P, L)
    `6000600061${p2(L)}60006000` + // retSize 0, retOffset 0, argsSize L, argsOffset 0, value 0
    `73${target.slice(2).toLowerCase()}5af1` + // PUSH20 target, GAS, CALL
    `60420160005260206000f3`; // 0x42 + success -> mstore(0), return 32 bytes
  expect(runtime.length / 2).toBe(P);
  const body = `${runtime}${payload.slice(2)}`;
  const len = body.length / 2;
  const init = `61${p2(len)}80600c6000396000f3`; // codecopy(0, 12, len); return(0, len)
  return `0x${init}${body}` as Hex;
}

async function deployRaw(c: Chain, initcode: Hex): Promise<Address> {
  const hash = await c.admin.deployContract({ abi: [], bytecode: initcode });
  const rc = await c.publicClient.waitForTransactionReceipt({ hash });
  return rc.contractAddress!;
}

// ============================================================ 1. requester and fee in the blob

describe("V15 requester and fee in the task blob", () => {
  it("HOLDS V15-1: ONE multicall creates three tasks from a requester that is itself an evaluator (A: k 3, fee 2, windows 11/12, no refundTo; B: k 4, fee 2.5, windows 13/14, refundTo X; C: k 3, evalBudget 2^96 - 1 so fee (2^96 - 1) / 3 fills the 12 fee bytes' top bits, windows 3600/86400, refundTo = the requester itself, not stored). getTask / getCommittee read each requester, fee, windows, refundTo and content hash back exactly. ONE multicall from a stranger draws all three: A and C seat exactly the three other evaluators (the requester read from the blob is excluded), B (k 4: only 3 evaluators besides the requester) is cancelled and its 110 credited to X, not the requester; finalize A, finalize C and claimNode in ONE multicall release the escrow to exactly 0, the refunds land on the requester (refundedOf = the TaskFinalized refunds), balance == accounted at each step", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(4);
    const requester = evs[3]!;
    const others = evs.slice(0, 3);
    const nodes = await c.nodes(2);
    const X = (await c.actor(7, 0n)).address;
    const stranger = (await c.actor(8, 0n)).address;
    await c.token.write.mint([requester, 1n << 97n]);
    const feeC = ((1n << 96n) - 1n) / 3n;
    expect(feeC >> 92n).toBeGreaterThan(0n); // the top nibble of the fee field is used
    const specs = [
      c.spec(nodes, { k: 3, evalBudget: 6n * E18, commitWindow: 11, revealWindow: 12, queryHash: keccak256(toHex("qa")) }),
      c.spec(nodes, { k: 4, evalBudget: 10n * E18, commitWindow: 13, revealWindow: 14, refundTo: X, queryHash: keccak256(toHex("qb")) }),
      c.spec(nodes, { k: 3, evalBudget: (1n << 96n) - 1n, commitWindow: 3600, revealWindow: 86_400, refundTo: requester, queryHash: keccak256(toHex("qc")) }),
    ];
    const abi = c.poq.abi;
    await c.poq.write.multicall([specs.map((s) => encodeFunctionData({ abi, functionName: "createTask", args: [s] }))], { account: requester });
    expect(await c.poq.read.taskCount()).toBe(3n);
    const fees = [2n * E18, 25n * E18 / 10n, feeC];
    const refundTos = [requester, X, requester];
    for (let i = 0; i < 3; i++) {
      const t = await c.poq.read.getTask([BigInt(i + 1)]);
      expect(t.status).toBe(TaskStatus.PENDING);
      expect(sameAddress(t.requester, requester)).toBe(true);
      expect(t.fee).toBe(fees[i]);
      expect([t.commitWindow, t.revealWindow]).toEqual([specs[i]!.commitWindow, specs[i]!.revealWindow]);
      expect(sameAddress(t.refundTo, refundTos[i]!)).toBe(true);
      expect(t.contentHash).toBe(contentHashOf(specs[i]!.queryHash, specs[i]!.outputHashes));
      const [members, fee, weights] = await c.poq.read.getCommittee([BigInt(i + 1)]);
      expect([members.length, fee, weights.length]).toEqual([0, fees[i], 0]);
    }
    const escrows = [106n * E18, 110n * E18, 100n * E18 + feeC * 3n];
    expect((await totals(c))[0]).toBe(escrows[0]! + escrows[1]! + escrows[2]!);
    await expectBalanced(c);

    const hash = await c.poq.write.multicall([[1n, 2n, 3n].map((id) => encodeFunctionData({ abi, functionName: "drawCommittee", args: [id] }))], { account: stranger });
    const rc = await c.publicClient.getTransactionReceipt({ hash });
    const logs = parseEventLogs({ abi, logs: rc.logs });
    const sampled = logs.filter((l) => l.eventName === "CommitteeSampled") as unknown as { args: { taskId: bigint; members: Address[]; fee: bigint } }[];
    const cancelled = logs.filter((l) => l.eventName === "TaskCancelled") as unknown as { args: { taskId: bigint; refund: bigint } }[];
    expect(sampled.map((l) => l.args.taskId)).toEqual([1n, 3n]);
    expect(sampled.map((l) => l.args.fee)).toEqual([fees[0], fees[2]]);
    for (const l of sampled) {
      expect(l.args.members.some((m) => sameAddress(m, requester))).toBe(false);
      expect(new Set(l.args.members.map((m) => m.toLowerCase()))).toEqual(new Set(others.map((m) => m.toLowerCase())));
    }
    expect(cancelled.map((l) => [l.args.taskId, l.args.refund])).toEqual([[2n, 110n * E18]]);
    expect((await c.poq.read.getTask([2n])).status).toBe(TaskStatus.CANCELLED);
    expect(await c.poq.read.refundedOf([X])).toBe(110n * E18);
    expect(await c.poq.read.claimableOf([X])).toBe(110n * E18);
    expect(await c.poq.read.refundedOf([requester])).toBe(0n);
    expect((await totals(c))[0]).toBe(escrows[0]! + escrows[2]!);
    // a cancelled task still reads its requester, fee and refundTo from the blob
    const tb = await c.poq.read.getTask([2n]);
    expect([sameAddress(tb.requester, requester), tb.fee, sameAddress(tb.refundTo, X)]).toEqual([true, fees[1], true]);
    await reverts(c.poq.write.drawCommittee([2n]), "NotPending", [2n]);
    await expectBalanced(c);

    for (const id of [1n, 3n]) {
      const [members] = await c.poq.read.getCommittee([id]);
      await playHonest(c, id, members);
    }
    const h2 = await c.poq.write.multicall(
      [[
        encodeFunctionData({ abi, functionName: "finalize", args: [1n] }),
        encodeFunctionData({ abi, functionName: "finalize", args: [3n] }),
        encodeFunctionData({ abi, functionName: "claimNode", args: [nodes[0]!] }),
      ]],
      { account: stranger },
    );
    const fin = parseEventLogs({ abi, logs: (await c.publicClient.getTransactionReceipt({ hash: h2 })).logs }).filter((l) => l.eventName === "TaskFinalized") as unknown as {
      args: { taskId: bigint; refund: bigint };
    }[];
    expect(fin.map((l) => l.args.taskId)).toEqual([1n, 3n]);
    expect(await c.poq.read.refundedOf([requester])).toBe(fin[0]!.args.refund + fin[1]!.args.refund);
    expect(await c.poq.read.refundedOf([X])).toBe(110n * E18);
    expect((await totals(c))[0]).toBe(0n);
    expect((await c.poq.read.getNode([nodes[0]!])).pending).toBe(0n);
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V15-2: unknown ids read nothing and move nothing: getTask(0 | 99 | 2^256 - 1) is all zero (status NONE, requester 0, fee 0), getCommittee is ([], 0, []), getOutputs []; drawCommittee, finalize and commit revert UnknownTask. A task whose seed expired is cancelled with its refund (nodeBudget + fee x k, from the blob's fee) credited to its refundTo, and a second requester's task created in the same block (its own blob) keeps its own requester, fee and status", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const r1 = (await c.actor(1)).address;
    const r2 = (await c.actor(2)).address;
    const R = (await c.actor(9, 0n)).address;
    for (const id of [0n, 99n, (1n << 256n) - 1n]) {
      const t = await c.poq.read.getTask([id]);
      expect([t.status, t.requester, t.fee, t.refundTo, t.k]).toEqual([TaskStatus.NONE, ZERO_ADDR, 0n, ZERO_ADDR, 0]);
      expect(await c.poq.read.getCommittee([id])).toEqual([[], 0n, []]);
      expect(await c.poq.read.getOutputs([id])).toEqual([]);
      await reverts(c.poq.write.drawCommittee([id]), "UnknownTask", [id]);
      await reverts(c.poq.write.finalize([id]), "UnknownTask", [id]);
    }
    await reverts(c.poq.write.commit([5n, keccak256(toHex("x"))]), "UnknownTask", [5n]);

    // two requesters in one block: each blob keeps its own requester and fee
    await c.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      await c.poq.write.createTask([c.spec(nodes, { evalBudget: 9n * E18, refundTo: R })], { account: r1 });
      await c.poq.write.createTask([c.spec(nodes, { k: 4, evalBudget: 20n * E18, nodeBudget: 7n * E18 })], { account: r2 });
      await c.networkHelpers.mine();
    } finally {
      await c.conn.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    const [t1, t2] = [await c.poq.read.getTask([1n]), await c.poq.read.getTask([2n])];
    expect([sameAddress(t1.requester, r1), t1.fee, sameAddress(t1.refundTo, R), t1.seedBlock]).toEqual([true, 3n * E18, true, t2.seedBlock]);
    expect([sameAddress(t2.requester, r2), t2.fee, sameAddress(t2.refundTo, r2)]).toEqual([true, 5n * E18, true]);
    await c.networkHelpers.mine(300);
    await c.poq.write.drawCommittee([1n]);
    expect((await c.poq.read.getTask([1n])).status).toBe(TaskStatus.CANCELLED);
    expect(await c.poq.read.refundedOf([R])).toBe(109n * E18);
    expect(await c.poq.read.refundedOf([r1])).toBe(0n);
    expect((await c.poq.read.getTask([2n])).status).toBe(TaskStatus.PENDING);
    expect((await totals(c))[0]).toBe(27n * E18);
    await c.poq.write.drawCommittee([2n]);
    expect(await c.poq.read.refundedOf([r2])).toBe(27n * E18);
    expect((await totals(c))[0]).toBe(0n);
    await expectBalanced(c);
  }, 60_000);
});

// ============================================================ 2. the shared word

describe("V15 task count, parameter version, escrow and blob count in one word", () => {
  it("HOLDS V15-3: the word is blobs << 224 | escrow << 96 | version << 64 | count at every step (blobs: the CREATE count, one a task at creation and one a committee) (create, two setParams, cancel, finalize); setParams moves only the version (a rejected one not even that) and a task keeps its version's settlement parameters (v1 task slashes its silent member 10% = 100 after governance set 20% and 30%; a v3 task reads slashBps 3000); checked arithmetic in the packed fields: count 2^64 - 1 -> createTask Panic(0x11), blobs 2^32 - 1 -> createTask Panic(0x11) (the next blob nonce would not fit a task's 32 bits) and a stale blob count -> createTask BlobWriteFailed (the blob lands elsewhere than the nonce says; nothing stored), version 2^32 - 1 -> setParams Panic(0x11), escrow 2^128 - escrow(task) -> createTask Panic(0x11) while 2^128 - 1 - escrow(task) fits exactly (escrow 2^128 - 1, count and version intact) and its cancellation subtracts exactly; nothing spills into a neighbouring field and, the poke undone, balance == accounted", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const E = 106n * E18;
    const A = await c.createTask(requester, c.spec(nodes));
    const slot = await packedSlot(c, 1n, 1n, E, 2n);
    const word = async () => unpack(await readSlot(c, c.poq.address, slot));
    expect(await word()).toEqual({ count: 1n, version: 1n, escrow: E, blobs: 2n });

    const g = toGovernanceTuple(c.params.governance);
    g.settlement.slashBps = 2_000;
    await c.poq.write.setParams([g]);
    expect(await word()).toEqual({ count: 1n, version: 2n, escrow: E, blobs: 2n });
    g.settlement.slashBps = 3_000;
    await c.poq.write.setParams([g]);
    expect(await word()).toEqual({ count: 1n, version: 3n, escrow: E, blobs: 2n });
    // a rejected setParams bumps nothing (the ++ reverts with the validation)
    await reverts(c.poq.write.setParams([{ ...g, settlement: { ...g.settlement, wMax: 10_000 } }]), "ParamOutOfRange");
    expect(await word()).toEqual({ count: 1n, version: 3n, escrow: E, blobs: 2n });
    expect((await c.poq.read.getTask([A.taskId])).params.slashBps).toBe(1_000);
    const B = await c.create(requester, c.spec(nodes));
    expect((await c.poq.read.getTask([B])).params.slashBps).toBe(3_000);
    expect(await word()).toEqual({ count: 2n, version: 3n, escrow: 2n * E, blobs: 3n });

    // A (v1) settles with its own 10%: the silent member loses 100 of 1,000
    await c.play(A.taskId, A.members, [HONEST, HONEST, undefined]);
    const silent = A.members[2]!;
    await c.finalize(A.taskId);
    expect((await c.registry.read.getEvaluator([silent])).stake).toBe(900n * E18);
    expect(await word()).toEqual({ count: 2n, version: 3n, escrow: E, blobs: 3n });
    await expectBalanced(c);
    await c.networkHelpers.mine(300); // B's seed expires
    await c.poq.write.drawCommittee([B]);
    expect(await word()).toEqual({ count: 2n, version: 3n, escrow: 0n, blobs: 3n });
    await expectBalanced(c);

    const raw = await readSlot(c, c.poq.address, slot);
    const set = (v: bigint) => c.networkHelpers.setStorageAt(c.poq.address, slot, numberToHex(v, { size: 32 }));
    const pack = (count: bigint, version: bigint, escrow: bigint, blobs = 3n) => (blobs << 224n) | (escrow << 96n) | (version << 64n) | count;

    await set(pack(U64, 3n, 0n));
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: requester }), "Panic", [0x11n]);
    await set(pack(2n, 3n, 0n, U32));
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: requester }), "Panic", [0x11n]);
    await set(pack(2n, 3n, 0n, 2n));
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: requester }), "BlobWriteFailed");
    await set(pack(2n, U32, 0n));
    await reverts(c.poq.write.setParams([g]), "Panic", [0x11n]);
    await set(pack(2n, 3n, U128 - E + 1n));
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: requester }), "Panic", [0x11n]);
    await set(pack(2n, 3n, U128 - E));
    const C = await c.create(requester, c.spec(nodes));
    expect(C).toBe(3n);
    expect(await word()).toEqual({ count: 3n, version: 3n, escrow: U128, blobs: 4n });
    await c.networkHelpers.mine(300);
    await c.poq.write.drawCommittee([C]);
    expect((await c.poq.read.getTask([C])).status).toBe(TaskStatus.CANCELLED);
    expect(await word()).toEqual({ count: 3n, version: 3n, escrow: U128 - E, blobs: 4n });
    // undo the poke: the real escrow is 0 (C's 106 is now the requester's claimable)
    await set(pack(3n, 3n, 0n, 4n));
    expect(raw).toBe(pack(2n, 3n, 0n));
    await expectBalanced(c);
  }, 90_000);
});

// ============================================================ 3. transient reentrancy guard

describe("V15 ReentrancyGuardTransient", () => {
  it("HOLDS V15-4: a token re-entering from inside claim() into createTask, drawCommittee, finalize or finalizeSealed reverts ReentrancyGuardReentrantCall (nothing moves); a swallowed re-entry (drawCommittee of a pending task, refused by the guard) leaves the lock released: in ONE multicall claim (re-entry refused), claimNode and the same drawCommittee all succeed (the task drawn once); in the registry, ONE multicall of withdraw (a swallowed re-entry into withdraw refused) and addStake both succeed, paying exactly 100 and staking 1", async () => {
    const c = await setupChain({ reentrantToken: true });
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    const evs = await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const abi = c.poq.abi;
    const T1 = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    await playHonest(c, T1.taskId, T1.members);
    await c.finalize(T1.taskId);
    const victim = T1.members[0]!;
    const owed = await c.poq.read.claimableOf([victim]);
    expect(owed).toBeGreaterThan(0n);

    // registry: withdraw + addStake in one multicall, with a swallowed re-entry into withdraw
    const m = evs[1]!;
    await c.registry.write.requestUnbond([100n * E18], { account: m });
    await c.warp(c.params.staking.unbondingDelay + 86_400 + 200);
    const withdrawCall = encodeFunctionData({ abi: c.registry.abi, functionName: "withdraw" });
    await token.write.arm([c.registry.address, withdrawCall, false]);
    const b0 = await token.read.balanceOf([m]);
    const stake0 = (await c.registry.read.getEvaluator([m])).stake;
    await c.registry.write.multicall(
      [[withdrawCall, encodeFunctionData({ abi: c.registry.abi, functionName: "addStake", args: [1n * E18] })]],
      { account: m },
    );
    expect(await token.read.lastReentrySucceeded()).toBe(false);
    expect((await token.read.lastReentryData()).slice(0, 10)).toBe(GUARD_SELECTOR);
    expect((await token.read.balanceOf([m])) - b0).toBe(99n * E18); // +100 withdrawn, -1 staked
    expect((await c.registry.read.getEvaluator([m])).stake).toBe(stake0 + 1n * E18);
    expect((await c.registry.read.getEvaluator([m])).unbonding).toBe(0n);

    const T2 = await c.create(requester, c.spec(nodes, { k: 3 }));
    const spec = c.spec(nodes, { k: 3 });
    const openings = { commitments: [], scores: [], salts: [] };
    const payloads: Hex[] = [
      encodeFunctionData({ abi, functionName: "createTask", args: [spec] }),
      encodeFunctionData({ abi, functionName: "drawCommittee", args: [T2] }),
      encodeFunctionData({ abi, functionName: "finalize", args: [T2] }),
      encodeFunctionData({ abi, functionName: "finalizeSealed", args: [T2, openings] }),
    ];
    for (const p of payloads) {
      await token.write.arm([c.poq.address, p, true]);
      await c.viem.assertions.revertWithCustomError(c.poq.write.claim([victim], { account: victim }), c.poq, "ReentrancyGuardReentrantCall");
      expect(await c.poq.read.claimableOf([victim])).toBe(owed);
      expect(await c.poq.read.taskCount()).toBe(2n);
      expect((await c.poq.read.getTask([T2])).status).toBe(TaskStatus.PENDING);
    }

    // swallowed: the refused re-entry then the same call, in one multicall, after claim and claimNode
    await token.write.arm([c.poq.address, payloads[1]!, false]);
    const vb = await token.read.balanceOf([victim]);
    const nodePending = (await c.poq.read.getNode([nodes[0]!])).pending;
    expect(nodePending).toBeGreaterThan(0n);
    const hash = await c.poq.write.multicall(
      [[
        encodeFunctionData({ abi, functionName: "claim", args: [victim] }),
        encodeFunctionData({ abi, functionName: "claimNode", args: [nodes[0]!] }),
        payloads[1]!,
      ]],
      { account: victim },
    );
    expect(await token.read.lastReentrySucceeded()).toBe(false);
    expect((await token.read.lastReentryData()).slice(0, 10)).toBe(GUARD_SELECTOR);
    expect((await token.read.balanceOf([victim])) - vb).toBe(owed);
    expect((await c.poq.read.getNode([nodes[0]!])).pending).toBe(0n);
    const sampled = parseEventLogs({ abi, logs: (await c.publicClient.getTransactionReceipt({ hash })).logs }).filter((l) => l.eventName === "CommitteeSampled");
    expect(sampled).toHaveLength(1);
    expect((await c.poq.read.getTask([T2])).status).toBe(TaskStatus.OPEN);
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V15-5: a randomness source that calls back into ProofOfQuality (drawCommittee of another pending task, finalize of an open one, claim) from `seed` gets a failed call (seed() is staticcalled inside the locked draw): the draw goes on with the source's seed 0x42 (= 0x42 + success 0), the other pending task stays PENDING and is drawn normally afterwards, nothing is paid", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const abi = c.poq.abi;
    const open = await c.createTask(requester, c.spec(nodes));
    const A = await c.create(requester, c.spec(nodes));
    const B = await c.create(requester, c.spec(nodes));
    const C = await c.create(requester, c.spec(nodes));
    const D = await c.create(requester, c.spec(nodes));
    await playHonest(c, open.taskId, open.members);
    const calls: [bigint, Hex][] = [
      [A, encodeFunctionData({ abi, functionName: "drawCommittee", args: [D] })],
      [B, encodeFunctionData({ abi, functionName: "finalize", args: [open.taskId] })],
      [C, encodeFunctionData({ abi, functionName: "claim", args: [requester] })],
    ];
    for (const [id, payload] of calls) {
      const src = await deployRaw(c, reenteringSourceInitcode(c.poq.address, payload));
      await c.poq.write.setRandomnessSource([src]);
      const hash = await c.poq.write.drawCommittee([id]);
      const ev = parseEventLogs({ abi, logs: (await c.publicClient.getTransactionReceipt({ hash })).logs }).filter((l) => l.eventName === "CommitteeSampled") as unknown as {
        args: { taskId: bigint; seed: Hex };
      }[];
      expect(ev.map((l) => [l.args.taskId, BigInt(l.args.seed)])).toEqual([[id, 0x42n]]);
      expect((await c.poq.read.getTask([D])).status).toBe(TaskStatus.PENDING);
      expect((await c.poq.read.getTask([open.taskId])).status).toBe(TaskStatus.OPEN);
    }
    await c.poq.write.setRandomnessSource([ZERO_ADDR]);
    await c.poq.write.drawCommittee([D]);
    expect((await c.poq.read.getTask([D])).status).toBe(TaskStatus.OPEN);
    await c.poq.write.finalize([open.taskId]);
    await expectBalanced(c);
  }, 90_000);
});

// ============================================================ 4. 6-byte committee weights

describe("V15 committee weights in 6 bytes", () => {
  it("HOLDS V15-6: weights at the governance bounds are stored exactly: stakeCap = minStake = 100 (stake 1,000 >= cap: factor exactly 2^24) gives 5000 << 24; stakeCap = 2^96 - 1 with minStake 1 wei (factor 0 -> 1) gives 5000; the widest the types allow, trust 2^24 - 1 (poked into the record: wMax is at most 100,000) at factor 2^24 = 2^48 - 2^24, is written (no BlobWriteFailed) and read back exactly, and its task settles and balances", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(4);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const sp = await c.registry.read.params();
    const setStaking = (minStake: bigint, stakeCap: bigint) => c.registry.write.setParams([{ ...sp, minStake, stakeCap }]);

    await setStaking(100n * E18, 100n * E18);
    const t1 = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    const [, , w1] = await c.poq.read.getCommittee([t1.taskId]);
    expect(w1).toEqual([5_000n << 24n, 5_000n << 24n, 5_000n << 24n]);

    await setStaking(1n, (1n << 96n) - 1n);
    const t2 = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    const [, , w2] = await c.poq.read.getCommittee([t2.taskId]);
    expect(w2).toEqual([5_000n, 5_000n, 5_000n]);

    await setStaking(100n * E18, 100n * E18);
    const X = evs[2]!;
    const rs = await recordSlot(c, X);
    const w0 = await readSlot(c, c.registry.address, rs);
    const mask = ((1n << 48n) - 1n) << 88n; // trust and periodTrust
    await c.networkHelpers.setStorageAt(c.registry.address, rs, numberToHex((w0 & ~mask) | (0xffffffn << 88n) | (0xffffffn << 112n), { size: 32 }));
    expect((await c.registry.read.getEvaluator([X])).trust).toBe(0xffffff);
    const t3 = await c.createTask(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18 }));
    expect(t3.members).toHaveLength(4);
    const [m3, , w3] = await c.poq.read.getCommittee([t3.taskId]);
    for (let i = 0; i < 4; i++) expect(w3[i]).toBe(sameAddress(m3[i]!, X) ? (1n << 48n) - (1n << 24n) : 5_000n << 24n);

    for (const t of [t1, t2, t3]) await playHonest(c, t.taskId, t.members);
    for (const t of [t1, t2, t3]) await c.poq.write.finalize([t.taskId]);
    for (const t of [t1, t2, t3]) expect((await c.poq.read.getTask([t.taskId])).status).toBe(TaskStatus.FINALIZED);
    expect((await totals(c))[0]).toBe(0n);
    await expectBalanced(c);
  }, 90_000);
});

// ============================================================ 5. the assembly hashes, MembersLocked

describe("V15 the draw's assembly hashes and the MembersLocked event", () => {
  it("HOLDS V15-7: with a fixed randomness seed, six drawCommittee calls through ProofOfQuality (k 5 of 10 evaluators of stakes 150..1,500, one of them the requester) seat exactly treeSample(drawInputs as of creation, seed) (the TypeScript mirror's keccak(abi.encode(seed, t)) and keccak(abi.encode(seed, t, 1))) in order, with voting weights 5000 x ((min(stake, cap) << 24) / cap); the draw's receipt carries no log from the registry (MembersLocked is gone)", async () => {
    const c = await setupChain();
    const evs: Address[] = [];
    for (let i = 0; i < 10; i++) {
      const [a] = await c.evaluators(1, BigInt(150 * (i + 1)) * E18, E18, { first: 100 + i, wait: false });
      evs.push(a!);
    }
    await c.activate();
    const nodes = await c.nodes(2);
    const requester = evs[4]!;
    const fixed = await c.viem.deployContract("FixedRandomness");
    await c.poq.write.setRandomnessSource([fixed.address]);
    const abi = c.poq.abi;
    const cap = (await c.registry.read.params()).stakeCap;
    let full = 0;
    for (let i = 0; i < 6; i++) {
      const seed = keccak256(toHex(`v15-7-${i}`));
      await fixed.write.set([seed]);
      const createHash = await c.poq.write.createTask([c.spec(nodes, { k: 5, evalBudget: 10n * E18 })], { account: requester });
      const asOf = (await c.publicClient.getBlock({ blockNumber: (await c.publicClient.getTransactionReceipt({ hash: createHash })).blockNumber })).timestamp;
      const id = await c.poq.read.taskCount();
      const hash = await c.poq.write.drawCommittee([id]);
      const rc = await c.publicClient.getTransactionReceipt({ hash });
      expect(rc.logs.filter((l) => sameAddress(l.address, c.registry.address))).toHaveLength(0);
      const ev = parseEventLogs({ abi, logs: rc.logs }).filter((l) => l.eventName === "CommitteeSampled") as unknown as { args: { seed: Hex; members: Address[] } }[];
      const [slots, leaves, accept] = await c.registry.read.drawInputs([BIT, 2n * E18, requester, asOf]);
      const want = treeSample(leaves, accept, 5, seed);
      if (want === null) {
        expect(ev).toHaveLength(0);
        continue;
      }
      expect(ev[0]!.args.seed).toBe(seed);
      expect(ev[0]!.args.members.map((a) => a.toLowerCase())).toEqual(want.map((j) => slots[j]!.toLowerCase()));
      const [, , weights] = await c.poq.read.getCommittee([id]);
      for (let j = 0; j < 5; j++) {
        const [st] = await c.registry.read.stateAt([ev[0]!.args.members[j]!, asOf]);
        expect(weights[j]).toBe(5_000n * (((st < cap ? st : cap) << 24n) / cap));
      }
      full++;
    }
    expect(full).toBeGreaterThanOrEqual(4);
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V15-8: nothing off-chain still expects MembersLocked: it is in neither contract ABI (artifacts), nor in the SDK ABIs (sdk/src, sdk/abi, sdk/dist), the generated oracle ABI, the oracle's SDK and worker, or the indexer; every event the indexer subscribes to exists in the ABI it is given", () => {
    const root = process.cwd();
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = join(dir, f);
        if (f === "node_modules" || f.startsWith(".")) return [];
        return statSync(p).isDirectory() ? walk(p) : [p];
      });
    const files = ["indexer", "oracle", "sdk/src", "sdk/abi", "sdk/dist", "explorer"].flatMap((d) => {
      try {
        return walk(join(root, d));
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(20);
    const hits = files.filter((f) => /\.(ts|js|json|mjs|cjs|graphql)$/.test(f) && readFileSync(f, "utf8").includes("MembersLocked"));
    expect(hits).toEqual([]);
    const abiOf = (name: string) =>
      (JSON.parse(readFileSync(join(root, `artifacts/contracts/${name}.sol/${name}.json`), "utf8")).abi as { type: string; name?: string }[])
        .filter((x) => x.type === "event")
        .map((x) => x.name!);
    const events: Record<string, string[]> = {
      ProofOfQuality: abiOf("ProofOfQuality"),
      EvaluatorRegistry: abiOf("EvaluatorRegistry"),
      ProfileRegistry: abiOf("ProfileRegistry"),
    };
    expect(events.EvaluatorRegistry).not.toContain("MembersLocked");
    const handlers = walk(join(root, "indexer/src")).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/ponder\.on\("(\w+):(\w+)"/g)].map((m) => [m[1]!, m[2]!] as const));
    expect(handlers.length).toBeGreaterThan(10);
    for (const [contract, ev] of handlers) expect(events[contract], `${contract}:${ev}`).toContain(ev);
  });
});

// ============================================================ 6. the protocol fee

describe("V15 the removed protocol-fee guard", () => {
  it("ACCEPTED V15-9: the comment beside `_treasury += protocolFee` said \"never zero: governance keeps taskFee > 0\" (corrected since): that is not what governance enforces: taskFee 0 is allowed with protocolFeeBps > 0, so at 1 bps a task with budgets under 10,000 wei (nodeBudget 0, evalBudget 3 wei, minFeePerMember 1 wei) pays a protocol fee of exactly 0; the unconditional add of 0 is harmless (treasury unchanged, balance == accounted) and its cancellation refunds all it paid, as before 5f57d91 (the removed `if (protocolFee != 0)` only skipped the write)", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const g = toGovernanceTuple(c.params.governance);
    g.tasks.taskFee = 0n;
    g.tasks.protocolFeeBps = 1;
    g.tasks.minFeePerMember = 1n;
    await c.poq.write.setParams([g]);
    const before = await c.token.read.balanceOf([requester]);
    const hash = await c.poq.write.createTask([c.spec(nodes, { nodeBudget: 0n, evalBudget: 3n })], { account: requester });
    const ev = parseEventLogs({ abi: c.poq.abi, logs: (await c.publicClient.getTransactionReceipt({ hash })).logs }).filter((l) => l.eventName === "TaskCreated") as unknown as {
      args: { fee: bigint; protocolFee: bigint };
    }[];
    expect([ev[0]!.args.fee, ev[0]!.args.protocolFee]).toEqual([1n, 0n]);
    expect(await totals(c)).toEqual([3n, 0n, 0n, 0n]);
    expect(before - (await c.token.read.balanceOf([requester]))).toBe(3n);
    await expectBalanced(c);
    await c.networkHelpers.mine(300);
    await c.poq.write.drawCommittee([1n]);
    await c.poq.write.claim([requester], { account: requester });
    expect(await c.token.read.balanceOf([requester])).toBe(before);
    expect(await totals(c)).toEqual([0n, 0n, 0n, 0n]);
    await expectBalanced(c);
  }, 60_000);
});
