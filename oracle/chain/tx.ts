import {
  encodeFunctionData,
  TransactionReceiptNotFoundError,
  type Abi,
  type Address,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type LocalAccount,
} from "viem";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";
import { decodeRevert, isTransient, RevertError, RpcUnavailableError } from "./errors.js";
import type { NonceCoordinator } from "./nonce.js";
import type { TxConfig } from "../config/schema.js";

export interface WriteRequest {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
}

export interface WriteHooks {
  /** Called with every hash handed to the node (the first send and each fee-bumped replacement). */
  onSent?: (hash: Hex, nonce: number) => Promise<void> | void;
  /**
   * A gas limit to send with, skipping the estimate (which executes the call once more on the
   * node). Without the estimate a revert is found only on chain: the receipt fails, the call
   * is replayed at its block to decode the error, and the gas it burnt is spent.
   */
  gas?: bigint;
}

/** What sending needs from the tx config (batching is the caller's business). */
export type SendConfig = Pick<TxConfig, "maxRetries" | "backoffMs" | "receiptTimeoutMs" | "feeBumpPercent" | "maxFeeBumps">;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Fees = { maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint };
/** Fee estimates per client, shared by its senders (see TxSender.fees). */
const feeCaches = new WeakMap<PublicClient, { at: number; fees: Promise<Fees> }>();

/** Runs `fn`, retrying transient RPC failures with exponential backoff. */
export async function withRetry<T>(fn: () => Promise<T>, cfg: Pick<TxConfig, "maxRetries" | "backoffMs">, what: string, log?: Logger): Promise<T> {
  let attempt = 0;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || attempt >= cfg.maxRetries) {
        if (isTransient(err)) throw new RpcUnavailableError(`${what}: RPC unavailable after ${attempt + 1} attempts: ${(err as Error).message.split("\n")[0]}`, err);
        throw err;
      }
      const delay = cfg.backoffMs * 2 ** attempt;
      log?.warn({ what, attempt, delay, err: (err as Error).message.split("\n")[0] }, "transient RPC failure, retrying");
      await sleep(delay);
      attempt++;
    }
  }
}

/**
 * Sends contract transactions for one key: simulate (reverts decoded to custom-error names
 * before anything is signed), nonce from the coordinator, EIP-1559 fees from the node,
 * retries with backoff for transient failures, and a fee bump of the same nonce when a
 * receipt does not arrive in time.
 */
export class TxSender {
  constructor(
    readonly client: PublicClient,
    readonly account: LocalAccount,
    private nonces: NonceCoordinator,
    private cfg: SendConfig,
    private log?: Logger,
  ) {}

  get address(): Address {
    return this.account.address;
  }

  /** Simulates the call; throws RevertError with the decoded custom error name. */
  async simulate(req: WriteRequest): Promise<void> {
    await withRetry(
      async () => {
        try {
          await this.client.simulateContract({ ...req, account: this.account } as never);
        } catch (err) {
          const rev = decodeRevert(err, req.abi);
          if (rev) throw new RevertError(req.functionName, rev.errorName, rev.args);
          throw err;
        }
      },
      this.cfg,
      `simulate ${req.functionName}`,
      this.log,
    );
  }

  private chainId?: number;

  /**
   * EIP-1559 fees, cached for a second (one block on most chains) and shared by every key of
   * this process on the same client: the fee market is the same for all of them.
   */
  private fees(): Promise<Fees> {
    let c = feeCaches.get(this.client);
    if (!c || Date.now() - c.at >= 1_000) {
      const fees = withRetry(() => this.client.estimateFeesPerGas(), this.cfg, "estimateFeesPerGas", this.log);
      c = { at: Date.now(), fees };
      feeCaches.set(this.client, c);
      // A failed estimate is not kept: the next send asks again.
      fees.catch(() => feeCaches.get(this.client) === c && feeCaches.delete(this.client));
    }
    return c.fees;
  }

  async write(req: WriteRequest, hooks: WriteHooks = {}): Promise<TransactionReceipt> {
    const data = encodeFunctionData({ abi: req.abi, functionName: req.functionName, args: req.args } as never);
    // Gas estimation executes the call: a revert surfaces here, decoded to its custom error,
    // before anything is signed (same as a simulation, one round trip less).
    const gas = hooks.gas ?? await withRetry(
      async () => {
        try {
          // The address, not the local account, and no "prepare": viem would otherwise fill a
          // whole transaction first (nonce, fees, chain id: round trips per send).
          const est = await this.client.estimateContractGas({ ...req, account: this.account.address, prepare: false } as never);
          return (est * 12n) / 10n + 10_000n;
        } catch (err) {
          const rev = decodeRevert(err, req.abi);
          if (rev) throw new RevertError(req.functionName, rev.errorName, rev.args);
          throw err;
        }
      },
      this.cfg,
      `estimateGas ${req.functionName}`,
      this.log,
    );
    let fees = await this.fees();
    this.chainId ??= this.client.chain?.id ?? (await withRetry(() => this.client.getChainId(), this.cfg, "chainId", this.log));
    const chainId = this.chainId;

    const sendWith = async (nonce: number): Promise<Hex> => {
      const raw = await this.account.signTransaction!({
        type: "eip1559",
        chainId,
        nonce,
        to: req.address,
        data,
        gas,
        maxFeePerGas: fees.maxFeePerGas!,
        maxPriorityFeePerGas: fees.maxPriorityFeePerGas!,
      });
      try {
        return await withRetry(() => this.client.sendRawTransaction({ serializedTransaction: raw }), this.cfg, `send ${req.functionName}`, this.log);
      } catch (err) {
        // Sent without an estimate, a failing call can surface here: Hardhat mines it and then
        // answers the send with an error (other nodes mine it and the receipt says so).
        if (hooks.gas !== undefined && !isTransient(err)) {
          const rev = decodeRevert(err, req.abi);
          if (rev) throw new RevertError(req.functionName, rev.errorName, rev.args);
          const msg = (err as Error).message;
          if (/out of gas/i.test(msg)) throw new RevertError(req.functionName, "OutOfGas", [gas]);
          if (/revert/i.test(msg)) throw new RevertError(req.functionName, "unknown (reverted on chain)");
        }
        throw err;
      }
    };

    let nonce = -1;
    const hashes: Hex[] = [];
    const first = await this.nonces.withNonce(
      this.address,
      () => withRetry(() => this.client.getTransactionCount({ address: this.address, blockTag: "pending" }), this.cfg, "getTransactionCount", this.log),
      async (n) => {
        nonce = n;
        return sendWith(n);
      },
    );
    hashes.push(first);
    await hooks.onSent?.(first, nonce);
    this.log?.debug({ fn: req.functionName, hash: first, nonce }, "sent");

    for (let bump = 0; ; bump++) {
      const receipt = await this.awaitAny(hashes, this.cfg.receiptTimeoutMs);
      if (receipt) return this.checkStatus(receipt, req, data, gas);
      const mined = await withRetry(() => this.client.getTransactionCount({ address: this.address, blockTag: "latest" }), this.cfg, "getTransactionCount", this.log);
      if (mined > nonce) {
        // Our nonce was used; one of our hashes must have a receipt now (or another process replaced it).
        const late = await this.awaitAny(hashes, 2_000);
        if (late) return this.checkStatus(late, req, data, gas);
        throw new PoqError("E_TX_REPLACED", `${req.functionName}: nonce ${nonce} was consumed by another transaction`, { nonce, hashes });
      }
      if (bump >= this.cfg.maxFeeBumps) throw new PoqError("E_TX_STUCK", `${req.functionName}: no receipt after ${bump} fee bumps`, { nonce, hashes });
      const pct = BigInt(100 + this.cfg.feeBumpPercent);
      fees = { maxFeePerGas: (fees.maxFeePerGas! * pct) / 100n + 1n, maxPriorityFeePerGas: (fees.maxPriorityFeePerGas! * pct) / 100n + 1n } as typeof fees;
      this.log?.warn({ fn: req.functionName, nonce, bump: bump + 1 }, "transaction not mined in time, bumping fee");
      try {
        const h = await sendWith(nonce);
        hashes.push(h);
        await hooks.onSent?.(h, nonce);
      } catch (err) {
        // "nonce too low" here means the previous one was just mined: loop and find its receipt.
        this.log?.debug({ err: (err as Error).message.split("\n")[0] }, "replacement not accepted");
      }
    }
  }

  private async awaitAny(hashes: Hex[], timeoutMs: number): Promise<TransactionReceipt | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wait = 50;
    for (;;) {
      for (const hash of hashes) {
        try {
          return await this.client.getTransactionReceipt({ hash });
        } catch (err) {
          if (!(err instanceof TransactionReceiptNotFoundError) && !isTransient(err)) throw err;
        }
      }
      if (Date.now() >= deadline) return undefined;
      await sleep(Math.min(wait, Math.max(1, deadline - Date.now())));
      wait = Math.min(wait * 2, 1_000);
    }
  }

  private async checkStatus(receipt: TransactionReceipt, req: WriteRequest, data: Hex, gas: bigint): Promise<TransactionReceipt> {
    if (receipt.status === "success") return receipt;
    // Replay at the block to recover the custom error.
    try {
      await this.client.call({ account: this.account, to: req.address, data, blockNumber: receipt.blockNumber });
    } catch (err) {
      const rev = decodeRevert(err, req.abi);
      if (rev) throw new RevertError(req.functionName, rev.errorName, rev.args);
    }
    // The replay (with the node's ample call gas) went through: the limit was too low.
    if (receipt.gasUsed * 100n >= gas * 98n) throw new RevertError(req.functionName, "OutOfGas", [receipt.gasUsed, gas]);
    throw new RevertError(req.functionName, "unknown (reverted on chain)");
  }
}
