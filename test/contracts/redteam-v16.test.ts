/**
 * Red team v16 (seventeenth review): the storage commits c12528c and 708bff1, as an attacker.
 *
 *  1. c12528c: a task keeps its two blobs' CREATE nonces (uint32 each), not their addresses;
 *     `TaskBlob.at(nonce)` recomputes keccak256(rlp([address(this), nonce])) (also inside the
 *     delegatecalled TaskSettlement; Sealing is handed the address) and ProofOfQuality counts its CREATEs in
 *     `_blobs` (uint32, in the word of `_taskCount`, `_paramsVersion`, `_escrow`); a write that
 *     does not land at `at(nonce)` reverts BlobWriteFailed.
 *  2. 708bff1: the task blob keeps keccak256(abi.encodePacked(queryHash, outputHashes)) instead
 *     of the hashes (hashed in memory past the blob's bytes, after the free memory pointer was
 *     moved); `getTask` returns `contentHash`, `getOutputs` only the nodes. The off-chain
 *     readers (TaskCreated + contentFromLogs) are attacked in test/chain/task-content.test.ts
 *     (V16-10 .. V16-15).
 *
 * Labels: "HOLDS V16-n" asserts the attack fails; "ACCEPTED V16-n" asserts a documented residual.
 * Figures use DEV_PROTOCOL_PARAMS (fee 2 a member, node budget 100, taskFee 0.1, k 3).
 *
 * No Solidity is added: the contract-shaped attackers (a forwarder that swallows a failed call,
 * and a log emitter) are raw EVM bytecode assembled below, as V15-5's randomness source was.
 */
import { describe, expect, it } from "vitest";
import {
  concat,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  numberToHex,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
} from "viem";
import { contentHashOf } from "../../oracle/contract/content.js";
import { TaskStatus } from "../../oracle/rules/index.js";
import { E18, setupChain } from "./helpers.js";
import { expectBalanced } from "./settlement-helpers.js";
import { oneBlock, reverts } from "./sealed-helpers.js";
import { blobsIn, decodeFwd, deployRaw, failureRuns, fundedForwarder, fwd, initcodeFor, leastGas, nonceOf, packedSlot, readSlot } from "./raw-forwarder.js";

const U32 = (1n << 32n) - 1n;
const ZERO32: Hex = `0x${"00".repeat(32)}`;
const sel = (sig: string) => keccak256(toHex(sig)).slice(0, 10);
const BLOB_WRITE_FAILED = sel("BlobWriteFailed()");
const GUARD = sel("ReentrancyGuardReentrantCall()");
const INSUFFICIENT_BALANCE = sel("ERC20InsufficientBalance(address,uint256,uint256)");

// ------------------------------------------------------------------------------------ helpers

/** calldata = t0 | t1 | t2 | t3 | data: emits log4(data, t0, t1, t2, t3) (a forger of any event). */
const EMITTER_RUNTIME = [
  "6080360380608060003" + "7", // len = calldatasize - 0x80; calldatacopy(0, 0x80, len)
  "606035604035602035600035", // t3, t2, t1, t0
  "84600" + "0a4", // log4(0, len, t0, t1, t2, t3)
  "00",
].join("");

/** The address `TaskBlob.at(nonce)` computes for `from` (for nonce 0: the 0x00 byte it writes). */
const atOf = (from: Address, nonce: bigint): Address =>
  nonce === 0n ? (`0x${keccak256(concat(["0xd694", from, "0x00"])).slice(26)}` as Address) : getContractAddress({ from, nonce });

/** The exact code of a task blob (708bff1 layout). */
function taskBlobCode(cw: number, rw: number, requester: Address, fee: bigint, content: Hex, nodes: readonly Address[]): Hex {
  return concat([
    "0x00",
    numberToHex(cw, { size: 4 }),
    numberToHex(rw, { size: 4 }),
    requester,
    numberToHex(fee, { size: 12 }),
    content,
    ...nodes,
  ]).toLowerCase() as Hex;
}

const h32 = (s: string): Hex => keccak256(toHex(s));

// ================================================================ 1. blob nonces (c12528c)

describe("V16 blob nonces: TaskBlob.at and the CREATE count", () => {
  it("HOLDS V16-1: TaskBlob.at(n) equals viem's getContractAddress(creator, n) for EVERY n in 1..0x1ff, at each RLP length boundary +-1 (0x7f/0x80, 0xff/0x100, 0xffff/0x10000, 0xffffff/0x1000000, 2^32 - 1) and for 64 pseudo-random nonces of each byte length 1..4 (a wrong length byte or list prefix would miss one class); outside the callers' domain it is knowingly different: at(0) writes nonce 0 as the byte 0x00, not RLP's 0x80, so it is not the nonce-0 CREATE address (a contract never uses nonce 0; a task's committee nonce 0 means 'not drawn'), and at(2^32) (5-byte nonce) is not the CREATE address either: no caller can pass it (task fields uint32, `_blobs` checked)", async () => {
    const c = await setupChain();
    const h = await c.viem.deployContract("TaskBlobHarness");
    const nonces = new Set<bigint>();
    for (let n = 1n; n <= 0x1ffn; n++) nonces.add(n);
    for (const b of [0x7fn, 0xffn, 0xffffn, 0xffffffn]) for (const d of [-1n, 0n, 1n, 2n]) nonces.add(b + d);
    nonces.add(U32 - 1n);
    nonces.add(U32);
    // 64 deterministic nonces of each byte length (the top byte nonzero)
    for (let len = 1; len <= 4; len++)
      for (let i = 0; i < 64; i++) {
        const r = BigInt(h32(`v16-1-${len}-${i}`)) % (1n << BigInt(8 * len));
        nonces.add(r | (1n << BigInt(8 * len - 1)));
      }
    const list = [...nonces];
    const got = await Promise.all(list.map((n) => h.read.at([n])));
    const wrong = list.filter((n, i) => got[i]!.toLowerCase() !== getContractAddress({ from: h.address, nonce: n }).toLowerCase());
    expect(wrong).toEqual([]);
    expect(list.length).toBeGreaterThan(700);

    // at(0): a non-canonical encoding no CREATE produces (CREATE2 hashes 85 bytes from 0xff)
    const at0 = await h.read.at([0n]);
    expect(at0.toLowerCase()).toBe(atOf(h.address, 0n).toLowerCase());
    expect(at0.toLowerCase()).not.toBe(getContractAddress({ from: h.address, nonce: 0n }).toLowerCase());
    // at(2^32): precondition, the callers' counters are uint32
    expect((await h.read.at([1n << 32n])).toLowerCase()).not.toBe(getContractAddress({ from: h.address, nonce: 1n << 32n }).toLowerCase());
  }, 60_000);

  it("HOLDS V16-2: unknown, pending and cancelled tasks never read a foreign contract: their committee nonce is 0 and at(0) for ProofOfQuality has no code, nonce 0, balance 0; getTask(0 | 999) is all zero (it returns before any blob read), getOutputs(999) [], getCommittee(999) ([], 0, []), getCommittee(pending | cancelled) ([], 2, []): the fee from the task's own blob; getMember(...).isMember false. Even with code PLANTED at at(0) (setCode: a stand-in, nobody can create there) listing evaluator E as a committee entry with weight 1: getMember(pending | cancelled | 999, E) stays (false, false, false), getCommittee of the pending and cancelled tasks stays empty, commit by E reverts TaskNotOpen / UnknownTask; only getCommittee(999).fee echoes the planted bytes. The pending task then draws and settles normally: the delegatecalled TaskSettlement reads its 3 members and 2 nodes through at() (EvaluatorSettled and OutputSettled name exactly them, both outputs scored 9,000 / 8,000 pay their node > 0, credited as its pending payout)", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const at0 = atOf(c.poq.address, 0n);
    expect(await c.publicClient.getCode({ address: at0 })).toBeUndefined();
    expect(await nonceOf(c, at0)).toBe(0n);
    expect(await c.publicClient.getBalance({ address: at0 })).toBe(0n);

    const pending = await c.create(requester, c.spec(nodes));
    const cancelled = await c.create(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18 })); // 3 evaluators
    await c.poq.write.drawCommittee([cancelled]);
    expect((await c.poq.read.getTask([cancelled])).status).toBe(TaskStatus.CANCELLED);
    const E = evs[0]!;

    const look = async () => ({
      unknown: {
        task: await c.poq.read.getTask([999n]),
        zero: await c.poq.read.getTask([0n]),
        outputs: await c.poq.read.getOutputs([999n]),
        committee: await c.poq.read.getCommittee([999n]),
        member: await c.poq.read.getMember([999n, E]),
      },
      pending: { committee: await c.poq.read.getCommittee([pending]), member: await c.poq.read.getMember([pending, E]) },
      cancelled: { committee: await c.poq.read.getCommittee([cancelled]), member: await c.poq.read.getMember([cancelled, E]) },
    });
    const before = await look();
    for (const t of [before.unknown.task, before.unknown.zero]) {
      expect(t.status).toBe(TaskStatus.NONE);
      expect(t.requester).toBe("0x0000000000000000000000000000000000000000");
      expect(t.fee).toBe(0n);
      expect(t.contentHash).toBe(ZERO32);
      expect(t.commitWindow).toBe(0);
    }
    expect(before.unknown.outputs).toEqual([]);
    expect(before.unknown.committee).toEqual([[], 0n, []]);
    for (const x of [before.pending, before.cancelled]) expect(x.committee).toEqual([[], 2n * E18, []]);
    for (const m of [before.unknown.member, before.pending.member, before.cancelled.member]) expect(m.slice(0, 3)).toEqual([false, false, false]);

    // the stand-in: code at at(0) whose first committee entry is E (weight 1), then 0xee bytes
    const planted = concat(["0x00", E, numberToHex(1n, { size: 6 }), `0x${"ee".repeat(32)}`]);
    await c.networkHelpers.setCode(at0, planted);
    const after = await look();
    expect(after.unknown.task).toEqual(before.unknown.task);
    expect(after.unknown.zero).toEqual(before.unknown.zero);
    expect(after.unknown.outputs).toEqual([]);
    expect(after.unknown.committee[0]).toEqual([]);
    expect(after.unknown.committee[1]).not.toBe(0n); // the only echo: an unknown id's fee
    expect(after.pending).toEqual(before.pending);
    expect(after.cancelled).toEqual(before.cancelled);
    for (const m of [after.unknown.member, after.pending.member, after.cancelled.member]) expect(m.slice(0, 3)).toEqual([false, false, false]);
    const cm = h32("commitment");
    await reverts(c.poq.write.commit([pending, cm], { account: E }), "TaskNotOpen", [pending]);
    await reverts(c.poq.write.commit([cancelled, cm], { account: E }), "TaskNotOpen", [cancelled]);
    await reverts(c.poq.write.commit([999n, cm], { account: E }), "UnknownTask", [999n]);
    await c.networkHelpers.setCode(at0, "0x");

    const { members } = await c.draw(pending);
    expect(members.length).toBe(3);
    await c.play(pending, members, members.map(() => [9_000, 8_000]));
    const fin = await c.publicClient.waitForTransactionReceipt({ hash: await c.finalize(pending) });
    expect((await c.poq.read.getTask([pending])).status).toBe(TaskStatus.FINALIZED);
    // TaskSettlement (a delegatecalled library) found the committee and the nodes through at():
    // address(this) there is ProofOfQuality
    expect(parseEventLogs({ abi: c.poq.abi, logs: fin.logs, eventName: "EvaluatorSettled" }).map((e) => e.args.evaluator)).toEqual(members);
    const outs = parseEventLogs({ abi: c.poq.abi, logs: fin.logs, eventName: "OutputSettled" });
    expect(outs.map((e) => e.args.node)).toEqual(nodes);
    for (const [j, n] of nodes.entries()) {
      expect(outs[j]!.args.pay).toBeGreaterThan(0n);
      expect((await c.poq.read.getNode([n])).pending).toBe(outs[j]!.args.pay);
    }
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V16-3: a failed createTask swallowed by an outer contract's try/catch never desynchronises ProofOfQuality's nonce from `_blobs + 1`. A raw-bytecode forwarder F (the requester) calls createTask (m = 15) with a chosen gas, ignores the failure, then calls createTask again in the SAME transaction. Swept over 2,000 gas values below the least that succeeds (G*), call 1 fails in exactly three ways, in gas order: out of gas before the CREATE (no data), BlobWriteFailed (the CREATE itself ran out of gas: it bumped the nonce and returned 0, and the check caught it: a window over 50,000 gas wide at m = 15), and out of gas after a SUCCESSFUL CREATE (no data); plus call 1 failing in _pull after the CREATE (ERC20InsufficientBalance: a budget above F's balance). In each of the four cases the transaction succeeds, the second task's blob lands at the nonce call 1 had used (its CREATE was undone with its frame) and holds the second task's content, PoQ's nonce is exactly 1 more and `_blobs` = nonce - 1; a multicall of two valid createTasks and one over-budget one reverts as a whole (nonce and `_blobs` unchanged); a plain createTask afterwards lands at its nonce", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(15);
    const F = await fundedForwarder(c, 10_000n * E18);
    const createData = (tag: string, over = {}) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [c.spec(nodes, { queryHash: h32(tag), ...over })] });
    const probe = async (gas1: bigint, data1: Hex) => {
      const r = await c.publicClient.call({ to: F, data: fwd(c.poq.address, gas1, data1, encodeFunctionData({ abi: c.poq.abi, functionName: "taskCount" })), gas: 10_000_000n });
      return decodeFwd(r.data!);
    };
    const first = createData("first");
    const gStar = await leastGas((g) => probe(g, first), 2_000_000n);
    // classify call 1 over [G* - 200,000, G*) in steps of 100 gas
    const runs = await failureRuns((g) => probe(g, first), gStar - 200_000n, 100n, 2_000);
    expect(runs.map((x) => x.kind)).toEqual(["oog", BLOB_WRITE_FAILED, "oog"]);
    const bwf = runs[1]!;
    console.info(`V16-3: G* = ${gStar}; call 1 out of gas before the CREATE up to ${runs[0]!.to}, BlobWriteFailed ${bwf.from}..${bwf.to}, out of gas after it ${runs[2]!.from}..${runs[2]!.to}`);
    expect(bwf.to - bwf.from).toBeGreaterThan(50_000n);
    const cases: { name: string; gas1: bigint; data1: Hex; revert: string }[] = [
      { name: "oog before CREATE", gas1: runs[0]!.to, data1: first, revert: "0x" },
      { name: "CREATE out of gas", gas1: (bwf.from + bwf.to) / 2n, data1: first, revert: BLOB_WRITE_FAILED },
      { name: "oog after CREATE", gas1: runs[2]!.from + 1_000n, data1: first, revert: "0x" },
      { name: "pull fails after CREATE", gas1: 5_000_000n, data1: createData("too big", { nodeBudget: 20_000n * E18 }), revert: INSUFFICIENT_BALANCE },
    ];
    const slot = await packedSlot(c);
    for (const [i, k] of cases.entries()) {
      const n0 = await nonceOf(c, c.poq.address);
      const count0 = await c.poq.read.taskCount();
      expect(await blobsIn(c, slot)).toBe(n0 - 1n);
      const r = await probe(k.gas1, k.data1);
      expect(r.ok1, k.name).toBe(false);
      expect(r.data.slice(0, k.revert === "0x" ? 2 : 10), k.name).toBe(k.revert);
      const secondTag = `second-${i}`;
      const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, k.gas1, k.data1, createData(secondTag)), gas: 10_000_000n });
      expect((await c.publicClient.waitForTransactionReceipt({ hash })).status, k.name).toBe("success");
      const id = await c.poq.read.taskCount();
      expect(id, k.name).toBe(count0 + 1n);
      expect(await nonceOf(c, c.poq.address), k.name).toBe(n0 + 1n);
      expect(await blobsIn(c, slot), k.name).toBe(n0);
      const content = contentHashOf(h32(secondTag), nodes.map((_, j) => h32(`output-${j}`)));
      expect((await c.poq.read.getTask([id])).contentHash, k.name).toBe(content);
      expect(await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: n0 }) }), k.name).toBe(
        taskBlobCode(60, 60, F, 2n * E18, content, nodes),
      );
    }

    // a multicall with one failing create reverts whole
    const requester = (await c.actor(1)).address;
    const n1 = await nonceOf(c, c.poq.address);
    const spec = (q: string, over = {}) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [c.spec(nodes, { queryHash: h32(q), ...over })] });
    await expect(c.poq.write.multicall([[spec("m1"), spec("m2"), spec("m3", { nodeBudget: 2_000_000n * E18 })]], { account: requester })).rejects.toThrow(/e450d38c|InsufficientBalance/);
    expect(await nonceOf(c, c.poq.address)).toBe(n1);
    expect(await blobsIn(c, slot)).toBe(n1 - 1n);
    const id = await c.create(requester, c.spec(nodes, { queryHash: h32("after") }));
    expect((await c.poq.read.getTask([id])).contentHash).toBe(contentHashOf(h32("after"), nodes.map((_, j) => h32(`output-${j}`))));
    // the reverted multicall's nonce n1 went to this task: its blob (STOP, then the windows, then the requester at byte 9)
    const after = (await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: n1 }) })) ?? "0x";
    expect(after.slice(0, 4)).toBe("0x00");
    expect(BigInt(`0x${after.slice(2 + 18, 2 + 58)}`)).toBe(BigInt(requester));
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V16-4: a requester that is a contract, paid in a token that calls it back from inside createTask's pull (after the blob's CREATE, before the task is complete), cannot CREATE in between: its re-entry into multicall([createTask]) and into drawCommittee(pending task) both fail ReentrancyGuardReentrantCall (the token swallows the failure, the outer createTask completes); the outer task's blob is at the nonce it was given, one task and one blob per outer call (nonce +1, `_blobs` = nonce - 1), the pending task is drawn afterwards at the next nonce, and balance == accounted", async () => {
    const c = await setupChain({ reentrantToken: true });
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const pending = await c.create(requester, c.spec(nodes));
    const F = await fundedForwarder(c, 10_000n * E18);
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    const count = encodeFunctionData({ abi: c.poq.abi, functionName: "taskCount" });
    const create = (tag: string) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [c.spec(nodes, { queryHash: h32(tag) })] });
    const reentries: Hex[] = [
      encodeFunctionData({ abi: c.poq.abi, functionName: "multicall", args: [[create("inner")]] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittee", args: [pending] }),
    ];
    const slot = await packedSlot(c);
    for (const [i, inner] of reentries.entries()) {
      const n0 = await nonceOf(c, c.poq.address);
      const count0 = await c.poq.read.taskCount();
      // the token calls F back (from == F) with: try `inner`, then taskCount()
      await token.write.arm([F, fwd(c.poq.address, 5_000_000n, inner, count), false]);
      const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, 8_000_000n, create(`outer-${i}`), count), gas: 12_000_000n });
      expect((await c.publicClient.waitForTransactionReceipt({ hash })).status).toBe("success");
      expect(await token.read.armed()).toBe(false); // it fired
      expect(await token.read.lastReentrySucceeded()).toBe(true); // F itself returned
      const innerResult = decodeFwd(await token.read.lastReentryData());
      expect(innerResult.ok1).toBe(false);
      expect(innerResult.data).toBe(GUARD);
      expect(await c.poq.read.taskCount()).toBe(count0 + 1n);
      expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
      expect(await blobsIn(c, slot)).toBe(n0);
      const content = contentHashOf(h32(`outer-${i}`), nodes.map((_, j) => h32(`output-${j}`)));
      expect((await c.poq.read.getTask([count0 + 1n])).contentHash).toBe(content);
      expect(await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: n0 }) })).toBe(taskBlobCode(60, 60, F, 2n * E18, content, nodes));
    }
    expect((await c.poq.read.getTask([pending])).status).toBe(TaskStatus.PENDING);
    const n2 = await nonceOf(c, c.poq.address);
    const { members } = await c.draw(pending);
    const code = await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: n2 }) });
    expect(members.map((m) => m.toLowerCase())).toEqual([0, 1, 2].map((i) => `0x${code!.slice(4 + 52 * i, 4 + 52 * i + 40)}`));
    await expectBalanced(c);
  }, 60_000);

  it("ACCEPTED V16-5: `_blobs` is ProofOfQuality's lifetime: 2^32 - 1 CREATEs. At the edge (PoQ's nonce set to 2^32 - 1, `_blobs` to 2^32 - 2) a task is still created, its blob at the 4-byte nonce 0xffffffff (the address viem gives; getTask / getOutputs read it back), but its draw reverts Panic(0x11) (no nonce left for the committee) and so does every later createTask; the stuck task's escrow is not lost: after its seed block's hash expires (257 blocks) the draw cancels it (no CREATE) and credits its 106 to the requester. Exhausting the count costs the attacker at least (2^32 - 1) x the gas of the cheapest blob (measured here: a k = 3, m = 1 createTask about 220,000 gas, its draw about 200,000 to 225,000, seed-dependent; asserted > 200,000 and > 150,000): more than 6 x 10^14 gas, plus ~2^32 protocol fees of 0.1 token if only creates are used", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    // the cheapest blob: a minimal task
    const hash = await c.poq.write.createTask([c.spec(nodes)], { account: requester });
    const createGas = (await c.publicClient.waitForTransactionReceipt({ hash })).gasUsed;
    const drawHash = await c.poq.write.drawCommittee([1n]);
    const drawGas = (await c.publicClient.waitForTransactionReceipt({ hash: drawHash })).gasUsed;
    expect(createGas).toBeGreaterThan(200_000n);
    expect(drawGas).toBeGreaterThan(150_000n);
    const cheapest = createGas < drawGas ? createGas : drawGas;
    expect(cheapest * U32).toBeGreaterThan(6n * 10n ** 14n);
    console.info(`V16-5: createTask (k 3, m 1) ${createGas} gas, draw ${drawGas} gas: 2^32 - 1 blobs >= ${(cheapest * U32) / 10n ** 12n} x 10^12 gas`);

    const slot = await packedSlot(c);
    const word = await readSlot(c, c.poq.address, slot);
    await c.networkHelpers.setNonce(c.poq.address, U32);
    await c.networkHelpers.setStorageAt(c.poq.address, slot, numberToHex((word & ((1n << 224n) - 1n)) | ((U32 - 1n) << 224n), { size: 32 }));
    const last = await c.create(requester, c.spec(nodes, { queryHash: h32("last") }));
    const blobAddr = getContractAddress({ from: c.poq.address, nonce: U32 });
    expect(await c.publicClient.getCode({ address: blobAddr })).toBe(taskBlobCode(60, 60, requester, 2n * E18, contentHashOf(h32("last"), [h32("output-0")]), nodes));
    const t = await c.poq.read.getTask([last]);
    expect([t.requester, t.fee, t.contentHash]).toEqual([requester, 2n * E18, contentHashOf(h32("last"), [h32("output-0")])]);
    expect(await c.poq.read.getOutputs([last])).toEqual(nodes);
    expect(await blobsIn(c, slot)).toBe(U32);
    await reverts(c.poq.write.drawCommittee([last]), "Panic", [0x11n]);
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: requester }), "Panic", [0x11n]);
    expect((await c.poq.read.getTask([last])).status).toBe(TaskStatus.PENDING);
    const claimable0 = await c.poq.read.claimableOf([requester]);
    await c.networkHelpers.mine(257);
    await c.poq.write.drawCommittee([last]);
    expect((await c.poq.read.getTask([last])).status).toBe(TaskStatus.CANCELLED);
    expect((await c.poq.read.claimableOf([requester])) - claimable0).toBe(106n * E18);
    expect(await blobsIn(c, slot)).toBe(U32);
    await expectBalanced(c);
  }, 60_000);
});

// ================================================================ 2. the content hash (708bff1)

describe("V16 the task blob's content hash", () => {
  it("HOLDS V16-6: hashing past the blob's bytes after moving the free memory pointer corrupts nothing. Harness, m = 1..15, with every field at its widest (windows 2^32 - 1 each, requester 0xff..ff, fee 2^96 - 1, node addresses 0xff..ff - j, distinct output hashes): the blob lands at its nonce, windows, nodes and content (= contentHashOf) read back exactly; a real m = 15 blob is exactly 1 + 8 + 32 + 32 + 20 x 15 = 373 bytes, byte for byte, and payerOf reads (0xff..ff, 2^96 - 1) both ways. ProofOfQuality, m = 15 with output hashes 0x00..00, 0xff..ff and 13 others: TaskCreated (ABI-encoded after the hash scribbled past the free memory pointer) decodes to exactly the spec sent, getTask.contentHash = contentHashOf(spec), getOutputs = the nodes, the blob's code is the exact 373 bytes; an m = 1 task right after is exact too", async () => {
    const c = await setupChain();
    const h = await c.viem.deployContract("TaskBlobHarness");
    const MAXA: Address = "0xffffffffffffffffffffffffffffffffffffffff";
    const windows = (U32 << 32n) | U32;
    const F96 = (1n << 96n) - 1n;
    for (let m = 1; m <= 15; m++) {
      const nonce = await nonceOf(c, h.address);
      const ns = Array.from({ length: m }, (_, j) => numberToHex(BigInt(MAXA) - BigInt(j), { size: 20 }) as Address);
      const hs = Array.from({ length: m }, (_, j) => h32(`v16-6-${m}-${j}`));
      const q = h32(`q-${m}`);
      const { result } = await h.simulate.roundTripTask([nonce, windows, MAXA, F96, q, ns, hs]);
      const [pointer, cw, rw, content, n] = result;
      expect(pointer).toBe(getContractAddress({ from: h.address, nonce }));
      expect([cw, rw]).toEqual([U32, U32]);
      expect(content).toBe(contentHashOf(q, hs));
      expect(n.map((x) => x.toLowerCase())).toEqual(ns.map((x) => x.toLowerCase()));
      if (m === 15) {
        await h.write.roundTripTask([nonce, windows, MAXA, F96, q, ns, hs]);
        const code = (await c.publicClient.getCode({ address: pointer }))!;
        expect((code.length - 2) / 2).toBe(373);
        expect(code).toBe(taskBlobCode(Number(U32), Number(U32), MAXA, F96, contentHashOf(q, hs), ns));
        const [a, f, a2, f2] = await h.read.payerOf([pointer]);
        expect([a.toLowerCase(), f, a2.toLowerCase(), f2]).toEqual([MAXA, F96, MAXA, F96]);
      }
    }

    await c.evaluators(3);
    const nodes = await c.nodes(15);
    const requester = (await c.actor(1)).address;
    const hashes = nodes.map((_, j) => (j === 0 ? ZERO32 : j === 1 ? (`0x${"ff".repeat(32)}` as Hex) : h32(`o-${j}`)));
    for (const spec of [c.spec(nodes, { outputHashes: hashes, queryHash: `0x${"ff".repeat(32)}` }), c.spec(nodes.slice(0, 1), { outputHashes: [ZERO32], queryHash: ZERO32 })]) {
      const n0 = await nonceOf(c, c.poq.address);
      const tx = await c.poq.write.createTask([spec], { account: requester });
      const rc = await c.publicClient.waitForTransactionReceipt({ hash: tx });
      const ev = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCreated" })[0]!.args;
      expect(ev.spec).toEqual(spec);
      const id = ev.taskId;
      const content = contentHashOf(spec.queryHash, spec.outputHashes);
      expect((await c.poq.read.getTask([id])).contentHash).toBe(content);
      expect(await c.poq.read.getOutputs([id])).toEqual(spec.nodes);
      expect(await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: n0 }) })).toBe(taskBlobCode(60, 60, requester, 2n * E18, content, spec.nodes));
    }
  }, 60_000);

  it("HOLDS V16-7: abi.encodePacked(bytes32, bytes32[]) is unambiguous (every element is one 32-byte word and the query hash is always the first): five tasks with the same words in other roles or orders, (q, [a, b]), (q, [b, a]), (a, [q, b]), (q, [a]) + 1 node, (q, [a, b, b]) + 3 nodes, get five different content hashes, each = keccak256(q || hashes); two tasks with the SAME content (any requester, any nodes, any id) share one content hash (it names the content, not the task: either one's TaskCreated log gives the same hashes); swapping the nodes keeps the content hash and changes getOutputs, so each output's node comes from the blob and its hash from the log, both fixed at creation", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(3);
    const [r1, r2] = [(await c.actor(1)).address, (await c.actor(2)).address];
    const [q, a, b] = [h32("q"), h32("a"), h32("b")];
    const variants: [Hex, Hex[], Address[]][] = [
      [q, [a, b], nodes.slice(0, 2)],
      [q, [b, a], nodes.slice(0, 2)],
      [a, [q, b], nodes.slice(0, 2)],
      [q, [a], nodes.slice(0, 1)],
      [q, [a, b, b], nodes],
    ];
    const got: Hex[] = [];
    for (const [qq, hs, ns] of variants) {
      const id = await c.create(r1, c.spec(ns, { queryHash: qq, outputHashes: hs }));
      const ch = (await c.poq.read.getTask([id])).contentHash;
      expect(ch).toBe(keccak256(concat([qq, ...hs])));
      got.push(ch);
    }
    expect(new Set(got).size).toBe(5);
    const same = await c.create(r2, c.spec([nodes[1]!, nodes[0]!], { queryHash: q, outputHashes: [a, b], k: 3 }));
    expect((await c.poq.read.getTask([same])).contentHash).toBe(got[0]);
    expect(await c.poq.read.getOutputs([same])).toEqual([nodes[1], nodes[0]]);
    expect(await c.poq.read.getOutputs([1n])).toEqual([nodes[0], nodes[1]]);
  }, 60_000);

  it("HOLDS V16-8: a TaskCreated log cannot be made ambiguous on chain: a contract that emits a byte-exact forged TaskCreated (same topics: the task's id, requester and profile hash; a spec with another query hash) in the SAME block as the real createTask is a different log address; the real task's log is the only PoQ log with that id in the block, and it alone hashes to getTask.contentHash (the forged one does not); two tasks created in one multicall (same block, same seedBlock) each have exactly one TaskCreated with their id", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    // emitter: calldata = t0 | t1 | t2 | t3 | data; log4(data, t0, t1, t2, t3)
    const emitter = await deployRaw(c, initcodeFor(EMITTER_RUNTIME));
    const ev = c.poq.abi.find((x) => x.type === "event" && x.name === "TaskCreated")! as { inputs: readonly { indexed?: boolean }[] };
    const realSpec = c.spec(nodes, { queryHash: h32("real query") });
    const forgedSpec = { ...realSpec, queryHash: h32("forged query") };
    const data = encodeAbiParameters(ev.inputs.filter((x) => !x.indexed) as never, [forgedSpec, 2n * E18, 0n] as never);
    const topics = encodeEventTopics({ abi: c.poq.abi, eventName: "TaskCreated", args: { taskId: 1n, requester, profileHash: realSpec.profileHash } }) as Hex[];
    expect(topics.length).toBe(4);
    const ts = (await c.now()) + 10n;
    const { statuses } = await oneBlock(c, ts, [
      () => c.admin.sendTransaction({ to: emitter, data: concat([...topics, data]), gas: 1_000_000n }),
      () => c.poq.write.createTask([realSpec], { account: requester, gas: 3_000_000n }),
    ]);
    expect(statuses).toEqual(["success", "success"]);
    const t = await c.poq.read.getTask([1n]);
    const all = await c.publicClient.getLogs({ fromBlock: t.seedBlock, toBlock: t.seedBlock });
    const parsed = parseEventLogs({ abi: c.poq.abi, logs: all, eventName: "TaskCreated" });
    expect(parsed.length).toBe(2); // the forgery decodes as a TaskCreated
    const forged = parsed.find((l) => l.address.toLowerCase() === emitter.toLowerCase())!;
    const real = parsed.find((l) => l.address.toLowerCase() === c.poq.address.toLowerCase())!;
    expect(forged.args.taskId).toBe(1n);
    expect(forged.args.spec.queryHash).toBe(h32("forged query"));
    expect(contentHashOf(forged.args.spec.queryHash, forged.args.spec.outputHashes)).not.toBe(t.contentHash);
    expect(contentHashOf(real.args.spec.queryHash, real.args.spec.outputHashes)).toBe(t.contentHash);
    const poqOnly = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "TaskCreated", args: { taskId: 1n }, fromBlock: t.seedBlock, toBlock: t.seedBlock });
    expect(poqOnly.length).toBe(1);

    // two tasks in one multicall: one log each, both in the same block
    const calls = ["m1", "m2"].map((tag) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [c.spec(nodes, { queryHash: h32(tag) })] }));
    await c.poq.write.multicall([calls], { account: requester });
    const [t2, t3] = [await c.poq.read.getTask([2n]), await c.poq.read.getTask([3n])];
    expect(t2.seedBlock).toBe(t3.seedBlock);
    for (const [id, tag, tt] of [[2n, "m1", t2], [3n, "m2", t3]] as const) {
      const logs = await c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "TaskCreated", args: { taskId: id }, fromBlock: tt.seedBlock, toBlock: tt.seedBlock });
      expect(logs.length).toBe(1);
      expect(logs[0]!.args.spec!.queryHash).toBe(h32(tag));
      expect(contentHashOf(logs[0]!.args.spec!.queryHash, logs[0]!.args.spec!.outputHashes)).toBe(tt.contentHash);
    }
  }, 60_000);
});

// ================================================================ 3. nothing else creates

/** Opcode counts of deployed code (PUSH data skipped, the trailing CBOR metadata cut off). */
function opcodeCounts(code: Hex, ops: readonly number[]) {
  const b = Buffer.from(code.slice(2), "hex");
  const meta = b.readUInt16BE(b.length - 2) + 2;
  const end = b.length - meta;
  const counts = new Map<number, number>(ops.map((o) => [o, 0]));
  for (let i = 0; i < end; i++) {
    const op = b[i]!;
    if (counts.has(op)) counts.set(op, counts.get(op)! + 1);
    if (op >= 0x60 && op <= 0x7f) i += op - 0x5f;
  }
  return ops.map((o) => counts.get(o)!);
}

describe("V16 every CREATE of ProofOfQuality is counted", () => {
  it("HOLDS V16-9: the deployed code, disassembled (PUSH data skipped, metadata cut): ProofOfQuality has exactly 1 CREATE opcode (TaskBlob.deploy, which every blob write goes through, followed by the at(nonce) check) and no CREATE2; its linked libraries TaskSettlement, Sealing and Governance (delegatecalled: a CREATE there would bump ProofOfQuality's nonce behind `_blobs`) have neither; ProofOfQuality's nonce right after deployment is 1 (its constructor creates nothing), so the first task's blob is nonce 1", async () => {
    const c = await setupChain();
    const CREATE = 0xf0;
    const CREATE2 = 0xf5;
    const code = async (a: Address) => (await c.publicClient.getCode({ address: a }))!;
    expect(opcodeCounts(await code(c.poq.address), [CREATE, CREATE2])).toEqual([1, 0]);
    for (const lib of [c.settlement.address, c.sealing.address, c.governance.address]) expect(opcodeCounts(await code(lib), [CREATE, CREATE2])).toEqual([0, 0]);
    expect(await nonceOf(c, c.poq.address)).toBe(1n);
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const id = await c.create(requester, c.spec(nodes));
    expect(await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: 1n }) })).toBe(
      taskBlobCode(60, 60, requester, 2n * E18, (await c.poq.read.getTask([id])).contentHash, nodes),
    );
  }, 60_000);
});
