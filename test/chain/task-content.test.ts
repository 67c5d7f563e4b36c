/**
 * Red team v16, off-chain half (708bff1): ProofOfQuality keeps only a task's content hash,
 * keccak256(queryHash || outputHashes); the worker's chain reader (PoqChain.content / taskRead)
 * and the SDK (PoqReader.getTask) take the hashes from the task's TaskCreated log in block
 * `seedBlock` and refuse a log that does not hash to it (contentFromLogs, E_TASK_CONTENT).
 * Attacked here: forged and foreign logs, lying and lagging RPC answers, the content cache
 * (failed promises, concurrent readers, a reorg that re-creates a task id).
 *
 * Labels as in test/contracts/redteam-v16.test.ts ("HOLDS V16-n" / "ACCEPTED V16-n").
 */
import { describe, expect, it } from "vitest";
import { concat, encodeAbiParameters, encodeEventTopics, keccak256, toHex, type Address, type Hex, type PublicClient } from "viem";
import { MemoryNonceCoordinator } from "../../oracle/chain/nonce.js";
import { PoqChain } from "../../oracle/chain/poq.js";
import { poqAbi } from "../../oracle/chain/contract.js";
import { contentFromLogs, contentHashOf } from "../../oracle/contract/content.js";
import { PoqActions, PoqReader } from "../../oracle/sdk/index.js";
import { TxSender } from "../../oracle/chain/tx.js";
import { privateKeyToAccount } from "viem/accounts";
import { txCfg } from "../e2e/harness.js";
import { E18, setupChain, type Chain } from "../contracts/helpers.js";

const abi = poqAbi();
const h32 = (s: string): Hex => keccak256(toHex(s));
const p2 = (n: number) => n.toString(16).padStart(4, "0");
/** calldata = t0 | t1 | t2 | t3 | data: emits log4(data, t0, t1, t2, t3). */
const EMITTER_RUNTIME = "60803603806080600037" + "606035604035602035600035" + "846000a4" + "00";

async function deployEmitter(c: Chain): Promise<Address> {
  const hash = await c.admin.deployContract({ abi: [], bytecode: `0x61${p2(EMITTER_RUNTIME.length / 2)}80600c6000396000f3${EMITTER_RUNTIME}` as Hex });
  return (await c.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
}

type GetLogs = (...a: unknown[]) => Promise<unknown[]>;
/** A client whose getLogs (the worker's) and getContractEvents (the SDK's) go through `tap`. */
function tapped(client: PublicClient, tap: { getLogs?: (real: GetLogs, args: Record<string, unknown>) => Promise<unknown[]>; events?: (real: GetLogs, args: Record<string, unknown>) => Promise<unknown[]> }) {
  return new Proxy(client, {
    get: (t, k, r) => {
      if (k === "getLogs" && tap.getLogs) return (args: Record<string, unknown>) => tap.getLogs!((t.getLogs as GetLogs).bind(t), args);
      if (k === "getContractEvents" && tap.events) return (args: Record<string, unknown>) => tap.events!((t.getContractEvents as GetLogs).bind(t), args);
      return Reflect.get(t, k, r);
    },
  }) as PublicClient;
}

const chainOn = (c: Chain, client: PublicClient) =>
  new PoqChain({ client, address: c.poq.address, abi, accounts: [], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } as never });

const outputsOf = (n: number, tag: string) => Array.from({ length: n }, (_, j) => h32(`${tag}-out-${j}`));

async function base() {
  const c = await setupChain();
  const evs = await c.evaluators(3);
  const nodes = await c.nodes(3);
  const requester = (await c.actor(1)).address;
  return { c, evs, nodes, requester, client: c.publicClient as unknown as PublicClient };
}

describe("V16 reading a task's content from TaskCreated", () => {
  it("HOLDS V16-10: forged and foreign TaskCreated logs are never scored: a contract emitting a decodable TaskCreated with the same three topics (task 1, its requester, its profile) and another query hash, in the SAME block and BEFORE the real one, is ignored by both readers on an honest RPC (address filter: worker and SDK read the real query hash and the 2 real output hashes); an RPC that drops the address filter (forged log first) still yields the real content (the forgery does not hash to getTask.contentHash); an RPC that answers only the forgery, or a log of task 1 whose output hashes are reordered, gets E_TASK_CONTENT from both readers; an RPC that answers task 2's log for task 1 is accepted only because task 2 has the very same content (same query and output hashes: nothing else to score)", async () => {
    const { c, nodes, requester, client } = await base();
    const emitter = await deployEmitter(c);
    const real = c.spec(nodes.slice(0, 2), { queryHash: h32("real query"), outputHashes: outputsOf(2, "real") });
    const forgedSpec = { ...real, queryHash: h32("forged query") };
    const topics = encodeEventTopics({ abi: c.poq.abi, eventName: "TaskCreated", args: { taskId: 1n, requester, profileHash: real.profileHash } }) as Hex[];
    const ev = c.poq.abi.find((x) => x.type === "event" && x.name === "TaskCreated")! as { inputs: readonly { indexed?: boolean }[] };
    const data = encodeAbiParameters(ev.inputs.filter((x) => !x.indexed) as never, [forgedSpec, 2n * E18, 0n] as never);
    await c.conn.provider.request({ method: "evm_setAutomine", params: [false] });
    try {
      await c.admin.sendTransaction({ to: emitter, data: concat([...topics, data]), gas: 1_000_000n });
      await c.poq.write.createTask([real], { account: requester, gas: 3_000_000n });
      await c.networkHelpers.mine();
    } finally {
      await c.conn.provider.request({ method: "evm_setAutomine", params: [true] });
    }
    // task 2: the same content, another block
    await c.create(requester, c.spec(nodes.slice(0, 2), { queryHash: real.queryHash, outputHashes: real.outputHashes }));
    const t1 = await c.poq.read.getTask([1n]);
    expect(t1.contentHash).toBe(contentHashOf(real.queryHash, real.outputHashes));
    const t2 = await c.poq.read.getTask([2n]);
    expect(t2.seedBlock).not.toBe(t1.seedBlock);

    const readBoth = async (cl: PublicClient) => {
      const w = await chainOn(c, cl).getTask(1n).then((t) => ({ q: t.queryHash, o: t.outputs.map((x) => x.outputHash) }), (e: { code?: string }) => e.code);
      const s = await new PoqReader(cl, c.poq.address).getTask(1n).then((t) => ({ q: t.queryHash, o: t.outputs.map((x) => x.outputHash) }), (e: { code?: string }) => e.code);
      return { w, s };
    };
    const want = { q: real.queryHash, o: real.outputHashes };
    expect(await readBoth(client)).toEqual({ w: want, s: want });

    // 1. no address filter: the forgery comes first, and is skipped
    const noFilter = tapped(client, {
      getLogs: async (realGet, a) => realGet({ ...a, address: undefined }),
      events: async (realGet, a) => realGet({ ...a, address: undefined }),
    });
    const seen: { address: Address; blockNumber: bigint }[][] = [];
    const counting = tapped(noFilter, {
      getLogs: async (g, a) => {
        const l = (await g(a)) as { address: Address; blockNumber: bigint }[];
        seen.push(l);
        return l;
      },
    });
    expect(await readBoth(counting)).toEqual({ w: want, s: want });
    // the worker read both logs, the forgery first, both in the task's seed block
    expect(seen.length).toBe(1);
    expect(seen[0]!.map((l) => [l.address.toLowerCase(), l.blockNumber])).toEqual([
      [emitter.toLowerCase(), t1.seedBlock],
      [c.poq.address.toLowerCase(), t1.seedBlock],
    ]);
    // 2. only the forgery
    const forgedOnly = async (g: GetLogs, a: Record<string, unknown>) => (await g({ ...a, address: emitter })) as unknown[];
    expect(await readBoth(tapped(client, { getLogs: forgedOnly, events: forgedOnly }))).toEqual({ w: "E_TASK_CONTENT", s: "E_TASK_CONTENT" });
    // 3. the real log with its output hashes swapped
    const swapped = async (g: GetLogs, a: Record<string, unknown>) =>
      ((await g(a)) as { args: { spec: { outputHashes: Hex[] } } }[]).map((l) => ({ ...l, args: { ...l.args, spec: { ...l.args.spec, outputHashes: [...l.args.spec.outputHashes].reverse() } } }));
    expect(await readBoth(tapped(client, { getLogs: swapped, events: swapped }))).toEqual({ w: "E_TASK_CONTENT", s: "E_TASK_CONTENT" });
    // 4. task 2's log answered for task 1: identical content, so identical hashes
    const other = async (g: GetLogs, a: Record<string, unknown>) => (await g({ ...a, args: { taskId: 2n }, fromBlock: t2.seedBlock, toBlock: t2.seedBlock })) as unknown[];
    expect(await readBoth(tapped(client, { getLogs: other, events: other }))).toEqual({ w: want, s: want });
    // contentFromLogs alone: first matching log wins, nothing else is looked at
    expect(contentFromLogs(1n, [{ args: { spec: forgedSpec } }, { args: {} }, { args: { spec: real } }], t1.contentHash)).toEqual({ queryHash: real.queryHash, outputHashes: real.outputHashes });
    expect(() => contentFromLogs(1n, [], t1.contentHash)).toThrow(/no TaskCreated event of task 1/);
  }, 60_000);

  it("HOLDS V16-11: the worker's content cache keeps no failure: an RPC that answers the creation block's log query with nothing (a lagging node) fails 5 concurrent reads of the drawn task with E_TASK_CONTENT through ONE log query; the rejected promise is dropped, so the next read makes exactly one more query, gets the real hashes and caches them (further reads: 0 queries, as the static cache then holds the task); a transient getLogs failure ('fetch failed') is retried inside the read (2 attempts, 1 result)", async () => {
    const { c, evs, nodes, requester, client } = await base();
    const spec = c.spec(nodes, { queryHash: h32("q10"), outputHashes: outputsOf(3, "t10") });
    const { taskId } = await c.createTask(requester, spec);
    let calls = 0;
    let mode: "empty" | "real" | "flaky" = "empty";
    const cl = tapped(client, {
      getLogs: async (g, a) => {
        calls++;
        if (mode === "empty") return [];
        if (mode === "flaky") {
          mode = "real";
          throw new Error("fetch failed");
        }
        return g(a);
      },
    });
    const w = chainOn(c, cl);
    const first = await Promise.allSettled(evs.map((e) => w.taskForEvaluator(taskId, e)).concat([w.taskForEvaluator(taskId, evs[0]!), w.taskForEvaluator(taskId, evs[1]!)]));
    expect(first.map((r) => (r.status === "rejected" ? (r.reason as { code?: string }).code : "ok"))).toEqual(Array(5).fill("E_TASK_CONTENT"));
    expect(calls).toBe(1);
    mode = "real";
    const t = (await w.taskForEvaluator(taskId, evs[0]!)).task;
    expect(calls).toBe(2);
    expect([t.queryHash, t.outputs.map((o) => o.outputHash)]).toEqual([spec.queryHash, spec.outputHashes]);
    await Promise.all(evs.map((e) => w.taskForEvaluator(taskId, e)));
    await w.getTask(taskId);
    expect(calls).toBe(2);

    // a transient failure: retried by withRetry inside the one read
    const w2 = chainOn(c, cl);
    mode = "flaky";
    calls = 0;
    const t2 = await w2.getTask(taskId);
    expect(calls).toBe(2);
    expect(t2.queryHash).toBe(spec.queryHash);
  }, 60_000);

  it("FIXED V16-12: a cache hit is checked against the content hash the task read returns. Reorg stand-in (snapshot, create task 1 = (qA, 2 outputs), a warm reader reads it while PENDING, revert, create task 1 = (qB, 3 outputs)): before the fix the warm reader returned qA and A's 2 output hashes beside B's 3 nodes (the third output's hash undefined) from its cache; now the content cache is keyed by (task, content hash) and the static cache re-reads a task whose content hash changed: the warm reader makes one more log query and returns (qB, B's 3 hashes), as a fresh reader does; the same after the task is drawn (the static cache)", async () => {
    const { c, nodes, requester, client } = await base();
    let calls = 0;
    const cl = tapped(client, { getLogs: async (g, a) => (calls++, g(a)) });
    const warm = chainOn(c, cl);
    const snap = await c.networkHelpers.takeSnapshot();
    const A = c.spec(nodes.slice(0, 2), { queryHash: h32("qA"), outputHashes: outputsOf(2, "A") });
    await c.create(requester, A);
    expect((await warm.getTask(1n)).queryHash).toBe(A.queryHash);
    expect(calls).toBe(1);
    await snap.restore();
    const B = c.spec(nodes, { queryHash: h32("qB"), outputHashes: outputsOf(3, "B") });
    await c.create(requester, B);
    const onChain = await c.poq.read.getTask([1n]);
    expect(onChain.contentHash).toBe(contentHashOf(B.queryHash, B.outputHashes));

    const read = await warm.getTask(1n);
    expect(calls).toBe(2); // the cached content was for another content hash: read again
    expect([read.queryHash, read.outputs.map((o) => o.node), read.outputs.map((o) => o.outputHash)]).toEqual([B.queryHash, B.nodes, B.outputHashes]);
    const fresh = await chainOn(c, client).getTask(1n);
    expect([fresh.queryHash, fresh.outputs.map((o) => o.outputHash)]).toEqual([B.queryHash, B.outputHashes]);

    // drawn: the static cache (outputs, committee, hashes) is checked the same way
    const snap2 = await c.networkHelpers.takeSnapshot();
    await c.draw(1n);
    const drawn = await warm.getTask(1n);
    expect([drawn.queryHash, drawn.committee.length]).toEqual([B.queryHash, 3]);
    expect(calls).toBe(2);
    await snap2.restore();
    await snap.restore();
    const A2 = c.spec(nodes.slice(0, 2), { queryHash: h32("qA2"), outputHashes: outputsOf(2, "A2") });
    await c.create(requester, A2);
    await c.draw(1n);
    const again = await warm.getTask(1n);
    expect([again.queryHash, again.outputs.map((o) => o.outputHash)]).toEqual([A2.queryHash, A2.outputHashes]);
    expect(calls).toBe(3);
  }, 60_000);

  it("FIXED V16-13: a content query that fails AFTER forget() and a newer successful read no longer deletes the newer cache entry (it deletes only its own): the reads return the right hashes with 2 log queries in all (3 before the fix)", async () => {
    const { c, evs, nodes, requester, client } = await base();
    const spec = c.spec(nodes, { queryHash: h32("q12"), outputHashes: outputsOf(3, "t12") });
    await c.create(requester, spec); // pending: only the content cache holds it
    let calls = 0;
    let failFirst: ((e: Error) => void) | undefined;
    const cl = tapped(client, {
      getLogs: (g, a) => {
        calls++;
        if (calls === 1) return new Promise((_, reject) => (failFirst = reject));
        return g(a);
      },
    });
    const w = chainOn(c, cl);
    const slow = w.getTask(1n).then(
      () => "ok",
      (e: Error) => e.message,
    );
    while (!failFirst) await new Promise((r) => setTimeout(r, 5));
    w.forget(1n);
    expect((await w.getTask(1n)).queryHash).toBe(spec.queryHash);
    expect(calls).toBe(2);
    failFirst(new Error("node lost the block"));
    expect(await slow).toBe("node lost the block");
    expect((await w.getTask(1n)).queryHash).toBe(spec.queryHash);
    expect(calls).toBe(2); // the newer entry survived the older failure
    expect((await w.getTask(1n)).queryHash).toBe(spec.queryHash);
    expect(calls).toBe(2);
    expect(evs.length).toBe(3);
  }, 60_000);

  it("ACCEPTED V16-14: a cold task read now needs the creation block's logs: with an RPC that serves views but not that block's logs, taskForEvaluator of a drawn task fails (an RPC error: the node's own error, not retried unless transient; an empty answer: E_TASK_CONTENT) while progress() (views only) answers OPEN, k 3: the worker then can neither score the task nor take its late-abstention path (abstainIfLate reads the task through taskForEvaluator), so a worker restarted on such an RPC leaves the member silent (slashed) instead of abstaining. A warm worker is unaffected: after one good read, the same reader keeps answering with the logs gone (static cache). docs/operations.md states the requirement; the late-abstention path could read getTask / getMember alone", async () => {
    const { c, nodes, requester, client } = await base();
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    let logs: "ok" | "pruned" | "empty" = "pruned";
    const cl = tapped(client, {
      getLogs: async (g, a) => {
        if (logs === "pruned") throw new Error("logs for this block range are not available (pruned)");
        return logs === "empty" ? [] : g(a);
      },
    });
    const cold = chainOn(c, cl);
    const p = await cold.progress(taskId);
    expect([p.status, p.k]).toEqual([2, 3]);
    await expect(cold.taskForEvaluator(taskId, members[0]!)).rejects.toThrow(/pruned/);
    logs = "empty";
    await expect(cold.taskForEvaluator(taskId, members[0]!)).rejects.toMatchObject({ code: "E_TASK_CONTENT" });
    logs = "ok";
    const warm = chainOn(c, cl);
    await warm.taskForEvaluator(taskId, members[0]!);
    logs = "pruned";
    const again = await warm.taskForEvaluator(taskId, members[1]!);
    expect(again.member.committed).toBe(false);
    expect(again.task.committee.length).toBe(3);
  }, 60_000);

  it("FIXED V16-15: PoqActions reads what a draw left through PoqReader.getTaskState (views only), not getTask (which needs the creation block's log): with an RPC that serves views and transactions but not that block's logs, PoqActions.drawCommittee sends the draw and returns status open with the 3 members (before the fix it rejected after the draw had happened), while getTask still refuses to answer without the hashes; with logs served getTask returns them", async () => {
    const { c, nodes, requester, client } = await base();
    const taskId = await c.create(requester, c.spec(nodes));
    const key = keccak256(toHex("v16-14 drawer"));
    const drawer = privateKeyToAccount(key);
    await c.networkHelpers.setBalance(drawer.address, 10n ** 20n);
    let served = false;
    const cl = tapped(client, {
      events: async (g, a) => {
        if (!served) throw new Error("logs for this block range are not available (pruned)");
        return g(a);
      },
    });
    const actions = new PoqActions(new PoqReader(cl, c.poq.address), new TxSender(cl, drawer, new MemoryNonceCoordinator(), txCfg));
    const nonce0 = BigInt(await client.getTransactionCount({ address: c.poq.address }));
    const r = await actions.drawCommittee(taskId);
    expect([r.status, r.members.length]).toEqual(["open", 3]);
    expect((await c.poq.read.getTask([taskId])).status).toBe(2); // OPEN
    expect(BigInt(await client.getTransactionCount({ address: c.poq.address }))).toBe(nonce0 + 1n);
    await expect(actions.reader.getTask(taskId)).rejects.toThrow(/pruned/);
    served = true;
    const again = await actions.drawCommittee(taskId); // NotPending: read back
    expect([again.status, again.members.length]).toEqual(["open", 3]);
    expect((await actions.reader.getTask(taskId)).outputs.length).toBe(3);
  }, 60_000);
});
