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
 * Pinned (the default with 2+ CPUs and `taskset`; `--pin CHAIN:WORKERS`, e.g. 0:1, or
 * `--no-pin`): the Hardhat node, a Redis server of the benchmark's own and this process during
 * the runs (the requester) get the CHAIN cores, the worker processes the WORKERS cores, so the
 * ratio measures the workers, not a node competing with them for the same cores. The raw
 * engine is then measured on the WORKERS cores alone, with the workers' scoring threads
 * (one a core), and each run reports the worker CPU an evaluator-task costs outside scoring:
 *   workerCpuMsPerEvalOutsideScoring = (cpuMsPerTask_workers - rawCpuMsPerTask) / k
 * (target <= 5 ms; ratio target >= 0.7 at W = 1).
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
import { startHardhatNode, setupStack, createTasks, spawnWorker, workerEnv, waitFor, uniquePrefix, freePort, pinned, REDIS_URL, root, type WorkerProc } from "../oracle/ops/devnode.js";
import { execFileSync, spawn } from "node:child_process";
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
  .option("--pin <chain:workers>", "cores for the node, Redis and the requester : cores for the workers (taskset lists, e.g. 0:1); default 0:1 with 2+ CPUs")
  .option("--no-pin", "do not pin processes to cores (and use REDIS_URL's Redis)")
  .option("--worker-cpu-prof <dir>", "write V8 CPU profiles of the worker processes (all threads) to this directory")
  .option("--worker-node-args <args>", "extra Node.js flags for the worker processes, space-separated (e.g. \"--single-threaded-gc\")")
  .parse()
  .opts<{ json?: string; workload?: string; tasks?: string; workers: string; concurrency?: string; batch?: string; linger?: string; transport: string; pin: string | boolean; workerCpuProf?: string; workerNodeArgs?: string }>();

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
async function rawThroughput(scorer: EngineTaskScorer, ph: `0x${string}`, tasks: TaskLine[]): Promise<{ evalsPerSec: number; cpuMsPerTask: number; firstCpuMsPerTask: number }> {
  const models = (t: TaskLine) => t.outputs.map((o) => ({ text: o.text, model: NODE_MODELS[Number(o.node.slice(1))] ?? "unknown" }));
  const ms = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  let first = 0; // the first of the k scorings of each task (the others find its embeddings cached)
  for (const t of tasks)
    for (let e = 0; e < K; e++) {
      const f0 = e === 0 ? process.cpuUsage() : undefined;
      await scorer.score(ph, { taskId: t.id, family: t.task, query: t.query, references: t.references, outputs: models(t) });
      if (f0) first += ms(process.cpuUsage(f0));
    }
  const cpu = process.cpuUsage(c0);
  return { evalsPerSec: (tasks.length * K) / ((performance.now() - r0) / 1000), cpuMsPerTask: ms(cpu) / tasks.length, firstCpuMsPerTask: first / tasks.length };
}

/** The cores of the chain side and of the workers, or undefined (not pinned). */
function pinning(cpus: number): { chain: string; workers: string; workerCores: number } | undefined {
  if (opts.pin === false) return undefined;
  const spec = typeof opts.pin === "string" ? opts.pin : cpus >= 2 ? "0:1" : undefined;
  if (!spec) return undefined;
  const [chain, workers] = spec.split(":");
  if (!chain || !workers) throw new Error(`--pin ${spec}: expected CHAIN:WORKERS core lists, e.g. 0:1`);
  try {
    execFileSync("taskset", ["-c", "0", "true"]);
  } catch {
    if (typeof opts.pin === "string") throw new Error("--pin needs taskset (util-linux)");
    return undefined;
  }
  const count = (list: string) => list.split(",").reduce((a, part) => {
    const [lo, hi] = part.split("-").map(Number);
    return a + (hi === undefined ? 1 : hi - lo! + 1);
  }, 0);
  return { chain, workers, workerCores: count(workers) };
}

/** When a worker logged "worker started" (its pino time, ms since the epoch). */
function startedAt(log: string): number {
  const m = /\{[^\n]*"time":(\d+)[^\n]*"msg":"worker started"/.exec(log);
  if (!m) throw new Error("no 'worker started' line in the worker's log");
  return Number(m[1]);
}

/** Moves every thread of this process to `cores`. */
function pinSelf(cores: string | undefined): void {
  if (cores !== undefined) execFileSync("taskset", ["-a", "-p", "-c", cores, String(process.pid)], { stdio: "ignore" });
}

/** A Redis server of the benchmark's own on `cores` (the shared one on 6379 is left alone). */
async function startRedis(cores: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn(...pinned(cores, "redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"]), { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined); // refused until the server listens
  await waitFor("redis-server", async () => {
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      probe.disconnect();
      return false;
    }
  }, 20_000, 100);
  probe.disconnect();
  return {
    url,
    pid: proc.pid!,
    stop: async () => {
      proc.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 200));
    },
  };
}

async function main() {
  const cpus = os.availableParallelism();
  const pin = pinning(cpus);
  const loads = workloads();
  const workerCounts = opts.workers.split(",").map(Number);
  const ownRedis = pin ? await startRedis(pin.chain) : undefined;
  const redisUrl = ownRedis?.url ?? REDIS_URL;
  say(`bench:e2e  k=${K}, workloads ${loads.map((l) => l.name).join(", ")}, worker processes ${opts.workers}, ${cpus} CPUs, RPC ${opts.transport}, Redis ${redisUrl}`);
  if (pin) say(`pinned: Hardhat node, Redis and the requester on CPU ${pin.chain}; workers on CPU ${pin.workers}; the raw engine measured on CPU ${pin.workers} alone`);
  // The workers' settings (loadUseLite defaults; pinned: one scoring thread a worker core), and one onnxruntime thread for the per-core figure.
  const encoder = await loadUseLite(pin ? { intraOpThreads: pin.workerCores } : {});
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
  const node = await startHardhatNode({ quiet: true, cpus: pin?.chain });
  const stack = await setupStack(node.url, K, NODE_MODELS);
  const redis = new Redis(redisUrl);
  // CPU attribution (Linux /proc): the node's process group, each worker, the Redis server when it runs here.
  // (Redis's pid names a process on this machine only when Redis runs here.)
  const redisLocal = /^rediss?:\/\/([^@/]*@)?(127\.0\.0\.1|localhost|\[::1\])[:/]?/.test(redisUrl);
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
      pinSelf(pin?.workers); // the raw engine on the workers' cores alone
      const before = await rawThroughput(await freshScorer(encoder), ph, rawTasks);
      const rawBefore = before.evalsPerSec;
      const rawOneThreadEvaluationsPerSec = (await rawThroughput(await freshScorer(encoder1), ph, rawTasks)).evalsPerSec;
      pinSelf(pin?.chain); // the requester and the completion polling: the chain side
      let rawEvaluationsPerSec = rawBefore;
      const outputsPerTask = rawTasks.reduce((a, t) => a + t.outputs.length, 0) / N;
      say(`\n[${load.name}] ${N} tasks a run, ${outputsPerTask.toFixed(1)} outputs a task; raw scoring engine ${rawEvaluationsPerSec.toFixed(1)} task-evaluations/s (one process; ${rawOneThreadEvaluationsPerSec.toFixed(1)} on one thread)`);
      const results: Record<string, Row> = {};
      for (const [run, w] of workerCounts.entries()) {
        const prefix = uniquePrefix();
        const rpc = opts.transport === "ws" ? node.url.replace(/^http/, "ws") : node.url;
        // The worker's own defaults for BullMQ's locks (the tests shorten them for crash recovery).
        const env = { ...workerEnv(stack, rpc, prefix, stack.evaluatorKeys, {}, { productionLocks: true }), POQ_LOG_LEVEL: "info", REDIS_URL: redisUrl } as Record<string, string>;
        // The requester draws the committees (as `poq task create` does): workers that also drew
        // pending tasks would race it (NotPending reverts a whole multicall of draws).
        const cfgFile = env.POQ_CONFIG!;
        const cfg = JSON.parse(readFileSync(cfgFile, "utf8")) as { worker: Record<string, unknown> };
        writeFileSync(cfgFile, JSON.stringify({ ...cfg, worker: { ...cfg.worker, autoDraw: false } }));
        if (opts.concurrency) env.POQ_WORKER_CONCURRENCY = opts.concurrency;
        // Several processes on one machine: split its (their) cores between their scoring threads (an operator's setting).
        const workerCores = pin?.workerCores ?? cpus;
        if (w > 1 || pin) env.POQ_SCORING_THREADS = String(Math.max(1, Math.floor(workerCores / w)));
        if (opts.batch) env.POQ_TX_BATCH_MAX_CALLS = opts.batch;
        if (opts.linger) env.POQ_TX_BATCH_LINGER_MS = opts.linger;
        // Logs to files, as an operator's would go: a log line wakes no reader.
        // Pinned, the workers are measured on a backlog: the N tasks are created and drawn
        // first (on the chain core, a cost of the node and the requester, not of the workers),
        // then the workers start and the clock runs from the first one's "worker started".
        // Unpinned, as before: the workers run first and the clock includes the creation.
        let fromBlock = await stack.dc.client.getBlockNumber();
        let ids: bigint[] = [];
        let createSecs = 0;
        if (pin) {
          const c0 = performance.now();
          ids = await createTasks(stack, load.tasks((run + 1) * N, N), { parallel: true });
          createSecs = (performance.now() - c0) / 1000;
        }
        const procs: WorkerProc[] = Array.from({ length: w }, (_, i) => spawnWorker(env, [], { logFile: path.join(stack.contentDir, `worker-${prefix}-${i}.log`), cpus: pin?.workers, nodeArgs: [...(opts.workerNodeArgs?.split(/\s+/).filter(Boolean) ?? []), ...(opts.workerCpuProf ? ["--cpu-prof", `--cpu-prof-dir=${opts.workerCpuProf}`] : [])] }));
        try {
          await waitFor(`${w} workers started`, async () => procs.every((p) => /worker started/.test(p.stderr())), 180_000, pin ? 20 : 200);
          const procCpu0 = cpuOf(procs);
          const cpu0 = process.cpuUsage();
          // pinned: from the first worker's start as it logged it (its pino "time", ms since the epoch)
          const t0 = pin ? performance.now() - (Date.now() - Math.min(...procs.map((p) => startedAt(p.stderr())))) : performance.now();
          if (!pin) {
            fromBlock = await stack.dc.client.getBlockNumber();
            ids = await createTasks(stack, load.tasks((run + 1) * N, N), { parallel: true });
            createSecs = (performance.now() - t0) / 1000;
          }
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
            ratioToRawPerCore: +(e2eEvaluationsPerSec / (rawOneThreadEvaluationsPerSec * Math.min(w, pin?.workerCores ?? cpus))).toFixed(3),
            ...Object.fromEntries(Object.entries(cpuMsPerTask).filter(([, v]) => v !== undefined).map(([k, v]) => [`cpuMsPerTask_${k}`, v!])),
            ...Object.fromEntries(Object.entries(lat).flatMap(([s, a]) => [[`${s}MsP50`, pct(a, 50)], [`${s}MsP95`, pct(a, 95)], [`${s}MsMean`, +mean(a).toFixed(1)]])),
          };
          say(
            pin
              ? `W=${w}: ${N} tasks (created and drawn beforehand in ${createSecs.toFixed(1)} s) settled in ${secs.toFixed(1)} s from the workers' start; this process used ${benchCpuSeconds.toFixed(1)} s of CPU meanwhile`
              : `W=${w}: ${N} tasks in ${secs.toFixed(1)} s (the requester's createTask calls took ${createSecs.toFixed(1)} s of it; this process used ${benchCpuSeconds.toFixed(1)} s of CPU)`,
          );
          say(`  CPU ms a task: ${Object.entries(cpuMsPerTask).map(([k, v]) => `${k} ${v ?? "n/a"}`).join(", ")}`);
        } finally {
          await Promise.all(procs.map((p) => p.stop()));
          const keys = await redis.keys(`${prefix}*`);
          for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
        }
      }
      // A fresh encoder: the first one's content-hash cache holds these texts now.
      pinSelf(pin?.workers);
      const encoderAfter = await loadUseLite(pin ? { intraOpThreads: pin.workerCores } : {});
      const after = await rawThroughput(await freshScorer(encoderAfter), ph, rawTasks);
      pinSelf(pin?.chain);
      const rawAfter = after.evalsPerSec;
      await encoderAfter.close?.();
      rawEvaluationsPerSec = Math.max(rawBefore, rawAfter);
      // CPU the raw engine spent a task (all its threads), from the faster of the two measurements.
      const rawCpuMsPerTask = +(rawAfter > rawBefore ? after : before).cpuMsPerTask.toFixed(1);
      // A worker scores a task once for all its keys (SharedScoreCache): one scoring's CPU.
      const rawOnceCpuMsPerTask = +(rawAfter > rawBefore ? after : before).firstCpuMsPerTask.toFixed(1);
      for (const r of Object.values(results)) {
        r.rawEvaluationsPerSec = +rawEvaluationsPerSec.toFixed(2);
        r.rawBeforeEvaluationsPerSec = +rawBefore.toFixed(2);
        r.rawAfterEvaluationsPerSec = +rawAfter.toFixed(2);
        r.ratioToRawScoring = +(r.e2eEvaluationsPerSec! / rawEvaluationsPerSec).toFixed(3);
        r.rawCpuMsPerTask = rawCpuMsPerTask;
        // What a worker spends on an evaluator-task besides scoring it: chain, Redis, queue, bookkeeping.
        // The issue's figure subtracts the raw engine's k scorings of a task; the worker does one
        // (its keys share it), so the second figure subtracts one scoring: the stricter.
        r.rawOnceCpuMsPerTask = rawOnceCpuMsPerTask;
        if (r.cpuMsPerTask_workers !== undefined) {
          r.workerCpuMsPerEvalOutsideScoring = +((r.cpuMsPerTask_workers - rawCpuMsPerTask) / K).toFixed(2);
          r.workerCpuMsPerEvalOutsideOneScoring = +((r.cpuMsPerTask_workers - rawOnceCpuMsPerTask) / K).toFixed(2);
        }
      }
      say(`raw scoring engine again after the runs: ${rawAfter.toFixed(1)} task-evaluations/s (before: ${rawBefore.toFixed(1)}); ratios use ${rawEvaluationsPerSec.toFixed(1)}, which took ${rawCpuMsPerTask} CPU ms a task`);
      for (const r of Object.values(results))
        say(`W=${r.workers}: ratio to raw ${r.ratioToRawScoring} (target >= 0.7), worker CPU outside scoring ${r.workerCpuMsPerEvalOutsideScoring ?? "n/a"} ms an evaluator-task (target <= 5; ${r.workerCpuMsPerEvalOutsideOneScoring ?? "n/a"} counting one scoring a task, ${rawOnceCpuMsPerTask} ms)`);
      out[load.name] = { tasks: N, outputsPerTask, rawEvaluationsPerSec: +rawEvaluationsPerSec.toFixed(2), rawOneThreadEvaluationsPerSec: +rawOneThreadEvaluationsPerSec.toFixed(2), rawCpuMsPerTask, workers: results };
    }
  } finally {
    redis.disconnect();
    await node.stop();
    await ownRedis?.stop();
    await encoder.close?.();
    await encoder1.close?.();
  }
  say("");
  say("| workload | workers | tasks/min | e2e evals/s | raw evals/s | tx/task | ratio to raw | ratio per core | worker CPU ms/eval outside scoring (k / one scorings) | score p50/p95 ms | commit p50/p95 ms | reveal p50/p95 ms | finalize p50/p95 ms |");
  say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const [name, l] of Object.entries(out))
    for (const r of Object.values(l.workers))
      say(`| ${name} | ${r.workers} | ${r.tasksPerMinute} | ${r.e2eEvaluationsPerSec} | ${r.rawEvaluationsPerSec} | ${r.transactionsPerTask} | ${r.ratioToRawScoring} | ${r.ratioToRawPerCore} | ${r.workerCpuMsPerEvalOutsideScoring ?? "n/a"} / ${r.workerCpuMsPerEvalOutsideOneScoring ?? "n/a"} | ${r.scoreMsP50}/${r.scoreMsP95} | ${r.commitMsP50}/${r.commitMsP95} | ${r.revealMsP50}/${r.revealMsP95} | ${r.finalizeMsP50}/${r.finalizeMsP95} |`);
  say(`ratio to raw = e2e evals/s / raw evals/s (target >= 0.7); per core = e2e / (one-thread raw x min(W, ${cpus} CPUs)). Load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  if (opts.json) {
    // `workers` at the top level: the first workload's runs (the issue's required shape); all workloads under `workloads`.
    const first = Object.values(out)[0]!;
    writeFileSync(opts.json, JSON.stringify({ k: K, cpus, transport: opts.transport, pinned: pin ? { chain: pin.chain, workers: pin.workers } : false, workload: Object.keys(out)[0], rawEvaluationsPerSec: first.rawEvaluationsPerSec, workers: first.workers, workloads: out, loadavg: os.loadavg() }, null, 2) + "\n");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench-e2e failed: ${(err as Error).stack ?? err}\n`);
    process.exit(1);
  },
);
