import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { Redis } from "ioredis";
import type { Hex } from "viem";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { defaultProfile, profileHash } from "../../oracle/scoring/profile.js";
import { EngineTaskScorer } from "../../oracle/worker/scorer.js";
import { SharedScoreCache } from "../../oracle/worker/shared-scores.js";
import { ThreadTaskScorer } from "../../oracle/worker/scoring-thread.js";
import type { ScoreInput, TaskScorer } from "../../oracle/worker/types.js";
import { testRedis } from "../helpers/redis.js";

/**
 * How a worker avoids scoring one task k times: in-flight sharing inside a process, a Redis
 * single flight across processes, and the scoring thread (same bits as the main thread).
 */
const { redis, prefix, url: redisUrl } = testRedis((u) => new Redis(u, { maxRetriesPerRequest: 2 }));
let encoder: SentenceEncoder;
const ph = profileHash(defaultProfile());

const input = (taskId: string): ScoreInput => ({
  taskId,
  family: "qa",
  query: "who wrote the origin of species",
  references: ["Charles Darwin"],
  outputs: [
    { text: "Charles Darwin wrote it in 1859.", model: "gpt4" },
    { text: "Alfred Russel Wallace", model: "chatgpt" },
    { text: undefined, model: "fid" },
  ],
});

beforeAll(async () => {
  encoder = await loadUseLite({ intraOpThreads: 1 });
}, 120_000);

afterAll(async () => {
  await encoder?.close();
});

/** Wraps an encoder and counts the texts it is asked to encode. */
function counting(inner: SentenceEncoder) {
  const seen = { texts: 0 };
  const enc: SentenceEncoder = {
    id: inner.id,
    dim: inner.dim,
    embed: (t) => ((seen.texts += t.length), inner.embed(t)),
    tokenStates: (t) => ((seen.texts += t.length), inner.tokenStates(t)),
    close: async () => undefined,
  };
  return { enc, seen };
}

/** A deterministic fake scorer that counts its computations. */
function fakeScorer(delayMs = 30) {
  const calls = { n: 0 };
  const scorer: TaskScorer = {
    knows: (h) => h.toLowerCase() === ph.toLowerCase(),
    score: async (_h, inp) => {
      calls.n++;
      await new Promise((r) => setTimeout(r, delayMs));
      return inp.outputs.map((o, j) => (o.text ? (o.text.length % 97) / 100 + j / 1000 : 0));
    },
  };
  return { scorer, calls };
}

describe("EngineTaskScorer in-flight sharing", () => {
  it("computes identical concurrent requests once and returns the same bits to each", async () => {
    const solo = counting(encoder);
    const a = new EngineTaskScorer([defaultProfile()], solo.enc);
    const alone = await a.score(ph, input("t1"));
    const shared = counting(encoder);
    const b = new EngineTaskScorer([defaultProfile()], shared.enc);
    const five = await Promise.all(Array.from({ length: 5 }, () => b.score(ph, input("t1"))));
    expect(shared.seen.texts).toBe(solo.seen.texts);
    for (const r of five) expect(r).toEqual(alone);
    expect(alone[2]).toBe(0); // the refused output
    expect(b.inFlight).toBe(0);
    five[0]![0] = -1; // callers get their own copies
    expect(five[1]![0]).toBe(alone[0]);
  });
});

describe("SharedScoreCache (single flight across processes)", () => {
  it("lets one of several processes compute a request; the others read its result", async () => {
    const fakes = [fakeScorer(), fakeScorer(), fakeScorer()];
    const conns = fakes.map(() => new Redis(redisUrl));
    const caches = fakes.map((f, i) => new SharedScoreCache(f.scorer, conns[i]!, prefix));
    const results = await Promise.all(caches.flatMap((c) => [c.score(ph, input("x")), c.score(ph, input("x"))]));
    expect(fakes.reduce((a, f) => a + f.calls.n, 0)).toBe(1);
    for (const r of results) expect(r).toEqual(results[0]);
    // later requests hit the stored result
    await caches[2]!.score(ph, input("x"));
    expect(fakes.reduce((a, f) => a + f.calls.n, 0)).toBe(1);
    // a different request is computed again
    await caches[1]!.score(ph, input("y"));
    expect(fakes.reduce((a, f) => a + f.calls.n, 0)).toBe(2);
    for (const c of conns) c.disconnect();
  });

  it("sends one process's duplicate requests to Redis once (they share its answer instead of polling)", async () => {
    const f = fakeScorer(200);
    const conn = new Redis(redisUrl);
    const calls: string[] = [];
    // Count the commands this process sends: five evaluators' jobs for one task arrive together.
    const spy = new Proxy(conn, {
      get: (t, k, r) => (k === "get" || k === "set" ? (...a: unknown[]) => (calls.push(String(k)), (t[k] as (...x: unknown[]) => unknown).apply(t, a)) : Reflect.get(t, k, r)),
    });
    const cache = new SharedScoreCache(f.scorer, spy, prefix, { pollMs: 10 });
    const results = await Promise.all(Array.from({ length: 5 }, () => cache.score(ph, input("dup"))));
    for (const r of results) expect(r).toEqual(results[0]);
    results[0]!.push(42); // each caller owns its array
    expect(results[1]).toHaveLength(3);
    expect(f.calls.n).toBe(1);
    // one lookup, one lock, one stored result: no waiter polled during the 200 ms computation
    expect(calls).toEqual(["get", "set", "set"]);
    conn.disconnect();
  });

  it("wakes waiting processes through pub/sub as soon as the result is stored (no polling wait)", async () => {
    const a = fakeScorer(150);
    const b = fakeScorer(150);
    const subs = [new Redis(redisUrl), new Redis(redisUrl)];
    const ca = new SharedScoreCache(a.scorer, redis, prefix, { subscriber: subs[0], pollMs: 30_000 });
    const cb = new SharedScoreCache(b.scorer, redis, prefix, { subscriber: subs[1], pollMs: 30_000 });
    const t0 = Date.now();
    const first = ca.score(ph, input("pubsub"));
    await new Promise((r) => setTimeout(r, 20)); // a holds the lock now
    const second = await cb.score(ph, input("pubsub"));
    expect(second).toEqual(await first);
    expect(Date.now() - t0).toBeLessThan(5_000); // the 30 s poll never fired
    expect(a.calls.n + b.calls.n).toBe(1);
    for (const c of subs) c.disconnect();
  });

  it("computes itself when the process holding the request died (its lock expires)", async () => {
    const f = fakeScorer(1);
    const cache = new SharedScoreCache(f.scorer, redis, prefix, { pollMs: 10 });
    const key = cache.resultKey(ph, input("dead"));
    await redis.set(`${key}:lock`, "someone-who-crashed", "PX", 300);
    const t0 = Date.now();
    const r = await cache.score(ph, input("dead"));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(f.calls.n).toBe(1);
    expect(r).toHaveLength(3);
  });

  it("scores without Redis when Redis fails, and passes unknown profiles to the inner scorer's error", async () => {
    const f = fakeScorer(1);
    const dead = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, lazyConnect: true, retryStrategy: () => null });
    dead.on("error", () => undefined);
    const cache = new SharedScoreCache(f.scorer, dead, prefix);
    expect(await cache.score(ph, input("z"))).toHaveLength(3);
    expect(f.calls.n).toBe(1);
    const unknown = new SharedScoreCache({ knows: () => false, score: async () => Promise.reject(new Error("unknown profile")) }, redis, prefix);
    await expect(unknown.score("0x01" as Hex, input("z"))).rejects.toThrow("unknown profile");
    dead.disconnect();
  });
});

describe("ThreadTaskScorer", () => {
  it("scores on its own thread with the same bits as the engine on this thread", async () => {
    const t = await new ThreadTaskScorer({ profiles: [defaultProfile()], encoder: { intraOpThreads: 1 } }).start();
    try {
      const here = await new EngineTaskScorer([defaultProfile()], encoder).score(ph, input("th"));
      const there = await Promise.all([t.score(ph, input("th")), t.score(ph, input("th2"))]);
      expect(there[0]).toEqual(here);
      expect(there[1]).toEqual(here); // the task id does not enter the scores
      expect(t.knows(ph)).toBe(true);
      await expect(t.score("0x1234" as Hex, input("th"))).rejects.toMatchObject({ code: "E_UNKNOWN_PROFILE" });
    } finally {
      await t.close();
    }
    await expect(t.score(ph, input("th"))).rejects.toMatchObject({ code: "E_SCORER_CLOSED" });
  }, 120_000);
});
