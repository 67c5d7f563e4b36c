/**
 * RedisStateStore's latency samples: kept for a moment and written together (a busy worker
 * notes three an evaluator-task), newest first as one LPUSH a sample left them, visible to
 * another process once written, and never lost by a shutdown that flushes.
 */
import { describe, expect, it } from "vitest";
import { redisConnection } from "../../oracle/queue/redis.js";
import { LATENCY_FLUSH_MS, RedisStateStore } from "../../oracle/worker/store.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix } = testRedis(redisConnection);

describe("RedisStateStore latency samples", () => {
  it("are written together after a moment, newest first, and read back by another store on the same prefix", async () => {
    const store = new RedisStateStore(redis, `${prefix}:a`);
    const other = new RedisStateStore(redis, `${prefix}:a`);
    for (const ms of [5, 6, 7]) await store.noteLatency("score", ms);
    await store.noteLatency("commit", 100);
    expect(await redis.llen(`${prefix}:a:lat:score`)).toBe(0); // buffered
    await new Promise((r) => setTimeout(r, LATENCY_FLUSH_MS * 3));
    expect(await other.latencies("score")).toEqual([7, 6, 5]);
    expect(await other.latencies("commit")).toEqual([100]);
    await store.noteLatency("score", 8);
    expect(await store.latencies("score")).toEqual([8, 7, 6, 5]); // a read in the same process writes its own first
  });

  it("flush() writes what is buffered at once (a worker's shutdown), and the list keeps the last 10000", async () => {
    const store = new RedisStateStore(redis, `${prefix}:b`);
    for (let i = 0; i < 10_005; i++) await store.noteLatency("reveal", i);
    await store.flush();
    const got = await new RedisStateStore(redis, `${prefix}:b`).latencies("reveal");
    expect(got).toHaveLength(10_000);
    expect(got[0]).toBe(10_004);
    expect(got.at(-1)).toBe(5);
  });
});
