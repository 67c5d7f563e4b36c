/**
 * `npm run bench:e2e [-- --json FILE] [--workload demo,evouna,summeval] [--workers 1,2,4]`
 *
 * End-to-end throughput of the evaluator pipeline: one local Hardhat node, one Redis,
 * k = 5 evaluators (all five keys in every worker process, nonces coordinated in Redis),
 * W = 1, 2, 4 `poq worker` processes. For each workload and W: N tasks are created at once
 * (and their committees drawn by the requester, as `poq task create` does, up to 16 draws a
 * transaction) and the clock runs until all are finalized (by the workers' auto-finalize).
 * Tasks pay with the calibrated profile. Reports tasks
 * settled per minute, transactions per task, per-stage latency (score, commit, reveal,
 * finalize; from the workers' records in Redis), and the ratio of end-to-end scoring
 * throughput to the raw scoring engine's throughput measured in this process on the same
 * kind of tasks (every task scored k times, as k evaluators do):
 *   ratioToRawScoring = (N * k / e2e seconds) / rawEvaluationsPerSec
 *     raw: one process, the engine with the workers' own settings (2 onnxruntime threads),
 *     i.e. what the scoring engine alone gets out of this machine; measured before and after
 *     the workload's runs, and the higher figure is used;
 *   ratioToRawPerCore = (N * k / e2e seconds) / (rawOneThreadEvaluationsPerSec * min(W, CPUs))
 *     a stricter figure that assumes W processes could each score at one-thread speed on
 *     their own core (on this 2-core machine they share the cores with the node and Redis).
 *
 * Workloads (each run uses tasks no earlier run of the benchmark process has seen):
 *   demo      the shipped sample (examples/demo-tasks.jsonl): 3 one-line answers a task;
 *   evouna    real EVOUNA NQ questions from ../shared/data/dev: 5 model answers a task;
 *   summeval  real SummEval articles from ../shared/data/dev: 8 model summaries a task.
 * The real-data workloads run only when ../shared/data/dev exists.
 */
import { Command } from "commander";
import { writeFileSync, readFileSync, existsSync } from "node:fs";
import path from "node:path";
import os from "node:os";
import { Redis } from "ioredis";
import { loadUseLite } from "../oracle/models/index.js";
import { profileHash } from "../oracle/scoring/profile.js";
import { payingProfile } from "../oracle/scoring/paying-profile.js";
import { EngineTaskScorer } from "../oracle/worker/scorer.js";
import { RedisStateStore } from "../oracle/worker/store.js";
import { parseTaskFile, type TaskLine } from "../oracle/sdk/tasks.js";
import { groupCpuSeconds, processCpuSeconds } from "../oracle/ops/proc-cpu.js";
import { startHardhatNode, setupStack, createTasks, spawnWorker, workerEnv, waitFor, uniquePrefix, REDIS_URL, root, type WorkerProc } from "../oracle/ops/devnode.js";
import { deploymentNamespace } from "../oracle/worker/namespace.js";

const opts = new Command("bench-e2e")
  .option("--json <file>", "write results as JSON")
  .option("--workload <list>", "demo, evouna, summeval (default: all that exist here)")
  .option("--tasks <n>", "tasks per run (default per workload: demo 96, evouna 192, summeval 24)")
  .option("--workers <list>", "worker process counts", "1,2,4")
  .option("--concurrency <n>", "jobs per worker process (default: the worker's config default)")
  .option("--batch <n>", "most calls per multicall transaction (1: no batching; default: the worker's config default)")
  .option("--linger <ms>", "how long an idle key waits for calls to batch (default: the worker's config default)")
  .option("--transport <kind>", "workers' RPC transport: ws or http", "ws")
  .parse()
  .opts<{ json?: string; workload?: string; tasks?: string; workers: string; concurrency?: string; batch?: string; linger?: string; transport: string }>();

const K = 5;
const dataDir = path.join(root, "../shared/data/dev");
/** The five EVOUNA models, one inference node each (node n<i> serves NODE_MODELS[i]). */
const NODE_MODELS = ["fid", "gpt35", "chatgpt", "gpt4", "newbing"];
const say = (s = "") => process.stdout.write(s + "\n");
const pct = (a: number[], p: number) => {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0);

interface DataRecord {
  task: "qa" | "summarization";
  group: string;
  query: string;
  output: string;
  references: string[];
  model: string;
}

interface Workload {
  name: string;
  defaultTasks: number;
  /** Tasks number [from, from + n) of this workload. */
  tasks(from: number, n: number): TaskLine[];
}

const nodeOf = (model: string, j: number) => `n${NODE_MODELS.includes(model) ? NODE_MODELS.indexOf(model) : j % NODE_MODELS.length}`;

/** The shipped demo sample; texts tagged per task so no cache sees a repeat across tasks. */
const demoWorkload = (): Workload => {
  const base = parseTaskFile(readFileSync(path.join(root, "examples/demo-tasks.jsonl"), "utf8"), "examples/demo-tasks.jsonl");
  const map: Record<string, string> = { "node-a": "n3", "node-b": "n2", "node-c": "n0", "node-d": "n3" };
  return {
    name: "demo",
    defaultTasks: 96,
    tasks: (from, n) =>
      Array.from({ length: n }, (_, i) => {
        const b = base[(from + i) % base.length]!;
        const tag = ` (case ${from + i})`;
        return { ...b, id: `${b.id}-${from + i}`, query: b.query + tag, outputs: b.outputs.slice(0, 3).map((o) => ({ node: map[o.node] ?? "n0", text: o.text + tag })) };
      }),
  };
};

/** Real records grouped into tasks: one query (question or article), up to `maxOutputs` model outputs. */
const dataWorkload = (name: string, file: string, maxOutputs: number, defaultTasks: number): Workload => {
  const groups = new Map<string, DataRecord[]>();
  for (const line of readFileSync(path.join(dataDir, file), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as DataRecord;
    groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  }
  const list = [...groups.values()];
  return {
    name,
    defaultTasks,
    tasks: (from, n) => {
      // Wraps around a small file: every run is scored by fresh worker processes and a fresh
      // Redis prefix, so no cache carries a score from one run into the next.
      return Array.from({ length: n }, (_, i) => list[(from + i) % list.length]!).map((g) => ({
        id: g[0]!.group,
        task: g[0]!.task,
        query: g[0]!.query,
        references: g[0]!.references,
        outputs: g.slice(0, maxOutputs).map((r, j) => ({ node: nodeOf(r.model, j), text: r.output })),
      }));
    },
  };
};

function workloads(): Workload[] {
  const all: Record<string, () => Workload> = {
    demo: demoWorkload,
    evouna: () => dataWorkload("evouna", "evouna_nq.jsonl", 5, 192),
    summeval: () => dataWorkload("summeval", "summeval.jsonl", 8, 24),
  };
  const haveData = existsSync(path.join(dataDir, "evouna_nq.jsonl")) && existsSync(path.join(dataDir, "summeval.jsonl"));
  const names = opts.workload?.split(",") ?? (haveData ? ["demo", "evouna", "summeval"] : ["demo"]);
  return names.map((n) => {
    if (!all[n]) throw new Error(`unknown workload ${n}: demo, evouna or summeval`);
    if (n !== "demo" && !haveData) throw new Error(`workload ${n} needs ${dataDir}`);
    return all[n]!();
  });
}

type Row = Record<string, number>;

/**
 * Raw scoring engine: every task scored k times in this process (as k evaluators would).
 * Returns task-evaluations a second and the CPU (all threads of this process) a task took.
 */
async function rawThroughput(scorer: EngineTaskScorer, ph: `0x${string}`, tasks: TaskLine[]): Promise<{ evalsPerSec: number; cpuMsPerTask: number }> {
  const models = (t: TaskLine) => t.outputs.map((o) => ({ text: o.text, model: NODE_MODELS[Number(o.node.slice(1))] ?? "unknown" }));
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  for (const t of tasks)
    for (let e = 0; e < K; e++) await scorer.score(ph, { taskId: t.id, family: t.task, query: t.query, references: t.references, outputs: models(t) });
  const cpu = process.cpuUsage(c0);
  return { evalsPerSec: (tasks.length * K) / ((performance.now() - r0) / 1000), cpuMsPerTask: (cpu.user + cpu.system) / 1000 / tasks.length };
}

async function main() {
  const cpus = os.availableParallelism();
  const loads = workloads();
  const workerCounts = opts.workers.split(",").map(Number);
  say(`bench:e2e  k=${K}, workloads ${loads.map((l) => l.name).join(", ")}, worker processes ${opts.workers}, ${cpus} CPUs, RPC ${opts.transport}, Redis ${REDIS_URL}`);
  // The workers' settings (loadUseLite defaults), and one onnxruntime thread for the per-core figure.
  const encoder = await loadUseLite();
  const encoder1 = await loadUseLite({ intraOpThreads: 1 });
  // Tasks pay with the calibrated profile (the workers' default and the stack's evaluators' declared one).
  const profile = await payingProfile();
  const ph = profileHash(profile);
  const warm = { taskId: "warm", family: "qa" as const, query: "warm up", references: ["x"], outputs: [{ text: "warm", model: "gpt4" }] };
  const freshScorer = async (enc: typeof encoder) => {
    const sc = new EngineTaskScorer([profile], enc);
    await sc.score(ph, warm);
    return sc;
  };

  // A local node without Hardhat's console log of every call (see startHardhatNode).
  const node = await startHardhatNode({ quiet: true });
  const stack = await setupStack(node.url, K, NODE_MODELS);
  const redis = new Redis(REDIS_URL);
  // CPU attribution (Linux /proc): the node's process group, each worker, the Redis server when it runs here.
  // (Redis's pid names a process on this machine only when Redis runs here.)
  const redisLocal = /^rediss?:\/\/([^@/]*@)?(127\.0\.0\.1|localhost|\[::1\])[:/]?/.test(REDIS_URL);
  const redisPid = redisLocal ? Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]) : 0;
  const total = (xs: (number | undefined)[]) => (xs.includes(undefined) ? undefined : xs.reduce<number>((a, x) => a + x!, 0));
  const cpuOf = (workers: WorkerProc[]) => ({
    node: groupCpuSeconds(node.proc.pid!),
    workers: total(workers.map((w) => processCpuSeconds(w.proc.pid!))),
    redis: redisPid ? processCpuSeconds(redisPid) : undefined,
  });
  const out: Record<string, { tasks: number; outputsPerTask: number; rawEvaluationsPerSec: number; rawOneThreadEvaluationsPerSec: number; rawCpuMsPerTask: number; workers: Record<string, Row> }> = {};
  try {
    for (const load of loads) {
      const N = Number(opts.tasks ?? load.defaultTasks);
      const rawTasks = load.tasks(0, N);
      // Both raw figures score the same tasks; the encoders' caches do not carry over between them
      // (separate encoder instances) or into the runs (worker processes, unseen tasks).
      // Raw throughput is measured before and after the workload's runs; the higher figure is
      // used (a raw measurement slowed by a busy moment would flatter the ratio).
      const before = await rawThroughput(await freshScorer(encoder), ph, rawTasks);
      const rawBefore = before.evalsPerSec;
      const rawOneThreadEvaluationsPerSec = (await rawThroughput(await freshScorer(encoder1), ph, rawTasks)).evalsPerSec;
      let rawEvaluationsPerSec = rawBefore;
      const outputsPerTask = rawTasks.reduce((a, t) => a + t.outputs.length, 0) / N;
      say(`\n[${load.name}] ${N} tasks a run, ${outputsPerTask.toFixed(1)} outputs a task; raw scoring engine ${rawEvaluationsPerSec.toFixed(1)} task-evaluations/s (one process; ${rawOneThreadEvaluationsPerSec.toFixed(1)} on one thread)`);
      const results: Record<string, Row> = {};
      for (const [run, w] of workerCounts.entries()) {
        const prefix = uniquePrefix();
        const rpc = opts.transport === "ws" ? node.url.replace(/^http/, "ws") : node.url;
        // The worker's own defaults for BullMQ's locks (the tests shorten them for crash recovery).
        const env = { ...workerEnv(stack, rpc, prefix, stack.evaluatorKeys, {}, { productionLocks: true }), POQ_LOG_LEVEL: "info" } as Record<string, string>;
        if (opts.concurrency) env.POQ_WORKER_CONCURRENCY = opts.concurrency;
        // Several processes on one machine: split its cores between their scoring threads (an operator's setting).
        if (w > 1) env.POQ_SCORING_THREADS = String(Math.max(1, Math.floor(cpus / w)));
        if (opts.batch) env.POQ_TX_BATCH_MAX_CALLS = opts.batch;
        if (opts.linger) env.POQ_TX_BATCH_LINGER_MS = opts.linger;
        // Logs to files, as an operator's would go: a log line wakes no reader.
        const procs: WorkerProc[] = Array.from({ length: w }, (_, i) => spawnWorker(env, [], { logFile: path.join(stack.contentDir, `worker-${prefix}-${i}.log`) }));
        try {
          await waitFor(`${w} workers started`, async () => procs.every((p) => /worker started/.test(p.stderr())), 180_000, 200);
          const fromBlock = await stack.dc.client.getBlockNumber();
          const t0 = performance.now();
          const cpu0 = process.cpuUsage();
          const procCpu0 = cpuOf(procs);
          const ids = await createTasks(stack, load.tasks((run + 1) * N, N), { parallel: true });
          const createSecs = (performance.now() - t0) / 1000;
          // One cheap log query per poll: the benchmark must not load the node it measures.
          const want = new Set(ids.map(String));
          await waitFor(
            "all tasks finalized",
            async () => (await stack.reader.settlements(fromBlock)).filter((e) => want.has(String(e.taskId))).length === ids.length,
            600_000,
            200,
          );
          const secs = (performance.now() - t0) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const benchCpuSeconds = (cpu.user + cpu.system) / 1e6;
          const procCpu1 = cpuOf(procs);
          // CPU milliseconds a task cost each part during the run (undefined without /proc or a local Redis).
          const perTask = (k: keyof typeof procCpu0) => {
            const a = procCpu0[k], b = procCpu1[k];
            return a === undefined || b === undefined ? undefined : +(((b - a) * 1000) / N).toFixed(1);
          };
          const cpuMsPerTask = { workers: perTask("workers"), node: perTask("node"), redis: perTask("redis"), bench: +((benchCpuSeconds * 1000) / N).toFixed(1) };
          // Transactions the run put on chain (task creation included), counted after the clock stopped.
          const head = await stack.dc.client.getBlockNumber();
          let txs = 0;
          for (let b = fromBlock + 1n; b <= head; b++) txs += (await stack.dc.client.getBlock({ blockNumber: b })).transactions.length;
          const store = new RedisStateStore(redis, await deploymentNamespace(stack.dc.client, prefix, await stack.dc.client.getChainId(), stack.dep.poq));
          const lat = Object.fromEntries(await Promise.all(["score", "commit", "reveal", "finalize"].map(async (s) => [s, await store.latencies(s)] as const)));
          const e2eEvaluationsPerSec = (N * K) / secs;
          results[String(w)] = {
            workers: w,
            tasks: N,
            seconds: +secs.toFixed(2),
            createSeconds: +createSecs.toFixed(2),
            // CPU this process (requester + completion polling) used during the run
            benchCpuSeconds: +benchCpuSeconds.toFixed(2),
            tasksPerMinute: +((N / secs) * 60).toFixed(1),
            e2eEvaluationsPerSec: +e2eEvaluationsPerSec.toFixed(2),
            rawEvaluationsPerSec: +rawEvaluationsPerSec.toFixed(2),
            transactions: txs,
            transactionsPerTask: +(txs / N).toFixed(2),
            rawOneThreadEvaluationsPerSec: +rawOneThreadEvaluationsPerSec.toFixed(2),
            ratioToRawScoring: +(e2eEvaluationsPerSec / rawEvaluationsPerSec).toFixed(3),
            ratioToRawPerCore: +(e2eEvaluationsPerSec / (rawOneThreadEvaluationsPerSec * Math.min(w, cpus))).toFixed(3),
            ...Object.fromEntries(Object.entries(cpuMsPerTask).filter(([, v]) => v !== undefined).map(([k, v]) => [`cpuMsPerTask_${k}`, v!])),
            ...Object.fromEntries(Object.entries(lat).flatMap(([s, a]) => [[`${s}MsP50`, pct(a, 50)], [`${s}MsP95`, pct(a, 95)], [`${s}MsMean`, +mean(a).toFixed(1)]])),
          };
          say(`W=${w}: ${N} tasks in ${secs.toFixed(1)} s (the requester's createTask calls took ${createSecs.toFixed(1)} s of it; this process used ${benchCpuSeconds.toFixed(1)} s of CPU)`);
          say(`  CPU ms a task: ${Object.entries(cpuMsPerTask).map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", ")}`);
        } finally {
          await Promise.all(procs.map((p) => p.stop()));
          const keys = await redis.keys(`${prefix}*`);
          for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
        }
      }
      // A fresh encoder: the first one's content-hash cache holds these texts now.
      const encoderAfter = await loadUseLite();
      const after = await rawThroughput(await freshScorer(encoderAfter), ph, rawTasks);
      const rawAfter = after.evalsPerSec;
      await encoderAfter.close?.();
      rawEvaluationsPerSec = Math.max(rawBefore, rawAfter);
      // CPU the raw engine spent a task (all its threads), from the faster of the two measurements.
      const rawCpuMsPerTask = +(rawAfter > rawBefore ? after : before).cpuMsPerTask.toFixed(1);
      for (const r of Object.values(results)) {
        r.rawEvaluationsPerSec = +rawEvaluationsPerSec.toFixed(2);
        r.rawBeforeEvaluationsPerSec = +rawBefore.toFixed(2);
        r.rawAfterEvaluationsPerSec = +rawAfter.toFixed(2);
        r.ratioToRawScoring = +(r.e2eEvaluationsPerSec! / rawEvaluationsPerSec).toFixed(3);
        r.rawCpuMsPerTask = rawCpuMsPerTask;
      }
      say(`raw scoring engine again after the runs: ${rawAfter.toFixed(1)} task-evaluations/s (before: ${rawBefore.toFixed(1)}); ratios use ${rawEvaluationsPerSec.toFixed(1)}, which took ${rawCpuMsPerTask} CPU ms a task`);
      out[load.name] = { tasks: N, outputsPerTask, rawEvaluationsPerSec: +rawEvaluationsPerSec.toFixed(2), rawOneThreadEvaluationsPerSec: +rawOneThreadEvaluationsPerSec.toFixed(2), rawCpuMsPerTask, workers: results };
    }
  } finally {
    redis.disconnect();
    await node.stop();
    await encoder.close?.();
    await encoder1.close?.();
  }
  say("");
  say("| workload | workers | tasks/min | e2e evals/s | raw evals/s | tx/task | ratio to raw | ratio per core | score p50/p95 ms | commit p50/p95 ms | reveal p50/p95 ms | finalize p50/p95 ms |");
  say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, l] of Object.entries(out))
    for (const r of Object.values(l.workers))
      say(`| ${name} | ${r.workers} | ${r.tasksPerMinute} | ${r.e2eEvaluationsPerSec} | ${r.rawEvaluationsPerSec} | ${r.transactionsPerTask} | ${r.ratioToRawScoring} | ${r.ratioToRawPerCore} | ${r.scoreMsP50}/${r.scoreMsP95} | ${r.commitMsP50}/${r.commitMsP95} | ${r.revealMsP50}/${r.revealMsP95} | ${r.finalizeMsP50}/${r.finalizeMsP95} |`);
  say(`ratio to raw = e2e evals/s / raw evals/s (target >= 0.7); per core = e2e / (one-thread raw x min(W, ${cpus} CPUs)). Load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  if (opts.json) {
    // `workers` at the top level: the first workload's runs (the issue's required shape); all workloads under `workloads`.
    const first = Object.values(out)[0]!;
    writeFileSync(opts.json, JSON.stringify({ k: K, cpus, transport: opts.transport, workload: Object.keys(out)[0], rawEvaluationsPerSec: first.rawEvaluationsPerSec, workers: first.workers, workloads: out, loadavg: os.loadavg() }, null, 2) + "\n");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-e2e failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
