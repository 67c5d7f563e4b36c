import type { Redis } from "ioredis";
import type { Address } from "viem";
import type { EvalRecord } from "./types.js";

/**
 * Durable worker state: one record per (task, evaluator) holding scores and salt, written
 * BEFORE the commit transaction is sent (a restarted worker reveals exactly what it
 * committed), and three indexes (sorted sets) the poll loop walks to recover from any crash:
 *  - "commit":   members awaiting a confirmed commit, score = commit deadline;
 *  - "reveal":   members committed (or being committed) awaiting their reveal, score = commit deadline;
 *  - "finalize": task ids this operator revealed, score = reveal deadline;
 *  - "draw":     task ids created and not yet drawn, score = the draw's seed block.
 */
export type IndexName = "commit" | "reveal" | "finalize" | "draw";

export interface StateStore {
  get(taskId: string, evaluator: Address): Promise<EvalRecord | undefined>;
  put(rec: EvalRecord): Promise<void>;
  /**
   * Writes `rec` only when (task, evaluator) has no record yet; false when it has one. A member's
   * first record is written this way, so an evaluate job that finished scoring and the watcher
   * abstaining for it near the deadline cannot both commit.
   */
  create(rec: EvalRecord): Promise<boolean>;
  /** All records (ops/bench). */
  all(): Promise<EvalRecord[]>;
  index(name: IndexName, member: string, score: bigint): Promise<void>;
  unindex(name: IndexName, member: string): Promise<void>;
  /** Which of `members` the index holds (one round trip). */
  holds(name: IndexName, members: readonly string[]): Promise<boolean[]>;
  /** Members with min <= score < max. */
  range(name: IndexName, min: bigint | "-inf", max: bigint | "+inf"): Promise<string[]>;
  count(name: IndexName): Promise<number>;
  /**
   * Appends a stage latency sample (ms) for operations dashboards and the benchmark (last 10000
   * kept). May be buffered for a moment (see RedisStateStore): samples are metrics, not state.
   */
  noteLatency(stage: string, ms: number): Promise<void>;
  latencies(stage: string): Promise<number[]>;
  /** Writes buffered latency samples now (at shutdown). */
  flush?(): Promise<void>;
}

/** How long RedisStateStore keeps latency samples before writing them (all stages together). */
export const LATENCY_FLUSH_MS = 100;

export const memberOf = (taskId: string, ev: Address) => `${taskId}:${ev.toLowerCase()}`;
export const splitMember = (m: string) => {
  const [taskId, evaluator] = m.split(":");
  return { taskId: taskId!, evaluator: evaluator as Address };
};

export class RedisStateStore implements StateStore {
  /** Latency samples not written yet, by stage. */
  private samples = new Map<string, number[]>();
  private flushTimer?: NodeJS.Timeout;
  constructor(private redis: Redis, private prefix: string) {}
  private key(taskId: string, ev: Address) {
    return `${this.prefix}:eval:${memberOf(taskId, ev)}`;
  }
  async get(taskId: string, ev: Address) {
    const raw = await this.redis.get(this.key(taskId, ev));
    return raw ? (JSON.parse(raw) as EvalRecord) : undefined;
  }
  async put(rec: EvalRecord) {
    await this.redis.set(this.key(rec.taskId, rec.evaluator), JSON.stringify(rec));
  }
  async create(rec: EvalRecord) {
    return (await this.redis.set(this.key(rec.taskId, rec.evaluator), JSON.stringify(rec), "NX")) === "OK";
  }
  async all() {
    const out: EvalRecord[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${this.prefix}:eval:*`, "COUNT", 500);
      cursor = next;
      if (keys.length) for (const v of await this.redis.mget(...keys)) if (v) out.push(JSON.parse(v) as EvalRecord);
    } while (cursor !== "0");
    return out;
  }
  async index(name: IndexName, member: string, score: bigint) {
    await this.redis.zadd(`${this.prefix}:idx:${name}`, score.toString(), member);
  }
  async unindex(name: IndexName, member: string) {
    await this.redis.zrem(`${this.prefix}:idx:${name}`, member);
  }
  async holds(name: IndexName, members: readonly string[]) {
    if (members.length === 0) return [];
    return (await this.redis.zmscore(`${this.prefix}:idx:${name}`, ...members)).map((x) => x !== null);
  }
  async range(name: IndexName, min: bigint | "-inf", max: bigint | "+inf") {
    return this.redis.zrangebyscore(`${this.prefix}:idx:${name}`, min.toString(), max === "+inf" ? "+inf" : `(${max.toString()}`);
  }
  async count(name: IndexName) {
    return this.redis.zcard(`${this.prefix}:idx:${name}`);
  }
  async noteLatency(stage: string, ms: number) {
    // Kept for LATENCY_FLUSH_MS and written together: a busy worker notes 3 samples an
    // evaluator-task, and two commands a sample were a quarter of its Redis commands.
    const a = this.samples.get(stage);
    if (a) a.push(ms);
    else this.samples.set(stage, [ms]);
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => void this.flush().catch(() => undefined), LATENCY_FLUSH_MS);
      this.flushTimer.unref();
    }
  }
  async flush() {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batches = [...this.samples];
    this.samples.clear();
    // Two commands a stage, not a MULTI/EXEC transaction (four): a sample list needs no
    // atomicity, and one connection keeps their order. LPUSH of several values pushes them one
    // after the other: the newest ends first, as with one LPUSH a sample.
    await Promise.all(
      batches.flatMap(([stage, ms]) => {
        const k = `${this.prefix}:lat:${stage}`;
        return [this.redis.lpush(k, ...ms.map(String)), this.redis.ltrim(k, 0, 9_999)];
      }),
    );
  }
  async latencies(stage: string) {
    await this.flush();
    return (await this.redis.lrange(`${this.prefix}:lat:${stage}`, 0, -1)).map(Number);
  }
}

export class MemoryStateStore implements StateStore {
  private recs = new Map<string, EvalRecord>();
  private idx: Record<IndexName, Map<string, bigint>> = { commit: new Map(), reveal: new Map(), finalize: new Map(), draw: new Map() };
  async get(taskId: string, ev: Address) {
    const r = this.recs.get(memberOf(taskId, ev));
    return r ? (structuredClone(r) as EvalRecord) : undefined;
  }
  async put(rec: EvalRecord) {
    this.recs.set(memberOf(rec.taskId, rec.evaluator), structuredClone(rec));
  }
  async create(rec: EvalRecord) {
    const k = memberOf(rec.taskId, rec.evaluator);
    if (this.recs.has(k)) return false;
    this.recs.set(k, structuredClone(rec));
    return true;
  }
  async all() {
    return [...this.recs.values()].map((r) => structuredClone(r) as EvalRecord);
  }
  async index(name: IndexName, member: string, score: bigint) {
    this.idx[name].set(member, score);
  }
  async unindex(name: IndexName, member: string) {
    this.idx[name].delete(member);
  }
  async holds(name: IndexName, members: readonly string[]) {
    return members.map((m) => this.idx[name].has(m));
  }
  async range(name: IndexName, min: bigint | "-inf", max: bigint | "+inf") {
    return [...this.idx[name]]
      .filter(([, s]) => (min === "-inf" || s >= min) && (max === "+inf" || s < max))
      .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([m]) => m);
  }
  async count(name: IndexName) {
    return this.idx[name].size;
  }
  private lat = new Map<string, number[]>();
  async noteLatency(stage: string, ms: number) {
    const a = this.lat.get(stage) ?? [];
    a.push(ms);
    if (a.length > 10_000) a.shift();
    this.lat.set(stage, a);
  }
  async latencies(stage: string) {
    return [...(this.lat.get(stage) ?? [])];
  }
}
