/**
 * `npm run bench:indexer -- [--tasks N] [--json FILE] [--db pglite|postgres]`: the indexer at
 * size. Settles N tasks (default 10,000; k = 3, one output, every member commits and reveals)
 * on a Hardhat node, batching creates, draws, commits, reveals and finalizations with the
 * contract's multicall, then measures:
 *  - backfillEventsPerSec: the contracts' logs / seconds from starting Ponder to /ready and
 *    /status at the head (Ponder's start-up included);
 *  - taskQueryP95Ms: p95 latency of GET /tasks/:id (the task page's data) over random tasks;
 *  - payoutsQueryP95Ms: p95 latency of GET /payouts/:address, its first page (the default
 *    100 rows a list, with the whole history's totals: the request a dApp makes), over the
 *    evaluators, nodes and requesters (an evaluator's history holds thousands of seats here);
 *  - trustQueryP95Ms: the same for GET /trust/:address over the evaluators;
 *  - payoutsFullHistory: the time to page through each evaluator's whole payouts history
 *    (following `next`) at 100 and at 1000 rows a page.
 * Backfill is Ponder's own measure (its "Completed backfill indexing" log line); the time
 * from starting the process (vite build, database, backfill, the head) is reported beside it.
 * Prints a table; --json writes {tasks, events, backfillEventsPerSec, taskQueryP95Ms,
 * payoutsQueryP95Ms, ...} of the first database and `byDatabase` with each.
 */
import { Command } from "commander";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { encodeFunctionData, keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { commitmentHash } from "../oracle/contract/commitment.js";
import { startIndexer } from "../indexer/launch.js";
import { mineEmpty, rng, setupWorld, type World } from "../indexer/scenario.js";
import { freePort, startHardhatNode } from "../oracle/ops/devnode.js";
import { mine } from "../oracle/ops/devchain.js";
import { Family, Rule } from "../oracle/rules/index.js";

const opts = new Command("bench-indexer")
  .option("--tasks <n>", "settled tasks", "10000")
  .option("--wave <n>", "tasks created, drawn and settled together", "500")
  .option("--queries <n>", "requests per query kind", "200")
  .option("--db <list>", "databases to measure, in order: pglite, postgres (DATABASE_URL or the local server)", "pglite,postgres")
  .option("--json <file>", "write the results as JSON")
  .parse()
  .opts<{ tasks: string; wave: string; queries: string; db: string; json?: string }>();

const say = (s: string) => process.stdout.write(s + "\n");
const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

async function settleWave(w: World, count: number, r: ReturnType<typeof rng>) {
  const { stack, actors } = w;
  const abi = stack.poq.abi;
  const requester = actors.requesters[0]!;
  const first = (await stack.poq.read.taskCount()) + 1n;
  const specs = Array.from({ length: count }, (_, i) => ({
    family: Family.QA,
    rule: Rule.TRUST_WEIGHTED_MEDIAN,
    k: 3,
    commitWindow: 3600,
    revealWindow: 3600,
    nodeBudget: parseEther("1"),
    evalBudget: parseEther("6"),
    queryHash: keccak256(toHex(`bench-q-${first + BigInt(i)}`)),
    profileHash: w.profile,
    refundTo: "0x0000000000000000000000000000000000000000" as Address,
    nodes: [actors.nodes[i % actors.nodes.length]!],
    outputHashes: [keccak256(toHex(`bench-o-${first + BigInt(i)}`))],
  }));
  for (const c of chunks(specs, 60)) await stack.poq.write.multicall([c.map((s) => encodeFunctionData({ abi, functionName: "createTask", args: [s] }))], { account: requester });
  await mine(w.dc);
  const ids = Array.from({ length: count }, (_, i) => first + BigInt(i));
  for (const c of chunks(ids, 60)) await stack.poq.write.multicall([c.map((id) => encodeFunctionData({ abi, functionName: "drawCommittee", args: [id] }))]);
  const seats = new Map<Address, { id: bigint; scores: number[]; salt: Hex }[]>();
  for (const id of ids) {
    const [members] = await stack.poq.read.getCommittee([id]);
    for (const m of members) {
      const s = { id, scores: [r.int(4000, 9000)], salt: keccak256(toHex(`bench-s-${id}-${m}`)) };
      seats.set(m, [...(seats.get(m) ?? []), s]);
    }
  }
  for (const [ev, list] of seats) {
    for (const c of chunks(list, 100)) {
      const calls = c.map((s) => encodeFunctionData({ abi, functionName: "commit", args: [s.id, commitmentHash({ chainId: w.chainId, contract: stack.poq.address, taskId: s.id, evaluator: ev, scores: s.scores, salt: s.salt })] }));
      await stack.poq.write.multicall([calls], { account: ev });
    }
  }
  for (const [ev, list] of seats) {
    for (const c of chunks(list, 100)) await stack.poq.write.multicall([c.map((s) => encodeFunctionData({ abi, functionName: "reveal", args: [s.id, s.scores, s.salt] }))], { account: ev });
  }
  for (const c of chunks(ids, 20)) await stack.poq.write.multicall([c.map((id) => encodeFunctionData({ abi, functionName: "finalize", args: [id] }))]);
}

function p95(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}

/** Follows `next` from the first page of `route` (limit rows a page): ms, pages, rows of `rows(page)`. */
async function pageThrough(route: string, limit: number, rows: (page: Record<string, any>) => number) {
  const t = performance.now();
  let pages = 0;
  let n = 0;
  let next: string | null = null;
  do {
    const url: string = `${route}?limit=${limit}${next === null ? "" : `&after=${encodeURIComponent(next)}`}`;
    const r = await fetch(url);
    if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
    const page = (await r.json()) as Record<string, any>;
    n += rows(page);
    pages++;
    next = page.next as string | null;
  } while (next !== null);
  return { ms: performance.now() - t, pages, rows: n };
}

async function timed(url: string): Promise<number> {
  const t = performance.now();
  const r = await fetch(url);
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return performance.now() - t;
}

/** Starts Ponder on `db` over the chain, waits for the head, times the two queries. */
async function measure(w: World, rpcUrl: string, head: bigint, events: number, db: "pglite" | "postgres", r: ReturnType<typeof rng>) {
  let databaseUrl: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  if (db === "postgres") {
    // a fresh database: Ponder's ponder_sync cache is per database and keyed by chain id
    const adminUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
    const name = `poq_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`create database "${name}"`);
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    databaseUrl = u.toString();
    dropDb = async () => {
      await admin.query(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  } else if (db !== "pglite") throw new Error(`--db: pglite or postgres, not ${db}`);
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), "poq-bench-log-")), "ponder.log");
  const t1 = performance.now();
  const ix = startIndexer({ rpcUrl, chainId: w.chainId, port: await freePort(), schema: `poq_bench_${process.pid}`, deploymentsDir: w.deploymentsDir, pgliteDir: mkdtempSync(path.join(tmpdir(), "poq-bench-pglite-")), databaseUrl, logFile, logLevel: "info" });
  try {
    await ix.waitSynced(head, 3_600_000);
    const startToSynced = (performance.now() - t1) / 1000;
    // Ponder's own measure of the backfill: "Completed backfill indexing across all chains"
    const done = readFileSync(logFile, "utf8").split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg: string; duration?: number }).find((l) => l.msg.startsWith("Completed backfill indexing"));
    if (!done?.duration) throw new Error(`no backfill duration in ${logFile}`);
    const backfillSeconds = done.duration / 1000;
    const q = Number(opts.queries);
    const n = Number(await w.stack.poq.read.taskCount());
    const taskMs: number[] = [];
    const payoutMs: number[] = [];
    const people = [...w.actors.evaluators, ...w.actors.nodes, ...w.actors.requesters];
    for (let i = 0; i < 10; i++) await timed(`${ix.url}/tasks/${r.int(1, n)}`); // warm-up
    for (let i = 0; i < q; i++) taskMs.push(await timed(`${ix.url}/tasks/${r.int(1, n)}`));
    for (let i = 0; i < q; i++) payoutMs.push(await timed(`${ix.url}/payouts/${people[i % people.length]!.toLowerCase()}`));
    const trustMs: number[] = [];
    const evs = w.actors.evaluators.map((e) => e.toLowerCase());
    for (let i = 0; i < q; i++) trustMs.push(await timed(`${ix.url}/trust/${evs[i % evs.length]!}`));
    // each evaluator's whole payouts history, paged
    const payoutsFullHistory: Record<string, unknown>[] = [];
    for (const limit of [100, 1000]) {
      const runs = [];
      for (const e of evs) runs.push(await pageThrough(`${ix.url}/payouts/${e}`, limit, (p) => p.evaluator.tasks.length));
      const ms = runs.map((x) => x.ms);
      payoutsFullHistory.push({ limit, evaluators: runs.length, maxRows: Math.max(...runs.map((x) => x.rows)), maxPages: Math.max(...runs.map((x) => x.pages)), meanMs: Number((ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(1)), maxMs: Number(Math.max(...ms).toFixed(1)) });
    }
    return {
      database: db,
      backfillSeconds: Number(backfillSeconds.toFixed(2)),
      backfillEventsPerSec: Math.round(events / backfillSeconds),
      startToSyncedSeconds: Number(startToSynced.toFixed(1)),
      eventsPerSecFromStart: Math.round(events / startToSynced),
      taskQueryP95Ms: Number(p95(taskMs).toFixed(2)),
      payoutsQueryP95Ms: Number(p95(payoutMs).toFixed(2)),
      payoutsQuery: "first page (limit 100, totals of the whole history)",
      trustQueryP95Ms: Number(p95(trustMs).toFixed(2)),
      payoutsFullHistory,
      queries: q,
    };
  } finally {
    await ix.stop();
    await dropDb?.();
  }
}

async function main() {
  const n = Number(opts.tasks);
  const wave = Number(opts.wave);
  const node = await startHardhatNode({ quiet: true });
  try {
    const t0 = Date.now();
    const w = await setupWorld(node.url);
    const r = rng(10_000);
    for (let done = 0; done < n; done += wave) {
      await settleWave(w, Math.min(wave, n - done), r);
      process.stdout.write(`\rchain: ${Math.min(n, done + wave)} / ${n} tasks settled (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
    await mineEmpty(w); // every event in Ponder's backfill (it indexes the last 30 blocks live)
    say("");
    const chainSeconds = (Date.now() - t0) / 1000;
    const head = await w.dc.client.getBlockNumber();
    let events = 0;
    for (const address of [w.stack.poq.address, w.stack.registry.address, w.stack.profileRegistry.address]) {
      // small ranges: a block holds one batched transaction, hundreds of logs (viem caps a response at 10 MB)
      for (let from = w.deployBlock; from <= head; from += 10n) {
        const to = from + 9n > head ? head : from + 9n;
        events += (await w.dc.client.getLogs({ address, fromBlock: from, toBlock: to })).length;
      }
    }

    const results: Record<string, unknown>[] = [];
    for (const db of opts.db.split(",")) results.push(await measure(w, node.url, head, events, db.trim() as "pglite" | "postgres", r));
    const first = results[0]!;
    const res = { tasks: n, events, chainSeconds, ...first, byDatabase: results };
    say("");
    say(`| metric | ${results.map((x) => x.database).join(" | ")} | target |`);
    say(`|---|${results.map(() => "---|").join("")}---|`);
    const row = (name: string, key: string, unit: string, target: string) => say(`| ${name} | ${results.map((x) => `${x[key]}${unit}`).join(" | ")} | ${target} |`);
    say(`| settled tasks | ${results.map(() => n).join(" | ")} | 10,000 |`);
    say(`| contract events | ${results.map(() => events).join(" | ")} | |`);
    row("Ponder backfill (its own log)", "backfillSeconds", " s", "");
    row("backfill events/s", "backfillEventsPerSec", "", ">= 500");
    row("start to synced (build, DB, backfill, head)", "startToSyncedSeconds", " s", "");
    row("events/s from start", "eventsPerSecFromStart", "", "");
    row("GET /tasks/:id p95", "taskQueryP95Ms", " ms", "< 50 ms");
    row("GET /payouts/:address p95 (first page)", "payoutsQueryP95Ms", " ms", "< 50 ms");
    row("GET /trust/:address p95 (first page)", "trustQueryP95Ms", " ms", "");
    for (const i of [0, 1]) {
      const f = (x: Record<string, unknown>) => (x.payoutsFullHistory as Record<string, number>[])[i]!;
      const l = f(results[0]!);
      say(`| whole evaluator history (${l.maxRows} seats) at ${l.limit} a page: mean / max | ${results.map((x) => `${f(x).meanMs} / ${f(x).maxMs} ms (${f(x).maxPages} pages)`).join(" | ")} | |`);
    }
    say(`(chain of ${n} settled tasks built in ${chainSeconds.toFixed(0)} s)`);
    if (opts.json) writeFileSync(opts.json, JSON.stringify(res, null, 2) + "\n");
  } finally {
    await node.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-indexer failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
