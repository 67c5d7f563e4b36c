import { Queue, Worker, UnrecoverableError, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";
import type { JobData, Stage } from "./types.js";

/** Job handlers: the same functions run under BullMQ or in-process. */
export type Handler = (data: JobData, ctx: { attempt: number; jobId: string }) => Promise<unknown>;
export type Handlers = Record<Stage, Handler>;

/** A failure that retrying cannot fix (unknown profile, refused input): straight to the failed set. */
export class PermanentJobError extends PoqError {}

export interface FailedJob {
  id: string;
  stage: Stage;
  reason: string;
  attempts: number;
}

export interface JobQueue {
  readonly kind: "bullmq" | "in-process";
  /** Adds a job; a job id that exists already is a no-op (idempotent). */
  add(stage: Stage, jobId: string, data: JobData, delayMs?: number): Promise<void>;
  /** Like add, but a job of that id that failed for a retryable reason is retried. */
  ensure(stage: Stage, jobId: string, data: JobData): Promise<void>;
  /** ensure() of many jobs of one stage (BullMQ: their checks in one round trip). */
  ensureMany(stage: Stage, jobs: readonly { id: string; data: JobData }[]): Promise<void>;
  start(handlers: Handlers): void;
  /** Stops taking jobs; waits for active ones (BullMQ hands back unfinished ones on force). */
  close(): Promise<void>;
  failed(): Promise<FailedJob[]>;
  /** Jobs not yet finished (waiting, delayed, active). */
  backlog(): Promise<number>;
}

export interface BullOptions {
  connection: Redis;
  prefix: string;
  concurrency: number;
  attempts: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  log?: Logger;
  onFailed?: (stage: Stage, code: string) => void;
}

/** Prefix of the reason of a job that must not be retried. */
export const PERMANENT = "permanent ";

const STAGES: Stage[] = ["evaluate", "reveal", "finalize"];

/** BullMQ: one queue per stage (`<prefix>:poq-<stage>`), failed jobs kept with their reason. */
export class BullJobQueue implements JobQueue {
  readonly kind = "bullmq" as const;
  private queues: Record<Stage, Queue<JobData>>;
  private workers: Worker<JobData>[] = [];
  constructor(private o: BullOptions) {
    this.queues = Object.fromEntries(
      STAGES.map((s) => [s, new Queue<JobData>(`poq-${s}`, { connection: o.connection, prefix: o.prefix })]),
    ) as Record<Stage, Queue<JobData>>;
    for (const q of Object.values(this.queues)) q.on("error", (err) => o.log?.warn({ err: err.message }, "queue connection error"));
  }

  async add(stage: Stage, jobId: string, data: JobData, delayMs = 0) {
    await this.queues[stage].add(stage, data, this.jobOpts(jobId, delayMs));
  }

  private jobOpts(jobId: string, delayMs = 0) {
    return {
      jobId,
      delay: delayMs,
      attempts: this.o.attempts,
      backoff: { type: "exponential", delay: 1_000 },
      removeOnComplete: { age: 7 * 86_400 },
      removeOnFail: false,
    };
  }

  async ensure(stage: Stage, jobId: string, data: JobData) {
    return this.ensureMany(stage, [{ id: jobId, data }]);
  }

  async ensureMany(stage: Stage, jobs: readonly { id: string; data: JobData }[]) {
    if (jobs.length === 0) return;
    // Full sweeps ensure every pending job, so this runs for thousands of jobs on a backlog:
    // two plain reads a job (does the job's hash exist, is it in the failed set), all of them
    // in one pipeline (one round trip), instead of loading each job (HGETALL + decoding) and
    // asking its state (a script over eight lists and sets). Missing jobs are added together;
    // only a failed job is loaded, to read its reason and retry it.
    const q = this.queues[stage];
    const p = this.o.connection.pipeline();
    for (const j of jobs) p.exists(q.toKey(j.id)).zscore(q.toKey("failed"), j.id);
    const res = (await p.exec()) ?? [];
    const missing: { id: string; data: JobData }[] = [];
    const failed: string[] = [];
    for (const [i, j] of jobs.entries()) {
      const [exists, failedAt] = [res[2 * i], res[2 * i + 1]];
      if (!exists || !failedAt) throw new Error("ensure: Redis returned no reply");
      if (exists[0] || failedAt[0]) throw exists[0] ?? failedAt[0];
      if (!exists[1]) missing.push(j);
      else if (failedAt[1] !== null) failed.push(j.id);
    }
    if (missing.length) await q.addBulk(missing.map((j) => ({ name: stage, data: j.data, opts: this.jobOpts(j.id) })));
    for (const jobId of failed) {
      const job = await q.getJob(jobId);
      if (!job) {
        await this.add(stage, jobId, jobs.find((j) => j.id === jobId)!.data); // removed in between
        continue;
      }
      if ((await job.getState()) === "failed" && !job.failedReason?.startsWith(PERMANENT)) {
        this.o.log?.info({ job: jobId }, "retrying a failed job");
        await job.retry("failed");
      }
    }
  }

  start(handlers: Handlers) {
    for (const stage of STAGES) {
      const w = new Worker<JobData>(
        `poq-${stage}`,
        async (job: Job<JobData>) => {
          try {
            return await handlers[stage](job.data, { attempt: job.attemptsMade + 1, jobId: job.id! });
          } catch (err) {
            const code = (err as PoqError).code ?? "E_UNKNOWN";
            this.o.onFailed?.(stage, code);
            if (err instanceof PermanentJobError) throw new UnrecoverableError(`${PERMANENT}${code}: ${(err as Error).message}`);
            throw new Error(`${code}: ${(err as Error).message}`);
          }
        },
        {
          connection: this.o.connection,
          prefix: this.o.prefix,
          concurrency: this.o.concurrency,
          lockDuration: this.o.lockDurationMs,
          stalledInterval: this.o.stalledIntervalMs,
          maxStalledCount: 5,
        },
      );
      w.on("failed", (job, err) => this.o.log?.warn({ job: job?.id, attempt: job?.attemptsMade, err: err.message }, "job attempt failed"));
      w.on("error", (err) => this.o.log?.warn({ err: err.message }, "worker connection error"));
      this.workers.push(w);
    }
  }

  async close() {
    await Promise.all(this.workers.map((w) => w.close()));
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }

  async failed() {
    const out: FailedJob[] = [];
    for (const stage of STAGES) {
      for (const j of await this.queues[stage].getFailed(0, 1000)) out.push({ id: j.id!, stage, reason: j.failedReason, attempts: j.attemptsMade });
    }
    return out;
  }

  async backlog() {
    let n = 0;
    for (const q of Object.values(this.queues)) {
      const c = await q.getJobCounts("waiting", "delayed", "active", "prioritized");
      n += Object.values(c).reduce((a, b) => a + b, 0);
    }
    return n;
  }
}

/**
 * The same semantics without Redis (the demo's fallback): idempotent ids, bounded
 * concurrency, retries with exponential backoff, permanent failures kept with their reason.
 */
export class InProcessJobQueue implements JobQueue {
  readonly kind = "in-process" as const;
  private ids = new Set<string>();
  private queue: { stage: Stage; id: string; data: JobData; attempt: number; notBefore: number }[] = [];
  private active = 0;
  private handlers?: Handlers;
  private failedJobs: FailedJob[] = [];
  private timer?: NodeJS.Timeout;
  private idleWaiters: (() => void)[] = [];
  constructor(private o: { concurrency: number; attempts: number; backoffMs?: number; log?: Logger; onFailed?: (stage: Stage, code: string) => void }) {}

  async add(stage: Stage, jobId: string, data: JobData, delayMs = 0) {
    if (this.ids.has(jobId)) return;
    this.ids.add(jobId);
    this.queue.push({ stage, id: jobId, data, attempt: 1, notBefore: Date.now() + delayMs });
    this.pump();
  }

  async ensure(stage: Stage, jobId: string, data: JobData) {
    const i = this.failedJobs.findIndex((f) => f.id === jobId);
    if (i >= 0 && !this.failedJobs[i]!.reason.startsWith(PERMANENT)) {
      this.failedJobs.splice(i, 1);
      this.ids.delete(jobId);
    }
    return this.add(stage, jobId, data);
  }

  async ensureMany(stage: Stage, jobs: readonly { id: string; data: JobData }[]) {
    for (const j of jobs) await this.ensure(stage, j.id, j.data);
  }

  start(handlers: Handlers) {
    this.handlers = handlers;
    this.timer = setInterval(() => this.pump(), 50);
    this.pump();
  }

  private pump() {
    if (!this.handlers) return;
    const now = Date.now();
    while (this.active < this.o.concurrency) {
      const i = this.queue.findIndex((j) => j.notBefore <= now);
      if (i < 0) break;
      const job = this.queue.splice(i, 1)[0]!;
      this.active++;
      this.handlers[job.stage](job.data, { attempt: job.attempt, jobId: job.id })
        .catch((err: PoqError) => {
          const code = err.code ?? "E_UNKNOWN";
          this.o.onFailed?.(job.stage, code);
          if (err instanceof PermanentJobError || job.attempt >= this.o.attempts) {
            const perm = err instanceof PermanentJobError ? PERMANENT : "";
            this.failedJobs.push({ id: job.id, stage: job.stage, reason: `${perm}${code}: ${err.message}`, attempts: job.attempt });
            this.o.log?.error({ job: job.id, err: err.message }, "job failed");
          } else {
            this.queue.push({ ...job, attempt: job.attempt + 1, notBefore: Date.now() + (this.o.backoffMs ?? 1_000) * 2 ** (job.attempt - 1) });
          }
        })
        .finally(() => {
          this.active--;
          this.pump();
          if (this.active === 0 && this.queue.length === 0) this.idleWaiters.splice(0).forEach((f) => f());
        });
    }
  }

  async close() {
    if (this.timer) clearInterval(this.timer);
    this.handlers = undefined;
    while (this.active > 0) await new Promise((r) => setTimeout(r, 20));
  }

  async failed() {
    return [...this.failedJobs];
  }

  async backlog() {
    return this.queue.length + this.active;
  }
}
