import { commitmentHash } from "../contract/commitment.js";
import {
  hexToString,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type LocalAccount,
} from "viem";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";
import { withRetry, TxSender } from "./tx.js";
import type { NonceCoordinator } from "./nonce.js";
import type { TxConfig } from "../config/schema.js";
import type { PoqChainPort, TaskView } from "../worker/types.js";
import { RevertError } from "./errors.js";

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
  evalBudget: bigint;
  requester: Address;
  queryHash: Hex;
  profileHash: Hex;
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
}

/**
 * The worker's view of the ProofOfQuality contract through viem: reads are retried with
 * backoff, writes go through one TxSender per key (nonce coordination, fee bumps, decoded
 * custom errors).
 */
export class PoqChain implements PoqChainPort {
  readonly senders = new Map<string, TxSender>();
  readonly accounts: readonly Address[];
  private chainId?: number;
  private modelCache = new Map<string, string>();

  constructor(readonly o: PoqChainOptions) {
    for (const a of o.accounts) this.senders.set(a.address.toLowerCase(), new TxSender(o.client, a, o.nonces, o.tx, o.log));
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

  async tasksCreatedIn(from: bigint, to: bigint): Promise<bigint[]> {
    const logs = await withRetry(
      () => this.o.client.getContractEvents({ address: this.o.address, abi: this.o.abi, eventName: "CommitteeSampled", fromBlock: from, toBlock: to } as never),
      this.o.tx,
      "getLogs",
      this.o.log,
    );
    return (logs as unknown as { args: { taskId: bigint } }[]).map((l) => l.args.taskId);
  }

  async getTask(taskId: bigint): Promise<TaskView> {
    const [t, outs, comm] = await Promise.all([
      this.read<RawTaskView>("getTask", [taskId]),
      this.read<readonly [readonly Address[], readonly Hex[]]>("getOutputs", [taskId]),
      this.read<readonly [readonly Address[], readonly bigint[]]>("getCommittee", [taskId]),
    ]);
    return {
      taskId,
      family: Number(t.family),
      requester: t.requester,
      queryHash: t.queryHash,
      outputs: outs[0].map((node, j) => ({ node, outputHash: outs[1][j]! })),
      committee: [...comm[0]],
      commitDeadline: BigInt(t.commitDeadline),
      revealDeadline: BigInt(t.revealDeadline),
      profileHash: t.profileHash,
      rule: Number(t.rule),
      status: Number(t.status),
      commits: Number(t.commits),
      reveals: Number(t.reveals),
    };
  }

  async progress(taskId: bigint) {
    const t = await this.read<RawTaskView>("getTask", [taskId]);
    return { status: Number(t.status), commits: Number(t.commits), reveals: Number(t.reveals), k: Number(t.k) };
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

  async hasRevealed(taskId: bigint, ev: Address) {
    return (await this.member(taskId, ev))[2];
  }

  /** Computed locally (same encoding as the contract's commitmentFor view). */
  async commitmentOf(taskId: bigint, ev: Address, scores: readonly number[], salt: Hex): Promise<Hex> {
    this.chainId ??= await withRetry(() => this.o.client.getChainId(), this.o.tx, "chainId", this.o.log);
    return commitmentHash({ chainId: this.chainId, contract: this.o.address, taskId, evaluator: ev, scores, salt });
  }

  async commit(ev: Address, taskId: bigint, commitment: Hex, onSent: (hash: Hex) => Promise<void>): Promise<Hex> {
    const r = await this.sender(ev).write({ address: this.o.address, abi: this.o.abi, functionName: "commit", args: [taskId, commitment] }, { onSent: (h) => onSent(h) });
    return r.transactionHash;
  }

  async reveal(ev: Address, taskId: bigint, scores: readonly number[], salt: Hex): Promise<Hex> {
    const r = await this.sender(ev).write({ address: this.o.address, abi: this.o.abi, functionName: "reveal", args: [taskId, [...scores], salt] });
    return r.transactionHash;
  }

  async finalize(from: Address, taskId: bigint): Promise<Hex> {
    const r = await this.sender(from).write({ address: this.o.address, abi: this.o.abi, functionName: "finalize", args: [taskId] });
    return r.transactionHash;
  }

  blockNumber(): Promise<bigint> {
    return withRetry(() => this.o.client.getBlockNumber({ cacheTime: 0 }), this.o.tx, "blockNumber", this.o.log);
  }

  async now(): Promise<bigint> {
    const b = await withRetry(() => this.o.client.getBlock({ blockTag: "latest" }), this.o.tx, "getBlock", this.o.log);
    return b.timestamp;
  }
}

export { RevertError };
