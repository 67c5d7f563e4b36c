import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisConnection } from "../../oracle/queue/redis.js";
import { scoreFileQueued } from "../../oracle/queue/score-chunk.js";
import { startBatchWorker } from "../../oracle/queue/batch.js";
import { engineChunkProcessor } from "../../oracle/queue/score-chunk.js";
import { scoreFile } from "../../oracle/scoring/io.js";
import { defaultProfile } from "../../oracle/scoring/profile.js";
import { loadUseLite } from "../../oracle/models/index.js";
import { runScore } from "../../oracle/cli/commands/score.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix, url } = testRedis(redisConnection);

describe("poq score --queue", () => {
  it("gives the single-process result: same output bytes, same per-record errors with file line numbers", async () => {
    const encoder = await loadUseLite({ intraOpThreads: 1 });
    const input = "test/fixtures/e2e/score-batch.jsonl";
    const dir = mkdtempSync(path.join(tmpdir(), "poq-scoreq-"));
    const profile = defaultProfile();
    const single = await scoreFile({ inPath: input, outPath: path.join(dir, "single.jsonl"), errorsPath: path.join(dir, "single.err"), profile, encoder });
    // Two "remote" workers plus the submitter scoring locally, chunks of 3 lines.
    const remote = [0, 1].map(() => startBatchWorker({ connection: redisConnection(url), prefix, process: engineChunkProcessor(encoder) }));
    try {
      const queued = await scoreFileQueued({ inPath: input, outPath: path.join(dir, "queued.jsonl"), errorsPath: path.join(dir, "queued.err"), profile, connection: redis, prefix, chunkSize: 3, localEncoder: encoder });
      expect(queued.chunks).toBe(5);
      expect(readFileSync(path.join(dir, "queued.jsonl"), "utf8")).toBe(readFileSync(path.join(dir, "single.jsonl"), "utf8"));
      expect(queued.scored).toBe(single.scored);
      expect(queued.failed).toBe(single.failed);
      expect(queued.errors.map((e) => [e.line, e.code, e.message])).toEqual(single.errors.map((e) => [e.line, e.code, e.message]));
      expect(queued.errors.map((e) => e.line)).toEqual([4, 6, 12, 13]);
    } finally {
      await Promise.all(remote.map((w) => w.close()));
      await encoder.close?.();
    }
  });

  it("the CLI's --queue flag writes the same file as the plain run and exits 1 on bad records", async () => {
    const input = "test/fixtures/e2e/score-batch.jsonl";
    const dir = mkdtempSync(path.join(tmpdir(), "poq-scoreq-cli-"));
    const base = { in: input, providers: "cpu", threads: "1", batchSize: "64", progress: false };
    process.env.POQ_REDIS_PREFIX = prefix;
    try {
      const plain = await runScore({ ...base, out: path.join(dir, "plain.jsonl") });
      const queued = await runScore({ ...base, out: path.join(dir, "queued.jsonl"), queue: true });
      expect(plain).toBe(1); // the fixture holds 4 bad records
      expect(queued).toBe(1);
      const out = readFileSync(path.join(dir, "queued.jsonl"), "utf8");
      const rows = out.trim().split("\n").map((l) => JSON.parse(l) as { composite: number; profileHash: string });
      expect(rows).toHaveLength(8); // 12 records, 4 of them bad
      for (const r of rows) {
        expect(r.composite).toBeGreaterThanOrEqual(0);
        expect(r.composite).toBeLessThanOrEqual(1);
        expect(r.profileHash).toMatch(/^0x[0-9a-f]{64}$/);
      }
      expect(out).toBe(readFileSync(path.join(dir, "plain.jsonl"), "utf8"));
      await expect(runScore({ ...base, out: path.join(dir, "x.jsonl"), queue: true, explain: true })).rejects.toThrow(/--explain is not supported with --queue/);
    } finally {
      delete process.env.POQ_REDIS_PREFIX;
    }
  });
});
