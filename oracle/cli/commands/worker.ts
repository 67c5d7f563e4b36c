import type { Command } from "commander";
import { loadConfig } from "../../config/index.js";
import { batchedDestination, createLogger, flushLogs } from "../../core/log.js";
import { InputError } from "../../core/errors.js";
import { loadAccounts, promptHidden } from "../../chain/keys.js";
import { redisConnection, requireRedis } from "../../queue/redis.js";
import { startBatchWorker } from "../../queue/batch.js";
import { engineChunkProcessor } from "../../queue/score-chunk.js";
import { WorkerMetrics, startMetricsServer } from "../../ops/metrics.js";
import { onShutdown } from "../../ops/shutdown.js";
import { createWorkerRuntime } from "../../worker/runtime.js";
import { StrategyScorer, parseStrategy } from "../../worker/strategies.js";
import { loadUseLite } from "../../models/index.js";
import { SharedScoreCache } from "../../worker/shared-scores.js";
import { ThreadTaskScorer } from "../../worker/scoring-thread.js";
import { profileHash, type Profile } from "../../scoring/profile.js";
import { payingProfile, resolveProfile } from "../../scoring/paying-profile.js";
import { warnUnreadyKeys } from "../../worker/key-check.js";
import { PoqReader } from "../../sdk/index.js";
import { claimPidFile } from "../../ops/pid-file.js";
import { checkReadiness, type ReadinessCheck } from "../../ops/readiness.js";
import { CONFIG_HELP } from "../help.js";

interface WorkerOpts {
  config?: string;
  concurrency?: string;
  metricsPort?: string;
  autoFinalize?: boolean;
  batch: boolean;
  chain: boolean;
  strategy?: string;
  profile?: string[];
  pidFile?: string;
}

/** The paying profile, then the configured and --profile ones (files or names), each once. */
async function workerProfiles(extra: readonly string[]): Promise<Profile[]> {
  const out = new Map<string, Profile>();
  for (const p of [await payingProfile(), ...(await Promise.all(extra.map((x) => resolveProfile(x))))]) out.set(profileHash(p).toLowerCase(), p);
  return [...out.values()];
}

/**
 * `poq worker`: the evaluator operator's process. Watches the chain for its committees and
 * scores/commits/reveals through BullMQ; also serves `poq score --queue` batch chunks.
 * Keys from encrypted keystores (POQ_KEYSTORES + POQ_KEYSTORE_PASSWORD or a prompt) or
 * POQ_PRIVATE_KEYS; every other setting from the config file / environment.
 */
export function register(program: Command): void {
  program
    .command("worker")
    .description("run an evaluator worker: watch tasks, score, commit, reveal (BullMQ on Redis)")
    .option("--config <file>", CONFIG_HELP)
    .option("--concurrency <n>", "jobs processed at once in this process")
    .option("--metrics-port <port>", "serve /metrics (Prometheus), /healthz and /readyz on this port (127.0.0.1, or metrics.host)")
    .option("--pid-file <path>", "write this process's id here while it runs (removed at exit); refuse to start if it names a running process")
    .option("--auto-finalize", "also finalize tasks once they can be settled")
    .option("--no-batch", "do not serve `poq score --queue` batch jobs")
    .option("--no-chain", "serve batch scoring only (no keys needed)")
    .option("--strategy <name>", "testing only: a dishonest strategy (random, inverse, constant, offline)")
    .option("--profile <file|name...>", "also score under this profile (a file, or \"default\"); the paying (calibrated) profile is always loaded", (v: string, acc: string[] = []) => [...acc, v])
    .action(async (o: WorkerOpts) => {
      const cfg = loadConfig({
        file: o.config,
        overrides: {
          worker: { concurrency: o.concurrency ? Number(o.concurrency) : undefined, autoFinalize: o.autoFinalize || undefined },
          metrics: { port: o.metricsPort ? Number(o.metricsPort) : undefined },
        },
      });
      // A busy worker logs a line an evaluator-task and stage, in bursts: written a burst at a time.
      const log = createLogger("poq.worker", cfg.logLevel, batchedDestination(2));
      if (o.pidFile) claimPidFile(o.pidFile); // removed at exit (see claimPidFile)
      // What needs nothing opened is checked first: keys (missing, malformed, wrong password).
      const accounts = o.chain ? await loadAccounts(cfg.keys, process.env, process.stdin.isTTY ? promptHidden : undefined) : [];
      if (o.chain && !accounts.length)
        throw new InputError("no evaluator key: set POQ_KEYSTORES (+ POQ_KEYSTORE_PASSWORD) or POQ_PRIVATE_KEYS, or use --no-chain", { field: "keys", reason: "missing" });
      await requireRedis(cfg.redis.url);
      const redis = redisConnection(cfg.redis.url);
      redis.on("error", (err) => log.warn({ err: err.message }, "redis connection error"));
      // Everything opened from here on is closed by a fatal start-up error (a
      // worker that hangs after one is never restarted by its service manager) or by SIGTERM.
      const stops: (() => Promise<void>)[] = [];
      let encoder: Awaited<ReturnType<typeof loadUseLite>> | undefined;
      // A signal during start-up (loading the model, connecting) closes what is open so far.
      onShutdown(async () => {
        for (const s of stops) await s();
        await encoder?.close?.();
        redis.disconnect();
      }, log);
      try {
        await startWorker();
      } catch (err) {
        log.debug({ err: (err as Error).message }, "start-up failed: closing what was opened");
        await closeAll(stops, 5_000); // the order of a shutdown: the service (if started) first
        await encoder?.close?.();
        redis.disconnect();
        throw err;
      }
      process.stdout.write(`poq worker running (${o.chain ? "chain" : ""}${o.chain && o.batch ? " + " : ""}${o.batch ? "batch scoring" : ""}); SIGTERM to stop\n`);
      await new Promise(() => undefined);

      async function startWorker(): Promise<void> {
        const metrics = new WorkerMetrics(true);
        const profiles = await workerProfiles([...cfg.profiles, ...(o.profile ?? [])]);
        const hashes = profiles.map((p) => profileHash(p));
        // /readyz: what must answer for this worker to do its job.
        const checks: Record<string, ReadinessCheck> = { redis: () => redis.ping() };
        // The chain side scores on its own thread (see ThreadTaskScorer); `poq score --queue`
        // chunks are scored on this thread, with an encoder loaded only when batch jobs are served.
        encoder = o.batch ? await loadUseLite({ logger: log }) : undefined;
        if (o.chain) {
          // Processes sharing these keys score each task once between them (deterministic scores).
          const engine = await new ThreadTaskScorer({ profiles, encoder: cfg.worker.scoringThreads ? { intraOpThreads: cfg.worker.scoringThreads } : {} }, log, metrics).start();
          stops.push(() => engine.close());
          checks.scoring = scoringProbe(engine, hashes[0]!);
          // State, nonces and the score single-flight on an auto-pipelined connection (see RuntimeOptions.stateRedis).
          const stateRedis = redis.duplicate({ enableAutoPipelining: true });
          stateRedis.on("error", (err) => log.warn({ err: err.message }, "redis state connection error"));
          stops.push(async () => stateRedis.disconnect());
          const subscriber = redis.duplicate();
          subscriber.on("error", (err) => log.warn({ err: err.message }, "redis subscriber connection error"));
          stops.push(async () => subscriber.disconnect());
          let scorer: ConstructorParameters<typeof StrategyScorer>[0] = new SharedScoreCache(engine, stateRedis, cfg.redis.prefix, { subscriber });
          if (o.strategy) scorer = new StrategyScorer(scorer, parseStrategy(o.strategy));
          const fault = process.env.POQ_FAULT_INJECT;
          const rt = await createWorkerRuntime({
            cfg,
            accounts,
            scorer,
            redis,
            stateRedis,
            log,
            metrics,
            connectRetries: STARTUP_RPC_RETRIES,
            fault: fault
              ? (point) => {
                  if (point === fault) {
                    log.warn({ point }, "fault injection: killing this process");
                    flushLogs();
                    process.kill(process.pid, "SIGKILL");
                  }
                }
              : undefined,
          });
          // A key that is not registered, under the minimum stake, not serving what this worker
          // scores (or serving what it cannot score) or without gas would fail silently: say so.
          await warnUnreadyKeys(new PoqReader(rt.chain.o.client, rt.chain.o.address), rt.chain.o.client, accounts.map((a) => a.address), log, hashes).catch((err: unknown) =>
            log.warn({ err: (err as Error).message }, "could not check the keys' registration"),
          );
          // Stopped first (jobs in flight finish or go back to the queue), then the engine and Redis.
          stops.unshift(() => rt.close());
          checks.chain = () => rt.chain.o.client.getBlockNumber({ cacheTime: 0 });
          rt.service.start();
          log.info({ evaluators: accounts.map((a) => a.address), contract: rt.chain.o.address, profiles: hashes }, "worker started");
        }
        if (o.batch) {
          const bw = startBatchWorker({ connection: redis, prefix: cfg.redis.prefix, process: engineChunkProcessor(encoder!), concurrency: 1, log });
          stops.push(() => bw.close());
        }
        if (cfg.metrics.port !== undefined) {
          const srv = await startMetricsServer(metrics.registry, cfg.metrics.port, cfg.metrics.host, { ready: () => checkReadiness(checks) });
          stops.push(srv.close);
          log.info({ metrics: srv.url, health: `${srv.base}/healthz`, ready: `${srv.base}/readyz` }, "metrics endpoint");
        }
      }
    });
}

/**
 * The scoring thread answers: a one-word output scored under the paying profile (a forward
 * pass of a few tokens, queued behind the jobs in flight). Concurrent probes share one request.
 */
function scoringProbe(engine: ThreadTaskScorer, hash: `0x${string}`): ReadinessCheck {
  let inFlight: Promise<unknown> | undefined;
  return () =>
    (inFlight ??= engine
      .score(hash, { taskId: "readyz", family: "qa", query: "ready?", references: ["yes"], outputs: [{ text: "yes", model: "readyz" }] })
      .finally(() => (inFlight = undefined)));
}

/** Retries of the first RPC connection at start-up (waits of tx.backoffMs, then twice that): fail fast, let the service manager restart. */
const STARTUP_RPC_RETRIES = 2;

/** Runs every closer (errors ignored: the start-up error is the one to report), bounded by `timeoutMs`. */
async function closeAll(closers: (() => Promise<void>)[], timeoutMs: number): Promise<void> {
  const all = (async () => {
    for (const c of closers) await c().catch(() => undefined);
  })();
  await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
