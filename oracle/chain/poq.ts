import { commitmentHash } from "../contract/commitment.js";
import {
  decodeFunctionResult,
  encodeFunctionData,
  hexToString,
  stringToHex,
  type Abi,
  type AbiEvent,
  type Address,
  type Hex,
  type PublicClient,
  type LocalAccount,
} from "viem";
import type { Logger } from "pino";
import { InputError, PoqError } from "../core/errors.js";
import { withRetry, TxSender } from "./tx.js";
import type { NonceCoordinator } from "./nonce.js";
import type { TxConfig } from "../config/schema.js";
import type { PoqChainPort, TaskProgress, TaskView } from "../worker/types.js";
import { RevertError } from "./errors.js";
import { CallBatcher, type ExpectedCall } from "./batcher.js";
import { chainNow } from "./clock.js";
import { contentFromLogs, type TaskContent } from "../contract/content.js";

/** Shapes of the ProofOfQuality views this module reads (mirrors contracts/ProofOfQuality.sol). */
interface RawTaskView {
  status: number;
  rule: number;
  family: number;
  k: number;
  m: number;
  commits: number;
  reveals: number;
  hasConsensus: boolean;
  commitDeadline: number;
  revealDeadline: number;
  nodeBudget: bigint;
  requester: Address;
  fee: bigint;
  commitWindow: number;
  revealWindow: number;
  profileId: number;
  refundTo: Address;
  seedBlock: bigint;
  contentHash: Hex;
  profileHash: Hex;
}

const progressOf = (t: RawTaskView) => ({ status: Number(t.status), commits: Number(t.commits), reveals: Number(t.reveals), k: Number(t.k), seedBlock: BigInt(t.seedBlock) });

/** A model name as the contract's `bytes32 modelId` (UTF-8, zero-padded; at most 32 bytes). */
export function modelIdOf(name: string): Hex {
  if (name.length === 0 || new TextEncoder().encode(name).length > 32) throw new InputError(`model name must be 1 to 32 bytes of UTF-8, got "${name}"`, { field: "model", reason: "length" });
  return stringToHex(name, { size: 32 });
}

/** Decodes a bytes32 model id (a right-padded UTF-8 string) to text. */
export function modelIdToString(id: Hex): string {
  try {
    return hexToString(id, { size: 32 }).replace(/\0+$/, "");
  } catch {
    return id;
  }
}

export interface PoqChainOptions {
  client: PublicClient;
  address: Address;
  abi: Abi;
  accounts: LocalAccount[];
  nonces: NonceCoordinator;
  tx: TxConfig;
  log?: Logger;
  /**
   * How long a key's batch may wait for commits announced as coming (expectCommit: the key's
   * evaluate jobs in flight), counted from its oldest call; see CallBatcher.expect. Default
   * BATCH_HOLD_MS; 0 turns the wait off.
   */
  batchHoldMs?: number;
}

/**
 * Default of PoqChainOptions.batchHoldMs. A busy key's commits arrive one per scored task;
 * 200 ms lets a batch collect several (bench:e2e, EVOUNA: 2 to 4 calls a transaction without
 * it) while keeping a commit's extra wait far below any commit window, and the evaluate jobs
 * waiting on their commit a minority of the worker's concurrency (the rest keep the scoring
 * thread fed).
 */
export const BATCH_HOLD_MS = 200;

/**
 * The worker's view of the ProofOfQuality contract through viem: reads are retried with
 * backoff, writes go through one TxSender per key (nonce coordination, fee bumps, decoded
 * custom errors).
 */
type ViewCall = { functionName: string; args: readonly unknown[] };
/** What never changes once a task is drawn, with the content hash it was read under. */
type StaticPart = Pick<TaskView, "queryHash" | "outputs" | "committee"> & { contentHash: Hex };

export class PoqChain implements PoqChainPort {
  readonly senders = new Map<string, TxSender>();
  readonly accounts: readonly Address[];
  private batchers = new Map<string, CallBatcher>();
  private chainId?: number;
  private modelCache = new Map<string, string>();
  /** Outputs and committee never change after the draw: read once per task. */
  private staticCache = new Map<bigint, StaticPart>();
  /**
   * Query and output hashes (from TaskCreated), by task and the content hash they must match: one
   * log query shared by concurrent readers. Keyed by the content hash too, so a task id whose
   * content changed (a reorg that re-created it) is read again, never answered from the cache.
   */
  private contentCache = new Map<bigint, { contentHash: Hex; read: Promise<TaskContent> }>();
  private activityEvents?: AbiEvent[];
  private taskEvents?: AbiEvent[];

  constructor(readonly o: PoqChainOptions) {
    // A commit costs the same gas every time, a reveal or a finalization the same for tasks of
    // one shape: after the first, no estimate (see GasBook).
    const batch = { maxCalls: o.tx.batchMaxCalls, lingerMs: o.tx.batchLingerMs, learnGas: o.tx.learnGas ? ["commit", "reveal", "finalize"] : [], holdMs: o.batchHoldMs ?? BATCH_HOLD_MS };
    for (const a of o.accounts) {
      const s = new TxSender(o.client, a, o.nonces, o.tx, o.log);
      this.senders.set(a.address.toLowerCase(), s);
      this.batchers.set(a.address.toLowerCase(), new CallBatcher(s, o.address, o.abi, batch, o.log));
    }
    this.accounts = o.accounts.map((a) => a.address);
  }

  private read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return withRetry(
      () => this.o.client.readContract({ address: this.o.address, abi: this.o.abi, functionName, args } as never) as Promise<T>,
      this.o.tx,
      `read ${functionName}`,
      this.o.log,
    );
  }

  sender(evaluator: Address): TxSender {
    const s = this.senders.get(evaluator.toLowerCase());
    if (!s) throw new PoqError("E_NO_KEY", `this process holds no key for ${evaluator}`);
    return s;
  }

  /**
   * Tasks created (TaskCreated, with their block: the draw's seed block) and committees drawn
   * (CommitteeSampled, with the hash of their block) in [from, to]: one log query.
   */
  async taskEventsIn(from: bigint, to: bigint): Promise<{ created: Array<{ taskId: bigint; blockNumber: bigint; blockHash: Hex }>; sampled: Array<{ taskId: bigint; blockHash: Hex }> }> {
    this.taskEvents ??= (["TaskCreated", "CommitteeSampled"] as const).map((name) => this.event(name));
    const events = this.taskEvents;
    const logs = await withRetry(
      () => this.o.client.getLogs({ address: this.o.address, events, fromBlock: from, toBlock: to, strict: true }),
      this.o.tx,
      "getLogs",
      this.o.log,
    );
    const created: Array<{ taskId: bigint; blockNumber: bigint; blockHash: Hex }> = [];
    const sampled: Array<{ taskId: bigint; blockHash: Hex }> = [];
    for (const l of logs as unknown as { eventName: string; args: { taskId: bigint }; blockNumber: bigint; blockHash: Hex }[]) {
      if (l.eventName === "TaskCreated") created.push({ taskId: l.args.taskId, blockNumber: l.blockNumber, blockHash: l.blockHash });
      else sampled.push({ taskId: l.args.taskId, blockHash: l.blockHash });
    }
    return { created, sampled };
  }

  private event(name: string): AbiEvent {
    const ev = this.o.abi.find((x) => x.type === "event" && x.name === name);
    if (!ev) throw new PoqError("E_ABI", `the PoQ ABI has no ${name} event`);
    return ev as AbiEvent;
  }

  async taskActivityIn(from: bigint, to: bigint): Promise<bigint[]> {
    // The activity events, all with the task id as their first indexed topic.
    this.activityEvents ??= (["Committed", "Revealed", "TaskFinalized"] as const).map((name) => this.event(name));
    const events = this.activityEvents;
    const logs = await withRetry(
      () => this.o.client.getLogs({ address: this.o.address, events, fromBlock: from, toBlock: to, strict: true }),
      this.o.tx,
      "getLogs",
      this.o.log,
    );
    return [...new Set(logs.map((l) => (l.args as { taskId: bigint }).taskId))];
  }

  private batcher(ev: Address): CallBatcher {
    const b = this.batchers.get(ev.toLowerCase());
    if (!b) throw new PoqError("E_NO_KEY", `this process holds no key for ${ev}`);
    return b;
  }

  /** Reads asked for in the current turn of the event loop, sent together by flushReads(). */
  private readQueue: Array<{ calls: readonly ViewCall[]; resolve: (r: unknown[]) => void; reject: (e: unknown) => void }> = [];

  /**
   * Several views in one eth_call through the contract's own multicall (OpenZeppelin
   * Multicall): one round trip instead of one a view. Reads asked for in the same turn of the
   * event loop (the jobs of one task's evaluators, say) share that eth_call too.
   */
  private readMany(calls: readonly ViewCall[]): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (this.readQueue.push({ calls, resolve, reject }) === 1) setImmediate(() => void this.flushReads());
    });
  }

  private async flushReads(): Promise<void> {
    const waiting = this.readQueue.splice(0);
    try {
      // The same view asked for by several callers of this turn (the task of a job's keys,
      // each reading it with its own member flags) is read and decoded once; callers only
      // read what they get.
      const slot = new Map<string, number>();
      const unique: ViewCall[] = [];
      const where = waiting.map((w) =>
        w.calls.map((c) => {
          const key = `${c.functionName}(${c.args.map(String).join(",")})`;
          let i = slot.get(key);
          if (i === undefined) slot.set(key, (i = unique.push(c) - 1));
          return i;
        }),
      );
      const out = await this.execute(unique);
      for (const [j, w] of waiting.entries()) w.resolve(where[j]!.map((i) => out[i]));
    } catch (err) {
      // One failing view fails the whole multicall: each caller's reads alone then, so only its own fail.
      if (waiting.length === 1) waiting[0]!.reject(err);
      else for (const w of waiting) this.execute(w.calls).then(w.resolve, w.reject);
    }
  }

  private async execute(calls: readonly ViewCall[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < calls.length; i += 256) {
      const chunk = calls.slice(i, i + 256);
      const data = chunk.map((c) => encodeFunctionData({ abi: this.o.abi, functionName: c.functionName, args: c.args } as never) as Hex);
      const results = await this.read<readonly Hex[]>("multicall", [data]);
      results.forEach((r, j) => out.push(decodeFunctionResult({ abi: this.o.abi, functionName: chunk[j]!.functionName, data: r } as never)));
    }
    return out;
  }

  /** See PoqChainPort.forget. */
  forget(taskId: bigint): void {
    this.staticCache.delete(taskId);
    this.contentCache.delete(taskId);
  }

  /**
   * The task's query and output hashes: the contract keeps only their content hash, the hashes
   * are in its TaskCreated event (one log query on its creation block, checked against the hash).
   */
  private content(taskId: bigint, t: RawTaskView): Promise<TaskContent> {
    const hit = this.contentCache.get(taskId);
    if (hit && hit.contentHash.toLowerCase() === t.contentHash.toLowerCase()) return hit.read;
    const block = BigInt(t.seedBlock);
    const read = withRetry(
      () => this.o.client.getLogs({ address: this.o.address, event: this.event("TaskCreated"), args: { taskId }, fromBlock: block, toBlock: block, strict: true } as never),
      this.o.tx,
      "getLogs TaskCreated",
      this.o.log,
    ).then((logs) => contentFromLogs(taskId, logs as never, t.contentHash));
    const entry = { contentHash: t.contentHash, read };
    // a failure is not kept; a newer entry (after forget, or for new content) is left alone
    read.catch(() => {
      if (this.contentCache.get(taskId) === entry) this.contentCache.delete(taskId);
    });
    if (!hit && this.contentCache.size >= 4096) this.contentCache.delete(this.contentCache.keys().next().value!);
    this.contentCache.set(taskId, entry);
    return read;
  }

  private remember(taskId: bigint, v: StaticPart): void {
    // A task that does not exist reads as empty, a pending one has no committee yet: do not cache that.
    if (v.outputs.length === 0 || v.committee.length === 0) return;
    if (this.staticCache.size >= 4096) this.staticCache.delete(this.staticCache.keys().next().value!);
    this.staticCache.set(taskId, v);
  }

  private static view(taskId: bigint, t: RawTaskView, st: StaticPart): TaskView {
    return {
      taskId,
      family: Number(t.family),
      requester: t.requester,
      queryHash: st.queryHash,
      outputs: st.outputs,
      committee: st.committee,
      commitDeadline: BigInt(t.commitDeadline),
      revealDeadline: BigInt(t.revealDeadline),
      commitWindow: Number(t.commitWindow),
      profileHash: t.profileHash,
      rule: Number(t.rule),
      status: Number(t.status),
      k: Number(t.k),
      fee: BigInt(t.fee),
      seedBlock: BigInt(t.seedBlock),
      commits: Number(t.commits),
      reveals: Number(t.reveals),
    };
  }

  /** The task (outputs and committee read once per task, they never change) and, optionally, one member's flags: one round trip (and one log query at a task's first read: its query and output hashes). */
  private async taskRead(taskId: bigint, ev?: Address): Promise<{ task: TaskView; member?: { committed: boolean; revealed: boolean } }> {
    const cached = this.staticCache.get(taskId);
    const calls: ViewCall[] = [{ functionName: "getTask", args: [taskId] }];
    if (ev) calls.push({ functionName: "getMember", args: [taskId, ev] });
    if (!cached) calls.push({ functionName: "getOutputs", args: [taskId] }, { functionName: "getCommittee", args: [taskId] });
    const r = await this.readMany(calls);
    // a task id whose content changed since it was cached (a reorg re-created it): read it afresh
    if (cached && cached.contentHash.toLowerCase() !== (r[0] as RawTaskView).contentHash.toLowerCase()) {
      this.forget(taskId);
      return this.taskRead(taskId, ev);
    }
    let st = cached;
    if (!st) {
      const t = r[0] as RawTaskView;
      const nodes = r[calls.length - 2] as readonly Address[];
      const comm = r[calls.length - 1] as readonly [readonly Address[], bigint];
      // a task that does not exist has no outputs and no TaskCreated event
      const c: TaskContent = nodes.length === 0 ? { queryHash: t.contentHash, outputHashes: [] } : await this.content(taskId, t);
      st = { contentHash: t.contentHash, queryHash: c.queryHash, outputs: nodes.map((node, j) => ({ node, outputHash: c.outputHashes[j]! })), committee: [...comm[0]] };
      this.remember(taskId, st);
    }
    const m = ev ? (r[1] as readonly [boolean, boolean, boolean, Hex, readonly number[]]) : undefined;
    return { task: PoqChain.view(taskId, r[0] as RawTaskView, st), member: m ? { committed: m[1], revealed: m[2] } : undefined };
  }

  async getTask(taskId: bigint): Promise<TaskView> {
    return (await this.taskRead(taskId)).task;
  }

  async taskForEvaluator(taskId: bigint, ev: Address): Promise<{ task: TaskView; member: { committed: boolean; revealed: boolean } }> {
    const r = await this.taskRead(taskId, ev);
    return { task: r.task, member: r.member! };
  }

  async progress(taskId: bigint): Promise<TaskProgress> {
    return progressOf(await this.read<RawTaskView>("getTask", [taskId]));
  }

  /** progress() of many tasks in one eth_call. */
  async progressMany(taskIds: readonly bigint[]): Promise<TaskProgress[]> {
    const rs = (await this.readMany(taskIds.map((id) => ({ functionName: "getTask", args: [id] })))) as RawTaskView[];
    return rs.map(progressOf);
  }

  async nodeModel(node: Address): Promise<string> {
    const hit = this.modelCache.get(node);
    if (hit !== undefined) return hit;
    const n = await this.read<{ modelId: Hex }>("getNode", [node]);
    const name = modelIdToString(n.modelId);
    this.modelCache.set(node, name);
    return name;
  }

  private member(taskId: bigint, ev: Address) {
    return this.read<readonly [boolean, boolean, boolean, Hex, readonly number[]]>("getMember", [taskId, ev]);
  }

  async hasCommitted(taskId: bigint, ev: Address) {
    return (await this.member(taskId, ev))[1];
  }

  /** Both flags in one read. */
  async memberState(taskId: bigint, ev: Address): Promise<{ committed: boolean; revealed: boolean }> {
    const m = await this.member(taskId, ev);
    return { committed: m[1], revealed: m[2] };
  }

  /** Computed locally (same encoding as the contract's commitmentFor view). */
  async commitmentOf(taskId: bigint, ev: Address, scores: readonly number[], salt: Hex): Promise<Hex> {
    this.chainId ??= await withRetry(() => this.o.client.getChainId(), this.o.tx, "chainId", this.o.log);
    return commitmentHash({ chainId: this.chainId, contract: this.o.address, taskId, evaluator: ev, scores, salt });
  }

  /**
   * Announces a commit of `ev` that is on its way (its task is being scored): the key's batcher
   * may hold a transaction for it (see CallBatcher.expect). Pass it to commit(), or release it.
   */
  expectCommit(ev: Address): ExpectedCall {
    return this.batcher(ev).expect();
  }

  /** Writes go through the key's batcher: calls queued while its last transaction is in flight share the next one. */
  commit(ev: Address, taskId: bigint, commitment: Hex, onSent: (hash: Hex) => Promise<void>, announced?: ExpectedCall): Promise<Hex> {
    return this.batcher(ev).submit("commit", [taskId, commitment], { onSent: (h) => onSent(h) }, "commit", announced);
  }

  reveal(ev: Address, taskId: bigint, scores: readonly number[], salt: Hex): Promise<Hex> {
    return this.batcher(ev).submit("reveal", [taskId, [...scores], salt], {}, `reveal/${scores.length}`);
  }

  /**
   * Draws a pending task's committee (anyone may, in a block after the task's seed block).
   * Its gas grows with the evaluator pool: always estimated (which also turns a lost race,
   * NotPending, into a decoded error before anything is sent).
   */
  drawCommittee(from: Address, taskId: bigint): Promise<Hex> {
    return this.batcher(from).submit("drawCommittee", [taskId], {}, null);
  }

  finalize(from: Address, taskId: bigint): Promise<Hex> {
    // Settlement's gas grows with the committee and the outputs: learnt per (k, m), estimated
    // when this process has not read the task.
    const t = this.staticCache.get(taskId);
    return this.batcher(from).submit("finalize", [taskId], {}, t ? `finalize/${t.committee.length}x${t.outputs.length}` : null);
  }

  blockNumber(): Promise<bigint> {
    return withRetry(() => this.o.client.getBlockNumber({ cacheTime: 0 }), this.o.tx, "blockNumber", this.o.log);
  }

  async latest(): Promise<{ number: bigint; timestamp: bigint }> {
    const b = await withRetry(() => this.o.client.getBlock({ blockTag: "latest" }), this.o.tx, "getBlock", this.o.log);
    return { number: b.number, timestamp: b.timestamp };
  }

  async now(): Promise<bigint> {
    return withRetry(() => chainNow(this.o.client), this.o.tx, "chain time", this.o.log);
  }
}

export { RevertError };
