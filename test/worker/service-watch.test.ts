import { describe, it, expect } from "vitest";
import pino from "pino";
import type { Address, Hex } from "viem";
import { MemoryCursorStore } from "../../oracle/chain/cursor.js";
import { contentHash, type ContentStore } from "../../oracle/content/store.js";
import { encodeQueryDoc } from "../../oracle/content/task-doc.js";
import { WorkerMetrics } from "../../oracle/ops/metrics.js";
import { InProcessJobQueue } from "../../oracle/worker/jobs.js";
import { EvaluatorService, jobIdOf } from "../../oracle/worker/service.js";
import { MemoryStateStore } from "../../oracle/worker/store.js";
import type { PoqChainPort, TaskScorer, TaskView } from "../../oracle/worker/types.js";
import { RevertError } from "../../oracle/chain/errors.js";
import { PoqError } from "../../oracle/core/errors.js";

/**
 * What the watcher reads from the chain while tasks wait: a task seen again in the scanner's
 * reorg window is not read again (unless its creating block changed), and the progress of a
 * task waiting for an early reveal is read again only when the chain shows activity for it.
 * A scripted chain counts every read.
 */
const ME = "0x00000000000000000000000000000000000000a1" as Address;
const OTHER = "0x00000000000000000000000000000000000000b2" as Address;
const NODE = "0x00000000000000000000000000000000000000c3" as Address;
const ME2 = "0x00000000000000000000000000000000000000a4" as Address;

class Texts implements ContentStore {
  readonly describe = "memory";
  private m = new Map<string, string>();
  async get(h: Hex) {
    return this.m.get(h.toLowerCase());
  }
  async put(t: string) {
    const h = contentHash(t);
    this.m.set(h.toLowerCase(), t);
    return h;
  }
}

/**
 * One task (id 1, committee ME and OTHER, drawn in block 1) on a chain whose head the test
 * moves; `pending` makes it a task created in block 1 and not drawn yet.
 */
class ScriptedChain implements PoqChainPort {
  head = 1n;
  createdIn: Hex = "0xaa";
  commits = 0;
  reveals = 0;
  status = 2; // OPEN
  /** Created (block 1) and not drawn: drawCommittee draws it (in a new block). */
  pending = false;
  seedBlock = 1n;
  /** Another account draws first: the next draw reverts NotPending. */
  raced = false;
  drawnIn?: bigint;
  /** Blocks holding a commit, reveal or finalization of task 1. */
  activityBlocks: bigint[] = [];
  reads = { getTask: 0, progress: [] as string[][], activity: [] as [bigint, bigint][] };
  sent: string[] = [];
  constructor(
    private task: Omit<TaskView, "status" | "commits" | "reveals" | "k" | "fee" | "seedBlock">,
    readonly accounts: readonly Address[],
  ) {}

  private view(): TaskView {
    const drawn = !this.pending;
    return { ...this.task, committee: drawn ? this.task.committee : [], status: this.pending ? 1 : this.status, commits: this.commits, reveals: this.reveals, k: this.task.committee.length, fee: 1n, seedBlock: this.seedBlock };
  }
  /** Something of this task landed in a new block. */
  act(): void {
    this.head++;
    this.activityBlocks.push(this.head);
  }
  async taskEventsIn(from: bigint, to: bigint) {
    const created = from <= 1n && 1n <= to ? [{ taskId: 1n, blockNumber: 1n, blockHash: this.createdIn }] : [];
    const at = this.drawnIn ?? (this.pending ? undefined : 1n);
    const sampled = at !== undefined && from <= at && at <= to ? [{ taskId: 1n, blockHash: at === 1n ? this.createdIn : (`0xd${at}` as Hex) }] : [];
    return { created, sampled };
  }
  async taskActivityIn(from: bigint, to: bigint) {
    this.reads.activity.push([from, to]);
    return this.activityBlocks.some((b) => b >= from && b <= to) ? [1n] : [];
  }
  async getTask() {
    this.reads.getTask++;
    return this.view();
  }
  async taskForEvaluator() {
    return { task: this.view(), member: { committed: false, revealed: false } };
  }
  async progressMany(ids: readonly bigint[]) {
    this.reads.progress.push(ids.map(String));
    return ids.map(() => ({ status: this.pending ? 1 : this.status, commits: this.commits, reveals: this.reveals, k: 2, seedBlock: this.seedBlock }));
  }
  async nodeModel() {
    return "gpt4";
  }
  async hasCommitted() {
    return false;
  }
  async memberState() {
    return { committed: false, revealed: false };
  }
  async commitmentOf(): Promise<Hex> {
    return "0x01";
  }
  async commit(_ev: Address, _id: bigint, _c: Hex, onSent: (h: Hex) => Promise<void>): Promise<Hex> {
    await onSent("0xc0");
    this.commits++;
    this.act();
    this.sent.push("commit");
    return "0xc0";
  }
  async reveal(): Promise<Hex> {
    this.reveals++;
    this.act();
    this.sent.push("reveal");
    return "0xd0";
  }
  async drawCommittee(): Promise<Hex> {
    if (this.raced && this.pending) {
      // someone else's draw is mined first
      this.pending = false;
      this.head++;
      this.drawnIn = this.head;
    }
    if (!this.pending) throw new RevertError("drawCommittee", "NotPending", [1n]);
    if (this.head <= this.seedBlock) throw new RevertError("drawCommittee", "DrawTooEarly", [this.seedBlock]);
    this.pending = false;
    this.head++;
    this.drawnIn = this.head;
    this.sent.push("draw");
    return "0xdd";
  }
  async finalize(): Promise<Hex> {
    this.status = 3;
    this.act();
    this.sent.push("finalize");
    return "0xe0";
  }
  async blockNumber() {
    return this.head;
  }
  /** The chain's clock; the latest block's time stays 100 (no block mined since). */
  time = 100n;
  clockReads = 0;
  async latest() {
    return { number: this.head, timestamp: 100n };
  }
  async now() {
    this.clockReads++;
    return this.time;
  }
}

const scorer: TaskScorer = { knows: () => true, score: async (_h, input) => input.outputs.map(() => 0.5) };

async function setup(accounts: Address[] = [ME], committee: Address[] = [ME, OTHER], o: { pending?: boolean; passOnLanding?: boolean; attempts?: number } = {}) {
  const content = new Texts();
  const queryHash = await content.put(encodeQueryDoc({ task: "qa", query: "2+2?", references: ["4"] }));
  const outputHash = await content.put("4");
  const chain = new ScriptedChain({
    taskId: 1n,
    family: 0,
    requester: OTHER,
    queryHash,
    outputs: [{ node: NODE, outputHash }],
    committee,
    commitDeadline: 1_000n,
    revealDeadline: 2_000n,
    profileHash: "0x02",
    rule: 0,
  }, accounts);
  chain.pending = o.pending ?? false;
  const queue = new InProcessJobQueue({ concurrency: 4, attempts: o.attempts ?? 1, backoffMs: 10 });
  const jobs: string[] = [];
  const add = queue.add.bind(queue);
  queue.add = (stage, id, data, delay) => (jobs.push(id), add(stage, id, data, delay));
  const service = new EvaluatorService({
    chain,
    queue,
    store: new MemoryStateStore(),
    cursor: new MemoryCursorStore(),
    content,
    scorer,
    metrics: new WorkerMetrics(),
    log: pino({ level: "silent" }),
    confirmations: 0,
    reorgWindow: 4,
    startBlock: 0n,
    pollIntervalMs: 600_000, // passes are driven by the test
    fullSweepMs: 600_000, // one full sweep, the first
    autoFinalize: true,
    passOnLanding: o.passOnLanding ?? false, // passes are driven by the test (but see the test of passOnLanding)
  });
  /** Lets the pass in flight and the jobs it queued finish. */
  const settle = async () => {
    const tick = () => new Promise((r) => setTimeout(r, 10));
    await tick();
    for (let i = 0; i < 100 && (await queue.backlog()) > 0; i++) await tick();
    expect(await queue.failed()).toEqual([]);
  };
  return { chain, queue, service, settle, jobs };
}

describe("EvaluatorService watching", () => {
  it("reads a task once while it stays in the reorg window, again when its creating block was replaced", async () => {
    const { chain, service, settle } = await setup();
    service.start(); // first pass: task 1 found and read, its evaluate job runs
    await settle();
    expect(chain.sent).toEqual(["commit"]);
    expect(chain.reads.getTask).toBe(1);
    for (let i = 0; i < 2; i++) {
      chain.head++; // blocks 3 and 4: the task's block 1 is re-scanned in the window (4 blocks)
      await service.pollOnce();
    }
    expect(chain.reads.getTask).toBe(1);
    chain.createdIn = "0xbb"; // a reorg replaced block 1: the task is read again (its record stops a second job)
    chain.head++;
    await service.pollOnce();
    await settle();
    expect(chain.reads.getTask).toBe(2);
    expect(chain.sent).toEqual(["commit"]);
    await service.stop();
  });

  it("re-reads a waiting task's progress only after chain activity for it, then reveals and finalizes early", async () => {
    const { chain, service, settle } = await setup();
    service.start();
    await settle(); // committed at block 2; one of two commits
    await service.pollOnce(); // first look: progress read (1 of 2 committed: not due)
    // The start-up pass reads it too when the evaluate job indexed its reveal before that pass's sweep (a race of the two).
    const looks = chain.reads.progress.length;
    expect(looks).toBeGreaterThanOrEqual(1);
    expect(chain.reads.progress).toEqual(Array(looks).fill(["1"]));
    for (let i = 0; i < 3; i++) {
      chain.head++; // quiet blocks: no activity, no progress read
      await service.pollOnce();
    }
    expect(chain.reads.progress.length).toBe(looks);
    expect(chain.reads.activity.slice(-4)).toEqual([[2n, 2n], [3n, 3n], [4n, 4n], [5n, 5n]]); // one log query a block, no overlap
    expect(chain.sent).toEqual(["commit"]);

    chain.commits++; // the other member commits
    chain.act();
    await service.pollOnce();
    await settle();
    expect(chain.reads.progress).toEqual(Array(looks + 1).fill(["1"]));
    expect(chain.sent).toEqual(["commit", "reveal"]);

    chain.reveals++; // the other member reveals: every member has, finalize before the deadline
    chain.act();
    await service.pollOnce(); // our reveal's and their reveal's activity: progress read, finalization due
    await settle();
    expect(chain.sent).toEqual(["commit", "reveal", "finalize"]);
    await service.stop();
  });

  it("on a chain that mines no block, an idle sweep reads the chain's clock and reveals once the commit deadline passed", async () => {
    const { chain, service, settle } = await setup(); // the other member never commits: no early reveal
    service.start();
    await settle();
    expect(chain.sent).toEqual(["commit"]);
    await service.pollOnce(); // the commit's block: swept with that block's time
    expect(chain.clockReads).toBe(0);
    const head = chain.head;
    for (let i = 0; i < 10; i++) await service.pollOnce(); // no new block: the 10th pass sweeps, asking the clock
    await settle();
    expect(chain.clockReads).toBe(1);
    expect(chain.sent).toEqual(["commit"]); // time 100: commit deadline (1000) not passed
    chain.time = 1_001n; // idle minutes later, still no block
    for (let i = 0; i < 10; i++) await service.pollOnce();
    await settle();
    expect(chain.head).toBe(head + 1n); // the one block since is the reveal's own
    expect(chain.clockReads).toBe(2);
    expect(chain.sent).toEqual(["commit", "reveal"]);
    await service.stop();
  });

  it("with two keys in a task's committee, enqueues one evaluate and one reveal job for the task, once, and both keys commit and reveal", async () => {
    const { chain, service, settle, jobs } = await setup([ME, ME2], [ME, ME2]);
    service.start();
    await settle(); // both keys committed: 2 of 2 (both jobs are queued together, so the early reveals may follow at once)
    expect(chain.sent.slice(0, 2)).toEqual(["commit", "commit"]);
    await service.pollOnce();
    await settle();
    expect(new Set(jobs.filter((j) => j.startsWith("evaluate:")))).toEqual(new Set([jobIdOf("evaluate", 1n, [ME, ME2])])); // added, and ensured by the first (full) sweep
    expect(jobs.filter((j) => j.startsWith("reveal:"))).toEqual(["reveal:1:task"]);
    expect(chain.sent.filter((x) => x === "reveal").length).toBe(2);
    await service.pollOnce();
    await settle();
    expect(jobs.filter((j) => j.startsWith("reveal:")).length).toBe(1);
    expect(chain.sent).toEqual(["commit", "commit", "reveal", "reveal", "finalize"]);
    await service.stop();
  });

  it("one job a task: a key whose commit fails does not hold back the other key, and the job's retry sends only the missing commit", async () => {
    const { chain, service, settle, jobs } = await setup([ME, ME2], [ME, ME2], { attempts: 2 });
    const commit = chain.commit.bind(chain);
    const tried: Address[] = [];
    chain.commit = async (ev, id, c, onSent) => {
      tried.push(ev);
      if (ev === ME2 && tried.filter((a) => a === ME2).length === 1) throw new PoqError("E_RPC_UNAVAILABLE", "node unreachable");
      return commit(ev, id, c, onSent);
    };
    service.start();
    await settle(); // the job's first attempt: ME committed, ME2 failed; the retry: ME2 committed
    expect(tried.filter((a) => a === ME)).toHaveLength(1); // the retry found ME's record committed: not sent again
    expect(tried.filter((a) => a === ME2)).toHaveLength(2);
    expect(chain.sent).toEqual(["commit", "commit"]);
    expect(new Set(jobs.filter((j) => j.startsWith("evaluate:")))).toEqual(new Set([jobIdOf("evaluate", 1n, [ME, ME2])]));
    await service.stop();
  });

  it("one job a task: a key that cannot commit for good fails the job permanently, naming the key and why, after the other key committed", async () => {
    const { chain, service, queue } = await setup([ME, ME2], [ME, ME2], { attempts: 3 });
    const port = chain as PoqChainPort;
    const read = port.taskForEvaluator.bind(chain);
    // ME2 committed already, from a store this worker does not have: E_COMMITTED_ELSEWHERE, permanent
    port.taskForEvaluator = async (id, ev) => ({ ...(await read(id, ev)), member: { committed: ev === ME2, revealed: false } });
    service.start();
    for (let i = 0; i < 200 && (await queue.failed()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const failed = await queue.failed();
    expect(failed).toHaveLength(1);
    expect(failed[0]!.id).toBe(jobIdOf("evaluate", 1n, [ME2, ME])); // the key set's tag: order does not matter
    expect(failed[0]!.attempts).toBe(1); // permanent: not retried
    expect(failed[0]!.reason).toMatch(/^permanent E_COMMITTED_ELSEWHERE: task 1: 1 of 2 keys failed: 0x0+a4: task 1: 0x0+a4 committed already/);
    expect(chain.sent).toEqual(["commit"]); // ME's
    await service.stop();
  });

  it("passOnLanding: once the last commit on its way here lands, reveals follow without waiting for a poll, then the finalization", async () => {
    const { chain, service, settle, jobs } = await setup([ME, ME2], [ME, ME2], { passOnLanding: true });
    service.start(); // the only scheduled pass; the next is 600 s away
    for (let i = 0; i < 100 && chain.sent.length < 5; i++) await settle();
    expect(chain.sent).toEqual(["commit", "commit", "reveal", "reveal", "finalize"]);
    expect(jobs.filter((j) => j.startsWith("reveal:"))).toEqual(["reveal:1:task"]);
    await service.stop();
  });

  it("passOnLanding adds no pass while commits of this process are still on their way", async () => {
    const { chain, service, settle } = await setup([ME, ME2], [ME, ME2], { passOnLanding: true });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const commit = chain.commit.bind(chain);
    // ME2's commit waits (as if its task were still being scored) until the test lets it go.
    chain.commit = async (ev, id, c, onSent) => {
      if (ev === ME2) await gate;
      return commit(ev, id, c, onSent);
    };
    service.start();
    for (let i = 0; i < 100 && chain.sent.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
    expect(chain.sent).toEqual(["commit"]); // ME's landed; ME2's is on its way
    const passes = chain.reads.activity.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(chain.reads.activity.length).toBe(passes); // ME's landing ran no pass
    expect(chain.sent).toEqual(["commit"]);
    release();
    for (let i = 0; i < 100 && chain.sent.length < 5; i++) await settle();
    expect(chain.sent).toEqual(["commit", "commit", "reveal", "reveal", "finalize"]);
    await service.stop();
  });

  it("draws a pending task's committee once a block follows its seed block, then serves the committee it drew", async () => {
    const { chain, service, settle } = await setup([ME], [ME, OTHER], { pending: true });
    service.start(); // head 1 = the seed block: too early to draw
    await settle();
    expect(chain.sent).toEqual([]);
    chain.head++; // a later block: the draw goes out, its CommitteeSampled is in the next range
    await service.pollOnce();
    await settle();
    expect(chain.sent).toEqual(["draw"]);
    await service.pollOnce();
    await settle();
    expect(chain.sent).toEqual(["draw", "commit"]);
    chain.head++;
    await service.pollOnce();
    await settle();
    expect(chain.sent.filter((x) => x === "draw")).toHaveLength(1); // drawn: out of the draw index
    await service.stop();
  });

  it("another account drawing first is no error: the task leaves the draw index and its committee is served", async () => {
    const { chain, service, settle } = await setup([ME], [ME, OTHER], { pending: true });
    chain.raced = true; // between the worker's read (pending) and its draw, another account draws
    service.start();
    await settle();
    chain.head++;
    await service.pollOnce(); // draw: NotPending (someone else's, mined in block 3)
    await settle();
    expect(chain.sent).toEqual([]);
    await service.pollOnce(); // block 3's CommitteeSampled: our key is a member
    await settle();
    expect(chain.sent).toEqual(["commit"]);
    chain.head++;
    const reads = chain.reads.progress.length;
    await service.pollOnce();
    await settle();
    expect(chain.reads.progress.filter((r) => r.length > 0).length).toBeGreaterThanOrEqual(reads); // no draw attempt left
    expect(chain.sent).toEqual(["commit"]);
    await service.stop();
  });
});
