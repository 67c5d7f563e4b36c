import { encodeFunctionData, parseEventLogs, type Abi, type Address, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { poqAbi } from "../chain/contract.js";
import { modelIdToString } from "../chain/poq.js";
import { TxSender, type WriteHooks } from "../chain/tx.js";
import { withRetry } from "../chain/tx.js";
import { PoqError } from "../core/errors.js";
import { GasBook } from "../chain/gas-book.js";
import { RevertError } from "../chain/errors.js";

/**
 * A small typed SDK for dApps and requesters: read tasks, consensus, payouts and trust,
 * watch settlement events (reads need only a viem PublicClient), and send the requester's
 * and participants' transactions through a TxSender.
 */
export const STATUS = ["none", "open", "finalized"] as const;
export const FAMILIES = ["qa", "summarization", "open"] as const;
export const RULES = ["MEAN", "MEDIAN", "TRIMMED_MEAN", "TRUST_WEIGHTED_MEAN", "TRUST_WEIGHTED_MEDIAN"] as const;
export type RuleName = (typeof RULES)[number];

export interface TaskInfo {
  taskId: bigint;
  status: (typeof STATUS)[number];
  family: (typeof FAMILIES)[number];
  rule: RuleName;
  k: number;
  m: number;
  commits: number;
  reveals: number;
  commitDeadline: bigint;
  revealDeadline: bigint;
  nodeBudget: bigint;
  evalBudget: bigint;
  requester: Address;
  queryHash: Hex;
  profileHash: Hex;
  outputs: { node: Address; outputHash: Hex }[];
  committee: { evaluator: Address; cost: bigint }[];
  /** Per-output consensus in basis points (empty until finalized with consensus). */
  consensus: number[];
}

export interface EvaluatorInfo {
  address: Address;
  stake: bigint;
  unbonding: bigint;
  rewards: bigint;
  /** Trust in basis points (10000 = 1.0). */
  trust: number;
  cost: bigint;
  openTasks: number;
  tasksAssigned: number;
  tasksRevealed: number;
  tasksMissed: number;
  lifetimeEarned: bigint;
  registered: boolean;
}

export interface NodeInfo {
  address: Address;
  payout: Address;
  model: string;
  pending: bigint;
  lifetime: bigint;
}

export interface SettlementEvent {
  taskId: bigint;
  hasConsensus: boolean;
  refund: bigint;
  slashed: bigint;
  blockNumber: bigint;
  transactionHash: Hex;
}

export class PoqReader {
  readonly abi: Abi;
  constructor(readonly client: PublicClient, readonly address: Address, abi?: Abi) {
    this.abi = abi ?? poqAbi();
  }

  read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return withRetry(
      () => this.client.readContract({ address: this.address, abi: this.abi, functionName, args } as never) as Promise<T>,
      { maxRetries: 3, backoffMs: 200 },
      `read ${functionName}`,
    );
  }

  async taskCount(): Promise<bigint> {
    return this.read<bigint>("taskCount");
  }

  async getTask(taskId: bigint): Promise<TaskInfo> {
    const [t, outs, comm, cons] = await Promise.all([
      this.read<Record<string, never>>("getTask", [taskId]),
      this.read<readonly [readonly Address[], readonly Hex[]]>("getOutputs", [taskId]),
      this.read<readonly [readonly Address[], readonly bigint[]]>("getCommittee", [taskId]),
      this.read<readonly [boolean, readonly number[]]>("getConsensus", [taskId]),
    ]);
    const v = t as unknown as {
      status: number; rule: number; family: number; k: number; m: number; commits: number; reveals: number;
      commitDeadline: number | bigint; revealDeadline: number | bigint; nodeBudget: bigint; evalBudget: bigint;
      requester: Address; queryHash: Hex; profileHash: Hex;
    };
    if (Number(v.status) === 0) throw new PoqError("E_UNKNOWN_TASK", `task ${taskId} does not exist`);
    return {
      taskId,
      status: STATUS[Number(v.status)]!,
      family: FAMILIES[Number(v.family)]!,
      rule: RULES[Number(v.rule)]!,
      k: Number(v.k),
      m: Number(v.m),
      commits: Number(v.commits),
      reveals: Number(v.reveals),
      commitDeadline: BigInt(v.commitDeadline),
      revealDeadline: BigInt(v.revealDeadline),
      nodeBudget: v.nodeBudget,
      evalBudget: v.evalBudget,
      requester: v.requester,
      queryHash: v.queryHash,
      profileHash: v.profileHash,
      outputs: outs[0].map((node, j) => ({ node, outputHash: outs[1][j]! })),
      committee: comm[0].map((evaluator, i) => ({ evaluator, cost: comm[1][i]! })),
      consensus: cons[0] ? cons[1].map(Number) : [],
    };
  }

  /** One evaluator's revealed scores in a task (empty until revealed). */
  async getMember(taskId: bigint, evaluator: Address): Promise<{ isMember: boolean; committed: boolean; revealed: boolean; scores: number[] }> {
    const r = await this.read<readonly [boolean, boolean, boolean, Hex, readonly number[]]>("getMember", [taskId, evaluator]);
    return { isMember: r[0], committed: r[1], revealed: r[2], scores: r[4].map(Number) };
  }

  async getEvaluator(address: Address): Promise<EvaluatorInfo> {
    const [e, h] = await Promise.all([
      this.read<Record<string, bigint | number | boolean>>("getEvaluator", [address]),
      this.read<readonly [bigint, bigint, bigint, bigint, bigint]>("evaluatorHistory", [address]),
    ]);
    const big = (field: string) => {
      const v = e[field];
      if (v === undefined) throw new PoqError("E_ABI", `getEvaluator: the contract's Evaluator has no field "${field}" (ABI out of date?)`);
      return BigInt(v as bigint);
    };
    return {
      address,
      stake: big("stake"),
      unbonding: big("unbonding"),
      rewards: big("rewards"),
      trust: Number(big("trust")),
      cost: big("cost"),
      openTasks: Number(h[3]),
      tasksAssigned: Number(h[0]),
      tasksRevealed: Number(h[1]),
      tasksMissed: Number(h[2]),
      lifetimeEarned: h[4],
      registered: Boolean(e.registered),
    };
  }

  async getEvaluators(): Promise<EvaluatorInfo[]> {
    const list = await this.read<readonly Address[]>("getEvaluators");
    return Promise.all(list.map((a) => this.getEvaluator(a)));
  }

  async getNode(address: Address): Promise<NodeInfo> {
    const n = await this.read<{ pending: bigint; lifetime: bigint; payout: Address; modelId: Hex }>("getNode", [address]);
    return { address, payout: n.payout, model: modelIdToString(n.modelId), pending: BigInt(n.pending), lifetime: BigInt(n.lifetime) };
  }

  async claimableOf(address: Address): Promise<bigint> {
    return this.read<bigint>("claimableOf", [address]);
  }

  async token(): Promise<Address> {
    return this.read<Address>("token");
  }

  /** Balance of the settlement token. */
  async tokenBalance(a: Address): Promise<bigint> {
    return this.client.readContract({ address: await this.token(), abi: ERC20_ABI, functionName: "balanceOf", args: [a] }) as Promise<bigint>;
  }

  /** Inference nodes that appear as outputs of tasks 1..taskCount (the contract keeps no node list). */
  async knownNodes(): Promise<Address[]> {
    const n = Number(await this.taskCount());
    const seen = new Set<string>();
    const out: Address[] = [];
    for (let i = 1; i <= n; i++) {
      const [nodes] = await this.read<readonly [readonly Address[], readonly Hex[]]>("getOutputs", [BigInt(i)]);
      for (const a of nodes) if (!seen.has(a.toLowerCase())) seen.add(a.toLowerCase()), out.push(a);
    }
    return out;
  }

  /** Calls `onSettled` for every TaskFinalized event from now on; returns the unwatch function. */
  watchSettlements(onSettled: (e: SettlementEvent) => void, pollingInterval = 1_000): () => void {
    return this.client.watchContractEvent({
      address: this.address,
      abi: this.abi,
      eventName: "TaskFinalized",
      pollingInterval,
      onLogs: (logs: unknown[]) => {
        for (const l of logs as unknown as { args: { taskId: bigint; hasConsensus: boolean; refund: bigint; slashed: bigint }; blockNumber: bigint; transactionHash: Hex }[])
          onSettled({ taskId: l.args.taskId, hasConsensus: l.args.hasConsensus, refund: l.args.refund, slashed: l.args.slashed, blockNumber: l.blockNumber, transactionHash: l.transactionHash });
      },
    } as never);
  }

  /** TaskFinalized events in a block range. */
  async settlements(fromBlock: bigint, toBlock?: bigint): Promise<SettlementEvent[]> {
    const logs = await this.client.getContractEvents({ address: this.address, abi: this.abi, eventName: "TaskFinalized", fromBlock, toBlock } as never);
    return (logs as unknown as { args: { taskId: bigint; hasConsensus: boolean; refund: bigint; slashed: bigint }; blockNumber: bigint; transactionHash: Hex }[]).map((l) => ({
      taskId: l.args.taskId,
      hasConsensus: l.args.hasConsensus,
      refund: l.args.refund,
      slashed: l.args.slashed,
      blockNumber: l.blockNumber,
      transactionHash: l.transactionHash,
    }));
  }
}

const ERC20_ABI = [
  { type: "function", name: "approve", stateMutability: "nonpayable", inputs: [{ name: "spender", type: "address" }, { name: "amount", type: "uint256" }], outputs: [{ type: "bool" }] },
  { type: "function", name: "transfer", stateMutability: "nonpayable", inputs: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }], outputs: [{ type: "bool" }] },
  { type: "function", name: "balanceOf", stateMutability: "view", inputs: [{ name: "a", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "mint", stateMutability: "nonpayable", inputs: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }], outputs: [] },
] as const satisfies Abi;

export interface TaskSpecInput {
  family: number;
  rule: number;
  k: number;
  commitDeadline: bigint;
  revealDeadline: bigint;
  nodeBudget: bigint;
  evalBudget: bigint;
  queryHash: Hex;
  profileHash: Hex;
  nodes: Address[];
  outputHashes: Hex[];
}

/** Transactions of one participant (requester, evaluator, node or anyone). */
export class PoqActions {
  /** Gas of `createTask` batches, learnt per task shape (see GasBook): later batches skip the estimate. */
  private readonly gas = new GasBook();
  constructor(readonly reader: PoqReader, readonly sender: TxSender) {}

  private w(functionName: string, args: readonly unknown[], hooks?: WriteHooks): Promise<TransactionReceipt> {
    return this.sender.write({ address: this.reader.address, abi: this.reader.abi, functionName, args }, hooks);
  }

  async approveToken(amount: bigint): Promise<void> {
    const token = await this.reader.token();
    await this.sender.write({ address: token, abi: ERC20_ABI, functionName: "approve", args: [this.reader.address, amount] });
  }
  async tokenTransfer(to: Address, amount: bigint): Promise<void> {
    await this.sender.write({ address: await this.reader.token(), abi: ERC20_ABI, functionName: "transfer", args: [to, amount] });
  }
  async tokenBalance(a: Address): Promise<bigint> {
    return this.reader.tokenBalance(a);
  }
  async registerEvaluator(stake: bigint, cost: bigint): Promise<void> {
    await this.approveToken(stake);
    await this.w("registerEvaluator", [stake, cost]);
  }
  async registerNode(payout: Address, modelId: Hex): Promise<void> {
    await this.w("registerNode", [payout, modelId]);
  }
  /** Approves the escrow and creates the task; returns its id. */
  async createTask(spec: TaskSpecInput, o: { approve?: boolean } = {}): Promise<bigint> {
    if (o.approve !== false) await this.approveToken(spec.nodeBudget + spec.evalBudget);
    const r = await this.w("createTask", [spec]);
    const ev = parseEventLogs({ abi: this.reader.abi, logs: r.logs, eventName: "TaskCreated" } as never) as unknown as { args: { taskId: bigint } }[];
    if (!ev[0]) throw new PoqError("E_TX", "createTask: no TaskCreated event in the receipt");
    return ev[0].args.taskId;
  }
  /**
   * Creates many tasks: one approval for all escrows, then up to `batch` creations a
   * transaction through the contract's multicall. Returns the task ids in input order. A
   * batch that would revert is retried one task at a time, so the error names the task that
   * cannot be created and the ones before it are created.
   */
  async createTasks(specs: readonly TaskSpecInput[], o: { batch?: number; approve?: boolean } = {}): Promise<bigint[]> {
    const batch = o.batch ?? 16;
    if (!Number.isInteger(batch) || batch < 1) throw new PoqError("E_INPUT", `batch must be an integer >= 1, got ${batch}`);
    if (specs.length === 0) return [];
    if (o.approve !== false) await this.approveToken(specs.reduce((a, x) => a + x.nodeBudget + x.evalBudget, 0n));
    const ids: bigint[] = [];
    for (let i = 0; i < specs.length; i += batch) {
      const chunk = specs.slice(i, i + batch);
      if (chunk.length === 1) {
        ids.push(await this.createTask(chunk[0]!, { approve: false }));
        continue;
      }
      const calls = chunk.map((spec) => encodeFunctionData({ abi: this.reader.abi, functionName: "createTask", args: [spec] } as never));
      // A creation's gas depends on the committee size and the number of outputs (and grows a
      // little with the evaluator pool: the 1.5x margin covers that, a miss is re-sent below).
      const keys = chunk.map((spec) => `createTask/${spec.k}x${spec.nodes.length}`);
      let r: TransactionReceipt;
      try {
        r = await this.w("multicall", [calls], { gas: this.gas.limitFor(keys) });
        this.gas.learn(keys, r.gasUsed);
      } catch (err) {
        if (!(err instanceof RevertError)) throw err;
        for (const spec of chunk) ids.push(await this.createTask(spec, { approve: false }));
        continue;
      }
      const ev = parseEventLogs({ abi: this.reader.abi, logs: r.logs, eventName: "TaskCreated" } as never) as unknown as { args: { taskId: bigint } }[];
      if (ev.length !== chunk.length) throw new PoqError("E_TX", `createTask batch: ${ev.length} TaskCreated events for ${chunk.length} tasks`);
      ids.push(...ev.map((e) => e.args.taskId));
    }
    return ids;
  }
  async finalize(taskId: bigint): Promise<Hex> {
    return (await this.w("finalize", [taskId])).transactionHash;
  }
  async claim(): Promise<Hex> {
    return (await this.w("claim", [])).transactionHash;
  }
  async claimNode(node: Address): Promise<Hex> {
    return (await this.w("claimNode", [node])).transactionHash;
  }
}

export { ERC20_ABI };
