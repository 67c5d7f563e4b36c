import { describe, it, expect } from "vitest";
import type { Hex, TransactionReceipt } from "viem";
import { CallBatcher } from "../../oracle/chain/batcher.js";
import type { TxSender, WriteHooks, WriteRequest } from "../../oracle/chain/tx.js";
import { poqAbi } from "../../oracle/chain/contract.js";
import { RevertError } from "../../oracle/chain/errors.js";

/**
 * A key's batcher holding a transaction for commits announced as coming (the key's evaluate
 * jobs still scoring): fuller transactions during a backlog, no wait once nothing is
 * announced. A recording sender stands in for the chain: each write is one transaction.
 */
class RecordingSender {
  txs: { calls: number; at: number; learnt: boolean }[] = [];
  /** Transactions sent with a learnt limit fail on chain (as a limit learnt too low does). */
  shortLimits = false;
  async write(req: WriteRequest, hooks: WriteHooks = {}): Promise<TransactionReceipt> {
    const calls = req.functionName === "multicall" ? (req.args[0] as Hex[]).length : 1;
    this.txs.push({ calls, at: Date.now(), learnt: hooks.gas !== undefined });
    if (this.shortLimits && hooks.gas !== undefined) throw new RevertError(req.functionName, "FailedCall");
    await new Promise((r) => setTimeout(r, 5)); // mined
    return { gasUsed: 50_000n * BigInt(calls), transactionHash: `0x${this.txs.length.toString(16).padStart(64, "0")}`, status: "success" } as TransactionReceipt;
  }
}

const ADDRESS = "0x0000000000000000000000000000000000000001";
const commitArgs = (i: number) => [BigInt(i + 1), `0x${(i + 1).toString(16).padStart(64, "0")}`] as const;

function batcher(holdMs: number, maxCalls = 16, learnGas: string[] = []) {
  const sender = new RecordingSender();
  const b = new CallBatcher(sender as unknown as TxSender, ADDRESS, poqAbi(), { maxCalls, lingerMs: 0, holdMs, learnGas });
  return { sender, b };
}

describe("CallBatcher.expect: holding a batch for announced calls", () => {
  it("a call waits for the calls announced as coming, and they share one transaction", async () => {
    const { sender, b } = batcher(1_000);
    const coming = [b.expect(), b.expect(), b.expect()];
    const t0 = Date.now();
    const sent = coming.map((c, i) => new Promise((r) => setTimeout(r, 20 * (i + 1))).then(() => b.submit("commit", commitArgs(i), {}, "commit", c)));
    const hashes = await Promise.all(sent);
    expect(new Set(hashes).size).toBe(1);
    expect(sender.txs.map((t) => t.calls)).toEqual([3]);
    expect(Date.now() - t0).toBeLessThan(900); // went when the last announced call came, not at the hold's end
  });

  it("without announcements, or with holdMs 0, calls go at once as before", async () => {
    for (const [hold, announce] of [[1_000, false], [0, true]] as const) {
      const { sender, b } = batcher(hold);
      if (announce) b.expect(); // never comes: ignored with holdMs 0
      const t0 = Date.now();
      await b.submit("commit", commitArgs(0));
      expect(sender.txs.map((t) => t.calls)).toEqual([1]);
      expect(Date.now() - t0).toBeLessThan(500);
    }
  });

  it("an announcement released without a call lets the held batch go at once", async () => {
    const { sender, b } = batcher(5_000);
    const never = b.expect();
    const t0 = Date.now();
    setTimeout(() => never.release(), 30);
    await b.submit("commit", commitArgs(0));
    expect(sender.txs.map((t) => t.calls)).toEqual([1]);
    expect(Date.now() - t0).toBeLessThan(2_000);
    never.release(); // idempotent
    await b.submit("commit", commitArgs(1)); // nothing announced any more: no wait
    expect(sender.txs.map((t) => t.calls)).toEqual([1, 1]);
  });

  it("holds at most holdMs from the oldest call, and never past maxCalls", async () => {
    const { sender, b } = batcher(150, 4);
    b.expect(); // announced, never comes
    const t0 = Date.now();
    await b.submit("commit", commitArgs(0));
    const waited = Date.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(140);
    expect(waited).toBeLessThan(1_500);

    const { sender: s2, b: b2 } = batcher(5_000, 4);
    const announced = Array.from({ length: 6 }, () => b2.expect());
    const t1 = Date.now();
    await Promise.all(announced.slice(0, 4).map((c, i) => b2.submit("commit", commitArgs(i), {}, "commit", c)));
    expect(s2.txs.map((t) => t.calls)).toEqual([4]); // full: sent although two more are announced
    expect(Date.now() - t1).toBeLessThan(2_000);
    expect(sender.txs.map((t) => t.calls)).toEqual([1]);
  });
});

describe("CallBatcher: a batch sent with a learnt gas limit that fails on chain", () => {
  it("is sent again whole, with an estimate, not one transaction a call", async () => {
    const { sender, b } = batcher(0, 16, ["finalize"]);
    b.gas.learn(["finalize"], 50_000n); // a figure learnt from cheaper finalizations
    sender.shortLimits = true;
    const hashes = await Promise.all([0, 1, 2, 3].map((i) => b.submit("finalize", [BigInt(i + 1)])));
    expect(new Set(hashes).size).toBe(1);
    expect(sender.txs.map((t) => [t.calls, t.learnt])).toEqual([
      [4, true], // failed on chain
      [4, false], // estimated: all four in one transaction
    ]);
  });
});
