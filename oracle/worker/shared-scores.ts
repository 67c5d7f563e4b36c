import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Hex } from "viem";
import type { ScoreInput, TaskScorer } from "./types.js";

export interface SharedScoresOptions {
  /** How long a computed result stays readable (default 1 h: longer than any commit window here). */
  resultTtlMs?: number;
  /** How long one process may hold the right to compute a request (default 60 s). */
  lockTtlMs?: number;
  /** Poll interval while another process computes (default 20 ms). */
  pollMs?: number;
}

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

/**
 * Single flight across worker processes: when several processes share an operator's keys
 * (and so evaluate the same task under the same profile), one of them scores it and the
 * others read its result from Redis instead of repeating the work. Scoring is deterministic
 * (same input, profile and model give the same bits), so the shared result is exactly what
 * each would have computed.
 *
 * The first process to take `score-lock:<request>` computes and writes `score:<request>`; the
 * others poll for the result while the lock is held, and compute themselves if the holder
 * dies (its lock expires) or Redis fails. A Redis problem never fails a score.
 */
export class SharedScoreCache implements TaskScorer {
  constructor(
    private readonly inner: TaskScorer,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: SharedScoresOptions = {},
  ) {}

  knows(profileHash: Hex): boolean {
    return this.inner.knows(profileHash);
  }

  /** Redis key of a request's result (exported for tests and operators' debugging). */
  resultKey(profileHash: Hex, input: ScoreInput): string {
    const id = createHash("sha256").update(JSON.stringify([profileHash.toLowerCase(), input])).digest("hex");
    return `${this.prefix}:score:${id}`;
  }

  async score(profileHash: Hex, input: ScoreInput): Promise<number[]> {
    if (!this.inner.knows(profileHash)) return this.inner.score(profileHash, input); // the inner scorer's error
    const key = this.resultKey(profileHash, input);
    const lock = `${key}:lock`;
    const token = randomUUID();
    try {
      for (;;) {
        const hit = await this.redis.get(key);
        if (hit) return JSON.parse(hit) as number[];
        if ((await this.redis.set(lock, token, "PX", this.opts.lockTtlMs ?? 60_000, "NX")) === "OK") break;
        await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 20));
      }
    } catch {
      return this.inner.score(profileHash, input);
    }
    try {
      const scores = await this.inner.score(profileHash, input);
      await this.redis.set(key, JSON.stringify(scores), "PX", this.opts.resultTtlMs ?? 3_600_000).catch(() => undefined);
      return scores;
    } finally {
      await this.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
    }
  }
}
