import http from "node:http";
import type { AddressInfo } from "node:net";
import type { ReadinessReport } from "./readiness.js";
import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from "prom-client";

/** Name of the score-distribution histogram (see WorkerMetrics.scoreValues). */
export const SCORE_HISTOGRAM = "poq_score_value";
/** Upper bounds of its buckets: 0.05, 0.10, ..., 1 (and +Inf). */
export const SCORE_BUCKETS: readonly number[] = Array.from({ length: 20 }, (_, i) => Math.round((i + 1) * 5) / 100);

/** The scores of one output: its dimensions (by name) and its composite, all in [0,1]. */
export interface ScoredSignals {
  dimensions: Readonly<Record<string, number>>;
  composite: number;
}

/** Prometheus metrics of one worker process (its own registry: several can live in one test process). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly jobs = new Counter({ name: "poq_jobs_total", help: "jobs handled, by stage and outcome", labelNames: ["stage", "outcome"] as const, registers: [this.registry] });
  readonly stageSeconds = new Histogram({
    name: "poq_stage_seconds",
    help: "latency of one stage (score, commit, reveal, finalize)",
    labelNames: ["stage"] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly commits = new Counter({ name: "poq_commits_total", help: "commit transactions confirmed", registers: [this.registry] });
  readonly reveals = new Counter({ name: "poq_reveals_total", help: "reveal transactions confirmed", registers: [this.registry] });
  readonly failures = new Counter({ name: "poq_failures_total", help: "failed job attempts, by error code", labelNames: ["stage", "code"] as const, registers: [this.registry] });
  readonly pendingReveals = new Gauge({ name: "poq_pending_reveals", help: "commits waiting for their reveal", registers: [this.registry] });
  readonly tasksSeen = new Counter({ name: "poq_tasks_seen_total", help: "tasks with this operator in the committee", registers: [this.registry] });
  /**
   * The live distribution of the quality signal: every score this process computed (each of
   * the six dimensions and the composite, per profile hash and task family), in buckets of
   * 0.05 on [0,1]. `poq drift --live` compares it with the calibration data; a task scored by
   * another process of the same operator (shared single flight) is counted there, once.
   */
  readonly scoreValues = new Histogram({
    name: SCORE_HISTOGRAM,
    help: "scores computed by the engine, by profile hash, task family and signal (dimension or composite)",
    labelNames: ["profile", "task", "signal"] as const,
    buckets: [...SCORE_BUCKETS],
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Records the scores of one computed task (one row per scored output) into poq_score_value. */
  observeScores(profileHash: string, task: string, rows: readonly ScoredSignals[]): void {
    const profile = profileHash.toLowerCase();
    for (const r of rows) {
      for (const [signal, v] of Object.entries(r.dimensions)) this.scoreValues.observe({ profile, task, signal }, v);
      this.scoreValues.observe({ profile, task, signal: "composite" }, r.composite);
    }
  }

  /** Times `fn` into poq_stage_seconds{stage}. */
  async time<T>(stage: string, fn: () => Promise<T>): Promise<T> {
    const end = this.stageSeconds.startTimer({ stage });
    try {
      return await fn();
    } finally {
      end();
    }
  }
}

/**
 * Serves on host:port: GET /metrics (Prometheus), /healthz (200 while the process is up) and
 * /readyz (200 when every `ready` check answers, else 503; both with a JSON body naming each
 * dependency's state, e.g. {"ready":false,"checks":{"chain":"ok","redis":"connect ECONNREFUSED ...","scoring":"ok"}}).
 * Without `ready` checks /readyz answers like /healthz.
 */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host = "127.0.0.1",
  o: { ready?: () => Promise<ReadinessReport> } = {},
): Promise<{ url: string; base: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const url = (req.url ?? "").split("?")[0];
    try {
      if (url === "/metrics") {
        res.writeHead(200, { "content-type": registry.contentType }).end(await registry.metrics());
      } else if (url === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else if (url === "/readyz") {
        const r = o.ready ? await o.ready() : { ready: true, checks: {} };
        res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(`${JSON.stringify(r)}\n`);
      } else res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${(err as Error).message}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const base = `http://${host}:${a.port}`;
  return {
    url: `${base}/metrics`,
    base,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
