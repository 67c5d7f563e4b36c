/**
 * Payouts, refunds, claims and trust history rebuilt from the settlement contracts' events
 * (docs/contract.md, "Events"): no indexer needed, one `eth_getLogs` per event kind (or per
 * `blockRange` blocks). For a long history, point the SDK at the indexer instead (indexer.ts).
 */
import { zeroAddress, type Address, type Hex, type PublicClient } from "viem";
import { evaluatorRegistryAbi, proofOfQualityAbi } from "./abi.js";
import { checkAddress } from "./address.js";
import { PoqSdkError } from "./errors.js";
import type { EvaluatorTaskPay, PayoutSource, Payouts, TaskMemberPay, TaskSettlement, TrustHistory, TrustPoint } from "./types.js";

/** The client calls the log reader makes (any viem PublicClient has them). */
export type ReaderClient = Pick<PublicClient, "getContractEvents" | "getBlockNumber" | "getBlock" | "readContract">;

export interface LogReaderOptions {
  client: ReaderClient;
  /** ProofOfQuality's address (deployments/<chainId>.json: proofOfQuality). */
  proofOfQuality: Address;
  /** EvaluatorRegistry's address (default: read from ProofOfQuality.registry()). */
  registry?: Address;
  /** First block to read events from (deployments/<chainId>.json: blockNumber; default 0). */
  fromBlock?: bigint;
  /** Most blocks one eth_getLogs may span (for RPC providers that cap it; default: no cap). */
  blockRange?: bigint;
}

/** A decoded event: its arguments and where it sits in the chain. */
interface Ev<A> {
  args: A;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
}

type PoqEvent = "TaskCreated" | "TaskCancelled" | "TaskFinalized" | "OutputSettled" | "EvaluatorSettled" | "Claimed";

interface SettledArgs { taskId: bigint; evaluator: Address; revealed: boolean; deviation: bigint; newTrust: bigint; pay: bigint; slashed: bigint; slashShare: bigint }
interface OutputArgs { taskId: bigint; output: bigint; node: Address; consensus: bigint; pay: bigint }
interface CreatedArgs { taskId: bigint; requester: Address; spec: { refundTo: Address } }
interface FinalizedArgs { taskId: bigint; hasConsensus: boolean; refund: bigint; slashed: bigint; burned: bigint }
interface CancelledArgs { taskId: bigint; refund: bigint }
interface ClaimedArgs { account: Address; to: Address; amount: bigint }

const byChainOrder = (a: Ev<unknown>, b: Ev<unknown>) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1);
const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

export class LogReader implements PayoutSource {
  private readonly client: ReaderClient;
  readonly proofOfQuality: Address;
  readonly fromBlock: bigint;
  private readonly blockRange?: bigint;
  private registryAddress?: Promise<Address>;
  private readonly timestamps = new Map<bigint, Promise<bigint>>();

  constructor(o: LogReaderOptions) {
    this.client = o.client;
    this.proofOfQuality = checkAddress(o.proofOfQuality, "proofOfQuality");
    if (o.registry) this.registryAddress = Promise.resolve(checkAddress(o.registry, "registry"));
    this.fromBlock = o.fromBlock ?? 0n;
    if (this.fromBlock < 0n) throw new PoqSdkError("E_INPUT", `fromBlock must be >= 0, got ${this.fromBlock}`, { field: "fromBlock" });
    if (o.blockRange !== undefined && o.blockRange < 1n) throw new PoqSdkError("E_INPUT", `blockRange must be >= 1, got ${o.blockRange}`, { field: "blockRange" });
    this.blockRange = o.blockRange;
  }

  /** The EvaluatorRegistry bound to ProofOfQuality. */
  registry(): Promise<Address> {
    this.registryAddress ??= this.client.readContract({ address: this.proofOfQuality, abi: proofOfQualityAbi, functionName: "registry" }) as Promise<Address>;
    return this.registryAddress;
  }

  /** Decoded events of one kind, in chain order, from `fromBlock` to `toBlock`. */
  private async events<A>(address: Address, abi: typeof proofOfQualityAbi | typeof evaluatorRegistryAbi, eventName: string, args: Record<string, unknown> | undefined, toBlock: bigint): Promise<Ev<A>[]> {
    const out: Ev<A>[] = [];
    const step = this.blockRange ?? toBlock - this.fromBlock + 1n;
    for (let from = this.fromBlock; from <= toBlock; from += step) {
      const to = from + step - 1n < toBlock ? from + step - 1n : toBlock;
      const logs = (await this.client.getContractEvents({ address, abi, eventName, args, fromBlock: from, toBlock: to, strict: true } as never)) as unknown as Ev<A>[];
      out.push(...logs);
    }
    return out.sort(byChainOrder);
  }

  private poq<A>(eventName: PoqEvent, args: Record<string, unknown> | undefined, toBlock: bigint): Promise<Ev<A>[]> {
    return this.events<A>(this.proofOfQuality, proofOfQualityAbi, eventName, args, toBlock);
  }

  private head(): Promise<bigint> {
    return this.client.getBlockNumber({ cacheTime: 0 });
  }

  /**
   * Everything `address` was paid as a node, paid and slashed as an evaluator, refunded as a
   * requester (or refund recipient), and claimed, up to the current block.
   */
  async payouts(address: Address): Promise<Payouts> {
    const a = checkAddress(address);
    const toBlock = await this.head();
    const [outputs, settled, claims, refunds] = await Promise.all([
      this.poq<OutputArgs>("OutputSettled", { node: a }, toBlock),
      this.poq<SettledArgs>("EvaluatorSettled", { evaluator: a }, toBlock),
      this.poq<ClaimedArgs>("Claimed", { account: a }, toBlock),
      this.refundsTo(a, toBlock),
    ]);
    const trust = await this.trustPoints(a, settled, toBlock);
    const tasks: EvaluatorTaskPay[] = settled
      .map((e, i) => ({
        taskId: e.args.taskId,
        pay: e.args.pay + e.args.slashShare,
        slash: e.args.slashed,
        trustBefore: trust[i]!.trustBefore,
        trustAfter: trust[i]!.trustAfter,
        missed: !e.args.revealed,
        revealed: e.args.revealed,
      }))
      .sort((x, y) => cmpBig(x.taskId, y.taskId));
    const nodeOutputs = outputs
      .map((e) => ({ taskId: e.args.taskId, output: Number(e.args.output), consensus: Number(e.args.consensus), pay: e.args.pay }))
      .sort((x, y) => cmpBig(x.taskId, y.taskId) || x.output - y.output);
    const sum = (xs: readonly bigint[]) => xs.reduce((s, x) => s + x, 0n);
    return {
      address: a,
      node: { earned: sum(nodeOutputs.map((o) => o.pay)), outputs: nodeOutputs },
      evaluator: { earned: sum(tasks.map((t) => t.pay)), slashed: sum(tasks.map((t) => t.slash)), tasks },
      requester: { refunded: sum(refunds.map((r) => r.amount)), refunds },
      claimed: sum(claims.map((c) => c.args.amount)),
      claims: claims.map((c) => ({ to: c.args.to, amount: c.args.amount, block: c.blockNumber })),
    };
  }

  /** Every change of `address`'s trust (one per task it sat on), in settlement order. */
  async trustHistory(address: Address): Promise<TrustHistory> {
    const a = checkAddress(address);
    const toBlock = await this.head();
    const settled = await this.poq<SettledArgs>("EvaluatorSettled", { evaluator: a }, toBlock);
    const points = await this.trustPoints(a, settled, toBlock);
    const stamps = await Promise.all(points.map((p) => this.timestamp(p.block)));
    return { address: a, history: points.map((p, i) => ({ ...p, timestamp: stamps[i]! })) };
  }

  /** How task `taskId` settled: each output's node, consensus and pay; each member's pay, slash and trust change; the refund. */
  async task(taskId: bigint): Promise<TaskSettlement> {
    if (typeof taskId !== "bigint" || taskId < 1n) throw new PoqSdkError("E_INPUT", `taskId must be a bigint >= 1, got ${String(taskId)}`, { field: "taskId" });
    const toBlock = await this.head();
    const f = { taskId };
    const [created, finalized, cancelled, outputs, settled] = await Promise.all([
      this.poq<CreatedArgs>("TaskCreated", f, toBlock),
      this.poq<FinalizedArgs>("TaskFinalized", f, toBlock),
      this.poq<CancelledArgs>("TaskCancelled", f, toBlock),
      this.poq<OutputArgs>("OutputSettled", f, toBlock),
      this.poq<SettledArgs>("EvaluatorSettled", f, toBlock),
    ]);
    const c = created[0];
    if (!c) throw new PoqSdkError("E_UNKNOWN_TASK", `task ${taskId}: no TaskCreated event for it on ProofOfQuality ${this.proofOfQuality} since block ${this.fromBlock}`, { taskId });
    const members: TaskMemberPay[] = await Promise.all(
      settled.map(async (e) => {
        const mine = await this.poq<SettledArgs>("EvaluatorSettled", { evaluator: e.args.evaluator }, toBlock);
        const points = await this.trustPoints(e.args.evaluator, mine, toBlock);
        const p = points[mine.findIndex((m) => m.transactionHash === e.transactionHash && m.logIndex === e.logIndex)]!;
        return {
          evaluator: e.args.evaluator,
          revealed: e.args.revealed,
          missed: !e.args.revealed,
          deviation: Number(e.args.deviation),
          pay: e.args.pay + e.args.slashShare,
          slash: e.args.slashed,
          trustBefore: p.trustBefore,
          trustAfter: p.trustAfter,
        };
      }),
    );
    const fin = finalized[0];
    const can = cancelled[0];
    return {
      taskId,
      requester: c.args.requester,
      refundTo: refundAddress(c.args),
      outcome: fin ? "finalized" : can ? "cancelled" : "unsettled",
      hasConsensus: fin?.args.hasConsensus ?? false,
      outputs: outputs.map((e) => ({ output: Number(e.args.output), node: e.args.node, consensus: Number(e.args.consensus), pay: e.args.pay })).sort((x, y) => x.output - y.output),
      members,
      refund: fin?.args.refund ?? can?.args.refund ?? 0n,
      slashed: fin?.args.slashed ?? 0n,
      burned: fin?.args.burned ?? 0n,
      block: (fin ?? can)?.blockNumber,
    };
  }

  /** Refunds credited to `a`: tasks whose refund address is `a`, cancelled or finalized with a refund. */
  private async refundsTo(a: Address, toBlock: bigint): Promise<{ taskId: bigint; amount: bigint }[]> {
    const created = await this.poq<CreatedArgs>("TaskCreated", undefined, toBlock);
    const mine = new Set(created.filter((e) => refundAddress(e.args) === a).map((e) => e.args.taskId));
    if (mine.size === 0) return [];
    const [cancelled, finalized] = await Promise.all([
      this.poq<CancelledArgs>("TaskCancelled", undefined, toBlock),
      this.poq<FinalizedArgs>("TaskFinalized", undefined, toBlock),
    ]);
    return [...cancelled, ...finalized]
      .filter((e) => mine.has(e.args.taskId) && e.args.refund > 0n)
      .map((e) => ({ taskId: e.args.taskId, amount: e.args.refund }))
      .sort((x, y) => cmpBig(x.taskId, y.taskId));
  }

  /**
   * Trust before and after each of `settled` (evaluator `a`'s EvaluatorSettled events, in
   * chain order). Trust moves only at a settlement (to `newTrust`) and starts at the value
   * EvaluatorRegistered carries; before the first event seen, it is read from the registry's
   * state at the block before.
   */
  private async trustPoints(a: Address, settled: readonly Ev<SettledArgs>[], toBlock: bigint): Promise<Omit<TrustPoint, "timestamp">[]> {
    if (settled.length === 0) return [];
    const registered = await this.events<{ trust: bigint }>(await this.registry(), evaluatorRegistryAbi, "EvaluatorRegistered", { evaluator: a }, toBlock);
    const timeline = [...registered.map((e) => ({ e, kind: "reg" as const })), ...settled.map((e) => ({ e, kind: "settle" as const }))].sort((x, y) => byChainOrder(x.e, y.e));
    let current: number | undefined;
    const out = new Map<Ev<SettledArgs>, Omit<TrustPoint, "timestamp">>();
    for (const { e, kind } of timeline) {
      if (kind === "reg") {
        current = Number((e as Ev<{ trust: bigint }>).args.trust);
        continue;
      }
      const s = e as Ev<SettledArgs>;
      const before = current ?? (await this.trustAt(a, s.blockNumber - 1n));
      current = Number(s.args.newTrust);
      out.set(s, { taskId: s.args.taskId, block: s.blockNumber, trustBefore: before, trustAfter: current });
    }
    return settled.map((s) => out.get(s)!);
  }

  /** The registry's trust of `a` at the end of block `blockNumber`. */
  private async trustAt(a: Address, blockNumber: bigint): Promise<number> {
    const e = (await this.client.readContract({ address: await this.registry(), abi: evaluatorRegistryAbi, functionName: "getEvaluator", args: [a], blockNumber })) as { trust: number | bigint };
    return Number(e.trust);
  }

  private timestamp(blockNumber: bigint): Promise<bigint> {
    let t = this.timestamps.get(blockNumber);
    if (!t) {
      t = this.client.getBlock({ blockNumber }).then((b) => b.timestamp);
      this.timestamps.set(blockNumber, t);
    }
    return t;
  }
}

/** A task's refund address: spec.refundTo, or the requester when that is zero (as createTask sets it). */
function refundAddress(c: CreatedArgs): Address {
  return c.spec.refundTo === zeroAddress ? c.requester : c.spec.refundTo;
}
