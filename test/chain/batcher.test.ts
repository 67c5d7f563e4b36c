import { describe, it, expect, beforeAll } from "vitest";
import { network } from "hardhat";
import { keccak256, toHex, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { CallBatcher } from "../../oracle/chain/batcher.js";
import { GasBook } from "../../oracle/chain/gas-book.js";
import { RevertError } from "../../oracle/chain/errors.js";
import { MemoryNonceCoordinator } from "../../oracle/chain/nonce.js";
import { PoqChain } from "../../oracle/chain/poq.js";
import { TxSender } from "../../oracle/chain/tx.js";
import { poqAbi } from "../../oracle/chain/contract.js";
import { createTasks, qaTask, setupStackOn, txCfg, type Stack } from "../e2e/harness.js";

/**
 * The per-key call batcher against the real contract (in-process Hardhat network): calls
 * queued together share one multicall transaction; a batch that would revert falls back to
 * one transaction a call, so each caller gets its own result or decoded error.
 */
let s: Stack;
let client: PublicClient;
const abi = poqAbi();

beforeAll(async () => {
  const conn = await network.create();
  client = (await conn.viem.getPublicClient()) as unknown as PublicClient;
  s = await setupStackOn({ client, provider: conn.provider as unknown as EIP1193Provider, viem: conn.viem }, 3);
}, 120_000);

const commitment = (i: number): Hex => keccak256(toHex(`commitment-${i}`));

function batcherFor(key: Hex, maxCalls: number, learnGas: string[] = []) {
  const sender = new TxSender(client, privateKeyToAccount(key), new MemoryNonceCoordinator(), txCfg);
  return new CallBatcher(sender, s.dep.poq, abi, { maxCalls, lingerMs: 0, learnGas });
}

async function member(taskId: bigint, ev: Hex) {
  const m = await s.dc.client.readContract({ address: s.dep.poq, abi, functionName: "getMember", args: [taskId, ev] } as never);
  return { committed: (m as readonly unknown[])[1] as boolean, revealed: (m as readonly unknown[])[2] as boolean };
}

describe("GasBook", () => {
  it("knows a limit only for learnt keys: 1.5x the most gas a call used, summed, plus 30,000", () => {
    const g = new GasBook();
    expect(g.limitFor(["commit"])).toBeUndefined();
    g.learn(["commit", "commit"], 80_001n); // 40,001 a call (rounded up)
    expect(g.limitFor(["commit"])).toBe((40_001n * 3n) / 2n + 30_000n);
    g.learn(["commit"], 50_000n); // a lone call used more: the higher figure stays
    g.learn(["commit", "commit", "commit", "commit"], 100_000n);
    expect(g.limitFor(["commit", "commit"])).toBe((100_000n * 3n) / 2n + 30_000n);
    expect(g.limitFor(["commit", "reveal/3"])).toBeUndefined(); // one unknown key: estimate the whole transaction
    expect(g.limitFor([undefined])).toBeUndefined();
    g.learn([undefined, "reveal/3"], 60_000n);
    expect(g.limitFor(["reveal/3"])).toBe((30_000n * 3n) / 2n + 30_000n);
  });
});

describe("CallBatcher", () => {
  it("sends calls queued in one turn as a single multicall transaction, up to maxCalls a transaction", async () => {
    const ids = await createTasks(s, [qaTask(1), qaTask(2), qaTask(3), qaTask(4), qaTask(5)], { k: 3 });
    const ev = s.evaluators[0]!.address;
    const all = batcherFor(s.evaluatorKeys[0]!, 16);
    const hashes = await Promise.all(ids.slice(0, 3).map((id, i) => all.submit("commit", [id, commitment(i)])));
    expect(new Set(hashes).size).toBe(1);
    const receipt = await client.getTransactionReceipt({ hash: hashes[0]! });
    expect(receipt.status).toBe("success");
    for (const id of ids.slice(0, 3)) expect((await member(id, ev)).committed).toBe(true);

    const pairs = batcherFor(s.evaluatorKeys[1]!, 2);
    const h2 = await Promise.all(ids.map((id, i) => pairs.submit("commit", [id, commitment(10 + i)])));
    expect(new Set(h2).size).toBe(3); // 5 calls, at most 2 a transaction
    for (const id of ids) expect((await member(id, s.evaluators[1]!.address)).committed).toBe(true);
  });

  it("falls back to one transaction a call when the batch would revert, and gives each caller its own outcome", async () => {
    const ids = await createTasks(s, [qaTask(6), qaTask(7), qaTask(8)], { k: 3 });
    const b = batcherFor(s.evaluatorKeys[2]!, 16);
    await b.submit("commit", [ids[1]!, commitment(20)]); // ids[1] is committed already
    const results = await Promise.allSettled(ids.map((id, i) => b.submit("commit", [id, commitment(30 + i)])));
    expect(results[0]!.status).toBe("fulfilled");
    expect(results[2]!.status).toBe("fulfilled");
    expect(results[1]!.status).toBe("rejected");
    const err = (results[1] as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(RevertError);
    expect((err as RevertError).errorName).toBe("AlreadyCommitted");
    const ev = s.evaluators[2]!.address;
    for (const id of ids) expect((await member(id, ev)).committed).toBe(true);
  });

  it("sends commits without a gas estimate once one was mined, with the limit learnt from its receipt", async () => {
    const ids = await createTasks(s, [qaTask(11), qaTask(12), qaTask(13), qaTask(14)], { k: 3 });
    const key = s.evaluatorKeys[0]!;
    const b = batcherFor(key, 16, ["commit"]);
    expect(b.gas.limitFor(["commit", "commit"])).toBeUndefined();
    const first = await Promise.all(ids.slice(0, 2).map((id, i) => b.submit("commit", [id, commitment(50 + i)])));
    const r1 = await client.getTransactionReceipt({ hash: first[0]! });
    const perCall = (r1.gasUsed + 1n) / 2n;
    const expected = (2n * perCall * 3n) / 2n + 30_000n;
    expect(b.gas.limitFor(["commit", "commit"])).toBe(expected);
    const second = await Promise.all(ids.slice(2).map((id, i) => b.submit("commit", [id, commitment(60 + i)])));
    const tx = await client.getTransaction({ hash: second[0]! });
    expect(tx.gas).toBe(expected); // the learnt limit, not estimate x 1.2 + 10,000
    expect((await client.getTransactionReceipt({ hash: second[0]! })).status).toBe("success");
    for (const id of ids) expect((await member(id, s.evaluators[0]!.address)).committed).toBe(true);
  });

  it("re-sends with estimates when a batch sent with a learnt limit fails on chain (a revert, or out of gas)", async () => {
    const ids = await createTasks(s, [qaTask(15), qaTask(16), qaTask(17)], { k: 3 });
    const ev = s.evaluators[1]!.address;
    const b = batcherFor(s.evaluatorKeys[1]!, 16, ["commit"]);
    await b.submit("commit", [ids[1]!, commitment(70)]); // learns; ids[1] is committed now
    const results = await Promise.allSettled(ids.map((id, i) => b.submit("commit", [id, commitment(80 + i)])));
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(((results[1] as PromiseRejectedResult).reason as RevertError).errorName).toBe("AlreadyCommitted");

    // A limit learnt too low (here: 1 gas a call) runs out of gas; the call goes through with an estimate.
    const more = await createTasks(s, [qaTask(18)], { k: 3 });
    const low = batcherFor(s.evaluatorKeys[1]!, 16, ["commit"]);
    low.gas.learn(["commit"], 1n);
    const h = await low.submit("commit", [more[0]!, commitment(90)]);
    expect((await client.getTransactionReceipt({ hash: h })).status).toBe("success");
    expect((await member(more[0]!, ev)).committed).toBe(true);
  });

  it("PoqActions.createTasks creates many tasks a transaction, ids in input order; a bad task is named and the ones before it exist; drawCommittees draws them, tolerates an earlier draw, reports a cancellation", async () => {
    const req = s.actions(s.requester);
    const { prepareTask } = await import("../../oracle/sdk/tasks.js");
    const nodes = Object.fromEntries(s.nodes.map((n, i) => [`n${i}`, n.address]));
    const spec = (i: number) =>
      prepareTask(qaTask(100 + i), s.content, { rule: "TRUST_WEIGHTED_MEDIAN", k: 3, commitWindow: 3_600, revealWindow: 3_600, nodeBudget: 10n ** 19n, evalBudget: 3n * 10n ** 18n, profileHash: s.profileHash, nodes });
    const specs = await Promise.all([0, 1, 2].map(spec));
    const before = await client.getBlockNumber();
    const ids = await req.createTasks(specs, { batch: 2 });
    expect(ids).toHaveLength(3);
    expect(ids[1]).toBe(ids[0]! + 1n);
    expect(ids[2]).toBe(ids[0]! + 2n);
    expect(await client.getBlockNumber()).toBe(before + 3n); // approval + 2 batches
    for (const [i, id] of ids.entries()) expect((await s.reader.getTask(id)).queryHash).toBe(specs[i]!.queryHash);

    const bad = { ...(await spec(3)), nodes: [s.requester.address, ...specs[0]!.nodes.slice(1)] };
    const count = await s.reader.read<bigint>("taskCount");
    const err = await req.createTasks([await spec(4), bad], { batch: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RevertError);
    expect((err as RevertError).errorName).toBe("UnknownNode");
    expect(await s.reader.read<bigint>("taskCount")).toBe(count + 1n);

    // The pending tasks' committees: drawn in one drawCommittees; one drawn first by another account is skipped.
    for (const id of ids) expect((await s.reader.getTask(id)).status).toBe("pending");
    await s.actions(s.admin).drawCommittee(ids[1]!);
    const head = await client.getBlockNumber();
    const draws = await req.drawCommittees(ids);
    expect(draws.map((d) => d.status)).toEqual(["open", "open", "open"]);
    expect(draws[1]!.members).toEqual((await s.reader.getTask(ids[1]!)).committee);
    for (const d of draws) expect(new Set(d.members.map((m) => m.toLowerCase()))).toEqual(new Set(s.evaluators.map((e) => e.address.toLowerCase())));
    expect(await client.getBlockNumber()).toBe(head + 1n); // one drawCommittees: the task drawn first is skipped, not a revert
    const [first, , third] = await Promise.all(ids.map((id) => s.reader.getTaskState(id)));
    expect(first!.committee).toEqual(draws[0]!.members);
    expect(third!.committee).toEqual(draws[2]!.members);

    // More members than evaluators: the draw cancels the task and credits its escrow back.
    const big = { ...(await spec(5)), k: 4, evalBudget: 4n * 10n ** 18n };
    const [bigId] = await req.createTasks([big]);
    const owed = await s.reader.claimableOf(s.requester.address);
    const [cancelled] = await req.drawCommittees([bigId!]);
    expect(cancelled).toMatchObject({ taskId: bigId, status: "cancelled", members: [], refund: 10n ** 19n + 4n * 10n ** 18n });
    expect((await s.reader.getTask(bigId!)).status).toBe("cancelled");
    expect(await s.reader.claimableOf(s.requester.address)).toBe(owed + cancelled!.refund);
  });

  it("blobChunks cuts createTasks batches at `batch` specs and where the records would pass one blob's 24,576 bytes (1 + 72 + 20 m each): 70 specs of m = 15 go 66 + 4, 20 of m = 4 with batch 16 go 16 + 4, one spec goes alone", async () => {
    const { blobChunks } = await import("../../oracle/sdk/index.js");
    const of = (m: number, n: number) => Array.from({ length: n }, () => ({ nodes: new Array<number>(m).fill(0) }));
    expect(blobChunks(of(15, 70), 100).map((c) => c.length)).toEqual([66, 4]);
    expect(1 + 66 * (72 + 20 * 15)).toBeLessThanOrEqual(24_576);
    expect(1 + 67 * (72 + 20 * 15)).toBeGreaterThan(24_576);
    expect(blobChunks(of(4, 20), 16).map((c) => c.length)).toEqual([16, 4]);
    expect(blobChunks(of(1, 1), 16).map((c) => c.length)).toEqual([1]);
    expect(blobChunks([], 16)).toEqual([]);
  });

  it("PoqChain.progressMany reads many tasks in one call, equal to progress() of each", async () => {
    const ids = await createTasks(s, [qaTask(9), qaTask(10)], { k: 3 });
    const chain = new PoqChain({ client, address: s.dep.poq, abi, accounts: [privateKeyToAccount(s.evaluatorKeys[0]!)], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    await chain.commit(s.evaluators[0]!.address, ids[0]!, commitment(40), async () => undefined);
    const many = await chain.progressMany([...ids, 1n]);
    const one = await Promise.all([...ids, 1n].map((id) => chain.progress(id)));
    expect(many).toEqual(one);
    expect(many[0]!.commits).toBe(1);
    expect(many[1]!.commits).toBe(0);
    expect(many[0]!.k).toBe(3);
    // the worker's combined read equals the separate ones (fresh chain object: nothing cached)
    const fresh = new PoqChain({ client, address: s.dep.poq, abi, accounts: [], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    for (const ev of [s.evaluators[0]!.address, s.evaluators[1]!.address]) {
      const both = await fresh.taskForEvaluator(ids[0]!, ev);
      expect(both.task).toEqual(await chain.getTask(ids[0]!));
      expect(both.member).toEqual(await chain.memberState(ids[0]!, ev));
      expect((await fresh.taskForEvaluator(ids[0]!, ev)).task).toEqual(both.task); // second read: outputs and committee from the cache
    }
    expect((await fresh.taskForEvaluator(ids[0]!, s.evaluators[0]!.address)).member.committed).toBe(true);
  });

  it("PoqChain names the tasks created and the committees drawn in a block range with their blocks, and the tasks with commits in a range", async () => {
    const chain = new PoqChain({ client, address: s.dep.poq, abi, accounts: [privateKeyToAccount(s.evaluatorKeys[0]!)], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    const from = (await chain.latest()).number + 1n;
    const ids = await createTasks(s, [qaTask(29), qaTask(30)], { k: 3, draw: false });
    const mid = (await chain.latest()).number;
    const pending = await chain.taskEventsIn(from, mid);
    expect(pending.created.map((c) => c.taskId)).toEqual(ids);
    expect(pending.sampled).toEqual([]);
    for (const c of pending.created) {
      expect((await chain.progress(c.taskId)).seedBlock).toBe(c.blockNumber);
      expect(c.blockHash).toBe((await client.getBlock({ blockNumber: c.blockNumber })).hash);
    }
    expect((await chain.getTask(ids[0]!)).committee).toEqual([]); // pending: no committee (and nothing cached)
    for (const id of ids) await chain.drawCommittee(s.evaluators[0]!.address, id);
    const drawn = await chain.taskEventsIn(mid + 1n, (await chain.latest()).number);
    expect(drawn.created).toEqual([]);
    expect(drawn.sampled.map((c) => c.taskId)).toEqual(ids);
    for (const c of drawn.sampled) {
      const log = (await client.getContractEvents({ address: s.dep.poq, abi, eventName: "CommitteeSampled", args: { taskId: c.taskId }, fromBlock: from } as never))[0] as unknown as { blockNumber: bigint };
      expect(c.blockHash).toBe((await client.getBlock({ blockNumber: log.blockNumber })).hash);
    }
    const t = await chain.getTask(ids[0]!);
    expect(t.committee).toHaveLength(3);
    expect(t.status).toBe(2); // OPEN
    await expect(chain.drawCommittee(s.evaluators[0]!.address, ids[0]!)).rejects.toMatchObject({ errorName: "NotPending" });
    const before = (await chain.latest()).number;
    await chain.commit(s.evaluators[0]!.address, ids[1]!, commitment(41), async () => undefined);
    const head = await chain.latest();
    expect(head.number).toBeGreaterThan(before);
    expect(head.timestamp).toBe((await client.getBlock({ blockNumber: head.number })).timestamp);
    expect(await chain.taskActivityIn(before + 1n, head.number)).toEqual([ids[1]]);
    expect(await chain.taskActivityIn(from, before)).toEqual([]);
  });

  it("TxSenders of one client share one fee estimate a second, whichever key sends", async () => {
    let estimates = 0;
    const counting = new Proxy(client, {
      get: (t, k, r) => (k === "estimateFeesPerGas" ? (...a: unknown[]) => (estimates++, (t.estimateFeesPerGas as (...x: unknown[]) => unknown)(...a)) : Reflect.get(t, k, r)),
    });
    const nonces = new MemoryNonceCoordinator();
    const senders = s.evaluatorKeys.slice(0, 3).map((k) => new TxSender(counting, privateKeyToAccount(k), nonces, txCfg));
    const noop = { address: s.dep.poq, abi, functionName: "multicall", args: [[]] };
    const receipts = await Promise.all(senders.map((x) => x.write(noop)));
    expect(receipts.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(new Set(receipts.map((r) => r.from.toLowerCase())).size).toBe(3);
    expect(estimates).toBe(1);
  });

  it("PoqChain sends reads asked for in the same turn as one eth_call, each view once, each caller getting its own answer", async () => {
    const ids = await createTasks(s, [qaTask(19), qaTask(20)], { k: 3 });
    let calls = 0;
    let views = 0;
    const counting = new Proxy(client, {
      get: (t, k, r) =>
        k === "readContract"
          ? (...a: unknown[]) => {
              calls++;
              views += ((a[0] as { args: [readonly unknown[]] }).args[0]).length; // the multicall's inner calls
              return (t.readContract as (...x: unknown[]) => unknown)(...a);
            }
          : Reflect.get(t, k, r),
    });
    const chain = new PoqChain({ client: counting, address: s.dep.poq, abi, accounts: [], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    const evs = s.evaluators.map((e) => e.address);
    const together = await Promise.all(ids.flatMap((id) => evs.map((ev) => chain.taskForEvaluator(id, ev))));
    expect(calls).toBe(1);
    // Every caller asked for its task's getTask, getOutputs and getCommittee and its own getMember:
    // each task's three shared views are read once.
    expect(views).toBe(ids.length * (3 + evs.length));
    const fresh = new PoqChain({ client, address: s.dep.poq, abi, accounts: [], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    for (const [i, id] of ids.entries())
      for (const [j, ev] of evs.entries()) {
        const r = together[i * evs.length + j]!;
        expect(r.task.taskId).toBe(id);
        expect(r).toEqual(await fresh.taskForEvaluator(id, ev));
      }
  });

  it("PoqChain takes a task's query and output hashes from its TaskCreated event (the contract keeps their content hash): one log query a task however many callers ask at once, the hashes name the texts the requester stored; a forged log (a lying RPC: another query hash) is refused with E_TASK_CONTENT, not scored", async () => {
    const line = qaTask(21);
    const [id] = await createTasks(s, [line], { k: 3 });
    let logQueries = 0;
    let forge = false;
    const tapped = new Proxy(client, {
      get: (t, k, r) =>
        k === "getLogs"
          ? async (...a: unknown[]) => {
              logQueries++;
              const logs = await (t.getLogs as unknown as (...x: unknown[]) => Promise<Array<{ args: { spec: { queryHash: Hex } } }>>)(...a);
              return forge ? logs.map((l) => ({ ...l, args: { ...l.args, spec: { ...l.args.spec, queryHash: keccak256(toHex("another query")) } } })) : logs;
            }
          : Reflect.get(t, k, r),
    });
    const make = () => new PoqChain({ client: tapped, address: s.dep.poq, abi, accounts: [], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    const chain = make();
    const reads = await Promise.all(s.evaluators.map((e) => chain.taskForEvaluator(id!, e.address)));
    expect(logQueries).toBe(1);
    const t = reads[0]!.task;
    expect(reads.every((r) => r.task.queryHash === t.queryHash)).toBe(true);
    expect(await s.content.get(t.queryHash)).toContain(line.query);
    expect(await Promise.all(t.outputs.map((o) => s.content.get(o.outputHash)))).toEqual(line.outputs.map((o) => o.text));
    await chain.getTask(id!);
    expect(logQueries).toBe(1); // cached with the committee

    forge = true;
    const lied = make();
    await expect(lied.getTask(id!)).rejects.toMatchObject({ code: "E_TASK_CONTENT" });
  });
});
