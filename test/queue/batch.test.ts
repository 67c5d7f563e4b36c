import { describe, it, expect } from "vitest";
import { redisConnection } from "../../oracle/queue/redis.js";
import { submitBatch, collectBatch, startBatchWorker, dropBatch, type ChunkProcessor } from "../../oracle/queue/batch.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix, url } = testRedis(redisConnection);

/** A deterministic stand-in scorer: score = words / 10, a per-record error for empty outputs. */
const fake: ChunkProcessor = async (lines, firstLine, profileDoc) => {
  const out: string[] = [];
  const errors = [];
  for (const [i, l] of lines.entries()) {
    const r = JSON.parse(l) as { id: string; output: string };
    if (!r.output) errors.push({ line: firstLine + i, recordId: r.id, field: "output", reason: "empty output" });
    else out.push(JSON.stringify({ ...r, composite: r.output.split(" ").length / 10, profile: (profileDoc as { name: string }).name }));
    await new Promise((res) => setTimeout(res, Math.random() * 3));
  }
  return { lines: out, errors };
};

describe("batch scoring over BullMQ", () => {
  it("splits, processes on several workers and reassembles in input order, equal to one process", async () => {
    const lines = Array.from({ length: 101 }, (_, i) => JSON.stringify({ id: `r${i}`, output: i % 17 === 5 ? "" : "w ".repeat(i % 9 + 1).trim() }));
    const single = await fake(lines, 1, { name: "p" });
    const workers = [0, 1, 2].map(() => startBatchWorker({ connection: redisConnection(url), prefix, process: fake, concurrency: 2 }));
    try {
      const { batchId, chunks } = await submitBatch({ connection: redis, prefix, lines, profileDoc: { name: "p" }, chunkSize: 7 });
      expect(chunks).toBe(15);
      const seen: number[] = [];
      const res = await collectBatch({ connection: redis, prefix, batchId, chunks, pollMs: 20, onProgress: (d) => seen.push(d) });
      expect(res.lines).toEqual(single.lines);
      expect(res.errors).toEqual(single.errors);
      expect(res.errors.map((e) => e.line)).toEqual([6, 23, 40, 57, 74, 91]);
      expect(seen.at(-1)).toBe(15);
      await dropBatch(redis, prefix, batchId);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
  });
  it("reports a chunk that fails every attempt instead of hanging", async () => {
    const bad: ChunkProcessor = async () => {
      throw new Error("model crashed");
    };
    const w = startBatchWorker({ connection: redisConnection(url), prefix, process: bad });
    try {
      const { batchId, chunks } = await submitBatch({ connection: redis, prefix, lines: ["{}"], profileDoc: {}, attempts: 1 });
      await expect(collectBatch({ connection: redis, prefix, batchId, chunks, pollMs: 20 })).rejects.toThrow(/chunk 0 failed: model crashed/);
    } finally {
      await w.close();
    }
  });
});
