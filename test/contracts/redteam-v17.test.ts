/**
 * Red team v17 (eighteenth review): the batch entry points of 1d47807, as an attacker.
 *
 *  1. `createTasks(TaskSpec[])`: every spec checked by `_create` as `createTask` checks it, all
 *     records written one after the other into ONE task blob (STOP + records), one token pull
 *     (the sum of escrows and protocol fees); each task keeps the blob's nonce (`blob`) and its
 *     record's byte offset (`blobAt`, uint16) in word 1. EmptyBatch; BatchTooLarge when
 *     1 + sum(72 + 20 m) > 24,576; an m > 15 spec is sized 0 and refused by validation.
 *  2. `drawCommittees(uint256[])`: each PENDING task drawn as `drawCommittee` draws it, every
 *     drawn committee into ONE committee blob (STOP + 26 k bytes each), `committee` /
 *     `committeeAt` per task; non-pending tasks skipped, unknown ids UnknownTask, same-block
 *     draws DrawTooEarly, oversize BatchTooLarge; the free memory pointer is RESET to a mark
 *     between draws; no blob (and `_blobs` unchanged) when nothing was drawn.
 *  3. Every blob read goes through `TaskBlob.ref(nonce, base)` (Sealing and TaskSettlement too).
 *
 * Labels: "HOLDS V17-n" asserts the attack fails; "ACCEPTED V17-n" asserts a documented
 * residual; "FIXED V17-n" is a defect this review found, fixed in 4ec1761: V17-4 (the NatSpec and
 * docs/contract.md said a blob takes 264 tasks of m = 4; it takes 161) and V17-13 (at the end
 * of the blob lifetime drawCommittees reverted Panic(0x11) even when it would only cancel,
 * unlike drawCommittee); their tests assert the fixed behaviour. Figures use DEV_PROTOCOL_PARAMS (fee >= 0.1 a
 * member, taskFee 0.1 + 2 %, windows 10 s .. 1 day, evaluators cost 1).
 *
 * The differential draws use TaskSeededRandomness (seed = keccak256(salt, taskId)) or the block
 * seed (the seed block precedes the snapshot, so its hash is the same in every replay); "one by
 * one" is drawCommittee per task in successive blocks (deadlines compared relative to each
 * block), "same block" is a multicall of drawCommittee at the batch's timestamp (compared log
 * for log). No Solidity is added: the try/catch forwarder is V16's raw bytecode.
 */
import { describe, expect, it } from "vitest";
import {
  concat,
  encodeAbiParameters,
  encodeFunctionData,
  getContractAddress,
  keccak256,
  numberToHex,
  parseEventLogs,
  toHex,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { contentHashOf } from "../../oracle/contract/content.js";
import { Family, Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, actorAddress, setupChain, type Chain, type TaskSpecInput } from "./helpers.js";
import { expectBalanced, sameAddress, settledEvents } from "./settlement-helpers.js";
import { commitAll, finalizeSealed, keyedAccounts, oneBlock, prepare, revealSealed, reverts, sealedChainFor } from "./sealed-helpers.js";
import { blobsIn, decodeFwd, failureRuns, fundedForwarder, fwd, leastGas, nonceOf, packedSlot, readSlot } from "./raw-forwarder.js";

const U32 = (1n << 32n) - 1n;
const U40 = (1n << 40n) - 1n;
const ZERO: Address = "0x0000000000000000000000000000000000000000";
const MAX_SIZE = 24_576n;
const h32 = (s: string): Hex => keccak256(toHex(s));
const sel = (sig: string) => keccak256(toHex(sig)).slice(0, 10);
const BLOB_WRITE_FAILED = sel("BlobWriteFailed()");
const GUARD = sel("ReentrancyGuardReentrantCall()");
const TX_GAS = 16_000_000n;

// ------------------------------------------------------------------------------------ helpers

const blobAddr = (c: Chain, nonce: bigint) => getContractAddress({ from: c.poq.address, nonce });
const codeOf = async (c: Chain, nonce: bigint): Promise<Hex> => ((await c.publicClient.getCode({ address: blobAddr(c, nonce) })) ?? "0x").toLowerCase() as Hex;
const byteLen = (h: Hex) => BigInt((h.length - 2) / 2);

/** The slot of the `_tasks` mapping, found once from a known task (same layout on every chain). */
let TASKS_SLOT: bigint | undefined;
const taskBase = (id: bigint, p: bigint) => BigInt(keccak256(encodeAbiParameters([{ type: "uint256" }, { type: "uint256" }], [id, p])));

/** Word 1 of a task's TaskRecord, decoded (blob, committee, seedBlock, blobAt, committeeAt). */
async function word1(c: Chain, id: bigint) {
  if (TASKS_SLOT === undefined) {
    const t = await c.poq.read.getTask([id]);
    for (let p = 0n; p < 64n && TASKS_SLOT === undefined; p++) {
      const w0 = await readSlot(c, c.poq.address, taskBase(id, p));
      const w1 = await readSlot(c, c.poq.address, taskBase(id, p) + 1n);
      if ((w0 & 0xffn) === BigInt(t.status) && ((w1 >> 64n) & U40) === BigInt(t.seedBlock) && (w1 & U32) !== 0n) TASKS_SLOT = p;
    }
    if (TASKS_SLOT === undefined) throw new Error("_tasks slot not found");
  }
  const w = await readSlot(c, c.poq.address, taskBase(id, TASKS_SLOT) + 1n);
  return { blob: w & U32, committee: (w >> 32n) & U32, seedBlock: (w >> 64n) & U40, blobAt: (w >> 200n) & 0xffffn, committeeAt: (w >> 216n) & 0xffffn };
}

/** One task's record in a task blob (no STOP byte): windows, requester, fee, content hash, nodes. */
function taskRecord(cw: number, rw: number, requester: Address, fee: bigint, content: Hex, nodes: readonly Address[]): Hex {
  return concat([numberToHex(cw, { size: 4 }), numberToHex(rw, { size: 4 }), requester, numberToHex(fee, { size: 12 }), content, ...nodes]).toLowerCase() as Hex;
}
const taskSize = (m: number) => BigInt(72 + 20 * m);

/** One committee's record in a committee blob (no STOP byte): member (20) and weight (6) each. */
function committeeRecord(members: readonly Address[], weights: readonly bigint[]): Hex {
  return concat(members.flatMap((m, i) => [m, numberToHex(weights[i]!, { size: 6 })])).toLowerCase() as Hex;
}
const blob = (records: readonly Hex[]): Hex => concat(["0x00", ...records]).toLowerCase() as Hex;

const feeOf = (s: TaskSpecInput) => s.evalBudget / BigInt(s.k);
const escrowOf = (s: TaskSpecInput) => s.nodeBudget + feeOf(s) * BigInt(s.k);
/** DEV params: taskFee 0.1 + 200 bps of both budgets. */
const protocolFeeOf = (s: TaskSpecInput) => E18 / 10n + ((s.nodeBudget + feeOf(s) * BigInt(s.k)) * 200n) / 10_000n;
const recordOf = (s: TaskSpecInput, requester: Address) =>
  taskRecord(s.commitWindow, s.revealWindow, requester, feeOf(s), contentHashOf(s.queryHash, s.outputHashes), s.nodes);

const receipt = (c: Chain, hash: Hex) => c.publicClient.waitForTransactionReceipt({ hash });

/** createTasks from `from`: the ids (from a simulation of the same call), the receipt. */
async function createBatch(c: Chain, from: Address, specs: TaskSpecInput[], gas?: bigint) {
  const { result } = await c.poq.simulate.createTasks([specs], { account: from, ...(gas ? { gas } : {}) });
  const rc = await receipt(c, await c.poq.write.createTasks([specs], { account: from, ...(gas ? { gas } : {}) }));
  expect(rc.status).toBe("success");
  return { ids: [...result], rc };
}

async function installSeeds(c: Chain, tag = "poq.redteam-v17") {
  const src = await c.viem.deployContract("TaskSeededRandomness", [h32(tag)]);
  await c.poq.write.setRandomnessSource([src.address]);
  return src.address;
}

/** What a draw left for one task, deadlines relative to the drawing block. */
async function outcome(c: Chain, id: bigint, rc: TransactionReceipt) {
  const ts = (await c.publicClient.getBlock({ blockNumber: rc.blockNumber })).timestamp;
  const t = await c.poq.read.getTask([id]);
  const [members, fee, weights] = await c.poq.read.getCommittee([id]);
  const sampled = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" }).filter((e) => e.args.taskId === id);
  const cancelled = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" }).filter((e) => e.args.taskId === id);
  return {
    status: t.status,
    members: [...members],
    weights: [...weights],
    fee,
    deadlines: t.status === TaskStatus.OPEN ? [BigInt(t.commitDeadline) - ts, BigInt(t.revealDeadline) - ts] : [],
    sampled: sampled.map((e) => ({ seed: e.args.seed, members: e.args.members, fee: e.args.fee, cd: e.args.commitDeadline! - ts, rd: e.args.revealDeadline! - ts })),
    cancelled: cancelled.map((e) => e.args.refund),
  };
}
type Outcome = Awaited<ReturnType<typeof outcome>>;

const logsOf = (rc: TransactionReceipt) => rc.logs.map((l) => ({ address: l.address.toLowerCase(), topics: l.topics, data: l.data }));
const unique = (ids: readonly bigint[]) => [...new Set(ids)];

/**
 * Draws the PENDING tasks `ids` three ways from the same state: (1) drawCommittee one by one in
 * successive blocks, (2) one multicall of drawCommittee at timestamp ts, (3) drawCommittees(ids)
 * at ts (the state left afterwards). Asserts (3) = (1) task by task (status, members, weights,
 * fee, deadlines relative to the block, CommitteeSampled / TaskCancelled) and (3) = (2) log for
 * log and deadline for deadline. Returns the batch's outcomes, receipt and nonce.
 */
async function differential(c: Chain, ids: readonly bigint[], drawer?: Address) {
  const uniq = unique(ids);
  for (const id of uniq) expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.PENDING);
  const snap = await c.networkHelpers.takeSnapshot();
  const from = drawer ? { account: drawer } : {};
  const single = new Map<bigint, Outcome>();
  for (const id of uniq) single.set(id, await outcome(c, id, await receipt(c, await c.poq.write.drawCommittee([id], from))));
  await snap.restore();
  const ts = (await c.now()) + 50n;
  await c.networkHelpers.time.setNextBlockTimestamp(ts);
  const rcM = await receipt(c, await c.poq.write.multicall([uniq.map((id) => encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittee", args: [id] }))], { ...from, gas: TX_GAS }));
  expect(rcM.status).toBe("success");
  const sameBlock = new Map<bigint, [number, number]>();
  for (const id of uniq) {
    const t = await c.poq.read.getTask([id]);
    sameBlock.set(id, [t.commitDeadline, t.revealDeadline]);
  }
  await snap.restore();
  const n0 = await nonceOf(c, c.poq.address);
  await c.networkHelpers.time.setNextBlockTimestamp(ts);
  const rc = await receipt(c, await c.poq.write.drawCommittees([[...ids]], { ...from, gas: TX_GAS }));
  expect(rc.status).toBe("success");
  const batch = new Map<bigint, Outcome>();
  for (const id of uniq) {
    batch.set(id, await outcome(c, id, rc));
    expect(batch.get(id), `task ${id}`).toEqual(single.get(id));
    const t = await c.poq.read.getTask([id]);
    expect([t.commitDeadline, t.revealDeadline], `task ${id}`).toEqual(sameBlock.get(id));
  }
  expect(logsOf(rc)).toEqual(logsOf(rcM));
  return { batch, rc, n0, uniq };
}

/**
 * After a batch draw: the committee blob is STOP + the drawn tasks' records in list order; each
 * drawn task's word 1 has the blob's nonce and its offset; cancelled ones nonce 0, offset 0;
 * getMember of every evaluator matches its committee; PoQ's nonce moved by one iff something
 * was drawn.
 */
async function expectCommitteeBlob(c: Chain, r: Awaited<ReturnType<typeof differential>>, evaluators: readonly Address[]) {
  const records: Hex[] = [];
  let base = 0n;
  for (const id of r.uniq) {
    const o = r.batch.get(id)!;
    const w = await word1(c, id);
    if (o.status === TaskStatus.OPEN) {
      expect([w.committee, w.committeeAt], `task ${id}`).toEqual([r.n0, base]);
      const rec = committeeRecord(o.members, o.weights);
      records.push(rec);
      base += byteLen(rec);
    } else {
      expect(o.status).toBe(TaskStatus.CANCELLED);
      expect([w.committee, w.committeeAt], `task ${id}`).toEqual([0n, 0n]);
      expect(o.members).toEqual([]);
    }
    for (const e of evaluators) {
      const isMember = o.members.some((m) => sameAddress(m, e));
      expect((await c.poq.read.getMember([id, e]))[0], `task ${id} evaluator ${e}`).toBe(isMember);
    }
  }
  if (records.length > 0) {
    expect(await codeOf(c, r.n0)).toBe(blob(records));
    expect(await nonceOf(c, c.poq.address)).toBe(r.n0 + 1n);
  } else {
    expect(await codeOf(c, r.n0)).toBe("0x");
    expect(await nonceOf(c, c.poq.address)).toBe(r.n0);
  }
  return records;
}

// ================================================================ 1. createTasks: layout and atomicity

describe("V17 createTasks: one blob, one pull, the same checks", () => {
  it("HOLDS V17-1: a createTasks batch of m = 1, 4, 15, 2 (k 3, 4, 5, 32; windows 10/20, 3,600/7,200, 86,400/10, 10/86,400; refundTo another account, none, the requester itself, a fourth; budgets with odd wei) writes ONE blob at PoQ's nonce whose code is exactly STOP + the four records byte for byte; each task's word 1 holds that nonce and its offset (0, 92, 244, 616 = the sum of the records before it) and no committee; getTask (status PENDING, rule, family, k, m, nodeBudget, requester, fee = evalBudget / k, windows, refundTo, seedBlock, contentHash = contentHashOf, profileHash) and getOutputs read back ITS record; TaskCreated per task (ids consecutive, = the call's return) decodes to exactly its spec, fee and protocolFee; escrow and treasury grow by the sums, the requester pays exactly the sum once (one Transfer) and accountedBalance = balanceOf(PoQ); a second batch by another requester lands at the next nonce with that requester", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(15);
    const R = (await c.actor(1)).address;
    const R2 = (await c.actor(2)).address;
    const specs: TaskSpecInput[] = [
      c.spec(nodes.slice(0, 1), { k: 3, commitWindow: 10, revealWindow: 20, nodeBudget: E18 + 1n, evalBudget: 3n * (E18 / 10n) + 2n, refundTo: actorAddress(9), family: Family.SUMMARIZATION, rule: Rule.MEDIAN, queryHash: h32("q1") }),
      c.spec(nodes.slice(1, 5), { k: 4, commitWindow: 3_600, revealWindow: 7_200, nodeBudget: 0n, evalBudget: 10n * E18, family: Family.OPEN, rule: Rule.TRIMMED_MEAN, queryHash: h32("q2") }),
      c.spec([...nodes].reverse(), { k: 5, commitWindow: 86_400, revealWindow: 10, nodeBudget: 123_456n * E18 / 1_000n, evalBudget: 7n * E18 + 4n, refundTo: R, rule: Rule.MEAN, queryHash: h32("q3") }),
      c.spec([nodes[7]!, nodes[3]!], { k: 32, commitWindow: 10, revealWindow: 86_400, evalBudget: 96n * E18, refundTo: actorAddress(8), rule: Rule.TRUST_WEIGHTED_MEAN, queryHash: h32("q4") }),
    ];
    const n0 = await nonceOf(c, c.poq.address);
    const count0 = await c.poq.read.taskCount();
    const [esc0, , tre0] = await c.poq.read.totals();
    const bal0 = await c.token.read.balanceOf([R]);
    const { ids, rc } = await createBatch(c, R, specs);
    expect(ids).toEqual([1n, 2n, 3n, 4n].map((i) => count0 + i));
    expect(await c.poq.read.taskCount()).toBe(count0 + 4n);
    expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
    const code = await codeOf(c, n0);
    expect(code).toBe(blob(specs.map((s) => recordOf(s, R))));
    expect(byteLen(code)).toBe(1n + 92n + 152n + 372n + 112n);

    const events = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCreated" });
    expect(events.map((e) => e.args.taskId)).toEqual(ids);
    let base = 0n;
    for (const [i, s] of specs.entries()) {
      const id = ids[i]!;
      const ev = events[i]!.args;
      expect(ev.spec).toEqual(s);
      expect([ev.requester, ev.profileHash, ev.fee, ev.protocolFee]).toEqual([R, TEST_PROFILE, feeOf(s), protocolFeeOf(s)]);
      expect(await c.poq.read.protocolFeeFor([s.nodeBudget, feeOf(s) * BigInt(s.k)])).toBe(protocolFeeOf(s));
      const t = await c.poq.read.getTask([id]);
      expect(t.status).toBe(TaskStatus.PENDING);
      expect([t.rule, t.family, t.k, t.m, t.nodeBudget]).toEqual([s.rule, s.family, s.k, s.nodes.length, s.nodeBudget]);
      expect([t.requester, t.fee, t.commitWindow, t.revealWindow]).toEqual([R, feeOf(s), s.commitWindow, s.revealWindow]);
      expect(t.refundTo).toBe(s.refundTo === ZERO ? R : s.refundTo);
      expect(BigInt(t.seedBlock)).toBe(rc.blockNumber);
      expect(t.contentHash).toBe(contentHashOf(s.queryHash, s.outputHashes));
      expect(t.profileHash).toBe(TEST_PROFILE);
      expect([t.commits, t.reveals, t.commitDeadline, t.revealDeadline]).toEqual([0, 0, 0, 0]);
      expect(await c.poq.read.getOutputs([id])).toEqual(s.nodes);
      const [members, fee, weights] = await c.poq.read.getCommittee([id]);
      expect([members, fee, weights]).toEqual([[], feeOf(s), []]);
      const w = await word1(c, id);
      expect(w).toEqual({ blob: n0, committee: 0n, seedBlock: rc.blockNumber, blobAt: base, committeeAt: 0n });
      base += taskSize(s.nodes.length);
    }
    const sumEscrow = specs.reduce((a, s) => a + escrowOf(s), 0n);
    const sumFee = specs.reduce((a, s) => a + protocolFeeOf(s), 0n);
    const [esc1, , tre1] = await c.poq.read.totals();
    expect([esc1 - esc0, tre1 - tre0]).toEqual([sumEscrow, sumFee]);
    expect(bal0 - (await c.token.read.balanceOf([R]))).toBe(sumEscrow + sumFee);
    const transfers = parseEventLogs({ abi: c.token.abi, logs: rc.logs, eventName: "Transfer" });
    expect(transfers.length).toBe(1);
    expect([transfers[0]!.args.from!.toLowerCase(), transfers[0]!.args.to!.toLowerCase(), transfers[0]!.args.value]).toEqual([R.toLowerCase(), c.poq.address.toLowerCase(), sumEscrow + sumFee]);
    await expectBalanced(c);

    // a second requester's batch: the next nonce, its own requester in every record
    const specs2 = [c.spec(nodes.slice(2, 4), { queryHash: h32("r2-a") }), c.spec(nodes.slice(0, 1), { queryHash: h32("r2-b"), k: 4, evalBudget: 8n * E18 })];
    const b2 = await createBatch(c, R2, specs2);
    expect(await codeOf(c, n0 + 1n)).toBe(blob(specs2.map((s) => recordOf(s, R2))));
    for (const [i, id] of b2.ids.entries()) {
      expect((await c.poq.read.getTask([id])).requester).toBe(R2);
      expect(await word1(c, id)).toMatchObject({ blob: n0 + 1n, blobAt: i === 0 ? 0n : taskSize(2) });
      expect(await c.poq.read.getOutputs([id])).toEqual(specs2[i]!.nodes);
    }
    // the first batch still reads back (another blob did not shift anything)
    expect(await c.poq.read.getOutputs([ids[2]!])).toEqual(specs[2]!.nodes);
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V17-2: one invalid spec reverts the WHOLE batch with that spec's own error and changes nothing (taskCount, PoQ's nonce, the packed word with `_blobs` and escrow, totals, the requester's balance), wherever it sits: family 3 InvalidFamily(3), rule 5 InvalidRule(5), k 2 InvalidCommitteeSize(2, 3, 32), an unregistered node UnknownNode(node), m = 16 InvalidOutputCount(16), m = 0 InvalidOutputCount(0), 1,000 nodes InvalidOutputCount(1000) (sized 0, never an overlap), 2 nodes with 1 hash LengthMismatch(2, 1), commitWindow 9 InvalidWindows(9, 60), fee 0.1 - 1 wei FeeBelowMinimum, an unknown profile UnknownProfile; a batch whose token pull fails (after its CREATE) reverts ERC20InsufficientBalance and leaves no blob behind; an empty batch reverts EmptyBatch; the valid batch then lands at the nonce the failures would have used", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(16);
    const R = (await c.actor(1, 1_000n * E18)).address;
    const stranger = actorAddress(999);
    const ok = (tag: string) => c.spec(nodes.slice(0, 2), { queryHash: h32(tag) });
    const bad: { name: string; spec: TaskSpecInput; error: string; args: readonly unknown[]; at: number }[] = [
      { name: "family", spec: c.spec(nodes.slice(0, 2), { family: 3 }), error: "InvalidFamily", args: [3], at: 0 },
      { name: "rule", spec: c.spec(nodes.slice(0, 2), { rule: 5 }), error: "InvalidRule", args: [5], at: 1 },
      { name: "k", spec: c.spec(nodes.slice(0, 2), { k: 2 }), error: "InvalidCommitteeSize", args: [2n, 3n, 32n], at: 2 },
      { name: "unknown node", spec: c.spec([nodes[0]!, stranger]), error: "UnknownNode", args: [stranger], at: 1 },
      { name: "m = 16", spec: c.spec(nodes.slice(0, 16)), error: "InvalidOutputCount", args: [16n], at: 2 },
      { name: "m = 0", spec: c.spec([]), error: "InvalidOutputCount", args: [0n], at: 0 },
      { name: "m = 1000", spec: c.spec(Array.from({ length: 1_000 }, (_, j) => nodes[j % 16]!)), error: "InvalidOutputCount", args: [1000n], at: 1 },
      { name: "length", spec: c.spec(nodes.slice(0, 2), { outputHashes: [h32("only one")] }), error: "LengthMismatch", args: [2n, 1n], at: 1 },
      { name: "windows", spec: c.spec(nodes.slice(0, 2), { commitWindow: 9 }), error: "InvalidWindows", args: [9n, 60n], at: 2 },
      { name: "fee", spec: c.spec(nodes.slice(0, 2), { evalBudget: 3n * (E18 / 10n) - 3n }), error: "FeeBelowMinimum", args: [E18 / 10n - 1n, E18 / 10n], at: 1 },
      { name: "profile", spec: c.spec(nodes.slice(0, 2), { profileHash: h32("no such profile") }), error: "UnknownProfile", args: [h32("no such profile")], at: 2 },
    ];
    const slot = await packedSlot(c);
    const snapshot = async () => ({
      count: await c.poq.read.taskCount(),
      nonce: await nonceOf(c, c.poq.address),
      word: await readSlot(c, c.poq.address, slot),
      totals: await c.poq.read.totals(),
      balance: await c.token.read.balanceOf([R]),
    });
    const before = await snapshot();
    for (const b of bad) {
      const batch = [ok("a"), ok("b")];
      batch.splice(b.at, 0, b.spec);
      await reverts(c.poq.write.createTasks([batch], { account: R }), b.error, b.args);
      expect(await snapshot(), b.name).toEqual(before);
    }
    // the pull fails after the blob's CREATE: no blob, nothing stored
    await expect(c.poq.write.createTasks([[ok("a"), c.spec(nodes.slice(0, 1), { nodeBudget: 2_000n * E18 })]], { account: R })).rejects.toThrow(/e450d38c|InsufficientBalance/);
    expect(await snapshot()).toEqual(before);
    expect(await codeOf(c, before.nonce)).toBe("0x");
    await reverts(c.poq.write.createTasks([[]], { account: R }), "EmptyBatch");
    expect(await snapshot()).toEqual(before);

    const { ids } = await createBatch(c, R, [ok("a"), ok("b")]);
    expect(ids).toEqual([before.count + 1n, before.count + 2n]);
    expect(await codeOf(c, before.nonce)).toBe(blob([recordOf(ok("a"), R), recordOf(ok("b"), R)]));
    expect(await blobsIn(c, slot)).toBe(before.nonce);
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V17-3: the size bound is exact and an m > 15 spec cannot shrink a batch's reservation into an overlap: 67 tasks of m = 15 revert BatchTooLarge(24,925, 24,576) and 66 + one m = 1 BatchTooLarge(24,645, 24,576) before anything is written; an m = 16 spec is sized as m = 0 (72 bytes, never less than a valid record): 66 + one m = 16 revert BatchTooLarge(24,625, 24,576), 65 + one m = 16 (last or first) pass the size check and revert InvalidOutputCount(16); 66 tasks of m = 15 succeed in one transaction: a 24,553-byte blob (STOP + 66 x 372) equal to the records byte for byte, the last task's blobAt 24,180 (uint16, no wrap), and the first, a middle and the last task read back their own nodes, content hash and requester; the largest blob any batch can make (71 tasks, 973 outputs: 24,573 bytes, the last record at 24,240) is written and read back exactly, and one more output reverts BatchTooLarge(24,593, 24,576)", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(16);
    const R = (await c.actor(1, 10_000_000n * E18)).address;
    // the smallest m = 15 task (fee 0.1, no node budget): 66 of them stay under the gas cap
    const big = (i: number) => c.spec(i % 2 ? nodes.slice(0, 15) : nodes.slice(1, 16), { queryHash: h32(`big-${i}`), nodeBudget: 0n, evalBudget: 3n * (E18 / 10n) });
    const specs = Array.from({ length: 66 }, (_, i) => big(i));
    const n0 = await nonceOf(c, c.poq.address);
    await reverts(c.poq.write.createTasks([[...specs, big(66)]], { account: R }), "BatchTooLarge", [24_925n, MAX_SIZE]);
    await reverts(c.poq.write.createTasks([[...specs, c.spec(nodes.slice(0, 1))]], { account: R }), "BatchTooLarge", [24_645n, MAX_SIZE]);
    // an m = 16 spec is sized as m = 0 (72 bytes, the least a valid record takes), then refused
    await reverts(c.poq.write.createTasks([[...specs, c.spec(nodes.slice(0, 16))]], { account: R }), "BatchTooLarge", [24_625n, MAX_SIZE]);
    await reverts(c.poq.write.createTasks([[...specs.slice(1), c.spec(nodes.slice(0, 16))]], { account: R }), "InvalidOutputCount", [16n]);
    await reverts(c.poq.write.createTasks([[c.spec(nodes.slice(0, 16)), ...specs.slice(1)]], { account: R }), "InvalidOutputCount", [16n]);
    expect(await nonceOf(c, c.poq.address)).toBe(n0);
    expect(await c.poq.read.taskCount()).toBe(0n);

    const { ids, rc } = await createBatch(c, R, specs, TX_GAS);
    console.info(`V17-3: createTasks of 66 tasks of m = 15: ${rc.gasUsed} gas`);
    const code = await codeOf(c, n0);
    expect(byteLen(code)).toBe(24_553n);
    expect(code).toBe(blob(specs.map((s) => recordOf(s, R))));
    for (const i of [0, 33, 65]) {
      const id = ids[i]!;
      expect(await word1(c, id)).toMatchObject({ blob: n0, blobAt: BigInt(372 * i) });
      expect(await c.poq.read.getOutputs([id])).toEqual(specs[i]!.nodes);
      const t = await c.poq.read.getTask([id]);
      expect([t.requester, t.contentHash, t.m]).toEqual([R, contentHashOf(h32(`big-${i}`), specs[i]!.outputHashes), 15]);
    }
    expect((await word1(c, ids[65]!)).blobAt).toBe(24_180n);

    // the largest blob any batch can make: 1 + 72 n + 20 sum(m) <= 24,576 peaks at 24,573
    // (n = 71, sum(m) = 973: 50 tasks of m = 14, 21 of m = 13); one more output is refused
    const mid = (i: number, m: number) => c.spec(nodes.slice(i % 2, (i % 2) + m), { queryHash: h32(`max-${i}`), nodeBudget: 0n, evalBudget: 3n * (E18 / 10n) });
    const most = Array.from({ length: 71 }, (_, i) => mid(i, i < 50 ? 14 : 13));
    const over = [...most.slice(0, 70), mid(70, 14)];
    await reverts(c.poq.write.createTasks([over], { account: R }), "BatchTooLarge", [24_593n, MAX_SIZE]);
    const n1 = await nonceOf(c, c.poq.address);
    const maxed = await createBatch(c, R, most, TX_GAS);
    const maxCode = await codeOf(c, n1);
    expect(byteLen(maxCode)).toBe(24_573n);
    expect(maxCode).toBe(blob(most.map((s) => recordOf(s, R))));
    expect(await word1(c, maxed.ids[70]!)).toMatchObject({ blob: n1, blobAt: 24_572n - taskSize(13) });
    expect(await c.poq.read.getOutputs([maxed.ids[70]!])).toEqual(most[70]!.nodes);
    expect((await c.poq.read.getTask([maxed.ids[70]!])).contentHash).toBe(contentHashOf(h32("max-70"), most[70]!.outputHashes));
    await expectBalanced(c);
  }, 120_000);

  it("FIXED V17-4 (documentation, low; fixed in 4ec1761 to '161 of 4'): the NatSpec of createTasks and docs/contract.md said a blob takes '66 tasks of 15 outputs, 264 of 4', but a task of m = 4 takes 72 + 80 = 152 bytes: 162 of them already revert BatchTooLarge(24,625, 24,576) (the real bound is 161, 1 + 161 x 152 = 24,473), 264 revert BatchTooLarge(40,129, 24,576); the SDK's blobChunks was right all along (264 specs of m = 4 cut 161 + 103)", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(4);
    const R = (await c.actor(1, 10_000_000n * E18)).address;
    const four = (n: number) => Array.from({ length: n }, (_, i) => c.spec(nodes, { queryHash: h32(`four-${i}`) }));
    await reverts(c.poq.write.createTasks([four(162)], { account: R }), "BatchTooLarge", [24_625n, MAX_SIZE]);
    await reverts(c.poq.write.createTasks([four(264)], { account: R }), "BatchTooLarge", [40_129n, MAX_SIZE]);
    expect(1n + 161n * taskSize(4)).toBeLessThanOrEqual(MAX_SIZE);
    const { blobChunks } = await import("../../oracle/sdk/index.js");
    expect(blobChunks(four(264), 1_000).map((x) => x.length)).toEqual([161, 103]);
  }, 60_000);

  it("HOLDS V17-5: a failed createTasks swallowed by an outer contract's try/catch never desynchronises PoQ's nonce from `_blobs + 1`. A raw-bytecode forwarder F calls createTasks (m = 15, 4, 1) with a chosen gas and ignores the failure: swept over 1,000 gas values below the least that succeeds (G*), call 1 fails in exactly three ways in gas order (out of gas before the CREATE, BlobWriteFailed while the CREATE runs out of gas: a window wider than 100,000 gas for 617 bytes, out of gas after a successful CREATE), plus a pull that fails after the CREATE; in each case a second createTasks in the SAME transaction lands its blob at the nonce call 1 had used (STOP + its two records), PoQ's nonce is exactly one more and `_blobs` = nonce - 1", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(15);
    const F = await fundedForwarder(c, 10_000n * E18);
    const specsFor = (tag: string, over: Partial<TaskSpecInput> = {}) => [
      c.spec(nodes, { queryHash: h32(`${tag}-15`), ...over }),
      c.spec(nodes.slice(0, 4), { queryHash: h32(`${tag}-4`) }),
      c.spec(nodes.slice(0, 1), { queryHash: h32(`${tag}-1`) }),
    ];
    const data = (specs: TaskSpecInput[]) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTasks", args: [specs] });
    const count = encodeFunctionData({ abi: c.poq.abi, functionName: "taskCount" });
    const probe = async (gas1: bigint, data1: Hex) =>
      decodeFwd((await c.publicClient.call({ to: F, data: fwd(c.poq.address, gas1, data1, count), gas: 12_000_000n })).data!);
    const first = data(specsFor("first"));
    const gStar = await leastGas((g) => probe(g, first), 4_000_000n);
    const runs = await failureRuns((g) => probe(g, first), gStar - 250_000n, 250n, 1_000);
    console.info(`V17-5: G* = ${gStar}; ${runs.map((x) => `${x.kind} ${x.from}..${x.to}`).join(", ")}`);
    expect(runs.map((x) => x.kind)).toEqual(["oog", BLOB_WRITE_FAILED, "oog"]);
    const bwf = runs[1]!;
    expect(bwf.to - bwf.from).toBeGreaterThan(100_000n);
    const cases = [
      { name: "oog before CREATE", gas1: runs[0]!.to, data1: first, revert: "0x" },
      { name: "CREATE out of gas", gas1: (bwf.from + bwf.to) / 2n, data1: first, revert: BLOB_WRITE_FAILED },
      { name: "oog after CREATE", gas1: runs[2]!.from + 500n, data1: first, revert: "0x" },
      { name: "pull fails after CREATE", gas1: 8_000_000n, data1: data(specsFor("too big", { nodeBudget: 20_000n * E18 })), revert: sel("ERC20InsufficientBalance(address,uint256,uint256)") },
    ];
    const slot = await packedSlot(c);
    for (const [i, k] of cases.entries()) {
      const n0 = await nonceOf(c, c.poq.address);
      const count0 = await c.poq.read.taskCount();
      expect(await blobsIn(c, slot)).toBe(n0 - 1n);
      const r = await probe(k.gas1, k.data1);
      expect(r.ok1, k.name).toBe(false);
      expect(r.data.slice(0, k.revert === "0x" ? 2 : 10), k.name).toBe(k.revert);
      const second = specsFor(`second-${i}`).slice(1);
      const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, k.gas1, k.data1, data(second)), gas: 12_000_000n });
      expect((await receipt(c, hash)).status, k.name).toBe("success");
      expect(await c.poq.read.taskCount(), k.name).toBe(count0 + 2n);
      expect(await nonceOf(c, c.poq.address), k.name).toBe(n0 + 1n);
      expect(await blobsIn(c, slot), k.name).toBe(n0);
      expect(await codeOf(c, n0), k.name).toBe(blob(second.map((s) => recordOf(s, F))));
      expect(await c.poq.read.getOutputs([count0 + 2n])).toEqual(second[1]!.nodes);
    }
    await expectBalanced(c);
  }, 120_000);
});

// ================================================================ 2. drawCommittees: the differential

describe("V17 drawCommittees draws exactly what drawCommittee draws", () => {
  it("HOLDS V17-6: draw differential (seed by task id): tasks of two createTasks batches (requester R1 is itself an evaluator; R2 is not) and one createTask, k = 3, 5, 9 (= every evaluator but R1), a middle task priced below every evaluator's cost (cancelled), k = 4, k = 12 > 10 evaluators (cancelled), k = 7, drawn one by one, in one multicall and in ONE drawCommittees: the same status, members, weights, fee, seeds, CommitteeSampled and TaskCancelled (refund), deadlines relative to the block; the batch's logs equal the multicall's log for log; R1 sits on none of its tasks' committees (its k = 9 task gets exactly the 9 others); the committee blob is STOP + the drawn committees in list order (the cancelled ones take no bytes), each task's committeeAt the sum before it, cancelled tasks committee 0; getMember of all 10 evaluators on every task matches its own committee; refunds credited to refundTo; conservation", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(10);
    const nodes = await c.nodes(4);
    await c.alignToTrustPeriod();
    await installSeeds(c);
    const R1 = evs[0]!; // actor 100: an evaluator, excluded from its own tasks
    const R2 = (await c.actor(2)).address;
    const a = await createBatch(c, R1, [
      c.spec(nodes.slice(0, 1), { k: 3, queryHash: h32("a0") }),
      c.spec(nodes.slice(0, 2), { k: 5, evalBudget: 10n * E18, queryHash: h32("a1") }),
      c.spec(nodes.slice(1, 4), { k: 9, evalBudget: 18n * E18, queryHash: h32("a2") }),
      c.spec(nodes.slice(0, 1), { k: 3, evalBudget: 3n * (E18 / 2n), refundTo: actorAddress(77), queryHash: h32("a3") }), // fee 0.5 < cost 1
      c.spec(nodes.slice(2, 4), { k: 4, evalBudget: 8n * E18, queryHash: h32("a4") }),
    ]);
    const b = await createBatch(c, R2, [
      c.spec(nodes.slice(0, 4), { k: 12, evalBudget: 24n * E18, queryHash: h32("b0") }),
      c.spec(nodes.slice(3, 4), { k: 7, evalBudget: 14n * E18, queryHash: h32("b1") }),
    ]);
    const single = await c.create(R2, c.spec(nodes.slice(0, 2), { k: 3, queryHash: h32("s") }));
    await c.networkHelpers.mine();
    const ids = [...a.ids, ...b.ids, single];
    const claim0 = await c.poq.read.claimableOf([actorAddress(77)]);
    const claimR2 = await c.poq.read.claimableOf([R2]);
    const r = await differential(c, ids);
    const st = ids.map((id) => r.batch.get(id)!.status);
    expect(st).toEqual([2, 2, 2, 4, 2, 4, 2, 2].map((x) => x as TaskStatus));
    for (const id of a.ids) expect(r.batch.get(id)!.members.some((m) => sameAddress(m, R1))).toBe(false);
    expect(new Set(r.batch.get(a.ids[2]!)!.members.map((m) => m.toLowerCase()))).toEqual(new Set(evs.slice(1).map((e) => e.toLowerCase())));
    const records = await expectCommitteeBlob(c, r, evs);
    expect(records.map(byteLen)).toEqual([78n, 130n, 234n, 104n, 182n, 78n]);
    expect((await c.poq.read.claimableOf([actorAddress(77)])) - claim0).toBe(1n * E18 * 100n + 3n * (E18 / 2n));
    expect((await c.poq.read.claimableOf([R2])) - claimR2).toBe(100n * E18 + 24n * E18);
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V17-7: a task whose seed block hash expired (created 257+ blocks before) in the MIDDLE of a block-seeded batch is cancelled exactly as drawCommittee cancels it (refund, no committee bytes) and the tasks after it read their committees from the right offsets (differential against one-by-one and multicall draws); a batch in which every task is cancelled (expired seed, price below cost, k above the evaluators) or skipped creates NO blob: PoQ's nonce and `_blobs` unchanged, and the next createTask lands its blob at that very nonce and reads back", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(6);
    const nodes = await c.nodes(3);
    const R = (await c.actor(1)).address;
    const old = await createBatch(c, R, [c.spec(nodes.slice(0, 1), { queryHash: h32("old-0") }), c.spec(nodes.slice(0, 3), { queryHash: h32("old-1"), k: 4, evalBudget: 8n * E18 })]);
    await c.networkHelpers.mine(257);
    const fresh = await createBatch(c, R, [
      c.spec(nodes.slice(0, 2), { k: 3, queryHash: h32("f0") }),
      c.spec(nodes.slice(1, 3), { k: 5, evalBudget: 10n * E18, queryHash: h32("f1") }),
      c.spec(nodes.slice(2, 3), { k: 4, evalBudget: 8n * E18, queryHash: h32("f2") }),
    ]);
    await c.networkHelpers.mine();
    const ids = [fresh.ids[0]!, old.ids[0]!, fresh.ids[1]!, fresh.ids[2]!];
    const r = await differential(c, ids);
    expect(ids.map((id) => r.batch.get(id)!.status)).toEqual([TaskStatus.OPEN, TaskStatus.CANCELLED, TaskStatus.OPEN, TaskStatus.OPEN]);
    expect(r.batch.get(old.ids[0]!)!.cancelled).toEqual([106n * E18]);
    const records = await expectCommitteeBlob(c, r, evs);
    expect(records.map(byteLen)).toEqual([78n, 130n, 104n]);
    expect((await word1(c, fresh.ids[2]!)).committeeAt).toBe(208n);

    // every task cancelled or skipped: no blob
    const cheap = await c.create(R, c.spec(nodes.slice(0, 1), { evalBudget: 3n * (E18 / 2n), queryHash: h32("cheap") }));
    const wide = await c.create(R, c.spec(nodes.slice(0, 1), { k: 7, evalBudget: 14n * E18, queryHash: h32("wide") }));
    await c.networkHelpers.mine();
    const slot = await packedSlot(c);
    const n1 = await nonceOf(c, c.poq.address);
    const rc = await receipt(c, await c.poq.write.drawCommittees([[old.ids[1]!, cheap, fresh.ids[0]!, wide, cheap]]));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" }).map((e) => e.args.taskId)).toEqual([old.ids[1]!, cheap, wide]);
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" })).toEqual([]);
    for (const id of [old.ids[1]!, cheap, wide]) {
      expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.CANCELLED);
      expect(await word1(c, id)).toMatchObject({ committee: 0n, committeeAt: 0n });
    }
    expect(await nonceOf(c, c.poq.address)).toBe(n1);
    expect(await blobsIn(c, slot)).toBe(n1 - 1n);
    expect(await codeOf(c, n1)).toBe("0x");
    const next = c.spec(nodes.slice(0, 2), { queryHash: h32("next") });
    const id = await c.create(R, next);
    expect(await codeOf(c, n1)).toBe(blob([recordOf(next, R)]));
    expect((await c.poq.read.getTask([id])).contentHash).toBe(contentHashOf(h32("next"), next.outputHashes));
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V17-8: resetting the free memory pointer between draws corrupts nothing: 16 tasks of k = 7 (12 evaluators) drawn in ONE drawCommittees equal, task by task, their one-by-one and multicall draws (members, weights, seeds, events, deadlines) and the 2,913-byte blob is STOP + the 16 records; a second batch whose committee sizes go up and down (k = 11, 3, 12, 3, 7, 4, 9, 5: each draw's arrays smaller or larger than the memory the previous one left behind) is equal too, and every committee reads back through getCommittee and getMember", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(12);
    const nodes = await c.nodes(2);
    await c.alignToTrustPeriod();
    await installSeeds(c, "v17-8");
    const R = (await c.actor(1)).address;
    const sevens = await createBatch(c, R, Array.from({ length: 16 }, (_, i) => c.spec(nodes, { k: 7, evalBudget: 14n * E18, queryHash: h32(`seven-${i}`) })), TX_GAS);
    const ks = [11, 3, 12, 3, 7, 4, 9, 5];
    const mixed = await createBatch(c, R, ks.map((k, i) => c.spec(nodes.slice(0, 1 + (i % 2)), { k, evalBudget: BigInt(k) * 2n * E18, queryHash: h32(`mixed-${i}`) })), TX_GAS);
    await c.networkHelpers.mine();
    const r1 = await differential(c, sevens.ids);
    console.info(`V17-8: drawCommittees of 16 tasks of k = 7: ${r1.rc.gasUsed} gas`);
    const rec1 = await expectCommitteeBlob(c, r1, evs);
    expect(rec1.length).toBe(16);
    expect(byteLen(await codeOf(c, r1.n0))).toBe(1n + 16n * 182n);
    const r2 = await differential(c, mixed.ids);
    const rec2 = await expectCommitteeBlob(c, r2, evs);
    // every one of them drawn (seed by task id: the same committees on every run)
    expect(rec2.map((x) => Number(byteLen(x)) / 26)).toEqual(ks);
    await expectBalanced(c);
  }, 180_000);

  it("HOLDS V17-9: the drawer cannot steer anything by choosing which tasks share a blob or their order: the same four pending tasks (two requesters, k = 3, 4, 5, 6) drawn as [a, b, c, d], as [d, c, b, a] and as [b] then [d, a, c] in two transactions of the same block get the same members, weights, seeds, fee and deadlines for every task; only the nonces and offsets differ (and each reads back)", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(8);
    const nodes = await c.nodes(3);
    await c.alignToTrustPeriod();
    await installSeeds(c, "v17-9");
    const R1 = evs[0]!;
    const R2 = (await c.actor(2)).address;
    const x = await createBatch(c, R1, [c.spec(nodes.slice(0, 1), { k: 3, queryHash: h32("x0") }), c.spec(nodes, { k: 4, evalBudget: 8n * E18, queryHash: h32("x1") })]);
    const y = await createBatch(c, R2, [c.spec(nodes.slice(1, 3), { k: 5, evalBudget: 10n * E18, queryHash: h32("y0") }), c.spec(nodes.slice(2, 3), { k: 6, evalBudget: 12n * E18, queryHash: h32("y1") })]);
    await c.networkHelpers.mine();
    const [A, B, C, D] = [...x.ids, ...y.ids] as [bigint, bigint, bigint, bigint];
    const snap = await c.networkHelpers.takeSnapshot();
    const ts = (await c.now()) + 30n;
    const view = async (id: bigint) => {
      const [members, fee, weights] = await c.poq.read.getCommittee([id]);
      const t = await c.poq.read.getTask([id]);
      return { members: [...members], fee, weights: [...weights], cd: t.commitDeadline, rd: t.revealDeadline, status: t.status };
    };
    const seeds = (rcs: TransactionReceipt[]) =>
      new Map(rcs.flatMap((rc) => parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" }).map((e) => [e.args.taskId!, e.args.seed!] as const)));
    const runs: { order: bigint[][]; views: Awaited<ReturnType<typeof view>>[]; seeds: Map<bigint, Hex>; offsets: bigint[] }[] = [];
    for (const order of [[[A, B, C, D]], [[D, C, B, A]], [[B], [D, A, C]]]) {
      await snap.restore();
      const { statuses, hashes } = await oneBlock(c, ts, order.map((list) => () => c.poq.write.drawCommittees([list], { gas: TX_GAS })));
      expect(statuses.every((s) => s === "success")).toBe(true);
      const rcs = await Promise.all(hashes.map((hash) => receipt(c, hash)));
      runs.push({ order, views: await Promise.all([A, B, C, D].map(view)), seeds: seeds(rcs), offsets: await Promise.all([A, B, C, D].map(async (id) => (await word1(c, id)).committeeAt)) });
    }
    for (const run of runs.slice(1)) {
      expect(run.views).toEqual(runs[0]!.views);
      expect(run.seeds).toEqual(runs[0]!.seeds);
    }
    for (const v of runs[0]!.views) expect(v.status).toBe(TaskStatus.OPEN);
    expect(runs.map((r) => r.offsets)).toEqual([
      [0n, 78n, 182n, 312n],
      [390n, 286n, 156n, 0n],
      [156n, 0n, 234n, 0n],
    ]);
    for (const id of [A, B]) expect(runs[0]!.views[id === A ? 0 : 1]!.members.some((m) => sameAddress(m, R1))).toBe(false);
  }, 120_000);
});

// ================================================================ 3. skips, reverts, timing

describe("V17 drawCommittees: what it skips and what it refuses", () => {
  it("HOLDS V17-10: a task listed several times is drawn once, and tasks drawn earlier by another account, cancelled or finalized are skipped without a revert: drawCommittees([a, a, b, c, a, g, h, c, d]) emits CommitteeSampled for a, c, d only (b keeps the other drawer's committee, g stays CANCELLED, h FINALIZED), writes three records (offsets 0, 78, 156) and moves the nonce by one; a list of only skipped tasks, and the empty list, succeed with no log and no blob; an unknown id (0, or past taskCount, even at the end of the list) reverts UnknownTask and the valid tasks before it stay pending; in a multicall the batch composes with single draws (a task drawn by an earlier call is skipped by a later batch)", async () => {
    const c = await setupChain();
    await c.evaluators(5);
    const nodes = await c.nodes(2);
    const R = (await c.actor(1)).address;
    const other = (await c.actor(50)).address;
    const specs = Array.from({ length: 9 }, (_, i) => c.spec(nodes, { queryHash: h32(`skip-${i}`) }));
    specs[5] = c.spec(nodes, { k: 6, evalBudget: 12n * E18, queryHash: h32("skip-wide") }); // g: 6 > 5 evaluators
    const { ids } = await createBatch(c, R, specs);
    const [a, b, cc, d, e, g, h, f, i] = ids as [bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, bigint];
    await c.networkHelpers.mine();
    await c.poq.write.drawCommittee([b], { account: other });
    const bBefore = await c.poq.read.getCommittee([b]);
    await c.poq.write.drawCommittee([g], { account: other });
    expect((await c.poq.read.getTask([g])).status).toBe(TaskStatus.CANCELLED);
    const { members: hm } = await c.draw(h);
    await c.play(h, hm, hm.map(() => [8_000, 7_000]));
    await c.finalize(h);
    expect((await c.poq.read.getTask([h])).status).toBe(TaskStatus.FINALIZED);

    const n0 = await nonceOf(c, c.poq.address);
    const rc = await receipt(c, await c.poq.write.drawCommittees([[a, a, b, cc, a, g, h, cc, d]], { account: other }));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" }).map((x) => x.args.taskId)).toEqual([a, cc, d]);
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" })).toEqual([]);
    expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
    const recs: Hex[] = [];
    for (const [j, id] of [a, cc, d].entries()) {
      const [members, , weights] = await c.poq.read.getCommittee([id]);
      recs.push(committeeRecord(members, weights));
      expect(await word1(c, id)).toMatchObject({ committee: n0, committeeAt: 78n * BigInt(j) });
    }
    expect(await codeOf(c, n0)).toBe(blob(recs));
    expect(await c.poq.read.getCommittee([b])).toEqual(bBefore);
    expect((await c.poq.read.getTask([g])).status).toBe(TaskStatus.CANCELLED);
    expect((await c.poq.read.getTask([h])).status).toBe(TaskStatus.FINALIZED);

    // nothing to draw: no log, no blob
    for (const list of [[a, b, g, h, a], []]) {
      const rc2 = await receipt(c, await c.poq.write.drawCommittees([list]));
      expect(rc2.status).toBe("success");
      expect(rc2.logs).toEqual([]);
      expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
    }
    // unknown ids
    const count = await c.poq.read.taskCount();
    await reverts(c.poq.write.drawCommittees([[e, f, count + 1n]]), "UnknownTask", [count + 1n]);
    await reverts(c.poq.write.drawCommittees([[0n, e]]), "UnknownTask", [0n]);
    for (const id of [e, f]) expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.PENDING);

    // composed in a multicall: e by a single draw, then a batch that lists e again
    const n1 = await nonceOf(c, c.poq.address);
    const calls = [
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittee", args: [e] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[e, f]] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[f, i, e]] }),
    ];
    const rc3 = await receipt(c, await c.poq.write.multicall([calls], { gas: TX_GAS }));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc3.logs, eventName: "CommitteeSampled" }).map((x) => x.args.taskId)).toEqual([e, f, i]);
    expect(await nonceOf(c, c.poq.address)).toBe(n1 + 3n);
    expect(await word1(c, e)).toMatchObject({ committee: n1, committeeAt: 0n });
    expect(await word1(c, f)).toMatchObject({ committee: n1 + 1n, committeeAt: 0n });
    expect(await word1(c, i)).toMatchObject({ committee: n1 + 2n, committeeAt: 0n });
    for (const [j, id] of [e, f, i].entries()) {
      const [members, , weights] = await c.poq.read.getCommittee([id]);
      expect(await codeOf(c, n1 + BigInt(j))).toBe(blob([committeeRecord(members, weights)]));
    }
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V17-11: a task created in the same block cannot be drawn: multicall([createTasks([x]), drawCommittees([old, x])]) reverts DrawTooEarly(this block) as a whole (no task, no blob), and with automine off a createTasks transaction followed by drawCommittees([old, x]) in ONE block mines the second as reverted (old stays pending, x pending); in the next block the same list draws both; a front-runner's drawCommittee(old2) earlier in the keeper's block only makes the keeper's drawCommittees([old2, y, y2]) skip old2 (both succeed; old2 keeps the front-runner's committee in its own blob, y and y2 share the keeper's at offsets 0 and 78)", async () => {
    const c = await setupChain();
    await c.evaluators(5);
    const nodes = await c.nodes(2);
    const R = (await c.actor(1)).address;
    const front = (await c.actor(60)).address;
    const { ids } = await createBatch(c, R, [c.spec(nodes, { queryHash: h32("old") }), c.spec(nodes, { queryHash: h32("y") })]);
    const [old, y] = ids as [bigint, bigint];
    await c.networkHelpers.mine();
    const count = await c.poq.read.taskCount();
    const n0 = await nonceOf(c, c.poq.address);
    const x = count + 1n;
    const bn = await c.publicClient.getBlockNumber();
    const calls = [
      encodeFunctionData({ abi: c.poq.abi, functionName: "createTasks", args: [[c.spec(nodes, { queryHash: h32("x") })]] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[old, x]] }),
    ];
    await reverts(c.poq.write.multicall([calls], { account: R }), "DrawTooEarly", [bn + 1n]);
    expect([await c.poq.read.taskCount(), await nonceOf(c, c.poq.address)]).toEqual([count, n0]);

    const ts = (await c.now()) + 10n;
    const { statuses } = await oneBlock(c, ts, [
      () => c.poq.write.createTasks([[c.spec(nodes, { queryHash: h32("x") })]], { account: R, gas: 3_000_000n }),
      () => c.poq.write.drawCommittees([[old, x]], { gas: 3_000_000n }),
    ]);
    expect(statuses).toEqual(["success", "reverted"]);
    expect((await c.poq.read.getTask([old])).status).toBe(TaskStatus.PENDING);
    expect((await c.poq.read.getTask([x])).status).toBe(TaskStatus.PENDING);
    await c.poq.write.drawCommittees([[old, x]]);
    expect((await c.poq.read.getTask([old])).status).toBe(TaskStatus.OPEN);
    expect((await c.poq.read.getTask([x])).status).toBe(TaskStatus.OPEN);

    // a front-runner in the keeper's block
    const more = await createBatch(c, R, [c.spec(nodes, { queryHash: h32("old2") }), c.spec(nodes, { queryHash: h32("y2") })]);
    await c.networkHelpers.mine();
    const [old2, y2] = more.ids as [bigint, bigint];
    const n1 = await nonceOf(c, c.poq.address);
    const r = await oneBlock(c, (await c.now()) + 10n, [
      () => c.poq.write.drawCommittee([old2], { account: front, gas: 3_000_000n }),
      () => c.poq.write.drawCommittees([[old2, y, y2]], { gas: 3_000_000n }),
    ]);
    expect(r.statuses).toEqual(["success", "success"]);
    const [rcFront, rcKeeper] = await Promise.all(r.hashes.map((hash) => receipt(c, hash)));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rcFront!.logs, eventName: "CommitteeSampled" }).map((e) => e.args.taskId)).toEqual([old2]);
    expect(parseEventLogs({ abi: c.poq.abi, logs: rcKeeper!.logs, eventName: "CommitteeSampled" }).map((e) => e.args.taskId)).toEqual([y, y2]);
    expect(await word1(c, old2)).toMatchObject({ committee: n1, committeeAt: 0n });
    expect(await word1(c, y)).toMatchObject({ committee: n1 + 1n, committeeAt: 0n });
    expect(await word1(c, y2)).toMatchObject({ committee: n1 + 1n, committeeAt: 78n });
    const rec = async (id: bigint) => {
      const [members, , weights] = await c.poq.read.getCommittee([id]);
      return committeeRecord(members, weights);
    };
    expect(await codeOf(c, n1)).toBe(blob([await rec(old2)]));
    expect(await codeOf(c, n1 + 1n)).toBe(blob([await rec(y), await rec(y2)]));
    await expectBalanced(c);
  }, 120_000);

  it("ACCEPTED V17-12: drawCommittees reserves blob bytes per LISTED pending entry before any draw, so its BatchTooLarge bound counts duplicates: with one pending task of k = 32, the list [t] x 30 reverts BatchTooLarge(1 + 30 x 832 = 24,961, 24,576) although only one draw would happen, while [t] x 29 passes the check (and, with 3 evaluators, cancels t: no blob); 30 distinct k = 32 tasks revert BatchTooLarge(24,961) too and 29 pass (all cancelled, no blob). Only the caller's own list can do this: another account can only make listed tasks non-pending, which shrinks the reservation; committeeAt stays below 24,576 (uint16)", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const R = (await c.actor(1)).address;
    const wide = (i: number) => c.spec(nodes, { k: 32, evalBudget: 32n * (E18 / 10n), nodeBudget: 0n, queryHash: h32(`wide-${i}`) });
    const { ids } = await createBatch(c, R, Array.from({ length: 31 }, (_, i) => wide(i)), TX_GAS);
    await c.networkHelpers.mine();
    const n0 = await nonceOf(c, c.poq.address);
    const t = ids[0]!;
    await reverts(c.poq.write.drawCommittees([Array(30).fill(t)]), "BatchTooLarge", [24_961n, MAX_SIZE]);
    await reverts(c.poq.write.drawCommittees([ids.slice(1, 31)]), "BatchTooLarge", [24_961n, MAX_SIZE]);
    expect((await c.poq.read.getTask([t])).status).toBe(TaskStatus.PENDING);
    await c.poq.write.drawCommittees([Array(29).fill(t)], { gas: TX_GAS });
    expect((await c.poq.read.getTask([t])).status).toBe(TaskStatus.CANCELLED);
    const rc = await receipt(c, await c.poq.write.drawCommittees([ids.slice(2, 31)], { gas: TX_GAS }));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" }).length).toBe(29);
    expect(await nonceOf(c, c.poq.address)).toBe(n0);
    // the one task left is pending: a 30-entry list with 29 non-pending ones fits now
    await c.poq.write.drawCommittees([ids.slice(1, 31)], { gas: TX_GAS });
    expect((await c.poq.read.getTask([ids[1]!])).status).toBe(TaskStatus.CANCELLED);
    expect(1n + 945n * 26n).toBeLessThanOrEqual(MAX_SIZE);
    expect(MAX_SIZE).toBeLessThan(1n << 16n);
    await expectBalanced(c);
  }, 120_000);

  it("FIXED V17-13 (low, unreachable in practice; fixed in 4ec1761, this asserts the fix): at the end of the 2^32 - 1 blob lifetime drawCommittees computed `_blobs + 1` in uint32 before drawing anything, so with `_blobs` = 2^32 - 1 a batch that would only cancel (expired seeds) and even drawCommittees([]) reverted Panic(0x11) while drawCommittee cancelled the same task: not 'each task as drawCommittee would'. Now (nonce in uint256, `++_blobs` only when a blob is written): one step before the edge (`_blobs` = 2^32 - 2) a batch lands its committee at the 4-byte nonce 0xffffffff and reads back; at the edge a batch that must write a committee reverts Panic(0x11) exactly as drawCommittee does (the task stays pending), while drawCommittees([]) succeeds and, once the seed hashes expired, drawCommittees([t1, t2]) cancels both (refunds 106 each, no CREATE, `_blobs` still 2^32 - 1) like drawCommittee", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const R = (await c.actor(1)).address;
    await c.create(R, c.spec(nodes, { queryHash: h32("warm") }));
    const slot = await packedSlot(c);
    const word = await readSlot(c, c.poq.address, slot);
    await c.networkHelpers.setNonce(c.poq.address, U32 - 1n);
    await c.networkHelpers.setStorageAt(c.poq.address, slot, numberToHex((word & ((1n << 224n) - 1n)) | ((U32 - 2n) << 224n), { size: 32 }));
    const { ids } = await createBatch(c, R, ["e0", "e1", "e2"].map((q) => c.spec(nodes, { queryHash: h32(q) })));
    for (const [i, id] of ids.entries()) expect(await word1(c, id)).toMatchObject({ blob: U32 - 1n, blobAt: BigInt(i) * taskSize(1) });
    await c.networkHelpers.mine();
    await c.poq.write.drawCommittees([[ids[0]!]]);
    expect(await blobsIn(c, slot)).toBe(U32);
    const [members, , weights] = await c.poq.read.getCommittee([ids[0]!]);
    expect(members.length).toBe(3);
    expect(((await c.publicClient.getCode({ address: getContractAddress({ from: c.poq.address, nonce: U32 }) })) ?? "0x").toLowerCase()).toBe(blob([committeeRecord(members, weights)]));
    expect(await word1(c, ids[0]!)).toMatchObject({ committee: U32, committeeAt: 0n });

    // at the edge: a committee to write has no nonce left, in a batch as alone
    const [t1, t2] = [ids[1]!, ids[2]!];
    await reverts(c.poq.write.drawCommittees([[t1]]), "Panic", [0x11n]);
    await reverts(c.poq.write.drawCommittee([t1]), "Panic", [0x11n]);
    const rc0 = await receipt(c, await c.poq.write.drawCommittees([[]]));
    expect(rc0.logs).toEqual([]);
    expect((await c.poq.read.getTask([t1])).status).toBe(TaskStatus.PENDING);

    // expired seeds: the batch cancels both as drawCommittee would, without a CREATE
    await c.networkHelpers.mine(257);
    const claim0 = await c.poq.read.claimableOf([R]);
    const rc = await receipt(c, await c.poq.write.drawCommittees([[t1, t2]]));
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" }).map((e) => [e.args.taskId, e.args.refund])).toEqual([[t1, 106n * E18], [t2, 106n * E18]]);
    for (const t of [t1, t2]) expect((await c.poq.read.getTask([t])).status).toBe(TaskStatus.CANCELLED);
    expect((await c.poq.read.claimableOf([R])) - claim0).toBe(212n * E18);
    expect(await blobsIn(c, slot)).toBe(U32);
    expect(await nonceOf(c, c.poq.address)).toBe(U32 + 1n);
    await expectBalanced(c);
  }, 120_000);

  it("HOLDS V17-14: a failed drawCommittees swallowed by an outer contract's try/catch never desynchronises PoQ's nonce: a forwarder draws four pending tasks (k = 3, 4, 3, 5) with a chosen gas; swept over 1,000 gas values below the least that succeeds (G*), call 1 fails only by running out of gas (no data) or BlobWriteFailed (the CREATE ran out of gas: a window wider than 50,000 gas for the 391-byte committee blob), never half-drawn; for each failure kind, a full drawCommittees of the same tasks in the SAME transaction draws all four, lands its blob at the nonce call 1 had used (STOP + four records), PoQ's nonce is exactly one more and `_blobs` = nonce - 1; a createTask after a failed call 1 lands at that nonce likewise", async () => {
    const c = await setupChain();
    await c.evaluators(6);
    const nodes = await c.nodes(2);
    const R = (await c.actor(1)).address;
    const ks = [3, 4, 3, 5];
    const { ids } = await createBatch(c, R, ks.map((k, i) => c.spec(nodes, { k, evalBudget: BigInt(k) * 2n * E18, queryHash: h32(`gas-${i}`) })));
    await c.networkHelpers.mine();
    const F = await fundedForwarder(c, 10_000n * E18);
    const draw = encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [ids] });
    const count = encodeFunctionData({ abi: c.poq.abi, functionName: "taskCount" });
    const probe = async (gas1: bigint) => decodeFwd((await c.publicClient.call({ to: F, data: fwd(c.poq.address, gas1, draw, count), gas: 12_000_000n })).data!);
    const gStar = await leastGas(probe, 6_000_000n);
    const runs = await failureRuns(probe, gStar - 200_000n, 200n, 1_000);
    console.info(`V17-14: G* = ${gStar}; ${runs.map((x) => `${x.kind} ${x.from}..${x.to}`).join(", ")}`);
    expect(new Set(runs.map((x) => x.kind))).toEqual(new Set(["oog", BLOB_WRITE_FAILED]));
    const bwf = runs.find((x) => x.kind === BLOB_WRITE_FAILED)!;
    expect(bwf.to - bwf.from).toBeGreaterThan(50_000n);
    expect(runs[0]!.kind).toBe("oog");
    const slot = await packedSlot(c);
    const snap = await c.networkHelpers.takeSnapshot();
    const cases = [
      { name: "oog", gas1: runs[0]!.to },
      { name: "BlobWriteFailed", gas1: (bwf.from + bwf.to) / 2n },
      ...runs.filter((x, j) => x.kind === "oog" && j > 0).map((x) => ({ name: "oog after", gas1: x.from })),
    ];
    for (const k of cases) {
      await snap.restore();
      const n0 = await nonceOf(c, c.poq.address);
      expect(await blobsIn(c, slot)).toBe(n0 - 1n);
      const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, k.gas1, draw, draw), gas: 12_000_000n });
      expect((await receipt(c, hash)).status, k.name).toBe("success");
      expect(await nonceOf(c, c.poq.address), k.name).toBe(n0 + 1n);
      expect(await blobsIn(c, slot), k.name).toBe(n0);
      const recs: Hex[] = [];
      for (const [j, id] of ids.entries()) {
        expect((await c.poq.read.getTask([id])).status, k.name).toBe(TaskStatus.OPEN);
        const [members, , weights] = await c.poq.read.getCommittee([id]);
        expect(members.length).toBe(ks[j]);
        recs.push(committeeRecord(members, weights));
      }
      expect(await codeOf(c, n0), k.name).toBe(blob(recs));
      expect(byteLen(await codeOf(c, n0))).toBe(1n + 26n * 15n);
    }
    // a createTask after a swallowed failed draw
    await snap.restore();
    const n0 = await nonceOf(c, c.poq.address);
    const spec = c.spec(nodes, { queryHash: h32("after-draw") });
    const create = encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [spec] });
    const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, (bwf.from + bwf.to) / 2n, draw, create), gas: 12_000_000n });
    expect((await receipt(c, hash)).status).toBe("success");
    expect(await codeOf(c, n0)).toBe(blob([recordOf(spec, F)]));
    expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
    for (const id of ids) expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.PENDING);
    await expectBalanced(c);
  }, 120_000);
});

// ================================================================ 4. settlement through the offsets

const KEYS = keyedAccounts("redteam-v17", 7);
const sealedChain = sealedChainFor(KEYS, 7);

describe("V17 settlement reads each task's own record", () => {
  it("HOLDS V17-15: five tasks created by ONE createTasks (nodes [N0, N1], [N2], [N3, N4, N5], [N1, N0], [N5, N2]; k = 3, 4, 5, 3, 3; blobAt 0, 112, 204, 336, 448) and drawn by ONE drawCommittees settle through their offsets: tasks 1 and 3 by the per-member round (commit, reveal, finalize), tasks 2 and 4 by a sealed round (commitAll with EIP-712 signatures, finalizeSealed), task 5 by commitAll then revealSealed by each member (Sealing.admit) and finalize; each OutputSettled names the node of ITS task at that output index and pays it (> 0), each node's pending payout is the sum of its pays over the tasks it serves; EvaluatorSettled lists exactly that task's committee in draw order; a member of another task's committee in the same blob cannot commit to a task it is not on (NotCommitteeMember); conservation holds", async () => {
    const s = await sealedChain();
    const { c } = s;
    const extra = await c.nodes(4, 310);
    const N = [...s.nodes, ...extra];
    const R = s.requester;
    const specs = [
      c.spec([N[0]!, N[1]!], { k: 3, queryHash: h32("set-1") }),
      c.spec([N[2]!], { k: 4, evalBudget: 8n * E18, queryHash: h32("set-2") }),
      c.spec([N[3]!, N[4]!, N[5]!], { k: 5, evalBudget: 10n * E18, queryHash: h32("set-3") }),
      c.spec([N[1]!, N[0]!], { k: 3, queryHash: h32("set-4") }),
      c.spec([N[5]!, N[2]!], { k: 3, queryHash: h32("set-5") }),
    ];
    const { ids } = await createBatch(c, R, specs);
    await c.networkHelpers.mine();
    const n0 = await nonceOf(c, c.poq.address);
    await c.poq.write.drawCommittees([ids]);
    const committees = new Map<bigint, Address[]>();
    let base = 0n;
    for (const [i, id] of ids.entries()) {
      const [members] = await c.poq.read.getCommittee([id]);
      expect(members.length).toBe(specs[i]!.k);
      committees.set(id, [...members]);
      expect(await word1(c, id)).toMatchObject({ committee: n0, committeeAt: base, blobAt: [0n, 112n, 204n, 336n, 448n][i] });
      base += 26n * BigInt(specs[i]!.k);
    }
    // an evaluator on task 3's committee (adjacent record) but not on task 1's
    const outsider = committees.get(ids[2]!)!.find((m) => !committees.get(ids[0]!)!.some((x) => sameAddress(x, m)));
    expect(outsider).toBeDefined();
    await reverts(c.poq.write.commit([ids[0]!, h32("x")], { account: outsider! }), "NotCommitteeMember", [ids[0]!, outsider]);

    const scoresFor = (m: number, i: number) => [8_000, 6_500, 7_200].slice(0, m).map((x) => x + 100 * (i % 2));
    const pays = new Map<string, bigint>();
    for (const [i, id] of ids.entries()) {
      const members = committees.get(id)!;
      const m = specs[i]!.nodes.length;
      const scores = members.map((_, j) => scoresFor(m, j));
      let hash: Hex;
      if (i === 4) {
        // sealed, then every member reveals alone against the sealed list (Sealing.admit)
        const p = await prepare(s, id, members, scores);
        await commitAll(c, id, p.commitments, p.signatures);
        for (const [j, mbr] of members.entries()) await revealSealed(c, id, mbr, p.commitments, scores[j]!, p.salts[j]!);
        hash = await c.poq.write.finalize([id]);
      } else if (i % 2 === 0) {
        await c.play(id, members, scores);
        hash = await c.finalize(id);
      } else {
        const p = await prepare(s, id, members, scores);
        await commitAll(c, id, p.commitments, p.signatures);
        hash = await finalizeSealed(c, id, p.openings);
      }
      const r = await settledEvents(c, hash);
      expect(r.members.map((x) => x.evaluator), `task ${i}`).toEqual(members);
      expect(r.task.hasConsensus).toBe(true);
      expect(r.outputs.map((o) => [o.output, o.node])).toEqual(specs[i]!.nodes.map((n, j) => [BigInt(j), n]));
      for (const o of r.outputs) {
        expect(o.pay, `task ${i} output ${o.output}`).toBeGreaterThan(0n);
        pays.set(o.node!.toLowerCase(), (pays.get(o.node!.toLowerCase()) ?? 0n) + o.pay!);
      }
      expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.FINALIZED);
    }
    for (const n of N) expect((await c.poq.read.getNode([n])).pending, n).toBe(pays.get(n.toLowerCase()) ?? 0n);
    expect(pays.get(N[0]!.toLowerCase())).toBeGreaterThan(0n);
    await expectBalanced(c);
  }, 120_000);
});

// ================================================================ 5. re-entry, pause, composition

describe("V17 guards and composition", () => {
  it("HOLDS V17-16: a requester contract paid in a token that calls it back from inside createTasks' single pull (after the blob's CREATE) cannot re-enter: createTasks, drawCommittees(pending task) and multicall([createTasks]) all fail ReentrancyGuardReentrantCall (the token swallows the failure); each outer batch completes with its two tasks in one blob at the nonce it was given (nonce + 1, `_blobs` = nonce - 1), and the pending task is drawn afterwards by drawCommittees at the next nonce; balance == accounted", async () => {
    const c = await setupChain({ reentrantToken: true });
    await c.evaluators(3);
    const nodes = await c.nodes(2);
    const R = (await c.actor(1)).address;
    const pending = await c.create(R, c.spec(nodes, { queryHash: h32("pending") }));
    const F = await fundedForwarder(c, 10_000n * E18);
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    const count = encodeFunctionData({ abi: c.poq.abi, functionName: "taskCount" });
    const batchOf = (tag: string) => [c.spec(nodes, { queryHash: h32(`${tag}-a`) }), c.spec(nodes.slice(0, 1), { queryHash: h32(`${tag}-b`) })];
    const createTasks = (tag: string) => encodeFunctionData({ abi: c.poq.abi, functionName: "createTasks", args: [batchOf(tag)] });
    const reentries: Hex[] = [
      createTasks("inner"),
      encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[pending]] }),
      encodeFunctionData({ abi: c.poq.abi, functionName: "multicall", args: [[createTasks("inner-mc")]] }),
    ];
    const slot = await packedSlot(c);
    for (const [i, inner] of reentries.entries()) {
      const n0 = await nonceOf(c, c.poq.address);
      const count0 = await c.poq.read.taskCount();
      await token.write.arm([F, fwd(c.poq.address, 5_000_000n, inner, count), false]);
      const hash = await c.admin.sendTransaction({ to: F, data: fwd(c.poq.address, 8_000_000n, createTasks(`outer-${i}`), count), gas: 12_000_000n });
      expect((await receipt(c, hash)).status).toBe("success");
      expect(await token.read.armed()).toBe(false);
      expect(await token.read.lastReentrySucceeded()).toBe(true);
      const innerResult = decodeFwd(await token.read.lastReentryData());
      expect(innerResult.ok1).toBe(false);
      expect(innerResult.data).toBe(GUARD);
      expect(await c.poq.read.taskCount()).toBe(count0 + 2n);
      expect(await nonceOf(c, c.poq.address)).toBe(n0 + 1n);
      expect(await blobsIn(c, slot)).toBe(n0);
      expect(await codeOf(c, n0)).toBe(blob(batchOf(`outer-${i}`).map((s) => recordOf(s, F))));
    }
    expect((await c.poq.read.getTask([pending])).status).toBe(TaskStatus.PENDING);
    const n2 = await nonceOf(c, c.poq.address);
    await c.poq.write.drawCommittees([[pending]]);
    const [members, , weights] = await c.poq.read.getCommittee([pending]);
    expect(await codeOf(c, n2)).toBe(blob([committeeRecord(members, weights)]));
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V17-17: pausing stops createTasks (EnforcedPause, nothing created, no blob) as it stops createTask, while drawCommittees keeps working (as drawCommittee does: tasks already paid for are drawn) and writes its blob; after unpause createTasks works again at the next nonce", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const R = (await c.actor(1)).address;
    const { ids } = await createBatch(c, R, [c.spec(nodes, { queryHash: h32("p0") }), c.spec(nodes, { queryHash: h32("p1") })]);
    await c.poq.write.pause();
    const n0 = await nonceOf(c, c.poq.address);
    await reverts(c.poq.write.createTasks([[c.spec(nodes)]], { account: R }), "EnforcedPause");
    await reverts(c.poq.write.createTask([c.spec(nodes)], { account: R }), "EnforcedPause");
    expect([await c.poq.read.taskCount(), await nonceOf(c, c.poq.address)]).toEqual([2n, n0]);
    await c.poq.write.drawCommittees([ids]);
    for (const id of ids) expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.OPEN);
    expect(byteLen(await codeOf(c, n0))).toBe(1n + 2n * 78n);
    await c.poq.write.unpause();
    const more = await createBatch(c, R, [c.spec(nodes, { queryHash: h32("p2") })]);
    expect(await word1(c, more.ids[0]!)).toMatchObject({ blob: n0 + 1n, blobAt: 0n });
    await expectBalanced(c);
  }, 60_000);

  it("HOLDS V17-18: batch and single entry points compose in one multicall without sharing or skipping a nonce: multicall([createTask(a), createTasks([b, c]), createTask(d)]) writes three task blobs at consecutive nonces (a alone, b + c, d alone; ids consecutive) that each read back; a batch-created task drawn by drawCommittee keeps its blobAt and gets committeeAt 0, a singly created task drawn in a batch gets blobAt 0 and its committee offset; multicall([drawCommittees([a, b]), drawCommittee(c), drawCommittees([d, a])]) writes three committee blobs (a + b, c, d) and every committee reads back", async () => {
    const c = await setupChain();
    const evs = await c.evaluators(6);
    const nodes = await c.nodes(3);
    const R = (await c.actor(1)).address;
    const sa = c.spec(nodes.slice(0, 1), { queryHash: h32("ma") });
    const sb = c.spec(nodes.slice(0, 3), { k: 4, evalBudget: 8n * E18, queryHash: h32("mb") });
    const sc = c.spec(nodes.slice(1, 3), { k: 5, evalBudget: 10n * E18, queryHash: h32("mc") });
    const sd = c.spec(nodes.slice(2, 3), { k: 5, evalBudget: 10n * E18, queryHash: h32("md") });
    const n0 = await nonceOf(c, c.poq.address);
    await c.poq.write.multicall(
      [[
        encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [sa] }),
        encodeFunctionData({ abi: c.poq.abi, functionName: "createTasks", args: [[sb, sc]] }),
        encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [sd] }),
      ]],
      { account: R, gas: TX_GAS },
    );
    const [a, b, cc, d] = [1n, 2n, 3n, 4n];
    expect(await c.poq.read.taskCount()).toBe(4n);
    expect(await nonceOf(c, c.poq.address)).toBe(n0 + 3n);
    expect(await codeOf(c, n0)).toBe(blob([recordOf(sa, R)]));
    expect(await codeOf(c, n0 + 1n)).toBe(blob([recordOf(sb, R), recordOf(sc, R)]));
    expect(await codeOf(c, n0 + 2n)).toBe(blob([recordOf(sd, R)]));
    expect(await word1(c, cc)).toMatchObject({ blob: n0 + 1n, blobAt: taskSize(3) });
    for (const [id, s] of [[a, sa], [b, sb], [cc, sc], [d, sd]] as const) expect(await c.poq.read.getOutputs([id])).toEqual(s.nodes);
    await c.networkHelpers.mine();
    const n1 = await nonceOf(c, c.poq.address);
    const rc = await receipt(
      c,
      await c.poq.write.multicall(
        [[
          encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[a, b]] }),
          encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittee", args: [cc] }),
          encodeFunctionData({ abi: c.poq.abi, functionName: "drawCommittees", args: [[d, a]] }),
        ]],
        { gas: TX_GAS },
      ),
    );
    expect(parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" }).map((e) => e.args.taskId)).toEqual([a, b, cc, d]);
    expect(await nonceOf(c, c.poq.address)).toBe(n1 + 3n);
    const rec = async (id: bigint) => {
      const [members, , weights] = await c.poq.read.getCommittee([id]);
      return committeeRecord(members, weights);
    };
    expect(await codeOf(c, n1)).toBe(blob([await rec(a), await rec(b)]));
    expect(await codeOf(c, n1 + 1n)).toBe(blob([await rec(cc)]));
    expect(await codeOf(c, n1 + 2n)).toBe(blob([await rec(d)]));
    expect(await word1(c, a)).toMatchObject({ blob: n0, blobAt: 0n, committee: n1, committeeAt: 0n });
    expect(await word1(c, b)).toMatchObject({ blob: n0 + 1n, blobAt: 0n, committee: n1, committeeAt: 78n });
    expect(await word1(c, cc)).toMatchObject({ blob: n0 + 1n, blobAt: taskSize(3), committee: n1 + 1n, committeeAt: 0n });
    expect(await word1(c, d)).toMatchObject({ blob: n0 + 2n, blobAt: 0n, committee: n1 + 2n, committeeAt: 0n });
    for (const id of [a, b, cc, d]) {
      const [members] = await c.poq.read.getCommittee([id]);
      for (const e of evs) expect((await c.poq.read.getMember([id, e]))[0]).toBe(members.some((m) => sameAddress(m, e)));
    }
    await expectBalanced(c);
  }, 60_000);
});
