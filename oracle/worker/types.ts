import type { Address, Hex } from "viem";

/** What the worker needs to know about one task (read from the contract). */
export interface TaskView {
  taskId: bigint;
  /** 0 = QA, 1 = summarization, 2 = open (Family enum). */
  family: number;
  requester: Address;
  queryHash: Hex;
  outputs: { node: Address; outputHash: Hex }[];
  committee: Address[];
  commitDeadline: bigint;
  revealDeadline: bigint;
  /** Seconds from the draw to the commit deadline (absent from test doubles). */
  commitWindow?: number;
  profileHash: Hex;
  rule: number;
  /** TaskStatus: 0 none, 1 pending (committee not drawn), 2 open, 3 finalized, 4 cancelled. */
  status: number;
  /** Committee size. */
  k: number;
  /** Fee per committee member (token wei). */
  fee: bigint;
  /** The block whose hash seeds the draw (a draw must come in a later block). */
  seedBlock: bigint;
  commits: number;
  reveals: number;
}

/** What the sweep needs of a task: status, counts, committee size, the draw's seed block. */
export interface TaskProgress {
  status: number;
  commits: number;
  reveals: number;
  k: number;
  seedBlock: bigint;
}

/**
 * The chain as the worker sees it. `oracle/chain/poq.ts` implements it over the
 * ProofOfQuality ABI with viem; tests may substitute it.
 */
export interface PoqChainPort {
  /**
   * Tasks created in [from, to] (TaskCreated: pending, committee not drawn; with the block that
   * created them) and committees drawn in it (CommitteeSampled), each with the hash of its
   * block (an event re-emitted in a replacing block after a reorg comes with a new hash).
   */
  taskEventsIn(from: bigint, to: bigint): Promise<{ created: Array<{ taskId: bigint; blockNumber: bigint; blockHash: Hex }>; sampled: Array<{ taskId: bigint; blockHash: Hex }> }>;
  /** Ids of tasks that had a commit, a reveal or their finalization in [from, to] (one log query). */
  taskActivityIn(from: bigint, to: bigint): Promise<bigint[]>;
  /**
   * Drops what the port remembers of a task (its outputs and committee are read once a task):
   * called for every committee draw the scanner sees, so a committee drawn again in a block that
   * replaced the first (a reorg) is read afresh.
   */
  forget?(taskId: bigint): void;
  getTask(taskId: bigint): Promise<TaskView>;
  /** The task and one member's flags in one round trip. */
  taskForEvaluator(taskId: bigint, evaluator: Address): Promise<{ task: TaskView; member: { committed: boolean; revealed: boolean } }>;
  /** Status, commits, reveals, committee size and seed block of many tasks in one round trip. */
  progressMany(taskIds: readonly bigint[]): Promise<TaskProgress[]>;
  /** Model id an inference node registered. */
  nodeModel(node: Address): Promise<string>;
  hasCommitted(taskId: bigint, evaluator: Address): Promise<boolean>;
  /** Both flags in one read. */
  memberState(taskId: bigint, evaluator: Address): Promise<{ committed: boolean; revealed: boolean }>;
  commitmentOf(taskId: bigint, evaluator: Address, scores: readonly number[], salt: Hex): Promise<Hex>;
  /** Writes may share a transaction (multicall) with other calls from the same key. */
  /**
   * Announces a commit of `evaluator` that is on its way (optional): the port may hold a
   * transaction of that key for it. Released by commit() when passed to it, or by release().
   */
  expectCommit?(evaluator: Address): { release(): void };
  commit(evaluator: Address, taskId: bigint, commitment: Hex, onSent: (hash: Hex) => Promise<void>, announced?: { release(): void }): Promise<Hex>;
  reveal(evaluator: Address, taskId: bigint, scores: readonly number[], salt: Hex): Promise<Hex>;
  finalize(sender: Address, taskId: bigint): Promise<Hex>;
  /** Draws a pending task's committee (reverts NotPending when someone else drew it first). */
  drawCommittee(sender: Address, taskId: bigint): Promise<Hex>;
  /** Latest block number. */
  blockNumber(): Promise<bigint>;
  /** Number and timestamp of the latest block (one round trip). */
  latest(): Promise<{ number: bigint; timestamp: bigint }>;
  /**
   * The latest second that has surely passed on chain (the clock deadlines are compared with):
   * the latest block's time, or later on a chain that has mined no block for a while.
   */
  now(): Promise<bigint>;
  /** Accounts this process can sign for. */
  readonly accounts: readonly Address[];
}

/** Scores candidate outputs of one task under a profile; floats in [0,1], one per output. */
export interface TaskScorer {
  /** Hashes of the profiles this scorer can score under. */
  knows(profileHash: Hex): boolean;
  score(profileHash: Hex, input: ScoreInput): Promise<number[]>;
}

export interface ScoreInput {
  taskId: string;
  family: "qa" | "summarization" | "open";
  query: string;
  references: string[];
  /** One per output; `text` undefined when the output was refused (missing or hash mismatch). */
  outputs: { text: string | undefined; model: string }[];
}

/** Persisted per (task, evaluator): what the worker decided and sent. Written before each send. */
export interface EvalRecord {
  /** "refused": written by versions before abstentions (they stayed silent on a task they could not score). */
  state: "committing" | "committed" | "revealed" | "missed" | "refused";
  taskId: string;
  evaluator: Address;
  scores: number[];
  salt: Hex;
  commitment: Hex;
  commitDeadline: string;
  revealDeadline: string;
  profileHash: Hex;
  commitTx?: Hex;
  revealTx?: Hex;
  /**
   * Set when the member abstained (committed and revealed an empty score list, `scores` is
   * empty): why it could not score the task.
   */
  abstained?: { code: string; reason: string };
  reason?: string;
  /** Wall-clock stamps (ms) for latency metrics. */
  t?: { seen?: number; scoreMs?: number; commitMs?: number; revealMs?: number; revealedAt?: number };
}

export type Stage = "evaluate" | "reveal" | "finalize";

/**
 * A job's data: one job a task and stage carries every key of this process it concerns
 * (evaluate: the committee members this process holds; reveal: those due; finalize: the
 * sender, first). Each key is handled on its own inside the job (see EvaluatorService.eachKey).
 */
export interface JobData {
  taskId: string;
  evaluators: Address[];
  seenAt?: number;
  /** The one key of a job queued by a version before per-task jobs (one job a key); read as `evaluators: [evaluator]`. */
  evaluator?: Address;
}

/** One key's part of a job. */
export interface MemberJob {
  taskId: string;
  evaluator: Address;
  seenAt?: number;
}
