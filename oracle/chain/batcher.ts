import { encodeFunctionData, type Abi, type Address, type Hex } from "viem";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";
import { RevertError } from "./errors.js";
import { GasBook } from "./gas-book.js";
import type { TxSender, WriteHooks } from "./tx.js";

/** One contract call waiting for a transaction. */
interface Pending {
  functionName: string;
  /** What the call's gas depends on besides its function (e.g. "reveal/5": five scores), null: unknown; see GasBook. */
  gasKey: string | null;
  args: readonly unknown[];
  hooks: WriteHooks;
  /** When it was queued (Date.now()). */
  at: number;
  resolve: (hash: Hex) => void;
  reject: (err: unknown) => void;
}

export interface BatcherOptions {
  /** Most calls in one multicall transaction (1 disables batching). */
  maxCalls: number;
  /** How long the first call of an idle batcher waits for company before it is sent. */
  lingerMs: number;
  /**
   * Functions whose gas is the same for calls of the same gas key (commit; reveal and finalize
   * keyed by their task's shape): once one was mined, later transactions made only of such
   * calls are sent with a gas limit learnt from receipts instead of an estimate (see GasBook).
   * Default: none.
   */
  learnGas?: readonly string[];
  /**
   * How long a batch of fewer than maxCalls may wait, counted from its oldest call, for calls
   * announced as coming (see expect()). 0 (the default): batches never wait for announced calls.
   */
  holdMs?: number;
}

/** A call announced to a batcher (see CallBatcher.expect): released when it is submitted, or when it will not come. */
export interface ExpectedCall {
  release(): void;
}

/**
 * Group commit for one key's transactions: while a transaction of this key is in flight, new
 * calls queue up; when it is mined, everything queued goes out as one `multicall` (OpenZeppelin
 * Multicall on the PoQ contract: all-or-nothing, each inner call keeps msg.sender and its own
 * checks). A lone call is sent as itself. If a batch would revert (one task's deadline passed,
 * say), its calls are sent one by one so each caller gets its own result or decoded error.
 *
 * Why: on a busy evaluator most of a commit's or reveal's cost is the transaction (signature,
 * nonce, gas estimate, receipt polling, a block on a local node), not the call; n commits in
 * one transaction cost one of each.
 */
export class CallBatcher {
  private queue: Pending[] = [];
  private running = false;
  readonly gas = new GasBook();
  private readonly learnable: ReadonlySet<string>;
  /** Calls announced and not submitted (or released) yet. */
  private expected = 0;
  /** Wakes a batch holding for announced calls (a call was queued or an announcement ended). */
  private wake?: () => void;

  constructor(
    private readonly sender: TxSender,
    private readonly address: Address,
    private readonly abi: Abi,
    private readonly opts: BatcherOptions,
    private readonly log?: Logger,
  ) {
    if (!Number.isInteger(opts.maxCalls) || opts.maxCalls < 1) throw new PoqError("E_CONFIG", `batch size must be an integer >= 1, got ${opts.maxCalls}`);
    if (!(opts.lingerMs >= 0)) throw new PoqError("E_CONFIG", `batch linger must be >= 0 ms, got ${opts.lingerMs}`);
    if (!((opts.holdMs ?? 0) >= 0)) throw new PoqError("E_CONFIG", `batch hold must be >= 0 ms, got ${opts.holdMs}`);
    this.learnable = new Set(opts.learnGas ?? []);
  }

  /**
   * Announces a call that is on its way (a commit whose task is being scored): while calls are
   * announced, a batch of fewer than maxCalls waits for them, up to holdMs after its oldest call
   * was queued, so a key busy with a backlog sends fuller transactions (each call spared is a
   * signature, a nonce, a send and a receipt; the node mines one transaction instead of several).
   * When nothing is announced (the backlog's last calls, an idle key) batches go at once, after
   * the linger, as before. The announcement ends when its call is submitted with it, or when
   * release() says it will not come (the job ended without a call); release() is idempotent.
   */
  expect(): ExpectedCall {
    this.expected++;
    let open = true;
    return {
      release: () => {
        if (!open) return;
        open = false;
        this.expected--;
        this.wake?.();
      },
    };
  }

  /**
   * Sends `functionName(args)` from this key, batched with whatever else is queued; resolves
   * with the tx hash. `gasKey` (default: the function name) names what its gas depends on;
   * null when that is not known (the call is then always estimated).
   */
  submit(functionName: string, args: readonly unknown[], hooks: WriteHooks = {}, gasKey: string | null = functionName, announced?: ExpectedCall): Promise<Hex> {
    return new Promise<Hex>((resolve, reject) => {
      this.queue.push({ functionName, gasKey, args, hooks, at: Date.now(), resolve, reject });
      announced?.release();
      this.wake?.();
      if (!this.running) void this.drain();
    });
  }

  /** Calls waiting for a transaction (not counting the one in flight). */
  get waiting(): number {
    return this.queue.length;
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      // Let calls submitted in the same turn of the event loop (or within lingerMs) join.
      await new Promise((r) => (this.opts.lingerMs > 0 ? setTimeout(r, this.opts.lingerMs) : setImmediate(r)));
      while (this.queue.length > 0) {
        await this.hold();
        const batch = this.queue.splice(0, this.opts.maxCalls);
        await this.send(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /** Waits while the next batch has room, calls are announced, and its oldest call has waited less than holdMs. */
  private async hold(): Promise<void> {
    const holdMs = this.opts.holdMs ?? 0;
    if (holdMs <= 0) return;
    const until = this.queue[0]!.at + holdMs;
    while (this.queue.length < this.opts.maxCalls && this.expected > 0) {
      const left = until - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One transaction for the batch; `learnt`: may use a learnt gas limit (a re-send after an on-chain failure may not). */
  private async send(batch: Pending[], learnt = true): Promise<void> {
    if (batch.length === 1) return this.sendOne(batch[0]!, learnt);
    const fns = batch.map((p) => p.functionName);
    const keys = batch.map((p) => this.keyOf(p));
    const data = batch.map((p) => encodeFunctionData({ abi: this.abi, functionName: p.functionName, args: p.args } as never) as Hex);
    const gas = learnt ? this.gas.limitFor(keys) : undefined;
    try {
      const receipt = await this.sender.write(
        { address: this.address, abi: this.abi, functionName: "multicall", args: [data] },
        { gas, onSent: async (hash, nonce) => void (await Promise.all(batch.map((p) => p.hooks.onSent?.(hash, nonce)))) },
      );
      this.gas.learn(keys, receipt.gasUsed);
      this.log?.debug({ calls: batch.length, fns: [...new Set(fns)], tx: receipt.transactionHash, learntGas: gas !== undefined }, "multicall mined");
      for (const p of batch) p.resolve(receipt.transactionHash);
    } catch (err) {
      if (!(err instanceof RevertError)) {
        for (const p of batch) p.reject(err);
        return;
      }
      // Sent with a learnt limit and failed on chain: the limit may have been short (a batch of
      // calls whose gas varies more than the learnt figure's margin, finalizations above all:
      // FailedCall, an inner call out of gas) rather than a call reverting. Once more with an
      // estimate, which finds a reverting call before anything is sent and whose receipt
      // raises the learnt figure: one transaction instead of one a call (which, sent one after
      // the other under the key's nonce, held the key's other calls back for seconds).
      if (gas !== undefined) {
        this.log?.debug({ calls: batch.length, error: err.errorName }, "multicall failed on chain with a learnt gas limit; sending it again with an estimate");
        return this.send(batch, false);
      }
      // One inner call reverts the whole batch: find out which, one estimated transaction each.
      this.log?.debug({ calls: batch.length, error: err.errorName }, "multicall reverted; sending its calls one by one");
      await Promise.all(batch.map((p) => this.sendOne(p, false)));
    }
  }

  private keyOf(p: Pending): string | undefined {
    return this.learnable.has(p.functionName) ? (p.gasKey ?? undefined) : undefined;
  }

  /** One call as its own transaction; `learnt`: may use a learnt gas limit (a re-send after a revert may not). */
  private async sendOne(p: Pending, learnt: boolean): Promise<void> {
    const gas = learnt ? this.gas.limitFor([this.keyOf(p)]) : undefined;
    try {
      const receipt = await this.sender.write({ address: this.address, abi: this.abi, functionName: p.functionName, args: p.args }, { ...p.hooks, gas });
      this.gas.learn([this.keyOf(p)], receipt.gasUsed);
      p.resolve(receipt.transactionHash);
    } catch (err) {
      // Sent without an estimate and reverted on chain: once more with one, for the decoded error before sending.
      if (gas !== undefined && err instanceof RevertError) return this.sendOne(p, false);
      p.reject(err);
    }
  }
}
