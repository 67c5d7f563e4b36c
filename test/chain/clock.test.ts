import { describe, it, expect, beforeAll } from "vitest";
import { network } from "hardhat";
import type { EIP1193Provider, PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { chainClock, chainNow, nextBlockTime } from "../../oracle/chain/clock.js";
import { poqAbi } from "../../oracle/chain/contract.js";
import { MemoryNonceCoordinator } from "../../oracle/chain/nonce.js";
import { PoqChain } from "../../oracle/chain/poq.js";
import { prepareTask } from "../../oracle/sdk/tasks.js";
import { createTasks, qaTask, setupStackOn, txCfg, type Stack } from "../e2e/harness.js";

/**
 * The chain's clock on a chain that mines only on transactions (Hardhat's default): time passes
 * with no block, so the latest block's timestamp falls behind. Idle time is made here with
 * `evm_increaseTime` and no block.
 */
let s: Stack;
let client: PublicClient;
let provider: EIP1193Provider;

beforeAll(async () => {
  const conn = await network.create();
  client = (await conn.viem.getPublicClient()) as unknown as PublicClient;
  provider = conn.provider as unknown as EIP1193Provider;
  s = await setupStackOn({ client, provider, viem: conn.viem }, 3);
}, 120_000);

const idle = (seconds: number) => provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });

describe("chain clock", () => {
  it("reads the next block's time from the pending block: ten idle minutes later, not the latest block's", async () => {
    await idle(600);
    const { latest, next } = await chainClock(client);
    expect(latest.timestamp).toBe((await client.getBlock()).timestamp);
    expect(next).toBeGreaterThanOrEqual(latest.timestamp + 600n);
    expect(await nextBlockTime(client)).toBeGreaterThanOrEqual(next);
    const now = await chainNow(client);
    expect(now).toBeGreaterThanOrEqual(latest.timestamp + 599n);
    const chain = new PoqChain({ client, address: s.dep.poq, abi: poqAbi(), accounts: [privateKeyToAccount(s.evaluatorKeys[0]!)], nonces: new MemoryNonceCoordinator(), tx: { ...txCfg, batchMaxCalls: 16, batchLingerMs: 0, learnGas: true } });
    expect(await chain.now()).toBeGreaterThanOrEqual(now);
    // The next block does carry that time.
    await provider.request({ method: "evm_mine" as never, params: [] as never });
    expect((await client.getBlock()).timestamp).toBeGreaterThanOrEqual(next);
  });

  it("falls back to the latest block's time when the node serves no pending block, or one that does not follow the latest", async () => {
    const noPending = new Proxy(client, {
      get: (t, k, r) =>
        k === "getBlock"
          ? (a?: { blockTag?: string }) => (a?.blockTag === "pending" ? Promise.reject(new Error("pending not supported")) : t.getBlock(a as never))
          : Reflect.get(t, k, r),
    });
    await idle(600);
    const latest = (await client.getBlock()).timestamp;
    expect(await nextBlockTime(noPending)).toBe(latest + 1n);
    expect(await chainNow(noPending)).toBe(latest);
    // A pending block that does not follow the latest one (a confused node) is not trusted.
    const head = await client.getBlock();
    const odd = new Proxy(client, {
      get: (t, k, r) =>
        k === "getBlock"
          ? (a?: { blockTag?: string }) => (a?.blockTag === "pending" ? Promise.resolve({ number: head.number + 5n, timestamp: head.timestamp + 86_400n }) : t.getBlock(a as never))
          : Reflect.get(t, k, r),
    });
    expect(await nextBlockTime(odd)).toBe(head.timestamp + 1n);
  });

  it("a 30 s commit window after ten idle minutes: the deadlines run from the draw's block (the chain's clock), and windows under the contract's minimum are refused", async () => {
    await idle(600);
    const ids = await createTasks(s, [qaTask(1)], { k: 3, commitWindow: 30, revealWindow: 30 });
    const t = await s.reader.getTask(ids[0]!);
    const drawnAt = (await client.getBlock()).timestamp;
    expect(t.status).toBe("open");
    expect(t.commitDeadline).toBe(drawnAt + 30n);
    expect(t.revealDeadline).toBe(drawnAt + 60n);
    const short = await prepareTask(qaTask(2), s.content, {
      rule: "MEDIAN",
      k: 3,
      commitWindow: 5,
      revealWindow: 30,
      nodeBudget: 10n ** 18n,
      evalBudget: 3n * 10n ** 18n,
      profileHash: s.profileHash,
      nodes: Object.fromEntries(s.nodes.map((n, i) => [`n${i}`, n.address])),
    });
    await expect(s.actions(s.requester).createTask(short)).rejects.toThrow(/InvalidWindows/);
  });
});
