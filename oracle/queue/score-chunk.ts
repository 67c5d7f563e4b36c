import { rename, writeFile } from "node:fs/promises";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { SentenceEncoder } from "../models/index.js";
import { readInputFile, scoreJsonlBytes } from "../scoring/io.js";
import { NliModels } from "../scoring/nli-model.js";
import { parseProfile, profileHash, type Profile } from "../scoring/profile.js";
import { submitBatch, collectBatch, dropBatch, startBatchWorker, type ChunkProcessor, type BatchRecordError } from "./batch.js";

/**
 * `poq score --queue`: the same scoring as `scoreFile`, split into BullMQ chunk jobs.
 * Each chunk carries its raw input lines (base64, so invalid UTF-8 reaches the engine's
 * own per-line checks unchanged); a worker scores them with `scoreJsonlBytes`, padding with
 * blank lines so line numbers in errors are those of the whole file. The output file and the
 * errors equal the single-process run's.
 */
export function engineChunkProcessor(encoder: SentenceEncoder, nliModels: NliModels = new NliModels()): ChunkProcessor {
  const profiles = new Map<string, Profile>();
  return async (lines, firstLine, profileDoc) => {
    const key = JSON.stringify(profileDoc);
    let profile = profiles.get(key);
    if (!profile) profiles.set(key, (profile = parseProfile(profileDoc, "batch profile")));
    // The profile's NLI model, as `poq score` loads it (a chunk whose model cannot be loaded fails with the reason).
    const nli = await nliModels.for(profile);
    const bytes = Buffer.concat([Buffer.from("\n".repeat(firstLine - 1)), Buffer.concat(lines.flatMap((b, i) => (i ? [Buffer.from("\n"), Buffer.from(b, "base64")] : [Buffer.from(b, "base64")])))]);
    const results = await scoreJsonlBytes(bytes, { profile, encoder, nli });
    const out: string[] = [];
    const errors: BatchRecordError[] = [];
    for (const r of results) {
      if (r.ok) out.push(JSON.stringify(r.record));
      else {
        const j = r.error.toJSON();
        errors.push({ line: j.line ?? r.line, recordId: j.recordId ?? null, field: j.field ?? "(record)", reason: j.reason ?? j.message, code: j.code, message: j.message });
      }
    }
    return { lines: out, errors };
  };
}

/** Splits raw file bytes into lines (without the newline), each base64-encoded. */
export function splitLinesBase64(bytes: Uint8Array): string[] {
  const buf = Buffer.from(bytes);
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      if (i > start || i < buf.length) out.push(buf.subarray(start, i).toString("base64"));
      start = i + 1;
    }
  }
  while (out.length && out.at(-1) === "") out.pop();
  return out;
}

export interface QueuedScoreOptions {
  inPath: string;
  outPath: string;
  errorsPath?: string;
  profile: Profile;
  connection: Redis;
  prefix: string;
  chunkSize?: number;
  /** Also score in this process with this encoder (0 = submit only and wait for remote workers). */
  localEncoder?: SentenceEncoder;
  localConcurrency?: number;
  onProgress?: (done: number, total: number) => void;
  log?: Logger;
}

export interface QueuedScoreSummary {
  total: number;
  scored: number;
  failed: number;
  errors: BatchRecordError[];
  profileHash: string;
  seconds: number;
  batchId: string;
  chunks: number;
}

export async function scoreFileQueued(o: QueuedScoreOptions): Promise<QueuedScoreSummary> {
  const t0 = performance.now();
  const lines = splitLinesBase64(await readInputFile(o.inPath));
  const nliModels = new NliModels();
  const local = o.localEncoder
    ? Array.from({ length: o.localConcurrency ?? 1 }, () => startBatchWorker({ connection: o.connection, prefix: o.prefix, process: engineChunkProcessor(o.localEncoder!, nliModels), log: o.log }))
    : [];
  try {
    const { batchId, chunks } = await submitBatch({ connection: o.connection, prefix: o.prefix, lines, profileDoc: o.profile, chunkSize: o.chunkSize ?? 128 });
    const res = await collectBatch({ connection: o.connection, prefix: o.prefix, batchId, chunks, onProgress: o.onProgress });
    await dropBatch(o.connection, o.prefix, batchId);
    const tmp = `${o.outPath}.tmp-${process.pid}`;
    await writeFile(tmp, res.lines.length ? `${res.lines.join("\n")}\n` : "");
    await rename(tmp, o.outPath);
    if (o.errorsPath)
      await writeFile(o.errorsPath, res.errors.map((e) => JSON.stringify({ code: e.code, message: e.message, recordId: e.recordId, line: e.line, field: e.field, reason: e.reason })).join("\n") + (res.errors.length ? "\n" : ""));
    const nonBlank = res.lines.length + res.errors.length;
    return { total: nonBlank, scored: res.lines.length, failed: res.errors.length, errors: res.errors, profileHash: profileHash(o.profile), seconds: (performance.now() - t0) / 1000, batchId, chunks };
  } finally {
    await Promise.all(local.map((w) => w.close()));
    await nliModels.close();
  }
}
