import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";

/**
 * Batch scoring over BullMQ: a JSONL input is split into chunks of lines, each chunk one
 * job (`batch:<batchId>:<chunk>`), any number of worker processes on any machines that share
 * the Redis process them, and the submitter reassembles the outputs in input order. Chunk
 * results live in a Redis hash (`<prefix>:batch:<id>:out`), so the collector survives its
 * own restart and a job retried after a worker crash simply overwrites its slot.
 */
export const BATCH_QUEUE = "score-batch";

/** One per-record problem, as the single-process scorer reports it. */
export interface BatchRecordError {
  line: number;
  recordId: string | null;
  field: string;
  reason: string;
  code?: string;
  message?: string;
}

export interface ChunkResult {
  /** Output JSONL lines for the records of this chunk that scored, in input order. */
  lines: string[];
  errors: BatchRecordError[];
}

/** Scores the raw input lines of one chunk; `firstLine` is the 1-based number of lines[0]. */
export type ChunkProcessor = (lines: string[], firstLine: number, profileDoc: unknown) => Promise<ChunkResult>;

interface ChunkJob {
  batchId: string;
  chunk: number;
  firstLine: number;
  lines: string[];
}

const keys = (prefix: string, id: string) => ({ out: `${prefix}:batch:${id}:out`, profile: `${prefix}:batch:${id}:profile`, meta: `${prefix}:batch:${id}:meta` });

export interface SubmitOptions {
  connection: Redis;
  prefix: string;
  lines: string[];
  /** The profile document every worker scores this batch under. */
  profileDoc: unknown;
  chunkSize?: number;
  batchId?: string;
  attempts?: number;
}

/** Splits `lines` into chunk jobs. Returns the batch id and the number of chunks. */
export async function submitBatch(o: SubmitOptions): Promise<{ batchId: string; chunks: number }> {
  const batchId = o.batchId ?? randomUUID().replace(/-/g, "").slice(0, 16);
  if (!/^[A-Za-z0-9_-]+$/.test(batchId)) throw new PoqError("E_INPUT", `batch id "${batchId}" may hold letters, digits, _ and - only`);
  const size = Math.max(1, o.chunkSize ?? 64);
  const k = keys(o.prefix, batchId);
  const chunks = Math.ceil(o.lines.length / size);
  await o.connection.set(k.profile, JSON.stringify(o.profileDoc), "EX", 7 * 86_400);
  await o.connection.set(k.meta, JSON.stringify({ chunks, lines: o.lines.length }), "EX", 7 * 86_400);
  const queue = new Queue<ChunkJob>(BATCH_QUEUE, { connection: o.connection, prefix: o.prefix });
  try {
    const jobs = [];
    for (let c = 0; c < chunks; c++) {
      jobs.push({
        name: "chunk",
        data: { batchId, chunk: c, firstLine: c * size + 1, lines: o.lines.slice(c * size, (c + 1) * size) },
        opts: { jobId: `batch:${batchId}:${c}`, attempts: o.attempts ?? 3, backoff: { type: "exponential", delay: 500 }, removeOnComplete: { age: 86_400 }, removeOnFail: false },
      });
    }
    for (let i = 0; i < jobs.length; i += 500) await queue.addBulk(jobs.slice(i, i + 500));
  } finally {
    await queue.close();
  }
  return { batchId, chunks };
}

export interface CollectOptions {
  connection: Redis;
  prefix: string;
  batchId: string;
  chunks: number;
  pollMs?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Waits until every chunk has a result and returns them concatenated in input order. */
export async function collectBatch(o: CollectOptions): Promise<ChunkResult> {
  const k = keys(o.prefix, o.batchId);
  const deadline = Date.now() + (o.timeoutMs ?? 24 * 3_600_000);
  let last = -1;
  for (;;) {
    const done = await o.connection.hlen(k.out);
    if (done !== last) o.onProgress?.(done, o.chunks), (last = done);
    if (done >= o.chunks) break;
    if (Date.now() > deadline) throw new PoqError("E_BATCH_TIMEOUT", `batch ${o.batchId}: ${done}/${o.chunks} chunks after timeout`);
    await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
  }
  const all = await o.connection.hgetall(k.out);
  const out: ChunkResult = { lines: [], errors: [] };
  for (let c = 0; c < o.chunks; c++) {
    const raw = all[String(c)];
    if (raw === undefined) throw new PoqError("E_BATCH", `batch ${o.batchId}: chunk ${c} missing`);
    const r = JSON.parse(raw) as ChunkResult & { fatal?: string };
    if (r.fatal) throw new PoqError("E_BATCH_CHUNK", `batch ${o.batchId}: chunk ${c} failed: ${r.fatal}`, { chunk: c });
    out.lines.push(...r.lines);
    out.errors.push(...r.errors);
  }
  return out;
}

/** Removes a collected batch's Redis keys. */
export async function dropBatch(connection: Redis, prefix: string, batchId: string): Promise<void> {
  const k = keys(prefix, batchId);
  await connection.del(k.out, k.profile, k.meta);
}

export interface BatchWorkerOptions {
  connection: Redis;
  prefix: string;
  process: ChunkProcessor;
  concurrency?: number;
  log?: Logger;
}

/** A BullMQ worker for batch chunks. Close it (await worker.close()) to stop after active jobs. */
export function startBatchWorker(o: BatchWorkerOptions): Worker<ChunkJob> {
  const profiles = new Map<string, unknown>();
  const worker = new Worker<ChunkJob>(
    BATCH_QUEUE,
    async (job: Job<ChunkJob>) => {
      const { batchId, chunk, firstLine, lines } = job.data;
      const k = keys(o.prefix, batchId);
      let profileDoc = profiles.get(batchId);
      if (profileDoc === undefined) {
        const raw = await o.connection.get(k.profile);
        if (raw === null) throw new PoqError("E_BATCH", `batch ${batchId}: profile not found in Redis (expired?)`);
        profileDoc = JSON.parse(raw);
        profiles.set(batchId, profileDoc);
      }
      const result = await o.process(lines, firstLine, profileDoc);
      await o.connection.hset(k.out, String(chunk), JSON.stringify(result));
      return { lines: result.lines.length, errors: result.errors.length };
    },
    { connection: o.connection, prefix: o.prefix, concurrency: o.concurrency ?? 1 },
  );
  worker.on("failed", (job, err) => {
    o.log?.error({ job: job?.id, err: err.message }, "batch chunk failed");
    if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
      void o.connection.hset(keys(o.prefix, job.data.batchId).out, String(job.data.chunk), JSON.stringify({ lines: [], errors: [], fatal: err.message }));
    }
  });
  worker.on("error", (err) => o.log?.warn({ err: err.message }, "batch worker connection error"));
  return worker;
}
