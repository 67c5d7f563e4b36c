import { Redis, type RedisOptions } from "ioredis";
import { PoqError } from "../core/errors.js";

/**
 * ioredis connections for BullMQ. `maxRetriesPerRequest: null` is what BullMQ workers need
 * (commands wait across a Redis restart instead of failing); reconnection backs off up to 2 s.
 */
export function redisConnection(url: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    lazyConnect: false,
    ...extra,
  });
}

/** True when a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisReachable(url: string, timeoutMs = 1_000): Promise<boolean> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs, enableOfflineQueue: false });
  r.on("error", () => undefined);
  try {
    await r.connect();
    return (await r.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    r.disconnect();
  }
}

/** Fails with a clear error when Redis does not answer (start-up check of the CLI). */
export async function requireRedis(url: string): Promise<void> {
  if (!(await redisReachable(url, 2_000))) throw new PoqError("E_REDIS", `Redis is not answering at ${url} (set REDIS_URL)`);
}
