/**
 * `npm run bench:e2e [-- --json FILE] [--tasks N] [--workers 1,2,4]`
 *
 * End-to-end throughput of the evaluator pipeline: one local Hardhat node, one Redis,
 * k = 5 evaluators (all five keys in every worker process, nonces coordinated in Redis),
 * W = 1, 2, 4 `poq worker` processes. For each W: N tasks are created at once and the clock
 * runs until all are finalized (by the workers' auto-finalize). Reports tasks settled per
 * minute, per-stage latency (score, commit, reveal, finalize; from the workers' records in
 * Redis), and the ratio of end-to-end scoring throughput to the raw scoring engine's
 * throughput measured in this process on the same tasks:
 *   ratioToRawScoring = (N * k / e2e seconds) / (rawEvaluationsPerSec * min(W, CPUs))
 * where rawEvaluationsPerSec scores every task k times in one process (as k evaluators do).
 */
import { Command } from "commander";
import { writeFileSync, readFileSync } from "node:fs";
import os from "node:os";
import { Redis } from "ioredis";
import { loadUseLite } from "../oracle/models/index.js";
import { defaultProfile, profileHash } from "../oracle/scoring/profile.js";
import { EngineTaskScorer } from "../oracle/worker/scorer.js";
import { RedisStateStore } from "../oracle/worker/store.js";
import { parseTaskFile, type TaskLine } from "../oracle/sdk/tasks.js";
import { startHardhatNode, setupStack, createTasks, spawnWorker, workerEnv, waitFor, uniquePrefix, REDIS_URL, type WorkerProc } from "../oracle/ops/devnode.js";

const opts = new Command("bench-e2e")
  .option("--json <file>", "write results as JSON")
  .option("--tasks <n>", "tasks per worker count", "24")
  .option("--workers <list>", "worker process counts", "1,2,4")
  .option("--concurrency <n>", "jobs per worker process", "4")
  .parse()
  .opts<{ json?: string; tasks: string; workers: string; concurrency: string }>();

const K = 5;
const N = Number(opts.tasks);
const say = (s = "") => process.stdout.write(s + "\n");
const pct = (a: number[], p: number) => {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);

/** N distinct tasks from the shipped sample (texts varied so no cache sees a repeat across tasks). */
function taskSet(n: number, salt: string): TaskLine[] {
  const base = parseTaskFile(readFileSync("examples/demo-tasks.jsonl", "utf8"), "examples/demo-tasks.jsonl");
  const map: Record<string, string> = { "node-a": "n0", "node-b": "n1", "node-c": "n2", "node-d": "n0" };
  return Array.from({ length: n }, (_, i) => {
    const b = base[i % base.length]!;
    const tag = ` (${salt} case ${i})`;
    return { ...b, id: `${b.id}-${salt}-${i}`, query: b.query + tag, outputs: b.outputs.slice(0, 3).map((o) => ({ node: map[o.node] ?? "n0", text: o.text + tag })) };
  });
}

async function main() {
  const cpus = os.availableParallelism();
  say(`bench:e2e  k=${K}, ${N} tasks per run, worker processes ${opts.workers}, ${cpus} CPUs, Redis ${REDIS_URL}`);
  // Raw scoring engine throughput on the same kind of tasks.
  const encoder = await loadUseLite({ intraOpThreads: 1 });
  const scorer = new EngineTaskScorer([defaultProfile()], encoder);
  const ph = profileHash(defaultProfile());
  const rawTasks = taskSet(N, "raw");
  const family = (t: TaskLine) => t.task;
  await scorer.score(ph, { taskId: "warm", family: "qa", query: "warm up", references: ["x"], outputs: [{ text: "warm", model: "gpt4" }] });
  const r0 = performance.now();
  for (const t of rawTasks)
    for (let e = 0; e < K; e++)
      await scorer.score(ph, { taskId: t.id, family: family(t), query: t.query, references: t.references, outputs: t.outputs.map((o) => ({ text: o.text, model: "gpt4" })) });
  const rawEvaluationsPerSec = (N * K) / ((performance.now() - r0) / 1000);
  say(`raw scoring engine: ${rawEvaluationsPerSec.toFixed(1)} task-evaluations/s (one process, ${rawTasks[0]!.outputs.length} outputs a task)`);
  await encoder.close?.();

  const node = await startHardhatNode();
  const stack = await setupStack(node.url, K);
  const redis = new Redis(REDIS_URL);
  const results: Record<string, Record<string, number>> = {};
  try {
    for (const w of opts.workers.split(",").map(Number)) {
      const prefix = uniquePrefix();
      const env = { ...workerEnv(stack, node.url, prefix, stack.evaluatorKeys), POQ_WORKER_CONCURRENCY: opts.concurrency, POQ_LOG_LEVEL: "info" };
      const procs: WorkerProc[] = Array.from({ length: w }, () => spawnWorker(env));
      try {
        await waitFor(`${w} workers started`, async () => procs.every((p) => /worker started/.test(p.stderr())), 180_000, 200);
        const fromBlock = await stack.dc.client.getBlockNumber();
        const t0 = performance.now();
        const ids = await createTasks(stack, taskSet(N, `w${w}`), { parallel: true });
        // One cheap log query per poll: the benchmark must not load the node it measures.
        const want = new Set(ids.map(String));
        await waitFor(
          "all tasks finalized",
          async () => (await stack.reader.settlements(fromBlock)).filter((e) => want.has(String(e.taskId))).length === ids.length,
          600_000,
          200,
        );
        const secs = (performance.now() - t0) / 1000;
        const store = new RedisStateStore(redis, prefix);
        const lat = Object.fromEntries(await Promise.all(["score", "commit", "reveal", "finalize"].map(async (s) => [s, await store.latencies(s)] as const)));
        const e2eEvaluationsPerSec = (N * K) / secs;
        results[String(w)] = {
          workers: w,
          tasks: N,
          seconds: +secs.toFixed(2),
          tasksPerMinute: +((N / secs) * 60).toFixed(1),
          e2eEvaluationsPerSec: +e2eEvaluationsPerSec.toFixed(2),
          rawEvaluationsPerSec: +rawEvaluationsPerSec.toFixed(2),
          ratioToRawScoring: +(e2eEvaluationsPerSec / (rawEvaluationsPerSec * Math.min(w, cpus))).toFixed(3),
          ...Object.fromEntries(Object.entries(lat).flatMap(([s, a]) => [[`${s}MsP50`, pct(a, 50)], [`${s}MsP95`, pct(a, 95)], [`${s}MsMean`, +mean(a).toFixed(1)]])),
        };
        say(`W=${w}: ${N} tasks in ${secs.toFixed(1)} s`);
      } finally {
        await Promise.all(procs.map((p) => p.stop()));
        const keys = await redis.keys(`${prefix}*`);
        for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
      }
    }
  } finally {
    redis.disconnect();
    await node.stop();
  }
  say("");
  say("| workers | tasks/min | e2e evals/s | ratio to raw | score p50/p95 ms | commit p50/p95 ms | reveal p50/p95 ms | finalize p50/p95 ms |");
  say("|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of Object.values(results))
    say(`| ${r.workers} | ${r.tasksPerMinute} | ${r.e2eEvaluationsPerSec} | ${r.ratioToRawScoring} | ${r.scoreMsP50}/${r.scoreMsP95} | ${r.commitMsP50}/${r.commitMsP95} | ${r.revealMsP50}/${r.revealMsP95} | ${r.finalizeMsP50}/${r.finalizeMsP95} |`);
  say(`raw scoring engine: ${rawEvaluationsPerSec.toFixed(1)} task-evaluations/s per process; ratio = e2e evals/s / (raw x min(W, ${cpus} CPUs)); target >= 0.7`);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ k: K, tasks: N, cpus, rawEvaluationsPerSec, workers: results, loadavg: os.loadavg() }, null, 2) + "\n");
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-e2e failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
