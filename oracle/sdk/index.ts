import { parseEventLogs, zeroAddress, type Abi, type Address, type Hex, type PublicClient, type TransactionReceipt } from "viem";
import { poqAbi } from "../chain/contract.js";
import { evaluatorRegistryAbi, profileRegistryAbi } from "../contract/abi.js";
import type { GovernanceParams, StakingParams } from "../rules/constants.js";
import { modelIdToString } from "../chain/poq.js";
import { TxSender, type WriteHooks } from "../chain/tx.js";
import { withRetry } from "../chain/tx.js";
import { PoqError } from "../core/errors.js";
import { contentFromLogs } from "../contract/content.js";
import { GasBook } from "../chain/gas-book.js";
import { RevertError } from "../chain/errors.js";
import { createPayoutReader, type PayoutSource } from "../../sdk/src/index.js";

/**
 * A small typed SDK for dApps and requesters: read tasks, committees, consensus, payouts,
 * refunds and trust (the EvaluatorRegistry's), watch settlement events (reads need only a viem
 * PublicClient), and send the requester's and participants' transactions through a TxSender.
 */
/**
 * The installable package (sdk/, published as `@poq/sdk`): ABIs, enums with their numeric
 * values, and the payout readers (event logs or the indexer), re-exported for the CLI and
 * scripts. PoqReader.payoutReader() binds one to this reader's chain and contract.
 */
export {
  Family,
  Rule,
  TaskStatus,
  familyName,
  ruleName,
  taskStatusName,
  LogReader,
  IndexerReader,
  createPayoutReader,
  payoutsToJson,
  trustHistoryToJson,
  parsePayouts,
  parseTrustHistory,
  PoqSdkError,
  type PayoutSource,
  type Payouts,
  type TrustHistory,
  type TaskSettlement,
} from "../../sdk/src/index.js";
/** TaskStatus names, in enum order (contracts/ProofOfQuality.sol). */
export const STATUS = ["none", "pending", "open", "finalized", "cancelled"] as const;
export type StatusName = (typeof STATUS)[number];
export const FAMILIES = ["qa", "summarization", "open"] as const;
export const RULES = ["MEAN", "MEDIAN", "TRIMMED_MEAN", "TRUST_WEIGHTED_MEAN", "TRUST_WEIGHTED_MEDIAN"] as const;
export type RuleName = (typeof RULES)[number];

export interface TaskInfo {
  taskId: bigint;
  /** pending: committee not drawn yet; open; finalized; cancelled: no committee could be drawn (escrow refunded). */
  status: StatusName;
  family: (typeof FAMILIES)[number];
  rule: RuleName;
  k: number;
  m: number;
  commits: number;
  reveals: number;
  /** Set at the draw (0 while pending or cancelled). */
  commitDeadline: bigint;
  revealDeadline: bigint;
  /** Seconds from the draw to the commit deadline, and from it to the reveal deadline. */
  commitWindow: number;
  revealWindow: number;
  nodeBudget: bigint;
  /** Fee per committee member (the spec's evalBudget / k). */
  fee: bigint;
  /** fee x k: what the committee's escrow holds. */
  evalBudget: bigint;
  requester: Address;
  /** Where refunds are credited. */
  refundTo: Address;
  /** Block whose hash seeds the draw. */
  seedBlock: bigint;
  /** From the task's TaskCreated event, checked against `contentHash`. */
  queryHash: Hex;
  /** keccak256(queryHash, outputHashes): what the contract keeps of them (contentHashOf). */
  contentHash: Hex;
  profileHash: Hex;
  outputs: { node: Address; outputHash: Hex }[];
  /** Members in draw order (empty until drawn). */
  committee: Address[];
  /** Per-output consensus in basis points (empty until finalized with consensus). */
  consensus: number[];
}

/**
 * A task as the contract keeps it (`PoqReader.getTaskState`): TaskInfo without the query and
 * output hashes, which only the task's TaskCreated event holds; `nodes` is each output's node.
 */
export type TaskState = Omit<TaskInfo, "queryHash" | "outputs"> & { nodes: Address[] };

/** An evaluator as the EvaluatorRegistry holds it, with its ProofOfQuality balances. */
export interface EvaluatorInfo {
  address: Address;
  registered: boolean;
  /** Declared active stake, and the stake sampling counts now (changes count after the activation delay). */
  stake: bigint;
  effectiveStake: bigint;
  /** Requested for withdrawal (still slashable) and when it becomes withdrawable (s, 0: none). */
  unbonding: bigint;
  unbondAt: bigint;
  /** Trust in basis points (10000 = 1.0). */
  trust: number;
  /** Declared cost per evaluation, and the cost sampling counts now. */
  cost: bigint;
  effectiveCost: bigint;
  /** Profile hashes declared served, and those sampling counts now. */
  profiles: Hex[];
  effectiveProfiles: Hex[];
  /** When the declared stake, cost and profiles become effective (s, 0: nothing pending). */
  pendingAt: bigint;
  /** Its stake is locked until this time (last committee's reveal deadline + grace). */
  lockedUntil: bigint;
  tasksAssigned: number;
  tasksMissed: number;
  /** Claimable now on ProofOfQuality (fees, slash shares, refunds). */
  rewards: bigint;
  /** Fees and slash shares ever credited. */
  lifetimeEarned: bigint;
  /** Refunds ever credited. */
  refunded: bigint;
}

export interface NodeInfo {
  address: Address;
  payout: Address;
  model: string;
  pending: bigint;
  lifetime: bigint;
}

/** An account's balances on ProofOfQuality. */
export interface AccountPayouts {
  address: Address;
  claimable: bigint;
  earned: bigint;
  refunded: bigint;
}

export interface SettlementEvent {
  taskId: bigint;
  hasConsensus: boolean;
  refund: bigint;
  slashed: bigint;
  burned: bigint;
  blockNumber: bigint;
  transactionHash: Hex;
}

/** A registered scoring profile. */
export interface ProfileInfo {
  hash: Hex;
  id: number;
  active: boolean;
  uri: string;
}

/** What one drawCommittee did. */
export interface DrawResult {
  taskId: bigint;
  /** open: committee drawn; cancelled: too few eligible evaluators (escrow refunded); pending: seed re-armed, draw again next block. */
  status: StatusName;
  members: Address[];
  fee: bigint;
  commitDeadline: bigint;
  revealDeadline: bigint;
  /** Escrow refunded to refundTo when cancelled. */
  refund: bigint;
  /** Transaction of this caller's draw (undefined when another account drew first). */
  tx?: Hex;
}

type RawEvaluator = {
  stake: bigint; effStake: bigint; trust: number; pendingAt: number; cost: bigint; effCost: bigint; profiles: number; effProfiles: number;
  unbonding: bigint; unbondAt: number; lockedUntil: number; tasksAssigned: number; tasksMissed: number; registered: boolean;
};

export class PoqReader {
  readonly abi: Abi;
  private registryAddress?: Promise<Address>;
  private profilesAddress?: Promise<Address>;
  private profileList?: { count: number; hashes: Hex[] };
  /**
   * @param fromBlock where event queries start (the deployment block; default 0): what
   *        evaluators earned is summed from EvaluatorSettled events
   */
  constructor(readonly client: PublicClient, readonly address: Address, abi?: Abi, readonly fromBlock = 0n) {
    this.abi = abi ?? poqAbi();
  }

  private call<T>(address: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<T> {
    return withRetry(
      () => this.client.readContract({ address, abi, functionName, args } as never) as Promise<T>,
      { maxRetries: 3, backoffMs: 200 },
      `read ${functionName}`,
    );
  }

  /**
   * Per-output and per-evaluator pay, refunds, claims and trust history of this chain and
   * contract: from the indexer's JSON routes when `indexerUrl` is given, from logs (since
   * `fromBlock`) otherwise; both give the same results (docs/sdk.md).
   */
  payoutReader(indexerUrl?: string): PayoutSource {
    return createPayoutReader({ client: this.client, proofOfQuality: this.address, fromBlock: this.fromBlock, indexerUrl });
  }

  /** A ProofOfQuality view. */
  read<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.call<T>(this.address, this.abi, functionName, args);
  }

  /** The EvaluatorRegistry bound to this ProofOfQuality. */
  registry(): Promise<Address> {
    this.registryAddress ??= this.read<Address>("registry");
    return this.registryAddress;
  }

  /** The ProfileRegistry this ProofOfQuality reads. */
  profileRegistry(): Promise<Address> {
    this.profilesAddress ??= this.read<Address>("profiles");
    return this.profilesAddress;
  }

  /** An EvaluatorRegistry view. */
  async readRegistry<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.call<T>(await this.registry(), evaluatorRegistryAbi as Abi, functionName, args);
  }

  /** A ProfileRegistry view. */
  async readProfiles<T>(functionName: string, args: readonly unknown[] = []): Promise<T> {
    return this.call<T>(await this.profileRegistry(), profileRegistryAbi as Abi, functionName, args);
  }

  async taskCount(): Promise<bigint> {
    return this.read<bigint>("taskCount");
  }

  /** ProofOfQuality's governance parameters: what a task may choose and pays, and its settlement rules. */
  async governanceParams(): Promise<GovernanceParams> {
    return this.read<GovernanceParams>("params");
  }

  /** The EvaluatorRegistry's staking parameters (minimum stake, activation delay, trust period...). */
  async stakingParams(): Promise<StakingParams> {
    const p = await this.readRegistry<StakingParams>("params");
    return { ...p, unbondingDelay: Number(p.unbondingDelay), activationDelay: Number(p.activationDelay), initialTrust: Number(p.initialTrust), trustGainPerPeriod: Number(p.trustGainPerPeriod), trustPeriod: Number(p.trustPeriod) };
  }

  /** Protocol fee a task with these budgets pays on top of its escrow. */
  async protocolFeeFor(nodeBudget: bigint, evalBudget: bigint): Promise<bigint> {
    return this.read<bigint>("protocolFeeFor", [nodeBudget, evalBudget]);
  }

  /**
   * A task with its query and output hashes: the contract keeps only their content hash, so they
   * are read from the task's TaskCreated event (one log query on its creation block) and checked
   * against it (E_TASK_CONTENT). getTaskState reads the rest without the log.
   */
  async getTask(taskId: bigint): Promise<TaskInfo> {
    const { nodes, ...state } = await this.getTaskState(taskId);
    const content = contentFromLogs(
      taskId,
      (await this.client.getContractEvents({ address: this.address, abi: this.abi, eventName: "TaskCreated", args: { taskId }, fromBlock: state.seedBlock, toBlock: state.seedBlock } as never)) as never,
      state.contentHash,
    );
    return { ...state, queryHash: content.queryHash, outputs: nodes.map((node, j) => ({ node, outputHash: content.outputHashes[j]! })) };
  }

  /** A task as the contract keeps it (views only: no log query). */
  async getTaskState(taskId: bigint): Promise<TaskState> {
    const [t, nodes, comm, cons] = await Promise.all([
      this.read<Record<string, never>>("getTask", [taskId]),
      this.read<readonly Address[]>("getOutputs", [taskId]),
      this.read<readonly [readonly Address[], bigint]>("getCommittee", [taskId]),
      this.read<readonly [boolean, readonly number[]]>("getConsensus", [taskId]),
    ]);
    const v = t as unknown as {
      status: number; rule: number; family: number; k: number; m: number; commits: number; reveals: number;
      commitDeadline: number | bigint; revealDeadline: number | bigint; nodeBudget: bigint; fee: bigint; commitWindow: number; revealWindow: number;
      requester: Address; refundTo: Address; seedBlock: bigint; contentHash: Hex; profileHash: Hex;
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
      commitWindow: Number(v.commitWindow),
      revealWindow: Number(v.revealWindow),
      nodeBudget: v.nodeBudget,
      fee: BigInt(v.fee),
      evalBudget: BigInt(v.fee) * BigInt(v.k),
      requester: v.requester,
      refundTo: v.refundTo,
      seedBlock: BigInt(v.seedBlock),
      contentHash: v.contentHash,
      profileHash: v.profileHash,
      nodes: [...nodes],
      committee: [...comm[0]],
      consensus: cons[0] ? cons[1].map(Number) : [],
    };
  }

  /** One evaluator's revealed scores in a task (empty until revealed). */
  async getMember(taskId: bigint, evaluator: Address): Promise<{ isMember: boolean; committed: boolean; revealed: boolean; scores: number[] }> {
    const r = await this.read<readonly [boolean, boolean, boolean, Hex, readonly number[]]>("getMember", [taskId, evaluator]);
    return { isMember: r[0], committed: r[1], revealed: r[2], scores: r[4].map(Number) };
  }

  /** Every registered profile (ids in registration order). */
  async profiles(): Promise<ProfileInfo[]> {
    const hashes = await this.profileHashes();
    const recs = await Promise.all(hashes.map((h) => this.readProfiles<{ registered: boolean; active: boolean; id: number; uri: string }>("getProfile", [h])));
    return hashes.map((hash, i) => ({ hash, id: Number(recs[i]!.id), active: recs[i]!.active, uri: recs[i]!.uri }));
  }

  /** A profile's record; undefined when not registered. */
  async getProfile(hash: Hex): Promise<ProfileInfo | undefined> {
    const r = await this.readProfiles<{ registered: boolean; active: boolean; id: number; uri: string }>("getProfile", [hash]);
    return r.registered ? { hash, id: Number(r.id), active: r.active, uri: r.uri } : undefined;
  }

  /** Registered profile hashes by id (cached; refreshed when the registry grew). */
  private async profileHashes(): Promise<Hex[]> {
    const count = Number(await this.readProfiles<bigint>("profileCount"));
    if (this.profileList?.count !== count) {
      const hashes = await Promise.all(Array.from({ length: count }, (_, i) => this.readProfiles<Hex>("hashes", [BigInt(i)])));
      this.profileList = { count, hashes };
    }
    return this.profileList.hashes;
  }

  /** The profile hashes of a serve mask (bit i: profile id i). */
  async profilesOfMask(mask: number | bigint): Promise<Hex[]> {
    const m = BigInt(mask);
    if (m === 0n) return [];
    const hashes = await this.profileHashes();
    return hashes.filter((_, i) => ((m >> BigInt(i)) & 1n) === 1n);
  }

  /**
   * Fees and slash shares credited to evaluators (all, or one), summed from the
   * EvaluatorSettled events since `fromBlock` (the contract keeps no such total).
   */
  async earnings(evaluator?: Address): Promise<Map<string, bigint>> {
    const logs = (await withRetry(
      () => this.client.getContractEvents({ address: this.address, abi: this.abi, eventName: "EvaluatorSettled", args: evaluator ? { evaluator } : undefined, fromBlock: this.fromBlock } as never),
      { maxRetries: 3, backoffMs: 200 },
      "getLogs EvaluatorSettled",
    )) as unknown as { args: { evaluator: Address; pay: bigint; slashShare: bigint } }[];
    const out = new Map<string, bigint>();
    for (const l of logs) {
      const k = l.args.evaluator.toLowerCase();
      out.set(k, (out.get(k) ?? 0n) + l.args.pay + l.args.slashShare);
    }
    return out;
  }

  async getEvaluator(address: Address, earned?: bigint): Promise<EvaluatorInfo> {
    const [e, eff, claimable, refunded, lifetime] = await Promise.all([
      this.readRegistry<RawEvaluator>("getEvaluator", [address]),
      this.readRegistry<readonly [bigint, bigint, bigint]>("effectiveOf", [address]),
      this.read<bigint>("claimableOf", [address]),
      this.read<bigint>("refundedOf", [address]),
      earned !== undefined ? earned : this.earnings(address).then((m) => m.get(address.toLowerCase()) ?? 0n),
    ]);
    if (e.trust === undefined) throw new PoqError("E_ABI", "getEvaluator: the registry's Evaluator has no trust field (ABI out of date?)");
    const [profiles, effectiveProfiles] = await Promise.all([this.profilesOfMask(e.profiles), this.profilesOfMask(eff[2])]);
    return {
      address,
      registered: Boolean(e.registered),
      stake: BigInt(e.stake),
      effectiveStake: eff[0],
      unbonding: BigInt(e.unbonding),
      unbondAt: BigInt(e.unbondAt),
      trust: Number(e.trust),
      cost: BigInt(e.cost),
      effectiveCost: eff[1],
      profiles,
      effectiveProfiles,
      pendingAt: BigInt(e.pendingAt),
      lockedUntil: BigInt(e.lockedUntil),
      tasksAssigned: Number(e.tasksAssigned),
      tasksMissed: Number(e.tasksMissed),
      rewards: claimable,
      lifetimeEarned: lifetime,
      refunded,
    };
  }

  /** Registered evaluators in registry (sampling) order. */
  async getEvaluators(): Promise<EvaluatorInfo[]> {
    const [list, earned] = await Promise.all([this.readRegistry<readonly Address[]>("getEvaluators"), this.earnings()]);
    return Promise.all(list.map((a) => this.getEvaluator(a, earned.get(a.toLowerCase()) ?? 0n)));
  }

  async getNode(address: Address): Promise<NodeInfo> {
    const n = await this.read<{ pending: bigint; lifetime: bigint; payout: Address; modelId: Hex }>("getNode", [address]);
    return { address, payout: n.payout, model: modelIdToString(n.modelId), pending: BigInt(n.pending), lifetime: BigInt(n.lifetime) };
  }

  /** What `claim` would pay `address` now: evaluator fees, slash shares and refunds. */
  async claimableOf(address: Address): Promise<bigint> {
    return this.read<bigint>("claimableOf", [address]);
  }

  /** Refunds ever credited to `address` (requester or refundTo). */
  async refundedOf(address: Address): Promise<bigint> {
    return this.read<bigint>("refundedOf", [address]);
  }

  /** Claimable, earned (evaluator fees + slash shares; `earned` from earnings() saves a log query) and refunded of one account. */
  async payoutsOf(address: Address, earned?: bigint): Promise<AccountPayouts> {
    const [claimable, refunded, e] = await Promise.all([
      this.claimableOf(address),
      this.refundedOf(address),
      earned !== undefined ? earned : this.earnings(address).then((m) => m.get(address.toLowerCase()) ?? 0n),
    ]);
    return { address, claimable, earned: e, refunded };
  }

  /** ProofOfQuality's internal accounts: open escrows, claimable, treasury, burned (their sum is its token balance). */
  async totals(): Promise<{ escrowed: bigint; claimable: bigint; treasury: bigint; burned: bigint }> {
    const [escrowed, claimable, treasury, burned] = await this.read<readonly [bigint, bigint, bigint, bigint]>("totals");
    return { escrowed, claimable, treasury, burned };
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
    return (await this.participants()).nodes;
  }

  /**
   * Inference nodes and requesters / refund recipients of tasks 1..taskCount (the contract
   * keeps no list of either), each once, in order of first appearance.
   */
  async participants(): Promise<{ nodes: Address[]; refundees: Address[] }> {
    const n = Number(await this.taskCount());
    const seen = new Set<string>();
    const nodes: Address[] = [];
    const refundees: Address[] = [];
    const add = (list: Address[], a: Address) => {
      const key = `${list === nodes ? "n" : "r"}${a.toLowerCase()}`;
      if (!seen.has(key)) seen.add(key), list.push(a);
    };
    for (let i = 1; i <= n; i++) {
      const [outs, t] = await Promise.all([
        this.read<readonly Address[]>("getOutputs", [BigInt(i)]),
        this.read<{ refundTo: Address }>("getTask", [BigInt(i)]),
      ]);
      for (const a of outs) add(nodes, a);
      add(refundees, t.refundTo);
    }
    return { nodes, refundees };
  }

  /** Calls `onSettled` for every TaskFinalized event from now on; returns the unwatch function. */
  watchSettlements(onSettled: (e: SettlementEvent) => void, pollingInterval = 1_000): () => void {
    return this.client.watchContractEvent({
      address: this.address,
      abi: this.abi,
      eventName: "TaskFinalized",
      pollingInterval,
      onLogs: (logs: unknown[]) => {
        for (const l of logs as unknown as RawSettled[]) onSettled(settledOf(l));
      },
    } as never);
  }

  /** TaskFinalized events in a block range. */
  async settlements(fromBlock: bigint, toBlock?: bigint): Promise<SettlementEvent[]> {
    const logs = await this.client.getContractEvents({ address: this.address, abi: this.abi, eventName: "TaskFinalized", fromBlock, toBlock } as never);
    return (logs as unknown as RawSettled[]).map(settledOf);
  }
}

type RawSettled = { args: { taskId: bigint; hasConsensus: boolean; refund: bigint; slashed: bigint; burned: bigint }; blockNumber: bigint; transactionHash: Hex };
const settledOf = (l: RawSettled): SettlementEvent => ({
  taskId: l.args.taskId,
  hasConsensus: l.args.hasConsensus,
  refund: l.args.refund,
  slashed: l.args.slashed,
  burned: l.args.burned,
  blockNumber: l.blockNumber,
  transactionHash: l.transactionHash,
});

const ERC20_ABI = [
  { type: "function", name: "approve", stateMutability: "nonpayable", inputs: [{ name: "spender", type: "address" }, { name: "amount", type: "uint256" }], outputs: [{ type: "bool" }] },
  { type: "function", name: "transfer", stateMutability: "nonpayable", inputs: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }], outputs: [{ type: "bool" }] },
  { type: "function", name: "balanceOf", stateMutability: "view", inputs: [{ name: "a", type: "address" }], outputs: [{ type: "uint256" }] },
  { type: "function", name: "mint", stateMutability: "nonpayable", inputs: [{ name: "to", type: "address" }, { name: "amount", type: "uint256" }], outputs: [] },
] as const satisfies Abi;

/** ProofOfQuality's TaskSpec: what `createTask` takes. */
export interface TaskSpecInput {
  family: number;
  rule: number;
  k: number;
  /** Seconds from the committee draw to the commit deadline, and from it to the reveal deadline. */
  commitWindow: number;
  revealWindow: number;
  nodeBudget: bigint;
  /** Committee budget: the fee per member is evalBudget / k. */
  evalBudget: bigint;
  queryHash: Hex;
  profileHash: Hex;
  /** Where refunds are credited (zero address: the requester). */
  refundTo: Address;
  nodes: Address[];
  outputHashes: Hex[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** EIP-170's code size limit: one `createTasks` blob holds at most this many bytes. */
const MAX_BLOB_BYTES = 24_576;

/**
 * `specs` cut into runs of at most `batch` whose records fit one blob (1 + the sum of 72 + 20 m
 * bytes, TaskBlob): what one `createTasks` can take.
 */
export function blobChunks<T extends { nodes: readonly unknown[] }>(specs: readonly T[], batch: number): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let size = 1;
  for (const spec of specs) {
    const bytes = 72 + 20 * spec.nodes.length;
    if (cur.length > 0 && (cur.length === batch || size + bytes > MAX_BLOB_BYTES)) {
      out.push(cur);
      cur = [];
      size = 1;
    }
    cur.push(spec);
    size += bytes;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Transactions of one participant (requester, evaluator, node or anyone). */
export class PoqActions {
  /** Gas of `createTask` batches, learnt per task shape (see GasBook): later batches skip the estimate. */
  private readonly gas = new GasBook();
  constructor(readonly reader: PoqReader, readonly sender: TxSender) {}

  private w(functionName: string, args: readonly unknown[], hooks?: WriteHooks): Promise<TransactionReceipt> {
    return this.sender.write({ address: this.reader.address, abi: this.reader.abi, functionName, args }, hooks);
  }

  private async wRegistry(functionName: string, args: readonly unknown[]): Promise<TransactionReceipt> {
    return this.sender.write({ address: await this.reader.registry(), abi: evaluatorRegistryAbi as Abi, functionName, args });
  }

  /** Approves `spender` (default: ProofOfQuality) to pull `amount` of the token. */
  async approveToken(amount: bigint, spender?: Address): Promise<void> {
    const token = await this.reader.token();
    await this.sender.write({ address: token, abi: ERC20_ABI, functionName: "approve", args: [spender ?? this.reader.address, amount] });
  }
  async tokenTransfer(to: Address, amount: bigint): Promise<void> {
    await this.sender.write({ address: await this.reader.token(), abi: ERC20_ABI, functionName: "transfer", args: [to, amount] });
  }
  async tokenBalance(a: Address): Promise<bigint> {
    return this.reader.tokenBalance(a);
  }
  /**
   * Registers in the EvaluatorRegistry: bonds `stake` (approved first), declares `cost` per
   * evaluation and the registered `profiles` served (reverts UnknownProfile for one that is
   * not registered). Sampling counts it after the registry's activation delay.
   */
  async registerEvaluator(stake: bigint, cost: bigint, profiles: readonly Hex[]): Promise<void> {
    await this.approveToken(stake, await this.reader.registry());
    await this.wRegistry("register", [stake, cost, [...profiles]]);
  }
  /** Declares the profiles served (effective after the activation delay). */
  async setProfiles(profiles: readonly Hex[]): Promise<void> {
    await this.wRegistry("setProfiles", [[...profiles]]);
  }
  async registerNode(payout: Address, modelId: Hex): Promise<void> {
    await this.w("registerNode", [payout, modelId]);
  }
  /** What creating `spec` takes from the requester: node budget + fee x k escrowed, plus the protocol fee. */
  async costOf(spec: TaskSpecInput): Promise<bigint> {
    const evalEscrow = (spec.evalBudget / BigInt(spec.k)) * BigInt(spec.k);
    return spec.nodeBudget + evalEscrow + (await this.reader.protocolFeeFor(spec.nodeBudget, evalEscrow));
  }
  /** Approves the escrow and protocol fee and creates the task (PENDING until drawn); returns its id. */
  async createTask(spec: TaskSpecInput, o: { approve?: boolean } = {}): Promise<bigint> {
    if (o.approve !== false) await this.approveToken(await this.costOf(spec));
    const r = await this.w("createTask", [spec]);
    const ev = parseEventLogs({ abi: this.reader.abi, logs: r.logs, eventName: "TaskCreated" } as never) as unknown as { args: { taskId: bigint } }[];
    if (!ev[0]) throw new PoqError("E_TX", "createTask: no TaskCreated event in the receipt");
    return ev[0].args.taskId;
  }
  /**
   * Creates many tasks: one approval for all escrows and fees, then up to `batch` creations a
   * transaction through the contract's `createTasks` (one token pull and one blob for the
   * batch: about 38,000 gas less per task than single creations in a multicall at 16 tasks; a chunk is
   * also cut where its records would pass the blob's 24,576 bytes). Returns the task ids in
   * input order. A batch that would revert is retried one task at a time, so the error names
   * the task that cannot be created and the ones before it are created.
   */
  async createTasks(specs: readonly TaskSpecInput[], o: { batch?: number; approve?: boolean } = {}): Promise<bigint[]> {
    const batch = o.batch ?? 16;
    if (!Number.isInteger(batch) || batch < 1) throw new PoqError("E_INPUT", `batch must be an integer >= 1, got ${batch}`);
    if (specs.length === 0) return [];
    if (o.approve !== false) await this.approveToken((await Promise.all(specs.map((spec) => this.costOf(spec)))).reduce((a, x) => a + x, 0n));
    const ids: bigint[] = [];
    for (const chunk of blobChunks(specs, batch)) {
      if (chunk.length === 1) {
        ids.push(await this.createTask(chunk[0]!, { approve: false }));
        continue;
      }
      // A creation's gas depends on the committee size and the number of outputs (the 1.5x
      // margin covers the rest; a miss is re-sent below).
      const keys = chunk.map((spec) => `createTasks/${spec.k}x${spec.nodes.length}`);
      let r: TransactionReceipt;
      try {
        r = await this.w("createTasks", [chunk], { gas: this.gas.limitFor(keys) });
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

  /** What a draw left on chain (read back, e.g. when another account drew first). */
  private async drawState(taskId: bigint, tx?: Hex): Promise<DrawResult> {
    const t = await this.reader.getTaskState(taskId);
    return { taskId, status: t.status, members: t.committee, fee: t.fee, commitDeadline: t.commitDeadline, revealDeadline: t.revealDeadline, refund: t.status === "cancelled" ? t.nodeBudget + t.evalBudget : 0n, tx };
  }

  /**
   * Draws a pending task's committee (anyone may, in a block after the one that created it).
   * Another account drawing first (NotPending) is not an error: the result is read back.
   */
  async drawCommittee(taskId: bigint): Promise<DrawResult> {
    try {
      const r = await this.w("drawCommittee", [taskId]);
      return this.drawState(taskId, r.transactionHash);
    } catch (err) {
      if (err instanceof RevertError && err.errorName === "NotPending") return this.drawState(taskId);
      throw err;
    }
  }

  /**
   * Draws the committees of freshly created tasks: waits (up to `timeoutMs`) for a block after
   * each task's seed block where the node needs one (a node that estimates in the pending block,
   * like Hardhat's, lets the draw go at once: it is mined in the next block), and draws again a
   * task whose seed was re-armed. Up to `batch` draws a transaction (the contract's
   * `drawCommittees`: one blob for the batch's committees, about 35,000 gas less per task than
   * single draws in a multicall; it skips a task somebody else drew first); a batch that would
   * revert is sent one draw at a time. Results in input order.
   */
  async drawCommittees(taskIds: readonly bigint[], o: { batch?: number; timeoutMs?: number; pollMs?: number } = {}): Promise<DrawResult[]> {
    const batch = o.batch ?? 16;
    const end = Date.now() + (o.timeoutMs ?? 120_000);
    const out = new Map<bigint, DrawResult>();
    let todo = [...taskIds];
    while (todo.length > 0) {
      const again: bigint[] = [];
      for (let i = 0; i < todo.length; i += batch) {
        const chunk = todo.slice(i, i + batch);
        let results: DrawResult[] | undefined;
        if (chunk.length > 1) {
          try {
            const r = await this.w("drawCommittees", [chunk]);
            results = await Promise.all(chunk.map((id) => this.drawState(id, r.transactionHash)));
          } catch (err) {
            if (!(err instanceof RevertError)) throw err;
          }
        }
        if (!results) {
          results = [];
          for (const id of chunk) {
            try {
              results.push(await this.drawCommittee(id));
            } catch (err) {
              if (!(err instanceof RevertError && err.errorName === "DrawTooEarly")) throw err;
              results.push(await this.drawState(id));
            }
          }
        }
        for (const r of results) {
          if (r.status === "pending") again.push(r.taskId);
          else out.set(r.taskId, r);
        }
      }
      todo = again;
      if (todo.length === 0) break;
      if (Date.now() > end) throw new PoqError("E_DRAW_TIMEOUT", `tasks ${todo.join(", ")} still pending: no block after their seed block came in time`);
      // Wait for a block after the latest seed block.
      const seeds = await Promise.all(todo.map(async (id) => (await this.reader.getTaskState(id)).seedBlock));
      const need = seeds.reduce((a, b) => (b > a ? b : a), 0n);
      while ((await this.reader.client.getBlockNumber({ cacheTime: 0 })) <= need) {
        if (Date.now() > end) throw new PoqError("E_DRAW_TIMEOUT", `tasks ${todo.join(", ")} still pending: no block after ${need} came in time`);
        await sleep(o.pollMs ?? 500);
      }
    }
    return taskIds.map((id) => out.get(id)!);
  }

  async finalize(taskId: bigint): Promise<Hex> {
    return (await this.w("finalize", [taskId])).transactionHash;
  }
  /** Pays the signer's claimable balance (fees, slash shares, refunds) to `to` (default: the signer). */
  async claim(to?: Address): Promise<Hex> {
    return (await this.w("claim", [to ?? this.sender.address])).transactionHash;
  }
  async claimNode(node: Address): Promise<Hex> {
    return (await this.w("claimNode", [node])).transactionHash;
  }
}

/** The zero address: a TaskSpec's refundTo meaning "the requester". */
export const REFUND_TO_REQUESTER: Address = zeroAddress;

export { ERC20_ABI };
