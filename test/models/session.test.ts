import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PoqError } from "../../oracle/core/errors.js";
import { LruCache, modelCacheDir } from "../../oracle/models/cache.js";
import { planBatches } from "../../oracle/models/batching.js";
import { openSession } from "../../oracle/models/session.js";
import { ensureUseLiteModel } from "../../oracle/models/use-lite/build.js";
import { tinyBiEncoderModel } from "./tiny-models.js";

function captureLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

describe("onnxruntime sessions", () => {
  it("asking for cuda falls back to cpu with a logged reason when CUDA cannot be used", async () => {
    const { logger, lines } = captureLogger();
    const opened = await openSession(tinyBiEncoderModel(), { executionProviders: ["cuda"], intraOpThreads: 1, logger });
    try {
      if (opened.provider === "cpu") {
        // this machine has no CUDA libraries for onnxruntime-node: the fallback path
        expect(opened.fallbacks).toHaveLength(1);
        expect(opened.fallbacks[0]!.provider).toBe("cuda");
        expect(opened.fallbacks[0]!.reason.length).toBeGreaterThan(0);
        // one warning, saying what happened; the reason in its fields
        const warns = lines.filter((l) => l.level === 40);
        expect(warns).toHaveLength(1);
        expect(warns[0]).toMatchObject({ msg: "CUDA unavailable, using CPU", provider: "cpu" });
        expect(String(warns[0]!.reason)).toBe(opened.fallbacks[0]!.reason);
      } else {
        expect(opened.provider).toBe("cuda"); // a machine with working CUDA
        expect(opened.fallbacks).toEqual([]);
      }
    } finally {
      await opened.session.release();
    }
  });

  it("rejects a bad thread count and an unreadable model with a clear error", async () => {
    await expect(openSession(tinyBiEncoderModel(), { intraOpThreads: 0 })).rejects.toMatchObject({ code: "E_CONFIG" });
    const err = await openSession("/nonexistent/model.onnx", {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PoqError);
    expect((err as PoqError).code).toBe("E_MODEL_SESSION");
    expect((err as PoqError).message).toMatch(/cpu:/);
  });
});

describe("model build cache", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "poq-models-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("builds once into the cache, then reuses the file; the key covers weights, converter and variant", async () => {
    const first = await ensureUseLiteModel({ cacheDir: dir });
    expect(first.built).toBe(true);
    expect(path.dirname(first.modelPath)).toBe(dir);
    const second = await ensureUseLiteModel({ cacheDir: dir });
    expect(second.built).toBe(false);
    expect(second.modelPath).toBe(first.modelPath);
    const plain = await ensureUseLiteModel({ cacheDir: dir, attention: "plain" });
    expect(plain.key).not.toBe(first.key);
    expect(plain.modelPath).not.toBe(first.modelPath);
  });

  it("defaults to POQ_MODEL_CACHE, else <project>/.cache/models", () => {
    const saved = process.env.POQ_MODEL_CACHE;
    try {
      process.env.POQ_MODEL_CACHE = dir;
      expect(modelCacheDir()).toBe(dir);
      delete process.env.POQ_MODEL_CACHE;
      expect(modelCacheDir()).toMatch(/[/\\]\.cache[/\\]models$/);
      expect(modelCacheDir("/x/y")).toBe(path.resolve("/x/y"));
    } finally {
      if (saved === undefined) delete process.env.POQ_MODEL_CACHE;
      else process.env.POQ_MODEL_CACHE = saved;
    }
  });
});

describe("LRU cache and batch planning", () => {
  it("evicts the least recently used entries by cost", () => {
    const lru = new LruCache<string, number>(10, (v) => v);
    lru.set("a", 4);
    lru.set("b", 4);
    expect(lru.get("a")).toBe(4); // a is now most recent
    lru.set("c", 4); // total 12 > 10: evict b
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(4);
    expect(lru.get("c")).toBe(4);
    expect(lru.totalCost).toBe(8);
    lru.set("huge", 11); // larger than capacity: not cached
    expect(lru.get("huge")).toBeUndefined();
    const off = new LruCache<string, number>(0);
    off.set("x", 1);
    expect(off.size).toBe(0);
  });

  it("sorts by length, caps batch size and padded tokens, keeps every index once", () => {
    const lengths = [5, 1, 9, 3, 3, 7, 2, 8];
    const batches = planBatches(lengths, 3);
    expect(batches).toEqual([[1, 6, 3], [4, 0, 5], [7, 2]]);
    // padding budget: 10 items of length 10, then one of length 20 -> padded 220 vs real 120
    const mixed = [...Array(10).fill(10), 20];
    expect(planBatches(mixed, 64)).toEqual([[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10]]);
    expect(planBatches(mixed, 64, Infinity, { maxPadding: 1 })).toHaveLength(1);
    expect(planBatches([1, 50, 51], 64)).toEqual([[0, 1, 2]]); // under minBatch: kept together
    const capped = planBatches(lengths, 8, 16);
    for (const b of capped) expect(Math.max(...b.map((i) => lengths[i]!)) * b.length).toBeLessThanOrEqual(16);
    expect(capped.flat().sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(() => planBatches(lengths, 0)).toThrow(RangeError);
  });
});
