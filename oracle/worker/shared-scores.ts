import { createHash, randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { Hex } from "viem";
import type { ScoreInput, TaskScorer } from "./types.js";

export interface SharedScoresOptions {
  /** How long a computed result stays readable (default 1 h: longer than any commit window here). */
  resultTtlMs?: number;
  /** How long one process may hold the right to compute a request (default 60 s). */
  lockTtlMs?: number;
  /**
   * A second connection (subscriber mode) to hear "result ready" at once; without it, or if
   * a message is missed, waiters poll every `pollMs`.
   */
  subscriber?: Redis;
  /** Poll interval while another process computes (default 20 ms without a subscriber, 250 ms with one). */
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
 * The first process to take `score:<request>:lock` computes, writes `score:<request>` and
 * announces it on `<prefix>:score-ready`; the others wait for that message (or poll) while
 * the lock is held, and compute themselves if the holder dies (its lock expires) or Redis
 * fails. A Redis problem never fails a score.
 */
export class SharedScoreCache implements TaskScorer {
  private readonly channel: string;
  private readonly waiters = new Map<string, Set<() => void>>();
  /** Requests this process is already resolving: its own duplicates share one Redis round (no polling). */
  private readonly inflight = new Map<string, Promise<number[]>>();
  private subscribed?: Promise<unknown>;

  constructor(
    private readonly inner: TaskScorer,
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly opts: SharedScoresOptions = {},
  ) {
    this.channel = `${prefix}:score-ready`;
    const sub = opts.subscriber;
    if (sub) {
      sub.on("message", (channel: string, key: string) => {
        if (channel !== this.channel) return;
        for (const wake of this.waiters.get(key) ?? []) wake();
      });
      this.subscribed = sub.subscribe(this.channel).catch(() => undefined);
    }
  }

  /** Resolves when another process announces `key`, or after `ms`. */
  private wait(key: string, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const set = this.waiters.get(key) ?? new Set<() => void>();
      this.waiters.set(key, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (set.size === 0) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

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
    const mine = this.inflight.get(key);
    if (mine) return [...(await mine)];
    const p = this.resolve(profileHash, input, key);
    this.inflight.set(key, p);
    try {
      return [...(await p)];
    } finally {
      this.inflight.delete(key);
    }
  }

  private async resolve(profileHash: Hex, input: ScoreInput, key: string): Promise<number[]> {
    const lock = `${key}:lock`;
    const token = randomUUID();
    const pollMs = this.opts.pollMs ?? (this.opts.subscriber ? 250 : 20);
    try {
      await this.subscribed;
      for (;;) {
        const hit = await this.redis.get(key);
        if (hit) return JSON.parse(hit) as number[];
        if ((await this.redis.set(lock, token, "PX", this.opts.lockTtlMs ?? 60_000, "NX")) === "OK") break;
        await this.wait(key, pollMs);
      }
    } catch {
      return this.inner.score(profileHash, input);
    }
    try {
      const scores = await this.inner.score(profileHash, input);
      await this.redis.set(key, JSON.stringify(scores), "PX", this.opts.resultTtlMs ?? 3_600_000).catch(() => undefined);
      if (this.opts.subscriber) await this.redis.publish(this.channel, key).catch(() => undefined);
      return scores;
    } finally {
      await this.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
    }
  }
}
