/**
 * Ninth review (R9): the evaluator worker after "one job a task and stage" (evaluate:<task>:task,
 * reveal:<task>:task) and the eighth review's abstain-on-missing-text rule, attacked as a
 * chaos engineer. Its findings are fixed: "fixed R9-n" tests play each scenario and assert the
 * outcome now (what happened before is in their names); `HOLDS R9-n` tests pin scenarios that
 * were handled already. docs/operations.md ("Crash safety", "Bad input") describes both.
 */
import { describe, expect, it } from "vitest";
import pino from "pino";
import { createHash } from "node:crypto";
import type { Address, Hex } from "viem";
import { MemoryCursorStore } from "../../oracle/chain/cursor.js";
import { RevertError } from "../../oracle/chain/errors.js";
import { PoqError } from "../../oracle/core/errors.js";
import { contentHash, ContentError, type ContentStore } from "../../oracle/content/store.js";
import { encodeQueryDoc } from "../../oracle/content/task-doc.js";
import { WorkerMetrics } from "../../oracle/ops/metrics.js";
import { redisConnection } from "../../oracle/queue/redis.js";
import { BullJobQueue, InProcessJobQueue, type JobQueue } from "../../oracle/worker/jobs.js";
import { EvaluatorService, jobIdOf, lateMargin } from "../../oracle/worker/service.js";
import { MemoryStateStore, RedisStateStore, type StateStore, type IndexName } from "../../oracle/worker/store.js";
import type { PoqChainPort, TaskScorer, TaskView } from "../../oracle/worker/types.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix: basePrefix } = testRedis(redisConnection);

const ME = "0x00000000000000000000000000000000000000a1" as Address;
const ME2 = "0x00000000000000000000000000000000000000a4" as Address;
const OTHER = "0x00000000000000000000000000000000000000b2" as Address;
const NODE = "0x00000000000000000000000000000000000000c3" as Address;
const DEADLINE = 1_000n;

class Texts implements ContentStore {
  readonly describe = "memory";
  m = new Map<string, string>();
  /** Hashes whose next `n` reads fail as unreachable (a store outage). */
  down = new Map<string, number>();
  async get(h: Hex) {
    const n = this.down.get(h.toLowerCase()) ?? 0;
    if (n > 0) {
      this.down.set(h.toLowerCase(), n - 1);
      throw new ContentError("E_CONTENT_FETCH", `GET ${h}: HTTP 503`, { hash: h });
    }
    return this.m.get(h.toLowerCase());
  }
  async put(t: string) {
    const h = contentHash(t);
    this.m.set(h.toLowerCase(), t);
    return h;
  }
}

const commitmentOf = (id: bigint, ev: Address, scores: readonly number[], salt: Hex): Hex =>
  `0x${createHash("sha256").update(JSON.stringify([id.toString(), ev.toLowerCase(), scores, salt])).digest("hex")}`;

/**
 * One task (id 1) on a chain that behaves like the contract where it matters here: one commit
 * a member (AlreadyCommitted), no commit after the deadline (CommitTooLate), a reveal must
 * open the member's commitment. Several services may share one instance (two processes on
 * one chain).
 */
class Chain implements PoqChainPort {
  head = 1n;
  time = 100n;
  sampledIn: Hex = "0xaa";
  committee: Address[];
  commitments = new Map<string, Hex>();
  revealed = new Map<string, number[]>();
  sent: string[] = [];
  /** The next n reveals are answered by an RPC node that has not seen the member's commit yet. */
  lagReveals = 0;
  /** Fails the next n reads of taskForEvaluator (an RPC outage mid-job). */
  readFailures = 0;
  /** The next n hasCommitted reads come from a node that has not seen the commit yet. */
  lagHasCommitted = 0;
  /** Tasks the service told the port to forget (a cached committee to read afresh). */
  forgotten: bigint[] = [];
  forget(id: bigint) {
    this.forgotten.push(id);
  }
  constructor(private base: Omit<TaskView, "status" | "commits" | "reveals" | "k" | "fee" | "seedBlock" | "committee">, committee: Address[]) {
    this.committee = committee;
  }
  /** A view of the chain for a process holding `accounts`. */
  as(accounts: readonly Address[]): PoqChainPort {
    return new Proxy(this, { get: (t, p) => (p === "accounts" ? accounts : typeof (t as never)[p] === "function" ? ((t as never)[p] as Function).bind(t) : (t as never)[p]) }) as PoqChainPort;
  }
  readonly accounts: readonly Address[] = [];
  private view(): TaskView {
    return { ...this.base, committee: [...this.committee], status: 2, commits: this.commitments.size, reveals: this.revealed.size, k: this.committee.length, fee: 1n, seedBlock: 1n };
  }
  async taskEventsIn(from: bigint, to: bigint) {
    return { created: [], sampled: from <= 1n && 1n <= to ? [{ taskId: 1n, blockHash: this.sampledIn }] : [] };
  }
  async taskActivityIn() {
    return [1n];
  }
  async getTask() {
    return this.view();
  }
  async taskForEvaluator(_id: bigint, ev: Address) {
    if (this.readFailures > 0 && this.readFailures--) throw new PoqError("E_RPC", "read multicall: fetch failed");
    return { task: this.view(), member: { committed: this.commitments.has(ev.toLowerCase()), revealed: this.revealed.has(ev.toLowerCase()) } };
  }
  async progressMany(ids: readonly bigint[]) {
    return ids.map(() => ({ status: 2, commits: this.commitments.size, reveals: this.revealed.size, k: this.committee.length, seedBlock: 1n }));
  }
  async nodeModel() {
    return "gpt4";
  }
  async hasCommitted(_id: bigint, ev: Address) {
    if (this.lagHasCommitted > 0 && this.lagHasCommitted--) return false;
    return this.commitments.has(ev.toLowerCase());
  }
  async memberState(_id: bigint, ev: Address) {
    return { committed: this.commitments.has(ev.toLowerCase()), revealed: this.revealed.has(ev.toLowerCase()) };
  }
  async commitmentOf(id: bigint, ev: Address, scores: readonly number[], salt: Hex) {
    return commitmentOf(id, ev, scores, salt);
  }
  async commit(ev: Address, _id: bigint, c: Hex, onSent: (h: Hex) => Promise<void>): Promise<Hex> {
    if (this.time > DEADLINE) throw new RevertError("commit", "CommitTooLate", [1n]); // checked first, as the contract does
    if (this.commitments.has(ev.toLowerCase())) throw new RevertError("commit", "AlreadyCommitted", [1n]);
    await onSent("0xc0");
    this.commitments.set(ev.toLowerCase(), c);
    this.head++;
    this.sent.push(`commit ${ev.slice(-2)}`);
    return "0xc0";
  }
  async reveal(ev: Address, id: bigint, scores: readonly number[], salt: Hex): Promise<Hex> {
    const c = this.commitments.get(ev.toLowerCase());
    if (this.lagReveals > 0 && this.lagReveals--) throw new RevertError("reveal", "NotCommitted", [1n]);
    if (!c) throw new RevertError("reveal", "NotCommitted", [1n]);
    if (this.revealed.has(ev.toLowerCase())) throw new RevertError("reveal", "AlreadyRevealed", [1n]);
    if (c !== commitmentOf(id, ev, scores, salt)) throw new RevertError("reveal", "CommitmentMismatch", [1n]);
    this.revealed.set(ev.toLowerCase(), [...scores]);
    this.head++;
    this.sent.push(`reveal ${ev.slice(-2)}`);
    return "0xd0";
  }
  async drawCommittee(): Promise<Hex> {
    throw new RevertError("drawCommittee", "NotPending", [1n]);
  }
  async finalize(): Promise<Hex> {
    return "0xe0";
  }
  async blockNumber() {
    return this.head;
  }
  async latest() {
    return { number: this.head, timestamp: this.time };
  }
  async now() {
    return this.time;
  }
}

/** Scores 0.5 an output; counts calls; optionally waits for `gate` first. */
function makeScorer() {
  const s = { calls: 0, gate: undefined as Promise<void> | undefined };
  const scorer: TaskScorer = {
    knows: () => true,
    score: async (_h, input) => {
      s.calls++;
      if (s.gate) await s.gate;
      return input.outputs.map(() => 0.5);
    },
  };
  return { s, scorer };
}

async function makeTask(content: Texts, committee: Address[], query = encodeQueryDoc({ task: "qa", query: "2+2?", references: ["4"] })) {
  const queryHash = await content.put(query);
  const outputHash = await content.put("4");
  return new Chain({ taskId: 1n, family: 0, requester: OTHER, queryHash, outputs: [{ node: NODE, outputHash }], revealDeadline: 2_000n, commitDeadline: DEADLINE, profileHash: "0x02", rule: 0, commitWindow: 600 }, committee);
}

function makeService(o: { chain: PoqChainPort; queue: JobQueue; store: StateStore; content: ContentStore; scorer: TaskScorer }) {
  return new EvaluatorService({
    ...o,
    cursor: new MemoryCursorStore(),
    metrics: new WorkerMetrics(),
    log: pino({ level: "silent" }),
    confirmations: 0,
    reorgWindow: 4,
    startBlock: 0n,
    pollIntervalMs: 600_000, // passes driven by the test
    fullSweepMs: 0, // every sweep is a full one
    autoFinalize: false,
    autoDraw: false,
    passOnLanding: false,
  });
}

/** Task 1 on a fresh fake chain, in-memory state and an in-process queue, served for `accounts`. */
async function inProcess(committee: Address[], accounts: Address[], o: { attempts: number; concurrency?: number; query?: string }) {
  const content = new Texts();
  const chain = await makeTask(content, committee, o.query);
  const store = new MemoryStateStore();
  const queue = new InProcessJobQueue({ concurrency: o.concurrency ?? 4, attempts: o.attempts, backoffMs: 10 });
  const { s, scorer } = makeScorer();
  const svc = makeService({ chain: chain.as(accounts), queue, store, content, scorer });
  return { content, chain, store, queue, s, svc };
}

/** Makes the next `n` reads of task 1's output text fail as unreachable. */
async function outputDown(content: Texts, chain: Chain, n: number) {
  content.down.set((await chain.getTask()).outputs[0]!.outputHash.toLowerCase(), n);
}

/** A commit window of `s` seconds for task 1 (the fake's default is 600). */
function commitWindow(chain: Chain, s: number) {
  (chain as unknown as { base: { commitWindow: number } }).base.commitWindow = s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, ok: () => Promise<boolean> | boolean, ms = 8_000) {
  for (const t0 = Date.now(); Date.now() - t0 < ms; await sleep(20)) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}
/** Lets an in-process queue drain. */
async function drain(queue: JobQueue) {
  await sleep(20);
  for (let i = 0; i < 300 && (await queue.backlog()) > 0; i++) await sleep(10);
}

let n = 0;
const bull = (prefix: string, attempts = 1) => new BullJobQueue({ connection: redis, prefix, concurrency: 4, attempts, lockDurationMs: 5_000, stalledIntervalMs: 5_000 });

describe("review 9: per-task jobs", () => {
  it("fixed R9-1: a key of this process that joins a task after its per-task evaluate job exists gets a job of its own (before: the id evaluate:<task>:task was taken, completed, and only the late watcher's E_LATE abstention committed for the key)", async () => {
    // Process 1 holds ME; the committee is ME and ME2. Process 2 (a restart of the operator with
    // ME2 added, or a second process on the same namespace that also holds ME2) sees the task
    // in its scan: ME has a record, ME2 is "fresh", takeIn indexes ME2's commit and adds
    // evaluate:1:task, which exists (completed, kept 7 days): a no-op. The full sweep's
    // ensureMany finds the completed job too. ME2 gets no job (per-key jobs gave it one).
    const prefix = `${basePrefix}-r91-${n++}`;
    const content = new Texts();
    const chain = await makeTask(content, [ME, ME2]);
    const store = new RedisStateStore(redis, prefix);
    const { scorer } = makeScorer();

    const q1 = bull(prefix);
    const p1 = makeService({ chain: chain.as([ME]), queue: q1, store, content, scorer });
    p1.start();
    await until("ME's commit", () => chain.commitments.has(ME.toLowerCase()));
    await until("the job to complete", async () => (await q1.backlog()) === 0);
    await p1.stop();

    const q2 = bull(prefix);
    const p2 = makeService({ chain: chain.as([ME, ME2]), queue: q2, store, content, scorer });
    p2.start();
    await until("ME2's commit", () => chain.commitments.has(ME2.toLowerCase()));
    const rec = await store.get("1", ME2);
    expect(rec?.abstained).toBeUndefined(); // scored, 600 s before the deadline
    expect(rec?.scores).toEqual([5_000]);
    expect(chain.sent.filter((x) => x.startsWith("commit"))).toHaveLength(2); // ME once, ME2 once
    await p2.stop();
  });

  it("fixed R9-1 (one process): a committee re-drawn after a reorg that now holds a second key of this process: the new key gets its own job and scores (before: takeIn's add of evaluate:<task>:task was a no-op, the key left to E_LATE)", async () => {
    const { chain, store, queue, svc } = await inProcess([ME, OTHER], [ME, ME2], { attempts: 1 });
    svc.start();
    await until("ME's commit", () => chain.commitments.size === 1);
    await drain(queue);
    chain.sampledIn = "0xbb"; // the sampling block was replaced; the re-draw took ME2 instead of OTHER
    chain.committee = [ME, ME2];
    for (let i = 0; i < 3; i++) {
      chain.head++;
      await svc.pollOnce();
      await drain(queue);
    }
    await until("ME2's commit", () => chain.commitments.size === 2);
    const rec = await store.get("1", ME2);
    expect(rec?.abstained).toBeUndefined();
    expect(rec?.scores).toEqual([5_000]);
    // the port was told to forget the task at each draw seen, so the re-drawn committee is read afresh
    expect(chain.forgotten).toEqual([1n, 1n]);
    await svc.stop();
  });

  it("HOLDS R9-11: a legacy per-key job (evaluate:<task>:<key>) still runs, side by side with the new per-task job for the same key: one commitment, no failure", async () => {
    const content = new Texts();
    const chain = await makeTask(content, [ME, OTHER]);
    const store = new MemoryStateStore();
    const queue = new InProcessJobQueue({ concurrency: 4, attempts: 2, backoffMs: 10 });
    const { s, scorer } = makeScorer();
    let open!: () => void;
    s.gate = new Promise<void>((r) => (open = r));
    await queue.add("evaluate", `evaluate:1:${ME}`, { taskId: "1", evaluator: ME } as never); // queued by the previous version
    const svc = makeService({ chain: chain.as([ME]), queue, store, content, scorer });
    svc.start();
    await until("both jobs scoring", () => s.calls >= 2);
    open();
    await until("the commit", () => chain.commitments.size === 1);
    await drain(queue);
    expect(await queue.failed()).toEqual([]);
    expect(chain.sent).toEqual(["commit a1"]);
    chain.time = DEADLINE + 1n;
    chain.head++;
    await svc.pollOnce();
    await drain(queue);
    expect(chain.sent).toEqual(["commit a1", "reveal a1"]);
    await svc.stop();
  });

  it("HOLDS R9-12: a reveal job takes a key of this process indexed after the sweep that queued it (named: ME only), and ignores keys not indexed", async () => {
    const { chain, store, queue, svc } = await inProcess([ME, ME2], [ME, ME2], { attempts: 1 });
    svc.start();
    await until("both commits", () => chain.commitments.size === 2);
    await drain(queue);
    chain.time = DEADLINE + 1n;
    expect(await queue.failed()).toEqual([]);
    expect(chain.revealed.size).toBe(0); // no reveal job so far (no pass since the commits)
    // a reveal job naming ME only (as queued by a sweep that read the index before ME2's record)
    await queue.add("reveal", "reveal:1:task", { taskId: "1", evaluators: [ME] });
    await drain(queue);
    expect(await queue.failed()).toEqual([]);
    expect([...chain.revealed.keys()].sort()).toEqual([ME.toLowerCase(), ME2.toLowerCase()]);
    await svc.stop();
  });

  it("HOLDS R9-2: two processes sharing one namespace and the same keys commit each key once and reveal exactly what the chain took", async () => {
    const prefix = `${basePrefix}-r92-${n++}`;
    const content = new Texts();
    const chain = await makeTask(content, [ME, ME2, OTHER]);
    const store = new RedisStateStore(redis, prefix);
    const { scorer } = makeScorer();
    const [qa, qb] = [bull(prefix, 3), bull(prefix, 3)];
    const a = makeService({ chain: chain.as([ME, ME2]), queue: qa, store, content, scorer });
    const b = makeService({ chain: chain.as([ME, ME2]), queue: qb, store, content, scorer });
    a.start();
    b.start();
    await until("both commits", () => chain.commitments.size === 2);
    chain.time = DEADLINE + 1n; // OTHER never commits: reveals due by time
    chain.head++;
    await Promise.all([a.pollOnce(), b.pollOnce()]);
    await until("both reveals", () => chain.revealed.size === 2);
    expect(chain.sent.filter((s) => s.startsWith("commit")).sort()).toEqual(["commit a1", "commit a4"]);
    expect(chain.sent.filter((s) => s.startsWith("reveal")).sort()).toEqual(["reveal a1", "reveal a4"]); // no CommitmentMismatch
    await Promise.all([a.stop(), b.stop()]);
  });

  it("HOLDS R9-3: one key's permanent failure neither stops nor undoes the other key's commit, and a retry does not resend it", async () => {
    const content = new Texts();
    const chain = await makeTask(content, [ME, ME2]);
    chain.commitments.set(ME2.toLowerCase(), "0xfeed"); // ME2 committed from another store: E_COMMITTED_ELSEWHERE (permanent)
    const store = new MemoryStateStore();
    const queue = new InProcessJobQueue({ concurrency: 4, attempts: 3, backoffMs: 10 });
    const { scorer } = makeScorer();
    const svc = makeService({ chain: chain.as([ME, ME2]), queue, store, content, scorer });
    chain.readFailures = 1; // and an RPC error on the first read: retryable
    svc.start();
    await drain(queue);
    await sleep(200);
    await drain(queue);
    expect(chain.sent).toEqual(["commit a1"]); // once, across the retries
    expect((await store.get("1", ME))?.state).toBe("committed");
    const failed = await queue.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatch(/^permanent E_COMMITTED_ELSEWHERE/);
    await svc.stop();
  });

  it("HOLDS R9-4: the late watcher abstaining while the per-task job is still scoring: one commitment a key, the job's scores are dropped, the reveal opens the abstention", async () => {
    const content = new Texts();
    const chain = await makeTask(content, [ME, ME2, OTHER]);
    const store = new MemoryStateStore();
    const queue = new InProcessJobQueue({ concurrency: 4, attempts: 1, backoffMs: 10 });
    const { s, scorer } = makeScorer();
    let open!: () => void;
    s.gate = new Promise<void>((r) => (open = r));
    const svc = makeService({ chain: chain.as([ME, ME2]), queue, store, content, scorer });
    svc.start();
    await until("scoring started", () => s.calls >= 1);
    chain.time = DEADLINE - 5n; // the scoring thread is slow: the deadline comes close
    chain.head++;
    await svc.pollOnce();
    await until("both late abstentions", () => chain.commitments.size === 2);
    open();
    await drain(queue);
    expect(await queue.failed()).toEqual([]);
    expect(chain.sent.filter((x) => x.startsWith("commit"))).toHaveLength(2);
    for (const ev of [ME, ME2]) expect((await store.get("1", ev))?.abstained?.code).toBe("E_LATE");
    chain.time = DEADLINE + 1n;
    chain.head++;
    await svc.pollOnce();
    await drain(queue);
    expect([...chain.revealed.values()]).toEqual([[], []]);
    await svc.stop();
  });

  it("HOLDS R9-5: latency samples buffered at shutdown are written by stop()", async () => {
    const prefix = `${basePrefix}-r95-${n++}`;
    const store = new RedisStateStore(redis, prefix);
    const content = new Texts();
    const chain = await makeTask(content, [ME]);
    const queue = new InProcessJobQueue({ concurrency: 1, attempts: 1 });
    const svc = makeService({ chain: chain.as([ME]), queue, store, content, scorer: makeScorer().scorer });
    await store.noteLatency("commit", 42);
    await svc.stop(); // before the 100 ms timer
    expect(await redis.lrange(`${prefix}:lat:commit`, 0, -1)).toEqual(["42"]);
  });
});

describe("review 9: abstain on a missing text", () => {
  it("HOLDS R9-6: a store outage before the give-up point neither abstains nor scores 0: the job retries and scores once the text is back", async () => {
    const { content, chain, store, s, svc } = await inProcess([ME, OTHER], [ME], { attempts: 5, concurrency: 1 });
    await outputDown(content, chain, 2); // two failed reads of the output, 600 s before the deadline
    svc.start();
    await until("the commit", () => chain.commitments.size === 1);
    const rec = await store.get("1", ME);
    expect(rec?.abstained).toBeUndefined();
    expect(rec?.scores).toEqual([5_000]);
    expect(s.calls).toBe(1);
    await svc.stop();
  });

  it("HOLDS R9-7: an output still unreachable at the give-up point makes the member abstain, never score it 0", async () => {
    const { content, chain, store, s, svc } = await inProcess([ME, OTHER], [ME], { attempts: 1, concurrency: 1 });
    await outputDown(content, chain, 1_000);
    chain.time = DEADLINE - 29n;
    svc.start();
    await until("the commit", () => chain.commitments.size === 1);
    const rec = await store.get("1", ME);
    expect(rec?.abstained?.code).toBe("E_CONTENT_FETCH");
    expect(rec?.scores).toEqual([]);
    expect(s.calls).toBe(0);
    await svc.stop();
  });

  it("fixed R9-13: past the give-up point an unreachable store gets two quick retries before the member abstains: one HTTP 503 on a 10 s window no longer turns into an abstention (before: it did, with the text served a second later)", async () => {
    // A job that first runs past the give-up point (a backlog, a restart, or a window shorter
    // than FETCH_GIVE_UP_S) has no later attempt: one HTTP 503 must not end in an abstention
    // while the text is served a moment later.
    const { content, chain, store, s, svc } = await inProcess([ME, OTHER], [ME], { attempts: 5, concurrency: 1 });
    await outputDown(content, chain, 1); // one 503, then served
    commitWindow(chain, 10); // the dev preset's window
    chain.time = DEADLINE - 9n; // drawn 1 s ago
    svc.start();
    await until("the commit", () => chain.commitments.size === 1);
    const rec = await store.get("1", ME);
    expect(rec?.abstained).toBeUndefined(); // scored after one quick retry
    expect(rec?.scores).toEqual([5_000]);
    expect(s.calls).toBe(1);
    await svc.stop();
    // a store that stays down past the retries: the member abstains (never a 0 for the output)
    const { content: content2, chain: chain2, store: store2, svc: svc2 } = await inProcess([ME, OTHER], [ME], { attempts: 5, concurrency: 1 });
    await outputDown(content2, chain2, 10);
    commitWindow(chain2, 10);
    chain2.time = DEADLINE - 9n;
    svc2.start();
    await until("the abstention", () => chain2.commitments.size === 1);
    expect((await store2.get("1", ME))?.abstained?.code).toBe("E_CONTENT_FETCH");
    await svc2.stop();
  });

  for (const [what, query] of [
    ["not JSON", "this is not a query document"],
    ["JSON of the wrong shape", JSON.stringify({ hello: "world" })],
  ] as const) {
    it(`fixed R9-8: a query text that matches its hash but is ${what} makes the member abstain at once (E_CONTENT_MISMATCH; before: the job failed and retried until the watcher's E_LATE abstention)`, async () => {
      // a text that is no query document is final, like a mismatch: no retry can mend it
      const { chain, store, queue, svc } = await inProcess([ME, OTHER], [ME], { attempts: 2, concurrency: 1, query });
      svc.start();
      await until("the abstention", () => chain.commitments.size === 1);
      await drain(queue);
      expect(await queue.failed()).toEqual([]);
      const rec = await store.get("1", ME);
      expect(rec?.abstained?.code).toBe("E_CONTENT_MISMATCH"); // 600 s before the deadline
      expect(rec?.abstained?.reason).toMatch(/not a PoQ query document/);
      await svc.stop();
    });
  }
});

describe("review 9: crash and Redis faults between the record and its indexes", () => {
  it("fixed R9-9: a record written whose reveal-index entry was lost (kill -9 between the two writes, a failed ZADD) is re-indexed when the retry resumes its commit, and revealed (before: committed, never revealed, slashed)", async () => {
    class LosesOneZadd extends MemoryStateStore {
      lost = false;
      override async index(name: IndexName, member: string, score: bigint) {
        if (name === "reveal" && !this.lost) {
          this.lost = true;
          throw new Error("ECONNRESET"); // the SET NX before it went through
        }
        return super.index(name, member, score);
      }
    }
    const content = new Texts();
    const chain = await makeTask(content, [ME, OTHER]);
    const store = new LosesOneZadd();
    const queue = new InProcessJobQueue({ concurrency: 1, attempts: 3, backoffMs: 10 });
    const svc = makeService({ chain: chain.as([ME]), queue, store, content, scorer: makeScorer().scorer });
    svc.start();
    await until("the commit (on the job's retry)", () => chain.commitments.size === 1);
    await drain(queue);
    expect((await store.get("1", ME))?.state).toBe("committed");
    expect(await store.holds("reveal", [`1:${ME.toLowerCase()}`])).toEqual([true]);

    chain.time = DEADLINE + 1n; // reveals due
    for (let i = 0; i < 3 && chain.revealed.size === 0; i++) {
      chain.head++;
      await svc.pollOnce();
      await drain(queue);
    }
    expect(chain.revealed.size).toBe(1);
    await svc.stop();
  });

  it("fixed R9-10: a reveal answered NotCommitted by an RPC node that has not seen this member's landed commit yet (load-balanced provider, early reveal right after the last commit) is retried and lands (before: the member was marked missed at once, never revealed, slashed)", async () => {
    const { chain, store, queue, svc } = await inProcess([ME, OTHER], [ME], { attempts: 5 });
    svc.start();
    await until("ME's commit", () => chain.commitments.size === 1);
    await drain(queue);
    expect((await store.get("1", ME))?.state).toBe("committed");
    chain.commitments.set(OTHER.toLowerCase(), "0xfeed"); // the last member commits: early reveal
    chain.lagReveals = 1; // the reveal goes to a node one block behind
    chain.head++;
    await svc.pollOnce();
    await drain(queue);
    for (let i = 0; i < 3; i++) {
      chain.head++;
      await svc.pollOnce();
      await drain(queue);
    }
    const rec = await store.get("1", ME);
    expect(rec?.state).toBe("revealed");
    expect(chain.revealed.has(ME.toLowerCase())).toBe(true);
    expect(chain.sent.filter((x) => x === `commit ${ME.slice(-2)}`)).toHaveLength(1); // not re-sent: the chain had it
    await svc.stop();
  });

  it("fixed: a commitment sent before a crash, resumed after the deadline while the node does not show it yet, meets CommitTooLate (checked before AlreadyCommitted) and is kept for the reveal, which lands (before: marked missed, never revealed)", async () => {
    const { chain, store, queue, svc } = await inProcess([ME, OTHER], [ME], { attempts: 1 });
    svc.start();
    await until("ME's commit", () => chain.commitments.size === 1);
    await drain(queue);
    await svc.stop();
    // as if the worker died after handing the commit over, before noting it confirmed
    const rec = (await store.get("1", ME))!;
    expect(rec.commitTx).toBeDefined();
    await store.put({ ...rec, state: "committing" });
    await store.index("commit", `1:${ME.toLowerCase()}`, DEADLINE);
    chain.time = DEADLINE + 1n; // restarted after the commit deadline
    chain.lagHasCommitted = 1; // the node it asks first is a block behind
    // the restarted process's queue: the interrupted evaluate job is retried first
    const q2 = new InProcessJobQueue({ concurrency: 1, attempts: 1, backoffMs: 10 });
    await q2.add("evaluate", jobIdOf("evaluate", 1n, [ME]), { taskId: "1", evaluators: [ME] });
    const again = makeService({ chain: chain.as([ME]), queue: q2, store, content: new Texts(), scorer: makeScorer().scorer });
    again.start();
    await drain(q2);
    expect((await q2.failed()).map((f) => f.reason)).toEqual([expect.stringMatching(/CommitTooLate.*the reveal will tell/)]);
    expect((await store.get("1", ME))?.state).not.toBe("missed"); // kept for the reveal
    for (let i = 0; i < 4 && !chain.revealed.has(ME.toLowerCase()); i++) {
      chain.head++;
      await again.pollOnce();
      await drain(q2);
    }
    expect(chain.revealed.has(ME.toLowerCase())).toBe(true);
    expect((await store.get("1", ME))?.state).toBe("revealed");
    await again.stop();
  });
});
