import { afterAll } from "vitest";
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/**
 * A connection to the test Redis and a key prefix of this test file's own: after the file's
 * tests every key under the prefix is deleted and the connection closed.
 */
export function testRedis<R extends Redis>(connect: (url: string) => R): { redis: R; prefix: string; url: string } {
  const prefix = `poqtest-${randomUUID().slice(0, 8)}`;
  const redis = connect(REDIS_URL);
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
    redis.disconnect();
  });
  return { redis, prefix, url: REDIS_URL };
}
