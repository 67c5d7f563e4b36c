/**
 * The SDK's payout readers on a Hardhat chain: after tasks with consensus, a miss and its
 * slash, a never-revealing committee (refund, burn), a cancelled task, two tasks finalized in
 * one multicall and claims, every number the log reader rebuilds equals the contracts' views
 * to the wei; the indexer reader, served the documented JSON by a real HTTP server, returns
 * the same typed results.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeFunctionData, keccak256, toHex, type Address } from "viem";
import { IndexerReader, LogReader, PoqSdkError, createPayoutReader, payoutsToJson, trustHistoryToJson, type Payouts } from "../../sdk/src/index.js";
import { E18, setupChain, TEST_PROFILE, type Chain } from "../contracts/helpers.js";
import { PoqReader } from "../../oracle/sdk/index.js";

const OTHER_PROFILE = keccak256(toHex("poq.sdk-unserved-profile"));

let c: Chain;
let reader: LogReader;
let evals: Address[];
let nodes: Address[];
let requester: Address;
let sponsor: Address; // a task's refundTo
let claimTo: Address;
const tasks: bigint[] = [];

beforeAll(async () => {
  c = await setupChain({ profiles: [TEST_PROFILE, OTHER_PROFILE] });
  await c.alignToTrustPeriod();
  evals = await c.evaluators(5);
  nodes = await c.nodes(3);
  requester = (await c.actor(1)).address;
  sponsor = (await c.actor(2, 0n)).address;
  claimTo = (await c.actor(3, 0n)).address;
  const q = (n: number) => keccak256(toHex(`sdk-q${n}`));

  // 1: everyone reveals close scores: consensus, every node and member paid
  {
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { queryHash: q(1) }));
    await c.play(taskId, members, members.map((_, i) => [7_000 + 100 * i, 3_000, 5_000 - 100 * i]));
    await c.finalize(taskId);
    tasks.push(taskId);
  }
  // 2: one member silent: it misses and is slashed, the others share its slash
  {
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { queryHash: q(2), k: 4, evalBudget: 8n * E18 }));
    await c.play(taskId, members, members.map((_, i) => (i === 1 ? undefined : [6_000, 2_000 + 50 * i, 9_000])));
    await c.finalize(taskId);
    tasks.push(taskId);
  }
  // 3: nobody reveals, refunds to a sponsor: full refund, every member slashed, the slash burned
  {
    const { taskId } = await c.createTask(requester, c.spec(nodes.slice(0, 2), { queryHash: q(3), refundTo: sponsor }));
    await c.finalize(taskId);
    tasks.push(taskId);
  }
  // 4: a profile nobody serves: the draw cancels the task and refunds the requester
  {
    const taskId = await c.create(requester, c.spec(nodes, { queryHash: q(4), profileHash: OTHER_PROFILE }));
    await c.draw(taskId);
    tasks.push(taskId);
  }
  // 5, 6: the whole registry sits on both, finalized in one multicall (two trust moves in one transaction)
  {
    const a = await c.createTask(requester, c.spec(nodes, { queryHash: q(5), k: 5, evalBudget: 10n * E18 }));
    const b = await c.createTask(requester, c.spec(nodes.slice(1), { queryHash: q(6), k: 5, evalBudget: 10n * E18, refundTo: sponsor }));
    await c.play(a.taskId, a.members, a.members.map((_, i) => [8_000 - 200 * i, 4_000, 6_000]));
    await c.play(b.taskId, b.members, b.members.map((_, i) => (i === 4 ? undefined : [1_000 + 300 * i, 9_000])));
    const rb = await c.poq.read.getTask([b.taskId]);
    await c.warp(BigInt(rb.revealDeadline) - (await c.now()) + 1n);
    const calls = [a.taskId, b.taskId].map((id) => encodeFunctionData({ abi: c.poq.abi, functionName: "finalize", args: [id] }));
    await c.poq.write.multicall([calls]);
    tasks.push(a.taskId, b.taskId);
  }
  // claims: an evaluator to another address, the requester and the sponsor to themselves, a node's payout
  await c.poq.write.claim([claimTo], { account: evals[0]! });
  await c.poq.write.claim([requester], { account: requester });
  await c.poq.write.claim([sponsor], { account: sponsor });
  await c.poq.write.claimNode([nodes[0]!]);
  reader = new LogReader({ client: c.publicClient, proofOfQuality: c.poq.address, fromBlock: 0n });
});

/** The contract-side numbers every account's Payouts must reproduce. */
async function expectMatchesViews(p: Payouts): Promise<void> {
  const a = p.address;
  const [node, claimable, refunded, e] = await Promise.all([
    c.poq.read.getNode([a]),
    c.poq.read.claimableOf([a]),
    c.poq.read.refundedOf([a]),
    c.registry.read.getEvaluator([a]),
  ]);
  expect(p.node.earned).toBe(node.lifetime);
  expect(p.requester.refunded).toBe(refunded);
  expect(claimable).toBe(p.evaluator.earned + p.requester.refunded - p.claimed);
  expect(p.evaluator.tasks.filter((t) => t.missed).length).toBe(Number(e.tasksMissed));
  expect(p.evaluator.tasks.length).toBe(Number(e.tasksAssigned));
  if (e.registered) expect(p.evaluator.slashed).toBe(1_000n * E18 - e.stake - e.unbonding);
  for (const o of p.node.outputs) {
    const [hasConsensus, cons] = await c.poq.read.getConsensus([o.taskId]);
    expect(hasConsensus).toBe(true);
    expect(o.consensus).toBe(Number(cons[o.output]));
  }
}

describe("LogReader (event logs)", () => {
  it("rebuilds every account's node pay, evaluator pay and slash, refunds and claims to the wei", async () => {
    for (const a of [...evals, ...nodes, requester, sponsor, claimTo]) await expectMatchesViews(await reader.payouts(a));
    const ev0 = await reader.payouts(evals[0]!);
    expect(ev0.claims).toHaveLength(1);
    expect(ev0.claims[0]!.to).toBe(claimTo);
    expect(ev0.claimed).toBeGreaterThan(0n);
    // the node paid through claimNode keeps its earnings (node pay is not a claim of the node's account)
    const n0 = await reader.payouts(nodes[0]!);
    expect(n0.node.outputs.map((o) => o.taskId)).toEqual([tasks[0], tasks[1], tasks[2], tasks[4]].filter((id) => id !== tasks[2])); // task 3 had no consensus
    expect(n0.node.earned).toBeGreaterThan(0n);
    expect((await c.poq.read.getNode([nodes[0]!])).pending).toBe(0n);
    // refunds: the sponsor's tasks 3 and 6, the requester's cancelled task 4 (and anything unpaid of 1, 2, 5)
    const sp = await reader.payouts(sponsor);
    expect(sp.requester.refunds.map((r) => r.taskId)).toEqual(expect.arrayContaining([tasks[2], tasks[5]]));
    expect(sp.requester.refunds.find((r) => r.taskId === tasks[2])!.amount).toBe(100n * E18 + 6n * E18);
    const rq = await reader.payouts(requester);
    expect(rq.requester.refunds.find((r) => r.taskId === tasks[3])!.amount).toBe(100n * E18 + 6n * E18);
  });

  it("gives each evaluator a trust history that chains from the initial trust to the registry's current trust", async () => {
    for (const a of evals) {
      const h = await reader.trustHistory(a);
      const e = await c.registry.read.getEvaluator([a]);
      expect(h.history.length).toBe(Number(e.tasksAssigned));
      expect(h.history[0]!.trustBefore).toBe(c.params.staking.initialTrust);
      for (let i = 1; i < h.history.length; i++) expect(h.history[i]!.trustBefore).toBe(h.history[i - 1]!.trustAfter);
      expect(h.history.at(-1)!.trustAfter).toBe(Number(e.trust));
      for (const p of h.history) expect(p.timestamp).toBe((await c.publicClient.getBlock({ blockNumber: p.block })).timestamp);
      // tasks 5 and 6 settled in one transaction: two points in one block, chained
      const last = h.history.slice(-2);
      expect(last.map((p) => p.taskId)).toEqual([tasks[4], tasks[5]]);
      expect(last[0]!.block).toBe(last[1]!.block);
      // payouts' per-task trust changes are the same points
      const p = await reader.payouts(a);
      for (const t of p.evaluator.tasks) {
        const pt = h.history.find((x) => x.taskId === t.taskId)!;
        expect([t.trustBefore, t.trustAfter]).toEqual([pt.trustBefore, pt.trustAfter]);
      }
    }
  });

  it("reads one task's per-output and per-member settlement, matching getConsensus, getCommittee and the claimable deltas", async () => {
    const s = await reader.task(tasks[1]!);
    const [members] = await c.poq.read.getCommittee([tasks[1]!]);
    const [, cons] = await c.poq.read.getConsensus([tasks[1]!]);
    expect(s.outcome).toBe("finalized");
    expect(s.hasConsensus).toBe(true);
    expect(s.members.map((m) => m.evaluator)).toEqual([...members]);
    expect(s.outputs.map((o) => o.consensus)).toEqual(cons.map(Number));
    expect(s.outputs.map((o) => o.node)).toEqual(nodes);
    const silent = s.members.filter((m) => m.missed);
    expect(silent).toHaveLength(1);
    expect(silent[0]!.slash).toBeGreaterThan(0n);
    expect(silent[0]!.pay).toBe(0n);
    // conservation: the escrow (node budget 100 + fee 2 x k 4) = node pay + members' fees + refund,
    // and members' pay holds their fees plus the slashed stake shared by the honest ones
    const paid = s.outputs.reduce((x, o) => x + o.pay, 0n) + s.members.reduce((x, m) => x + m.pay, 0n);
    expect(s.burned).toBe(0n);
    expect(paid - s.slashed + s.refund).toBe(108n * E18);

    const burned = await reader.task(tasks[2]!);
    expect(burned.hasConsensus).toBe(false);
    expect(burned.outputs).toEqual([]);
    expect(burned.burned).toBe(burned.slashed);
    expect(burned.refundTo).toBe(sponsor);
    const cancelled = await reader.task(tasks[3]!);
    expect([cancelled.outcome, cancelled.members.length, cancelled.refund]).toEqual(["cancelled", 0, 106n * E18]);
    await expect(reader.task(99n)).rejects.toMatchObject({ code: "E_UNKNOWN_TASK" });
  });

  it("gives the same answers with a capped block range, and from a later start block (trust read from state)", async () => {
    const chunked = new LogReader({ client: c.publicClient, proofOfQuality: c.poq.address, blockRange: 7n });
    for (const a of [evals[1]!, nodes[1]!, sponsor]) expect(await chunked.payouts(a)).toEqual(await reader.payouts(a));
    // start after task 1 settled: the history lacks it, and the first point's trustBefore comes from the registry's state
    const after1 = (await reader.task(tasks[0]!)).block! + 1n;
    const late = new LogReader({ client: c.publicClient, proofOfQuality: c.poq.address, registry: c.registry.address, fromBlock: after1 });
    for (const a of evals) {
      const full = (await reader.trustHistory(a)).history.filter((p) => p.block >= after1);
      expect((await late.trustHistory(a)).history).toEqual(full);
    }
  });

  it("is what the oracle's PoqReader hands the CLI (same chain, contract and start block)", async () => {
    const bound = new PoqReader(c.publicClient as never, c.poq.address).payoutReader();
    expect(bound).toBeInstanceOf(LogReader);
    expect(await bound.payouts(evals[3]!)).toEqual(await reader.payouts(evals[3]!));
  });

  it("refuses bad input with a coded error", async () => {
    await expect(reader.payouts("0x1234" as Address)).rejects.toMatchObject({ code: "E_INPUT" });
    expect(() => new LogReader({ client: c.publicClient, proofOfQuality: c.poq.address, blockRange: 0n })).toThrow(PoqSdkError);
  });
});

describe("IndexerReader (the indexer's JSON routes)", () => {
  let server: Server;
  let url: string;
  let requests = 0;
  /** Routes served by this test server: the documented shape, built from the log reader's own output. */
  const fault: { status?: number; body?: string } = {};
  /** The test server's largest page: small, so every history with more than 2 rows a list takes several requests. */
  const PAGE = 2;

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      requests++;
      const send = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      };
      if (fault.status) return send(fault.status, fault.body ?? "");
      const u = new URL(req.url ?? "/", "http://x");
      const m = /^\/(payouts|trust)\/(0x[0-9a-f]{40})$/.exec(u.pathname);
      if (!m) return send(404, JSON.stringify({ error: "not found" }));
      const a = m[2] as Address;
      // pages of at most PAGE rows a list (fewer if ?limit= asks), the cursor an opaque row offset
      const limit = Math.min(Number(u.searchParams.get("limit") ?? PAGE), PAGE);
      const from = Number(u.searchParams.get("after")?.replace(/^o/, "") ?? 0);
      const page = <T>(xs: T[]) => xs.slice(from, from + limit);
      if (m[1] === "payouts") {
        const full = payoutsToJson(await reader.payouts(a));
        const longest = Math.max(full.node.outputs.length, full.evaluator.tasks.length, full.requester.refunds.length, full.claims.length);
        const json = {
          ...full,
          node: { ...full.node, outputs: page(full.node.outputs) },
          evaluator: { ...full.evaluator, tasks: page(full.evaluator.tasks) },
          requester: { ...full.requester, refunds: page(full.requester.refunds) },
          claims: page(full.claims),
          next: from + limit < longest ? `o${from + limit}` : null,
        };
        return send(200, JSON.stringify(json));
      }
      const full = trustHistoryToJson(await reader.trustHistory(a));
      send(200, JSON.stringify({ ...full, history: page(full.history), next: from + limit < full.history.length ? `o${from + limit}` : null }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("returns exactly what the log reader returns, for every account", async () => {
    const viaIndexer = createPayoutReader({ client: c.publicClient, proofOfQuality: c.poq.address, indexerUrl: url });
    expect(viaIndexer).toBeInstanceOf(IndexerReader);
    const before = requests;
    for (const a of [...evals, ...nodes, requester, sponsor, claimTo]) {
      expect(await viaIndexer.payouts(a)).toEqual(await reader.payouts(a));
      expect(await viaIndexer.trustHistory(a)).toEqual(await reader.trustHistory(a));
    }
    // paged: the evaluators' 4 or 5 seats take several requests
    expect(requests - before).toBeGreaterThan(2 * (evals.length + nodes.length + 3));
    // a smaller page than the server's, asked with ?limit=, gives the same answers
    const one = new IndexerReader({ url, pageSize: 1 });
    for (const a of [evals[0]!, nodes[0]!, sponsor]) {
      const at = requests;
      expect(await one.payouts(a)).toEqual(await reader.payouts(a));
      const p = await reader.payouts(a);
      expect(requests - at).toBe(Math.max(1, p.node.outputs.length, p.evaluator.tasks.length, p.requester.refunds.length, p.claims.length));
      expect(await one.trustHistory(a)).toEqual(await reader.trustHistory(a));
    }
    expect(() => new IndexerReader({ url, pageSize: 1001 })).toThrow(/pageSize: expected an integer from 1 to 1000/);
    // the wire really is the documented one: decimal strings, lowercase addresses
    const raw = (await (await fetch(`${url}/payouts/${evals[0]!.toLowerCase()}`)).json()) as Record<string, unknown>;
    expect(raw.address).toBe(evals[0]!.toLowerCase());
    expect(typeof raw.claimed).toBe("string");
    expect((raw.claims as { to: string }[])[0]!.to).toBe(claimTo.toLowerCase());
  });

  it("reads lists in any order and integers as numbers or strings into the same result", async () => {
    const p = await reader.payouts(evals[2]!);
    const wire = payoutsToJson(p);
    const shuffled = { ...wire, evaluator: { ...wire.evaluator, tasks: [...wire.evaluator.tasks].reverse().map((t) => ({ ...t, trustAfter: String(t.trustAfter) })) } };
    const { parsePayouts } = await import("../../sdk/src/index.js");
    expect(parsePayouts(shuffled)).toEqual(p);
  });

  it("names the field of a malformed answer, and the status of a failed one", async () => {
    const r = new IndexerReader({ url });
    const bad = payoutsToJson(await reader.payouts(evals[0]!));
    (bad.evaluator.tasks[0] as { pay: unknown }).pay = 1.5;
    Object.assign(fault, { status: 200, body: JSON.stringify(bad) });
    await expect(r.payouts(evals[0]!)).rejects.toThrow(/field evaluator\.tasks\[0\]\.pay: expected a non-negative decimal integer string, got 1\.5/);
    Object.assign(fault, { status: 200, body: JSON.stringify({ ...payoutsToJson(await reader.payouts(evals[1]!)) }) });
    await expect(r.payouts(evals[0]!)).rejects.toMatchObject({ code: "E_INDEXER_SHAPE", message: expect.stringMatching(/answered for/) });
    const last = payoutsToJson(await reader.payouts(evals[0]!));
    Object.assign(fault, { status: 200, body: JSON.stringify({ ...last, next: 5 }) });
    await expect(r.payouts(evals[0]!)).rejects.toThrow(/field next: expected a cursor string or null, got 5/);
    Object.assign(fault, { status: 200, body: JSON.stringify({ ...last, next: "same" }) });
    await expect(r.payouts(evals[0]!)).rejects.toThrow(/field next: the cursor "same" repeats/);
    Object.assign(fault, { status: 503, body: "indexer is backfilling" });
    await expect(r.trustHistory(evals[0]!)).rejects.toMatchObject({ code: "E_INDEXER_HTTP", message: expect.stringMatching(/HTTP 503: indexer is backfilling/) });
    Object.assign(fault, { status: 404, body: "" });
    expect((await r.payouts(evals[0]!)).evaluator.tasks).toEqual([]);
    delete fault.status;
    await expect(new IndexerReader({ url: "http://127.0.0.1:1" }).payouts(evals[0]!)).rejects.toMatchObject({ code: "E_INDEXER_HTTP" });
    expect(() => new IndexerReader({ url: "ftp://x" })).toThrow(/expected http/);
  });
});
