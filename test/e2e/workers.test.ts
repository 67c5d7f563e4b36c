import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { formatEther, type Address } from "viem";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisConnection } from "../../oracle/queue/redis.js";
import { formatUtc } from "../../oracle/sdk/context.js";
import { deploymentNamespace } from "../../oracle/worker/namespace.js";
import { freePort, runCli, startHardhatNode, setupStack, createTasks, qaTask, spawnWorker, workerEnv, committedEvents, waitFor, uniquePrefix, REDIS_URL, type Stack, type WorkerProc } from "./harness.js";

/**
 * End to end over real processes: a Hardhat node on loopback, three `poq worker` processes
 * sharing one Redis (and all five evaluator keys: nonces coordinated through Redis), ten
 * tasks settled, payouts checked against the contract's views; then crash safety.
 */
let node: Awaited<ReturnType<typeof startHardhatNode>>;
let s: Stack;
const prefixes: string[] = [];
const workers: WorkerProc[] = [];

beforeAll(async () => {
  node = await startHardhatNode();
  s = await setupStack(node.url, 5);
}, 180_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  const r = redisConnection(REDIS_URL);
  for (const p of prefixes) {
    const keys = await r.keys(`${p}*`);
    for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
  }
  r.disconnect();
  await node?.stop();
});

describe("evaluator workers end to end", () => {
  it("three worker processes on one Redis (RPC over WebSocket) draw the committees of ten pending tasks and settle them; payouts match the contract views", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    // BullMQ wakes one idle worker per queue marker, and that worker takes jobs up to its
    // concurrency: at the default (64) one process can take all 50 jobs. At 4 a busy process
    // leaves the rest to the others, which is the scale-out property this test checks.
    const env = workerEnv(s, node.url.replace(/^http/, "ws"), prefix, s.evaluatorKeys, { POQ_WORKER_CONCURRENCY: "4" });
    const mine: WorkerProc[] = [];
    for (let i = 0; i < 3; i++) mine.push(spawnWorker(env));
    workers.push(...mine);
    try {
      await waitFor("3 workers started", async () => mine.every((w) => /worker started/.test(w.stderr())), 120_000, 200);
      // Left pending: the workers draw each committee once a block follows the task's.
      const ids = await createTasks(s, Array.from({ length: 10 }, (_, i) => qaTask(i + 1)), { draw: false });
      const want = new Set(ids.map(String));
      await waitFor("10 tasks finalized", async () => (await s.reader.settlements(0n)).filter((e) => want.has(String(e.taskId))).length === 10, 150_000, 300);
      const tasks = await Promise.all(ids.map((id) => s.reader.getTask(id)));
      // Every committee was drawn once, by a worker's key.
      const sampled = (await s.dc.client.getContractEvents({ address: s.dep.poq, abi: s.reader.abi, eventName: "CommitteeSampled", fromBlock: 0n } as never)) as unknown as {
        args: { taskId: bigint }; transactionHash: `0x${string}`;
      }[];
      const mineSampled = sampled.filter((e) => want.has(String(e.args.taskId)));
      expect(mineSampled).toHaveLength(10);
      const keys5 = new Set(s.evaluators.map((e) => e.address.toLowerCase()));
      for (const e of mineSampled) expect(keys5.has((await s.dc.client.getTransaction({ hash: e.transactionHash })).from.toLowerCase())).toBe(true);
      // Exactly one commit per (task, evaluator), everybody revealed.
      const commits = await committedEvents(s);
      const keys = commits.map((c) => `${c.taskId}:${c.evaluator.toLowerCase()}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(10 * 5);
      for (const t of tasks) {
        expect(t.reveals).toBe(5);
        expect(t.consensus).toHaveLength(3);
        // the right answers beat the wrong one
        expect(t.consensus[0]!).toBeGreaterThan(t.consensus[2]!);
      }
      // Honest evaluators running the same engine agree exactly.
      for (const id of ids) {
        const members = await Promise.all(s.evaluators.map((e) => s.reader.getMember(id, e.address)));
        for (const m of members) expect(m.scores).toEqual(members[0]!.scores);
      }
      // Payouts: the views agree with the settlement events, and every token is accounted for.
      const settled = (await s.dc.client.getContractEvents({ address: s.dep.poq, abi: s.reader.abi, eventName: "OutputSettled", fromBlock: 0n } as never)) as unknown as {
        args: { node: Address; pay: bigint };
      }[];
      for (const n of s.nodes) {
        const info = await s.reader.getNode(n.address);
        const fromEvents = settled.filter((e) => e.args.node.toLowerCase() === n.address.toLowerCase()).reduce((a, e) => a + e.args.pay, 0n);
        expect(info.lifetime).toBe(fromEvents);
      }
      expect((await s.reader.getNode(s.nodes[0]!.address)).lifetime).toBeGreaterThan(0n);
      for (const e of s.evaluators) {
        const info = await s.reader.getEvaluator(e.address);
        expect(info.tasksAssigned).toBe(10);
        expect(info.tasksMissed).toBe(0);
        expect(await s.reader.claimableOf(e.address)).toBe(info.rewards);
        expect(info.rewards).toBeGreaterThan(0n);
        expect(info.lifetimeEarned).toBe(info.rewards); // nothing claimed yet
      }
      const { escrowed, claimable, treasury, burned } = await s.reader.totals();
      const balance = await s.actions(s.admin).tokenBalance(s.dep.poq);
      expect(escrowed + claimable + treasury + burned).toBe(balance);
      expect(escrowed).toBe(0n);
      const staked = await s.reader.readRegistry<bigint>("totalStaked");
      expect(await s.actions(s.admin).tokenBalance(s.dep.registry)).toBe(staked);
      // Work was shared: every process sent commits.
      const active = mine.filter((w) => /"msg":"committed"/.test(w.stderr())).length;
      expect(active).toBe(3);
      process.stderr.write(`e2e: ${ids.length} tasks settled; claimable ${formatEther(claimable)}\n`);
    } finally {
      // Stop them whatever happened: workers holding the same keys would serve the next tests' tasks.
      await Promise.all(mine.map((w) => w.stop()));
    }
  }, 240_000);

  it("requester and dApp CLI: task create (drawn, committee printed), task show, trust, payouts with refunds, claim --to (tables and --json)", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const metricsPort = await freePort();
    const env = workerEnv(s, node.url, prefix, s.evaluatorKeys, { POQ_METRICS_PORT: String(metricsPort) });
    const w = spawnWorker(env);
    workers.push(w);
    try {
      // Ready once the chain, Redis and the scoring thread answer.
      const ready = await waitFor("worker ready", async () => {
        const r = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
        return r.status === 200 && ((await r.json()) as unknown);
      }, 90_000, 300);
      expect(ready).toEqual({ ready: true, checks: { redis: "ok", scoring: "ok", chain: "ok" } });
      const reqEnv = { ...env, POQ_PRIVATE_KEYS: s.requesterKey };
      const nodes = `n0=${s.nodes[0]!.address},n1=${s.nodes[1]!.address},n2=${s.nodes[2]!.address}`;
      const tooShort = await runCli(["task", "create", "--in", "test/fixtures/e2e/tasks.jsonl", "--commit-window", "5", "--nodes", nodes], reqEnv);
      expect(tooShort.code).toBe(1);
      expect(tooShort.stderr).toBe("poq: --commit-window 5 s is outside what the contract allows: 10 to 86400 s\n");
      for (const [flag, v] of [["--commit-window", "-1"], ["--commit-window", "0"], ["--reveal-window", "99999999"]]) {
        const r = await runCli(["task", "create", "--in", "test/fixtures/e2e/tasks.jsonl", flag!, v!, "--nodes", nodes], reqEnv);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe(`poq: ${flag} ${v} s is outside what the contract allows: 10 to 86400 s\n`);
      }
      const created = await runCli(["task", "create", "--in", "test/fixtures/e2e/tasks.jsonl", "--budget", "20", "--k", "5", "--nodes", nodes, "--json"], reqEnv);
      expect(created.stderr).toBe("");
      expect(created.code).toBe(0);
      const out = JSON.parse(created.stdout) as { profileHash: string; tasks: { taskId: string; status: string; committee: string[] }[] };
      expect(out.profileHash).toBe(s.profileHash); // the paying profile by default
      const ids = out.tasks.map((t) => t.taskId);
      expect(ids).toHaveLength(2);
      for (const t of out.tasks) {
        expect(t.status).toBe("open"); // drawn right after creation
        expect(new Set(t.committee.map((a) => a.toLowerCase()))).toEqual(new Set(s.evaluators.map((e) => e.address.toLowerCase())));
      }
      await waitFor("CLI tasks finalized", async () => (await Promise.all(ids.map((i) => s.reader.getTask(BigInt(i))))).every((t) => t.status === "finalized"), 120_000, 300);
      const shown = await runCli(["task", "show", ...ids], reqEnv);
      expect(shown.stdout).toMatch(/FINALIZED/);
      const shownTask = await s.reader.getTask(BigInt(ids[0]!));
      expect(shown.stdout).toMatch(new RegExp(`${formatUtc(shownTask.commitDeadline)}\\s+${formatUtc(shownTask.revealDeadline)}`));
      expect(shown.stdout).toContain(`committee of task ${ids[0]}: ${shownTask.committee.join(", ")} (fee 1 each)\n`);
      // Each consensus value next to the node whose output it scores.
      expect(shown.stdout).toContain(`consensus of task ${ids[0]} (bps): ${shownTask.outputs.map((o, j) => `${o.node} ${shownTask.consensus[j]}`).join(", ")}\n`);
      expect(shown.stdout).toMatch(/\nchain time \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/);
      // Over WebSocket too: the command exits once done (an open socket kept it alive).
      const wsEnv = { ...reqEnv, POQ_RPC_URL: node.url.replace(/^http/, "ws") };
      const trustRun = await runCli(["trust", "--json"], wsEnv, 30_000);
      expect(trustRun.stderr).toBe("");
      expect(trustRun.code).toBe(0);
      const trust = JSON.parse(trustRun.stdout) as { address: string; trust: number; profiles: string[] }[];
      expect(trust).toHaveLength(5);
      for (const t of trust) {
        expect(t.trust).toBe((await s.reader.getEvaluator(t.address as Address)).trust);
        expect(t.profiles).toEqual([s.profileHash]);
      }
      const trustTable = await runCli(["trust"], reqEnv);
      expect(trustTable.stdout).toMatch(/evaluator\s+trust\s+stake\s+effective stake\s+cost\s+profiles/);
      const table = await runCli(["payouts", "--node", s.nodes[0]!.address], reqEnv);
      expect(table.stdout).toMatch(/inference node\s+model\s+pending\s+lifetime/);
      const stranger = s.evaluators[0]!.address; // an evaluator, not an inference node
      const notNode = await runCli(["payouts", "--node", stranger], reqEnv);
      expect(notNode.code).toBe(1);
      expect(notNode.stderr).toBe(`poq: ${stranger} is not a registered inference node (npx poq register node); for an evaluator's or requester's balances use --account\n`);
      // The requester sees its refunds without claiming.
      const all = await runCli(["payouts"], reqEnv);
      expect(all.stdout).toMatch(new RegExp(`${s.requester.address}\\s+requester\\s+[\\d.]+\\s+0\\s+${formatEther(await s.reader.refundedOf(s.requester.address)).replace(".", "\\.")}\\n`));
      const pay = JSON.parse((await runCli(["payouts", "--json"], reqEnv)).stdout) as {
        nodes: { address: string; pending: string }[];
        accounts: { address: string; role: string; claimable: string; earned: string; refunded: string }[];
      };
      const n0 = pay.nodes.find((n) => n.address.toLowerCase() === s.nodes[0]!.address.toLowerCase())!;
      expect(BigInt(n0.pending)).toBe((await s.reader.getNode(s.nodes[0]!.address)).pending);
      const requester = pay.accounts.find((a) => a.address.toLowerCase() === s.requester.address.toLowerCase())!;
      expect(requester.role).toBe("requester");
      expect(BigInt(requester.refunded)).toBe(await s.reader.refundedOf(s.requester.address));
      expect(BigInt(requester.refunded)).toBeGreaterThan(0n); // the wrong answers' share of the node budget
      expect(pay.accounts.filter((a) => a.role === "evaluator")).toHaveLength(5);
      const claimed = JSON.parse((await runCli(["claim", "--node", s.nodes[0]!.address, "--json"], reqEnv)).stdout) as { amount: string };
      expect(BigInt(claimed.amount)).toBe(BigInt(n0.pending));
      expect((await s.reader.getNode(s.nodes[0]!.address)).pending).toBe(0n);
      const again = await runCli(["claim", "--node", s.nodes[0]!.address], wsEnv, 30_000);
      expect(again.code).toBe(1); // a revert over WebSocket: an error, then the process exits
      expect(again.stderr).toMatch(/NothingToClaim/);
      // An evaluator's claimable balance paid to another address.
      const ev = s.evaluators[0]!;
      const to = "0x000000000000000000000000000000000000dEaD";
      const owed = await s.reader.claimableOf(ev.address);
      const before = await s.reader.tokenBalance(to);
      const paid = await runCli(["claim", "--to", to, "--json"], { ...env, POQ_PRIVATE_KEYS: s.evaluatorKeys[0]! });
      expect(paid.stderr).toBe("");
      expect(JSON.parse(paid.stdout)).toMatchObject({ account: ev.address, to, amount: owed.toString() });
      expect(await s.reader.tokenBalance(to)).toBe(before + owed);
      expect(await s.reader.claimableOf(ev.address)).toBe(0n);
      const bad = await runCli(["task", "create", "--in", "test/fixtures/e2e/malformed.jsonl", "--nodes", nodes], reqEnv);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/malformed\.jsonl:2 \(bad-1\): field task/);
      expect(bad.stderr).toMatch(/malformed\.jsonl:3: invalid JSON/);
      expect(bad.stderr).toMatch(/malformed\.jsonl:4 \(bad-2\): field outputs/);
    } finally {
      await w.stop();
    }
  }, 420_000);

  it("a worker pointed at an address without code refuses to start: one line, exit 1", async () => {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    const env = workerEnv(s, node.url, prefix, [s.evaluatorKeys[0]!], { POQ_CONTRACT: s.requester.address, POQ_LOG_LEVEL: "error" });
    const r = await runCli(["worker", "--no-batch"], env, 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`poq: no contract at ${s.requester.address} on chain 31337 (${node.url}): check POQ_CONTRACT, the config file's "contract", or deployments/31337.json\n`);
  }, 90_000);

  for (const point of ["commit-sent", "commit-confirmed"] as const) {
    it(`a worker killed (-9) at ${point} reveals after restart; no duplicate commit`, async () => {
      const prefix = uniquePrefix();
      prefixes.push(prefix);
      const env = workerEnv(s, node.url, prefix, s.evaluatorKeys);
      const crashing = spawnWorker({ ...env, POQ_FAULT_INJECT: point, POQ_WORKER_CONCURRENCY: "1" });
      workers.push(crashing);
      let restarted: WorkerProc | undefined;
      try {
        const [id] = await createTasks(s, [qaTask(100 + (point === "commit-sent" ? 1 : 2))]);
        const exit = await Promise.race([crashing.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`worker did not crash: ${crashing.stderr().slice(-2000)}`)), 90_000))]);
        expect(exit.signal).toBe("SIGKILL");
        // One evaluate job carries the task's five keys, their commits sent side by side: the
        // fault fires at the first one's point, when the others may have been sent (and mined) too.
        const before = await committedEvents(s, id);
        expect(before.length).toBeGreaterThanOrEqual(1); // a local node mines a transaction as it is sent
        expect(before.length).toBeLessThanOrEqual(5);
        restarted = spawnWorker(env);
        workers.push(restarted);
        const t = await waitFor("task finalized after restart", async () => {
          const t = await s.reader.getTask(id!);
          return t.status === "finalized" && t;
        }, 120_000, 300);
        expect(t.reveals).toBe(5);
        const after = await committedEvents(s, id);
        expect(after.length).toBe(5);
        expect(new Set(after.map((c) => c.evaluator.toLowerCase())).size).toBe(5);
        // Each commit sent before the crash is the one revealed: its evaluator's record says so
        // (and the contract accepted the reveal against that commitment).
        if (before.length > 0) {
          const redis = redisConnection(REDIS_URL);
          const ns = await deploymentNamespace(s.dc.client, prefix, await s.dc.client.getChainId(), s.dep.poq);
          for (const c of before) {
            const rec = JSON.parse((await redis.get(`${ns}:eval:${id}:${c.evaluator.toLowerCase()}`))!) as { state: string };
            expect(rec.state).toBe("revealed");
          }
          redis.disconnect();
        }
      } finally {
        await restarted?.stop();
        await crashing.stop();
      }
    }, 240_000);
  }

  it("workers reconnect and finish when Redis restarts mid-run (a separate AOF-persisted redis-server)", async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), "poq-redis-"));
    const startRedis = (): ChildProcess =>
      spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], { stdio: "ignore" });
    let redisProc = startRedis();
    const url = `redis://127.0.0.1:${port}`;
    const probe = () => redisConnection(url, { maxRetriesPerRequest: 1, retryStrategy: () => null });
    await waitFor("private redis", async () => {
      const r = probe();
      r.on("error", () => undefined);
      try {
        return (await r.ping()) === "PONG";
      } finally {
        r.disconnect();
      }
    }, 20_000);
    try {
        const env = { ...workerEnv(s, node.url, uniquePrefix(), s.evaluatorKeys), REDIS_URL: url };
        const w = spawnWorker(env);
        workers.push(w);
        await waitFor("worker started", async () => /worker started/.test(w.stderr()), 120_000);
        const ids = await createTasks(s, [qaTask(201), qaTask(202)]);
        await waitFor("first commits", async () => (await committedEvents(s, ids[0])).length >= 1, 120_000, 100);
        redisProc.kill("SIGKILL");
        await new Promise((r) => setTimeout(r, 2_000));
        redisProc = startRedis();
        const ts = await waitFor("tasks finalized after the Redis restart", async () => {
          const ts = await Promise.all(ids.map((id) => s.reader.getTask(id)));
          return ts.every((t) => t.status === "finalized") && ts;
        }, 150_000, 300);
        for (const t of ts) expect(t.reveals).toBe(5);
        for (const id of ids) {
          const c = await committedEvents(s, id);
          expect(c).toHaveLength(5);
          expect(new Set(c.map((x) => x.evaluator.toLowerCase())).size).toBe(5);
        }
        await w.stop();
    } finally {
      redisProc.kill("SIGKILL");
    }
  }, 300_000);
});
