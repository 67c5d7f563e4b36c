import { createHash, randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import type { Logger } from "pino";
import { toBps } from "../core/units.js";
import { PoqError, errorMessage } from "../core/errors.js";
import { BlockScanner, type CursorStore } from "../chain/cursor.js";
import { RevertError } from "../chain/errors.js";
import { fetchVerified, type ContentStore, ContentError } from "../content/store.js";
import { decodeQueryDoc, FAMILY_NAMES } from "../content/task-doc.js";
import type { WorkerMetrics } from "../ops/metrics.js";
import { PermanentJobError, type JobQueue } from "./jobs.js";
import { memberOf, splitMember, type StateStore } from "./store.js";
import { TaskStatus } from "../rules/constants.js";
import type { EvalRecord, JobData, MemberJob, PoqChainPort, TaskProgress, TaskScorer, TaskView } from "./types.js";

/**
 * Seconds before a task's commit deadline at which a member whose texts are still missing or
 * unreachable stops retrying and abstains (an abstention is committed and revealed like scores
 * and is never slashed; a missed commit is).
 */
export const FETCH_GIVE_UP_S = 30;

/** Quick retries (500 ms apart) of an unreachable store past the give-up point, before abstaining. */
const FETCH_RETRIES_AFTER_GIVE_UP = 2;

/**
 * How close to its commit deadline a member still without scores abstains: half of
 * FETCH_GIVE_UP_S, or a quarter of the commit window when that is shorter (a 10 s window on a
 * dev chain: 2 s), so a task drawn with a short window is scored first. Always after the
 * give-up point of a missing text (FETCH_GIVE_UP_S), with room for the job's retry: a member
 * whose text never came abstains for that reason (E_CONTENT_MISSING), and a text that arrives
 * just before the give-up point is still scored (seventh review, V6-1).
 */
export function lateMargin(commitWindow: number | undefined): number {
  const half = Math.floor(FETCH_GIVE_UP_S / 2);
  return commitWindow === undefined ? half : Math.min(half, Math.floor(commitWindow / 4));
}

/** The task cannot be scored (a withheld or bad text, unknown profile): the member abstains. */
class CannotScore extends PoqError {}

export interface ServiceOptions {
  chain: PoqChainPort;
  queue: JobQueue;
  store: StateStore;
  cursor: CursorStore;
  content: ContentStore;
  scorer: TaskScorer;
  metrics: WorkerMetrics;
  log: Logger;
  confirmations: number;
  reorgWindow: number;
  startBlock: bigint;
  pollIntervalMs: number;
  /**
   * How often a sweep re-checks every pending job in the queue (retrying failed retryable
   * ones); sweeps in between only add jobs that became due. Default 5 s.
   */
  fullSweepMs?: number;
  /** Also finalize tasks this operator revealed in (anyone may; someone has to). */
  autoFinalize: boolean;
  /**
   * Draw the committee of pending tasks once a block follows their seed block (anyone may;
   * someone has to). Default true.
   */
  autoDraw?: boolean;
  /**
   * Run a watcher pass as soon as a commit or reveal of this process lands, when no commit of
   * this process is still on its way (see EvaluatorService.kick), instead of waiting for the
   * next poll. Default true; tests that drive every pass themselves turn it off.
   */
  passOnLanding?: boolean;
  /**
   * Fault injection for crash tests: called at named points ("commit-persisted",
   * "commit-sent", "commit-confirmed", "reveal-sent"); a test hook kills the process there.
   */
  fault?: (point: string) => void;
}

/** Settled one way or the other: nothing left to reveal or finalize. */
const isClosed = (status: number) => status === TaskStatus.FINALIZED || status === TaskStatus.CANCELLED;

type Progress = TaskProgress;

/** Job checks a full sweep sends at once. */
const ENSURE_SLICE = 256;
/** Drawn tasks of a scanned range read and taken in at once: the first slice, then the others. */
const FIRST_SLICE = 8;
const RANGE_SLICE = 256;

const isRevert = (err: unknown, ...names: string[]) => err instanceof RevertError && names.includes(err.errorName);

/** The keys a job names (one, for a job queued by a version before per-task jobs), each once. */
export function keysOf(d: JobData): Address[] {
  const seen = new Set<string>();
  return [...(d.evaluators ?? []), ...(d.evaluator ? [d.evaluator] : [])].filter((a) => !seen.has(a.toLowerCase()) && !!seen.add(a.toLowerCase()));
}

/**
 * Job ids: one job a task and stage (each carries the task's keys of this process). Three
 * parts, as BullMQ wants of an id with a colon in it. An evaluate job's third part names the
 * set of keys it was queued for (a short hash): a key that joins a task later (a restart with
 * more keys, a committee re-drawn after a reorg, the keys still to commit when a sweep re-queues
 * a failed job's rest) gets a job of its own even when the first one exists or is finished
 * (its id would otherwise be taken for 7 days). The keys' records keep any key from committing
 * twice (`create` is SET NX). Reveal jobs pick up every key indexed for the task (revealTask).
 */
export const jobIdOf = (stage: "evaluate" | "reveal" | "finalize", taskId: string | bigint, keys?: readonly Address[]) =>
  `${stage}:${taskId}:${stage === "evaluate" && keys ? keySetTag(keys) : "task"}`;

/** 12 hex digits naming a set of keys (order and case do not matter). */
function keySetTag(keys: readonly Address[]): string {
  const set = [...new Set(keys.map((k) => k.toLowerCase()))].sort().join(",");
  return createHash("sha256").update(set).digest("hex").slice(0, 12);
}

/**
 * The evaluator operator's service: watches the chain for new tasks and draws their committees
 * (anyone may, once a block follows the one that created the task; a lost race is harmless),
 * watches the drawn committees for this process's keys, and runs three idempotent job kinds
 * through the queue, one job a task and stage for all of this process's keys in its committee:
 *  - evaluate:<task>:task  for each key: fetch + verify texts, score (once for all keys), persist salt+scores, commit;
 *  - reveal:<task>:task    after the commit deadline (or once all committed), reveal each key's;
 *  - finalize:<task>:task  settle the task (optional, `autoFinalize`).
 * A job runs its keys side by side, each on its own (see eachKey): one key's failure neither
 * stops nor undoes another's, and the job's retry redoes only what is not done. Every key's
 * part first reads the key's persisted record and the chain, so re-running a job after a crash
 * at any point converges to exactly one commit and one matching reveal per key. (A job a key,
 * as before, cost eleven queue jobs a task at k = 5: most of a busy worker's CPU outside
 * scoring; jobs queued by such a version are still run.)
 */
export class EvaluatorService {
  private scanner: BlockScanner;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private stopped = false;
  private lastPollError?: string;
  private lastSweptBlock?: bigint;
  private idlePasses = 0;
  /** Job ids ensured since the last full sweep. */
  private ensured = new Set<string>();
  /**
   * Tasks (id@block hash) whose creation this process has handled: the scanner re-scans its
   * reorg window every pass, and a task seen there again needs no reads. A task re-created in
   * a replacing block after a reorg comes with a new block hash and is handled again.
   */
  private handled = new Set<string>();
  /**
   * Last read progress of the tasks waiting for an early reveal or finalization; a task's is
   * read again only when the chain shows a commit, reveal or finalization of it (one log
   * query a sweep), not on every sweep.
   */
  private progress = new Map<string, Progress>();
  /** The head up to which activity logs were taken into account. */
  private activityHead?: bigint;
  private lastFullSweep = 0;
  private readonly fullSweepMs: number;
  /** Draws sent and not answered yet (task ids). */
  private drawing = new Set<string>();
  private readonly autoDraw: boolean;
  /** Chain time from which a member still without scores abstains (abstainIfLate), once read. */
  private lateAt = new Map<string, bigint>();
  /** Members abstainIfLate is handling right now. */
  private lateBusy = new Set<string>();
  /** Commits announced to the chain port by the evaluate jobs running here (see evaluateAnnounced). */
  private announced = new Map<string, { release(): void }>();
  /** Evaluate jobs running here that have not submitted their commit (or ended) yet. */
  private toCommit = 0;
  /** A pass was asked for while one was under way (see kick). */
  private kicked = false;

  constructor(private o: ServiceOptions) {
    this.fullSweepMs = o.fullSweepMs ?? 5_000;
    this.autoDraw = o.autoDraw ?? true;
    this.scanner = new BlockScanner({
      client: { getBlockNumber: () => o.chain.blockNumber() } as never,
      cursor: o.cursor,
      confirmations: o.confirmations,
      reorgWindow: o.reorgWindow,
      startBlock: o.startBlock,
      onRange: (a, b) => this.onRange(a, b),
      log: o.log,
    });
  }

  start(): void {
    this.o.queue.start({
      evaluate: (d) => this.eachKey(d, keysOf(d), (m) => this.evaluateAnnounced(m)),
      reveal: (d) => this.revealTask(d),
      finalize: (d) => this.finalize(d),
    });
    void this.loop();
  }

  /** The watcher's loop: a pass, then the next one after pollIntervalMs (or at once when kicked meanwhile). */
  private loop = async (): Promise<void> => {
    this.timer = undefined;
    if (this.stopped) return;
    await this.pollOnce();
    if (this.stopped) return;
    const again = this.kicked;
    this.kicked = false;
    this.timer = setTimeout(this.loop, again ? 0 : this.o.pollIntervalMs);
  };

  /**
   * An evaluate job ended (its commit landed) or a reveal landed: when no commit of this process
   * is still on its way (no evaluate job here before its commit), the next stage need not wait for the poll
   * interval: a watcher pass runs now (or right after the one under way). With commits still
   * coming, the regular passes serve, so a backlog adds no passes; on an idle or draining
   * worker this takes one poll interval off each stage (the commit -> reveal -> finalization
   * tail of a batch of tasks: two intervals).
   */
  private kick(): void {
    if (this.stopped || this.toCommit > 0 || this.o.passOnLanding === false) return;
    if (this.polling || !this.timer) {
      this.kicked = true; // the pass under way is followed by another at once
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(this.loop, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.polling || this.drawing.size > 0 || this.lateBusy.size > 0) await new Promise((r) => setTimeout(r, 20));
    await this.o.queue.close();
    await this.o.store.flush?.().catch((err: unknown) => this.o.log.warn({ err: errorMessage(err) }, "could not write the last latency samples"));
  }

  /** One watcher pass: new tasks, open commits, due reveals, due finalizations. Never throws. */
  async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      // One read of the latest block serves the scanner (its number) and the sweep (its time).
      const latest = await this.o.chain.latest();
      await this.scanner.poll(latest.number);
      // Nothing on chain changes between blocks but time, so a sweep per block is enough;
      // every 10th pass sweeps anyway to retry failed jobs. Such an idle sweep asks the chain's
      // clock: a chain that mines only on transactions (a local node) lets deadlines pass
      // without a block.
      const newBlock = latest.number !== this.lastSweptBlock;
      if (newBlock || ++this.idlePasses >= 10) {
        this.idlePasses = 0;
        this.lastSweptBlock = latest.number;
        await this.sweep(newBlock ? latest.timestamp : await this.o.chain.now(), latest.number);
      }
      if (this.lastPollError) this.o.log.info("chain reachable again");
      this.lastPollError = undefined;
    } catch (err) {
      const msg = errorMessage(err).split("\n")[0]!;
      if (msg !== this.lastPollError) this.o.log.error({ err: msg, code: (err as PoqError).code }, "watcher pass failed; will retry");
      this.lastPollError = msg;
      this.o.metrics.failures.inc({ stage: "watch", code: (err as PoqError).code ?? "E_UNKNOWN" });
    } finally {
      this.polling = false;
    }
  }

  private mine(committee: readonly Address[]): Address[] {
    const set = new Set(this.o.chain.accounts.map((a) => a.toLowerCase()));
    return committee.filter((a) => set.has(a.toLowerCase()));
  }

  private async onRange(from: bigint, to: bigint): Promise<void> {
    const ev = await this.o.chain.taskEventsIn(from, to);
    // New tasks wait for their committee draw: indexed by seed block (persisted, so a restart
    // past the creating block still draws). Whoever draws first wins; the sweep drops the rest.
    if (this.autoDraw) {
      const drawnHere = new Set(ev.sampled.map((x) => x.taskId));
      for (const c of ev.created) {
        const key = `created:${c.taskId}@${c.blockHash}`;
        if (this.handled.has(key) || drawnHere.has(c.taskId)) continue;
        this.remember(this.handled, key);
        await this.o.store.index("draw", c.taskId.toString(), c.blockNumber);
      }
    }
    const drawn = ev.sampled.filter((c) => !this.handled.has(`${c.taskId}@${c.blockHash}`));
    // The first few tasks of a range are read and queued first, so that on a backlog (a worker
    // starting behind hundreds of drawn tasks) scoring starts while the rest is read: reading
    // hundreds of tasks in one call took about half a second, with the scoring thread idle.
    for (let i = 0; i < drawn.length; i += i === 0 ? FIRST_SLICE : RANGE_SLICE) await this.takeInAll(drawn.slice(i, i + (i === 0 ? FIRST_SLICE : RANGE_SLICE)));
  }

  private async takeInAll(drawn: readonly { taskId: bigint; blockHash: Hex }[]): Promise<void> {
    // A draw seen again in a replacing block may have drawn another committee: read it afresh.
    for (const c of drawn) this.o.chain.forget?.(c.taskId);
    // Read together (the chain port sends reads of one turn as one call).
    const tasks = await Promise.all(drawn.map((c) => this.o.chain.getTask(c.taskId)));
    // Every task of the slice is taken in at once: its Redis calls (records, commit indexes,
    // evaluate jobs) go out together with the other tasks' (a range of a backlog holds hundreds
    // of tasks: one after the other, a round trip each, the first scan of 96 tasks took ~3 s,
    // and the sweep, which reveals, waited for it). Calls are issued in task order, so jobs
    // are still queued in the order the committees were drawn. A task is remembered as
    // handled only once its jobs are queued: a failed pass takes the range again.
    const open = drawn.map((c, i) => ({ ...c, t: tasks[i]! })).filter(({ taskId, blockHash, t }) => {
      if (!isClosed(t.status)) return true;
      this.remember(this.handled, `${taskId}@${blockHash}`);
      return false;
    });
    await Promise.all(open.map(({ taskId, t }) => this.takeIn(taskId, t)));
    for (const { taskId, blockHash } of open) this.remember(this.handled, `${taskId}@${blockHash}`);
  }

  /** A drawn task: index each of this process's keys' commit deadline, then queue the task's evaluate job for them. */
  private async takeIn(id: bigint, t: TaskView): Promise<void> {
    const mine = this.mine(t.committee);
    // Independent Redis calls go out together (one round trip on the pipelined connection).
    const recs = await Promise.all(mine.map((ev) => this.o.store.get(id.toString(), ev)));
    const fresh = mine.filter((_, j) => !recs[j]); // the others: handled (re-scan after restart or reorg window)
    if (!fresh.length) return;
    this.o.metrics.tasksSeen.inc(fresh.length);
    // Each key's commit deadline is indexed before its job is queued; the keys' calls go out
    // together, and the task is logged once with all of them (a log line is a write syscall).
    await Promise.all(fresh.map((ev) => this.o.store.index("commit", memberOf(id.toString(), ev), t.commitDeadline)));
    await this.o.queue.add("evaluate", jobIdOf("evaluate", id, fresh), { taskId: id.toString(), evaluators: fresh, seenAt: Date.now() });
    this.o.log.info({ task: id.toString(), evaluators: fresh }, "task assigned");
  }

  /**
   * Pending tasks whose seed block is behind the head: draw their committees. A task found
   * drawn (or cancelled) by anyone leaves the index; one whose seed was re-armed (its block
   * hash aged out) is indexed again under the new seed block. Draws are not awaited: the
   * watcher keeps going while they are mined.
   */
  private async draws(head: bigint): Promise<void> {
    const ids = (await this.o.store.range("draw", "-inf", head)).filter((t) => !this.drawing.has(t));
    if (ids.length === 0) return;
    const ps = await this.o.chain.progressMany(ids.map(BigInt));
    for (const [i, taskId] of ids.entries()) {
      const p = ps[i]!;
      if (p.status !== TaskStatus.PENDING) {
        await this.o.store.unindex("draw", taskId);
        continue;
      }
      if (p.seedBlock >= head) {
        await this.o.store.index("draw", taskId, p.seedBlock);
        continue;
      }
      this.drawing.add(taskId);
      void this.draw(taskId)
        .catch((err: unknown) => this.o.log.warn({ task: taskId, err: errorMessage(err).split("\n")[0] }, "committee draw bookkeeping failed; will retry"))
        .finally(() => this.drawing.delete(taskId));
    }
  }

  private async draw(taskId: string): Promise<void> {
    const from = this.o.chain.accounts[0]!;
    try {
      const hash = await this.o.chain.drawCommittee(from, BigInt(taskId));
      await this.o.store.unindex("draw", taskId);
      this.o.log.info({ task: taskId, tx: hash }, "committee drawn");
    } catch (err) {
      if (isRevert(err, "NotPending")) {
        await this.o.store.unindex("draw", taskId); // someone else drew it: fine
        return;
      }
      if (isRevert(err, "DrawTooEarly")) return; // the node estimated in the seed block: next block
      this.o.metrics.failures.inc({ stage: "draw", code: (err as PoqError).code ?? "E_UNKNOWN" });
      this.o.log.warn({ task: taskId, err: errorMessage(err).split("\n")[0] }, "committee draw failed; will retry");
    }
  }

  /**
   * Makes sure the jobs exist (or failed, retryable ones are retried), one round trip for all.
   * Between full sweeps a job this process already ensured is not looked up again: sweeps run
   * once a block.
   */
  private async ensureOnce(stage: "evaluate" | "reveal" | "finalize", jobs: readonly { id: string; data: JobData }[], full: boolean): Promise<void> {
    const todo = full ? jobs : jobs.filter((j) => !this.ensured.has(j.id));
    if (todo.length === 0) return;
    await this.o.queue.ensureMany(stage, todo);
    for (const j of todo) this.ensured.add(j.id);
  }

  /** Members ("<task>:<key>") grouped by task, in order of first appearance. */
  private static byTask(members: readonly string[]): Map<string, Address[]> {
    const out = new Map<string, Address[]>();
    for (const m of members) {
      const { taskId, evaluator } = splitMember(m);
      const a = out.get(taskId);
      if (a) a.push(evaluator);
      else out.set(taskId, [evaluator]);
    }
    return out;
  }

  /** Adds to a bounded set of recent keys (the oldest go first). */
  private remember(set: Set<string>, key: string): void {
    set.add(key);
    if (set.size > 20_000) set.delete(set.values().next().value!);
  }

  /**
   * Ids of tasks with chain activity (commit, reveal, finalization) in the blocks since the
   * last call; undefined when every task must be read: on a full sweep (`all`; a reorg can
   * hide activity from the logs, a replacing block at a height already looked at), on the
   * first call, or after a gap too long for one log query.
   */
  private async activitySince(head: bigint, all: boolean): Promise<Set<string> | undefined> {
    const last = this.activityHead;
    if (all || last === undefined || head - last > 5_000n) {
      this.activityHead = head;
      return undefined;
    }
    if (head <= last) return new Set();
    const ids = await this.o.chain.taskActivityIn(last + 1n, head);
    this.activityHead = head;
    return new Set(ids.map(String));
  }

  private async sweep(now: bigint, head: bigint): Promise<void> {
    const full = Date.now() - this.lastFullSweep >= this.fullSweepMs;
    if (full) {
      this.lastFullSweep = Date.now();
      this.ensured.clear();
      // Commits still possible: make sure each has a live (or retried) job. Jobs are added when
      // a task is seen, so this is the safety net for failed or lost ones, run on full sweeps.
      // One job a task; checked in slices, a round trip each (a backlog holds thousands).
      const tasks = [...EvaluatorService.byTask(await this.o.store.range("commit", now, "+inf"))];
      for (let i = 0; i < tasks.length; i += ENSURE_SLICE)
        await this.ensureOnce("evaluate", tasks.slice(i, i + ENSURE_SLICE).map(([taskId, evaluators]) => ({ id: jobIdOf("evaluate", taskId, evaluators), data: { taskId, evaluators } })), full);
    }
    // The sweep's index reads go out together (one round trip on the pipelined state connection).
    const fin = this.o.autoFinalize;
    const [commitLate, commitSoon, revealDue, revealAsk, finalizeDue, finalizeAll, pendingReveals] = await Promise.all([
      this.o.store.range("commit", "-inf", now),
      this.o.store.range("commit", now, now + BigInt(FETCH_GIVE_UP_S) + 1n),
      this.o.store.range("reveal", "-inf", now),
      this.o.store.range("reveal", now, "+inf"),
      fin ? this.o.store.range("finalize", "-inf", now) : ([] as string[]),
      fin ? this.o.store.range("finalize", now, "+inf") : ([] as string[]),
      this.o.store.count("reveal"),
    ]);
    this.o.metrics.pendingReveals.set(pendingReveals);
    for (const m of commitLate) {
      const { taskId, evaluator } = splitMember(m);
      const rec = await this.o.store.get(taskId, evaluator);
      if (!rec) {
        this.o.log.error({ task: taskId, evaluator }, "commit deadline passed before a commit was prepared");
        await this.o.store.put({ ...blank(taskId, evaluator), state: "missed", reason: "commit deadline passed before scoring finished" });
      }
      await this.o.store.unindex("commit", m);
    }
    // Members without scores this close to their commit deadline abstain (not awaited: a commit
    // is a transaction; later sweeps find them committing).
    for (const m of commitSoon) void this.abstainIfLate(m, now);
    // Reveals: due by time, or early once the whole committee has committed. The reveal
    // index is scored by commit deadline, so "due by time" is a range query (no record reads).
    const dueKeys = EvaluatorService.byTask(revealDue);
    const askKeys = EvaluatorService.byTask(revealAsk);
    const byTask = new Map([...dueKeys, ...askKeys]);
    const due = [...dueKeys.keys()];
    const ask = [...askKeys.keys()];
    // Finalizations: due at the reveal deadline, or early once every member revealed.
    const finalizeAsk = finalizeAll.filter((t) => !this.ensured.has(jobIdOf("finalize", t)));
    // Progress of the tasks in question: one eth_call for those not read yet or with chain
    // activity since their last read (all of them on a full sweep); the others are where that
    // read left them.
    const asked = new Set([...ask, ...finalizeAsk]);
    if (asked.size === 0) {
      this.progress.clear();
      this.activityHead = head;
    } else {
      const active = await this.activitySince(head, full);
      for (const t of this.progress.keys()) if (!asked.has(t)) this.progress.delete(t);
      const need = [...asked].filter((t) => active === undefined || active.has(t) || !this.progress.has(t));
      if (need.length > 0) (await this.o.chain.progressMany(need.map(BigInt))).forEach((p, i) => this.progress.set(need[i]!, p));
      const ready = (taskId: string, count: (p: Progress) => number) => {
        const p = this.progress.get(taskId)!;
        return count(p) >= p.k || isClosed(p.status);
      };
      for (const taskId of ask) if (ready(taskId, (p) => p.commits)) due.push(taskId);
      for (const taskId of finalizeAsk) if (ready(taskId, (p) => p.reveals)) finalizeDue.push(taskId);
    }
    await Promise.all([
      this.ensureOnce("reveal", due.map((taskId) => ({ id: jobIdOf("reveal", taskId), data: { taskId, evaluators: byTask.get(taskId)! } })), full),
      this.ensureOnce("finalize", finalizeDue.map((taskId) => ({ id: jobIdOf("finalize", taskId), data: { taskId, evaluators: this.o.chain.accounts.slice(0, 1) } })), full),
    ]);
    if (this.autoDraw && this.o.chain.accounts.length > 0) await this.draws(head);
  }

  /**
   * Runs one key's part of a per-task job for each of `keys`, all at once (their Redis calls
   * go out together on the pipelined connection, their chain reads as one eth_call, and the
   * task is scored once), each on its own: a key that fails neither stops nor undoes the
   * others. The job ends when every key's part did; otherwise it fails naming each failing key
   * and why: retryable when any of them is (the retry finds the keys that succeeded done, their
   * records say so), permanent when all of them are.
   */
  private async eachKey(d: JobData, keys: readonly Address[], run: (m: MemberJob) => Promise<unknown>): Promise<unknown> {
    const settled = await Promise.allSettled(keys.map((evaluator) => run({ taskId: d.taskId, evaluator, seenAt: d.seenAt })));
    const failed = settled.flatMap((r, i) => (r.status === "rejected" ? [{ evaluator: keys[i]!, err: r.reason as unknown }] : []));
    if (failed.length === 0) return Object.fromEntries(settled.map((r, i) => [keys[i]!.toLowerCase(), (r as PromiseFulfilledResult<unknown>).value]));
    if (keys.length === 1) throw failed[0]!.err;
    const retryable = failed.find((f) => !(f.err instanceof PermanentJobError));
    const code = ((retryable ?? failed[0]!).err as PoqError).code ?? "E_UNKNOWN";
    const why = `task ${d.taskId}: ${failed.length} of ${keys.length} keys failed: ${failed.map((f) => `${f.evaluator}: ${errorMessage(f.err).split("\n")[0]}`).join("; ")}`;
    throw retryable ? new PoqError(code, why) : new PermanentJobError(code, why);
  }

  // ------------------------------------------------------------------ evaluate + commit

  /**
   * An evaluate job: evaluate() with the key's commit announced to the chain port while the job
   * runs, so that the key's batcher can hold a transaction for it (see CallBatcher.expect); the
   * announcement ends when the commit is submitted, or with the job.
   */
  private async evaluateAnnounced(d: MemberJob): Promise<unknown> {
    const m = memberOf(d.taskId, d.evaluator);
    const toChain = this.o.chain.expectCommit?.(d.evaluator);
    let open = true;
    this.toCommit++;
    const announced = {
      release: () => {
        if (!open) return;
        open = false;
        this.toCommit--;
        toChain?.release();
      },
    };
    this.announced.set(m, announced);
    try {
      return await this.evaluate(d);
    } finally {
      announced.release();
      if (this.announced.get(m) === announced) this.announced.delete(m);
      this.kick(); // its commit landed (or it ended without one): the last such job runs a pass now
    }
  }

  /** One key's part of an evaluate job. */
  async evaluate(d: MemberJob): Promise<unknown> {
    const { taskId, evaluator } = d;
    const id = BigInt(taskId);
    const m = memberOf(taskId, evaluator);
    let rec = await this.o.store.get(taskId, evaluator);
    if (rec && rec.state !== "committing") {
      await this.o.store.unindex("commit", m);
      return { skipped: rec.state };
    }
    if (rec?.state === "committing") return this.resumeCommit(rec);

    const { task: t, member } = await this.o.chain.taskForEvaluator(id, evaluator);
    // Permanent failures leave the commit index: a full sweep would queue the key again.
    if (!this.mine(t.committee).some((a) => a.toLowerCase() === evaluator.toLowerCase())) {
      await this.o.store.unindex("commit", m);
      throw new PermanentJobError("E_NOT_IN_COMMITTEE", `task ${taskId}: ${evaluator} is not in its committee`);
    }
    if (isClosed(t.status)) {
      await this.o.store.unindex("commit", m);
      return { skipped: "finalized" };
    }
    if (member.committed) {
      await this.o.store.unindex("commit", m);
      throw new PermanentJobError("E_COMMITTED_ELSEWHERE", `task ${taskId}: ${evaluator} committed already but this store has no salt for it (another store?)`);
    }
    if (!this.o.scorer.knows(t.profileHash))
      return this.abstain(t, evaluator, "E_UNKNOWN_PROFILE", `task ${taskId} requires scoring profile ${t.profileHash}, which this worker does not have`, d);

    const t0 = Date.now();
    let scores: number[];
    try {
      scores = await this.o.metrics.time("score", () => this.scoreTask(t));
    } catch (err) {
      if (!(err instanceof CannotScore)) throw err;
      return this.abstain(t, evaluator, err.code, err.message, d);
    }
    const tScored = Date.now();
    rec = await this.sealed(t, evaluator, scores, { seen: d.seenAt, scoreMs: tScored - t0 });
    // Persist BEFORE sending: from here on, any crash ends in a reveal of exactly these scores.
    // Sent together, in this order (one round trip on the pipelined state connection). The
    // record is created only if none exists: the watcher may have abstained for this member
    // while it was scoring (the commit deadline came too close), and that commitment stands.
    const [created] = await Promise.all([this.o.store.create(rec), this.o.store.index("reveal", m, t.commitDeadline), this.o.store.noteLatency("score", tScored - t0)]);
    if (!created) return { skipped: (await this.o.store.get(taskId, evaluator))?.state ?? "unknown" };
    this.o.fault?.("commit-persisted");
    return this.sendCommit(rec);
  }

  /** A fresh salt and the commitment to `scores` (empty: an abstention), as a record not yet sent. */
  private async sealed(t: TaskView, evaluator: Address, scores: number[], stamps: EvalRecord["t"]): Promise<EvalRecord> {
    const salt = `0x${randomBytes(32).toString("hex")}` as Hex;
    return {
      state: "committing",
      taskId: t.taskId.toString(),
      evaluator,
      scores,
      salt,
      commitment: await this.o.chain.commitmentOf(t.taskId, evaluator, scores, salt),
      commitDeadline: t.commitDeadline.toString(),
      revealDeadline: t.revealDeadline.toString(),
      profileHash: t.profileHash,
      t: stamps,
    };
  }

  /**
   * The member cannot score this task (its query is missing or does not match its hash, the
   * query document is for another family, the task names a profile this worker does not load,
   * or its texts stay unreachable until just before the commit deadline): it commits and then
   * reveals an abstention (an empty score list) instead of staying silent. An abstainer is
   * never slashed; unless the scorers that agree hold more than half the revealed weight the
   * task is void, and an abstainer is paid only when nobody scored (docs/contract.md, "Abstaining").
   */
  private async abstain(t: TaskView, evaluator: Address, code: string, reason: string, d: MemberJob): Promise<unknown> {
    const rec = await this.sealed(t, evaluator, [], { seen: d.seenAt });
    rec.abstained = { code, reason };
    const [created] = await Promise.all([this.o.store.create(rec), this.o.store.index("reveal", memberOf(rec.taskId, evaluator), t.commitDeadline)]);
    if (!created) return { skipped: (await this.o.store.get(rec.taskId, evaluator))?.state ?? "unknown" };
    this.o.log.warn({ task: rec.taskId, evaluator, code }, `abstaining: ${reason}`);
    this.o.metrics.failures.inc({ stage: "abstain", code });
    this.o.fault?.("commit-persisted");
    return this.sendCommit(rec);
  }

  /**
   * The watcher's safety net for a member whose scores are still not ready close to its commit
   * deadline (a backlog, a slow engine, a worker started late): it commits an abstention rather
   * than let the deadline pass (a miss is slashed, an abstention never is). "Close" is
   * lateMargin(window) seconds, read once a member from the task. An evaluate job that finishes
   * later finds the record and stops (`create` writes a member's first record only).
   */
  private async abstainIfLate(m: string, now: bigint): Promise<void> {
    if (this.lateBusy.has(m)) return;
    const at = this.lateAt.get(m);
    if (at !== undefined && now < at) return;
    this.lateBusy.add(m);
    const { taskId, evaluator } = splitMember(m);
    try {
      const rec = await this.o.store.get(taskId, evaluator);
      if (rec) {
        // a late abstention a restart interrupted between its record and its commit: no job
        // will resend it (the evaluate job, if any, ended when it found the record)
        if (rec.state === "committing" && rec.abstained?.code === "E_LATE") await this.resumeCommit(rec);
        return void this.lateAt.delete(m);
      }
      const { task: t, member } = await this.o.chain.taskForEvaluator(BigInt(taskId), evaluator);
      if (member.committed || isClosed(t.status)) return void this.lateAt.delete(m);
      const from = t.commitDeadline - BigInt(lateMargin(t.commitWindow));
      if (now < from) return void this.rememberLate(m, from);
      this.lateAt.delete(m);
      await this.abstain(t, evaluator, "E_LATE", `task ${taskId}: scores not ready ${t.commitDeadline - now} s before the commit deadline`, { taskId, evaluator });
    } catch (err) {
      this.o.log.error({ task: taskId, evaluator, err: errorMessage(err) }, "late abstention failed; retried at the next sweep");
    } finally {
      this.lateBusy.delete(m);
    }
  }

  private rememberLate(m: string, at: bigint): void {
    this.lateAt.set(m, at);
    if (this.lateAt.size > 20_000) this.lateAt.delete(this.lateAt.keys().next().value!);
  }

  /**
   * Fetches and verifies every text, then scores. A text that is missing (not uploaded yet) or
   * unreachable is retried (the job fails and is retried) until FETCH_GIVE_UP_S before the
   * commit deadline, so an upload timed to reach some members and not others does not split an
   * honest committee; a text that does not match its hash is final at once. At the give-up
   * point, or at once for a mismatch, any text the member cannot have (the query or an output),
   * a query document for another family, or a store that stays unreachable throws CannotScore:
   * the member abstains. It does not score a task it has only part of: were a missing output
   * scored 0, a requester keeping one output's text from one honest member would turn that
   * member and one sybil into the output's majority, the honest scorer into the deviant
   * (docs/contract.md, threat model row 13, V7-2). An output the engine itself rejects (empty,
   * control characters, too large) is a text every member has, and scores 0 (see scorer.ts).
   */
  private async scoreTask(t: TaskView): Promise<number[]> {
    const taskId = t.taskId.toString();
    let late: Promise<bigint | undefined> | undefined;
    // seconds left before the commit deadline when they are under FETCH_GIVE_UP_S (read once a job)
    const givingUp = () => (late ??= this.o.chain.now().then((now) => (t.commitDeadline - now < BigInt(FETCH_GIVE_UP_S) ? t.commitDeadline - now : undefined)));
    const fetchOrGiveUp = async (hash: Hex, what: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await fetchVerified(this.o.content, hash, what);
        } catch (err) {
          if (!(err instanceof ContentError)) throw err;
          if (err.code === "E_CONTENT_MISMATCH") throw new CannotScore(err.code, err.message);
          const left = await givingUp();
          if (left === undefined) throw err; // retried
          // past the give-up point an unreachable store still gets two quick retries: one 503
          // must not make a member abstain (a job that first runs late has no later attempt)
          if (err.code === "E_CONTENT_FETCH" && attempt < FETCH_RETRIES_AFTER_GIVE_UP) {
            await new Promise((r) => setTimeout(r, 500));
            continue;
          }
          throw new CannotScore(err.code, `task ${taskId}: texts still ${err.code === "E_CONTENT_MISSING" ? "missing" : "unreachable"} ${left} s before the commit deadline: ${err.message}`);
        }
      }
    };
    const queryText = await fetchOrGiveUp(t.queryHash, `task ${taskId} query`);
    let query;
    try {
      query = decodeQueryDoc(queryText, t.queryHash);
    } catch (err) {
      // the text matches its hash but is no query document: final, like a mismatch
      if (err instanceof ContentError) throw new CannotScore(err.code, err.message);
      throw err;
    }
    const outputs = await Promise.all(
      t.outputs.map(async (o, j) => {
        const [model, text] = await Promise.all([this.o.chain.nodeModel(o.node), fetchOrGiveUp(o.outputHash, `task ${taskId} output ${j}`)]);
        return { text, model };
      }),
    );
    const family = FAMILY_NAMES[t.family] ?? "open";
    if (query.task !== family) throw new CannotScore("E_CONTENT_MISMATCH", `task ${taskId}: query document is for "${query.task}", the task's family is "${family}"`);
    const floats = await this.o.scorer.score(t.profileHash, { taskId, family, query: query.query, references: query.references, outputs });
    return floats.map(toBps);
  }

  private async sendCommit(rec: EvalRecord): Promise<unknown> {
    const id = BigInt(rec.taskId);
    const t0 = Date.now();
    try {
      await this.o.metrics.time("commit", () =>
        this.o.chain.commit(
          rec.evaluator,
          id,
          rec.commitment,
          async (hash) => {
            rec.commitTx = hash;
            await this.o.store.put(rec);
            this.o.fault?.("commit-sent");
          },
          this.announced.get(memberOf(rec.taskId, rec.evaluator)),
        ),
      );
    } catch (err) {
      if (isRevert(err, "AlreadyCommitted") && (await this.o.chain.hasCommitted(id, rec.evaluator))) {
        this.o.log.info({ task: rec.taskId }, "commit was already on chain");
      } else if (isRevert(err, "CommitTooLate", "TaskNotOpen")) {
        // The contract checks the deadline before AlreadyCommitted: a commitment sent before (a
        // crash, a restart) may have landed although this answer says too late, and a node a
        // block behind may not show it yet. The record stays for the reveal, which settles it
        // (a NotCommitted answer after the deadline marks it missed).
        if (rec.commitTx) {
          await this.o.store.unindex("commit", memberOf(rec.taskId, rec.evaluator));
          throw new PermanentJobError((err as RevertError).code, `${(err as Error).message} (a commitment sent before may have landed: the reveal will tell)`);
        }
        rec.state = "missed";
        rec.reason = (err as Error).message;
        await this.o.store.put(rec);
        await this.o.store.unindex("reveal", memberOf(rec.taskId, rec.evaluator));
        await this.o.store.unindex("commit", memberOf(rec.taskId, rec.evaluator));
        throw new PermanentJobError((err as RevertError).code, (err as Error).message);
      } else throw err;
    }
    rec.state = "committed";
    rec.t = { ...rec.t, commitMs: Date.now() - t0 } as EvalRecord["t"];
    await Promise.all([
      this.o.store.put(rec),
      this.o.store.unindex("commit", memberOf(rec.taskId, rec.evaluator)),
      this.o.store.noteLatency("commit", rec.t!.commitMs!),
    ]);
    this.o.metrics.commits.inc();
    this.o.log.info({ task: rec.taskId, evaluator: rec.evaluator, tx: rec.commitTx }, "committed");
    this.o.fault?.("commit-confirmed");
    return { committed: rec.commitTx };
  }

  /**
   * A previous run persisted the record and may or may not have landed the commit. The reveal
   * index entry is written again first (idempotent): the record and that entry are written side
   * by side, and a crash or a refused write (Redis at maxmemory) between the two would otherwise
   * leave a commit that is never revealed.
   */
  private async resumeCommit(rec: EvalRecord): Promise<unknown> {
    const id = BigInt(rec.taskId);
    await this.o.store.index("reveal", memberOf(rec.taskId, rec.evaluator), BigInt(rec.commitDeadline));
    if (await this.o.chain.hasCommitted(id, rec.evaluator)) {
      rec.state = "committed";
      await this.o.store.put(rec);
      await this.o.store.unindex("commit", memberOf(rec.taskId, rec.evaluator));
      this.o.log.info({ task: rec.taskId, evaluator: rec.evaluator }, "recovered: commit had landed before the restart");
      return { recovered: "committed" };
    }
    this.o.log.warn({ task: rec.taskId, evaluator: rec.evaluator }, "recovered: commit not on chain, sending the persisted commitment again");
    return this.sendCommit(rec);
  }

  // ------------------------------------------------------------------ reveal

  /**
   * A reveal job: the keys it names and any other key of this process indexed for a reveal of
   * the task (one whose record was written after the sweep that queued the job read the
   * index, whose commit landed before that sweep read the task's progress: it would find
   * this job done), each revealed on its own.
   */
  private async revealTask(d: JobData): Promise<unknown> {
    const named = keysOf(d);
    const seen = new Set(named.map((a) => a.toLowerCase()));
    const others = this.o.chain.accounts.filter((a) => !seen.has(a.toLowerCase()));
    const held = await this.o.store.holds("reveal", others.map((a) => memberOf(d.taskId, a)));
    return this.eachKey(d, [...named, ...others.filter((_, i) => held[i])], (m) => this.reveal(m));
  }

  /** One key's part of a reveal job. */
  async reveal(d: MemberJob): Promise<unknown> {
    const { taskId, evaluator } = d;
    const id = BigInt(taskId);
    const m = memberOf(taskId, evaluator);
    const rec = await this.o.store.get(taskId, evaluator);
    if (!rec) throw new PermanentJobError("E_NO_RECORD", `task ${taskId}: no persisted commit for ${evaluator}`);
    if (rec.state === "revealed" || rec.state === "missed" || rec.state === "refused") {
      await this.o.store.unindex("reveal", m);
      return { skipped: rec.state };
    }
    // The reveal is sent straight away; the chain's answer says what state we were in (one
    // read per reveal saved on the common path).
    const t0 = Date.now();
    try {
      const hash = await this.o.metrics.time("reveal", () => this.o.chain.reveal(evaluator, id, rec.scores, rec.salt));
      return this.markRevealed(rec, hash, Date.now() - t0);
    } catch (err) {
      if (isRevert(err, "AlreadyRevealed")) return this.markRevealed(rec, undefined, 0);
      if (isRevert(err, "NotCommitted")) {
        // The chain (or the RPC node that answered) does not show this member's commit. A commit
        // this worker saw land is never given up on here (an RPC node a block behind, or a reorg
        // whose dropped transaction the node puts back in its pool): the reveal is retried until
        // the reveal deadline, and only RevealTooLate, with the member's state read, ends it.
        // Nothing is re-sent for it: a commit sent at the deadline's edge would meet
        // CommitTooLate, which marks a record missed.
        if (rec.state === "committed") throw new PoqError("E_NOT_COMMITTED_YET", `task ${taskId}: the chain does not show the commit this worker saw land yet; retried until the reveal deadline`);
        // Never confirmed: the evaluate job (still indexed) sends it again while possible.
        const now = await this.o.chain.now();
        if (now > BigInt(rec.commitDeadline)) return this.markMissed(rec, "commit never landed before the deadline");
        throw new PoqError("E_NOT_COMMITTED_YET", `task ${taskId}: commit not on chain yet`);
      }
      if (isRevert(err, "RevealTooLate", "TaskNotOpen")) {
        // Too late now, but an earlier attempt (before a crash) may have landed.
        if ((await this.o.chain.memberState(id, evaluator)).revealed) return this.markRevealed(rec, undefined, 0);
        return this.markMissed(rec, (err as Error).message);
      }
      throw err; // RevealTooEarly (the commit may still be in flight) and transient failures: retried with backoff
    }
  }

  private async markMissed(rec: EvalRecord, reason: string) {
    rec.state = "missed";
    rec.reason = reason;
    await this.o.store.put(rec);
    await this.o.store.unindex("reveal", memberOf(rec.taskId, rec.evaluator));
    this.o.log.error({ task: rec.taskId, evaluator: rec.evaluator, reason }, "reveal missed");
    return { missed: reason };
  }

  private async markRevealed(rec: EvalRecord, hash: Hex | undefined, ms: number) {
    rec.state = "revealed";
    if (hash) rec.revealTx = hash;
    rec.t = { ...rec.t, revealMs: ms, revealedAt: Date.now() } as EvalRecord["t"];
    await Promise.all([
      this.o.store.put(rec),
      this.o.store.unindex("reveal", memberOf(rec.taskId, rec.evaluator)),
      // The next sweep enqueues the finalization once every member revealed (or at the deadline).
      this.o.autoFinalize ? this.o.store.index("finalize", rec.taskId, BigInt(rec.revealDeadline)) : undefined,
      hash ? this.o.store.noteLatency("reveal", ms) : undefined,
    ]);
    if (hash) {
      this.kick();
      this.o.metrics.reveals.inc();
      this.o.log.info({ task: rec.taskId, evaluator: rec.evaluator, tx: hash }, "revealed");
    }
    return { revealed: hash ?? "already" };
  }

  // ------------------------------------------------------------------ finalize

  async finalize(d: JobData): Promise<unknown> {
    const id = BigInt(d.taskId);
    const from = this.mine(keysOf(d))[0] ?? this.o.chain.accounts[0]!;
    try {
      const t0 = Date.now();
      const hash = await this.o.metrics.time("finalize", () => this.o.chain.finalize(from, id));
      await Promise.all([this.o.store.noteLatency("finalize", Date.now() - t0), this.o.store.unindex("finalize", d.taskId)]);
      this.o.log.info({ task: d.taskId, tx: hash }, "finalized");
    } catch (err) {
      if (!isRevert(err, "TaskNotOpen")) throw err; // FinalizeTooEarly: retried
      await this.o.store.unindex("finalize", d.taskId);
      return { skipped: "finalized" };
    }
    return { finalized: d.taskId };
  }
}

function blank(taskId: string, evaluator: Address): EvalRecord {
  return {
    state: "missed",
    taskId,
    evaluator,
    scores: [],
    salt: "0x" as Hex,
    commitment: "0x" as Hex,
    commitDeadline: "0",
    revealDeadline: "0",
    profileHash: "0x" as Hex,
  };
}
