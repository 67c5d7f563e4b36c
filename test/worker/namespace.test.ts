import { describe, it, expect } from "vitest";
import { network } from "hardhat";
import type { Hex, PublicClient } from "viem";
import { deploymentNamespace } from "../../oracle/worker/namespace.js";

/**
 * Worker state is namespaced by deployment: a chain restarted from genesis (new genesis hash,
 * same contract address, task ids from 1 again) gets a fresh namespace, so the old run's
 * cursor and records cannot hide the new run's tasks.
 */
const C = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9" as const;
const chainWithGenesis = (hash: Hex) => ({ getBlock: async () => ({ hash }) }) as unknown as PublicClient;

describe("deploymentNamespace", () => {
  it("is <prefix>:<chain id>:<8 hex of the genesis hash>:<contract, lower case>, read from the chain", async () => {
    const conn = await network.create();
    const client = (await conn.viem.getPublicClient()) as unknown as PublicClient;
    const genesis = (await client.getBlock({ blockNumber: 0n })).hash!;
    expect(await deploymentNamespace(client, "poq", 31337, C)).toBe(`poq:31337:${genesis.slice(2, 10)}:${C.toLowerCase()}`);
  });

  it("differs after a restart from genesis, and for another chain id or contract; stays the same otherwise", async () => {
    const a = await deploymentNamespace(chainWithGenesis("0x3bc342bd96c118ca34e6344b87e0abfbc19a590349f083d6dfee2203cc17c8e8"), "poq", 31337, C);
    const restarted = await deploymentNamespace(chainWithGenesis("0xf3ca6510efb2a5124f8c685722b78728fc9f3fc7032bbe5235524c1e6f60e96a"), "poq", 31337, C);
    expect(restarted).not.toBe(a);
    expect(await deploymentNamespace(chainWithGenesis("0x3bc342bd96c118ca34e6344b87e0abfbc19a590349f083d6dfee2203cc17c8e8"), "poq", 31337, C)).toBe(a);
    expect(await deploymentNamespace(chainWithGenesis("0x3bc342bd96c118ca34e6344b87e0abfbc19a590349f083d6dfee2203cc17c8e8"), "poq", 1, C)).not.toBe(a);
    expect(await deploymentNamespace(chainWithGenesis("0x3bc342bd96c118ca34e6344b87e0abfbc19a590349f083d6dfee2203cc17c8e8"), "poq", 31337, "0x0000000000000000000000000000000000000001")).not.toBe(a);
    expect(a.startsWith("poq:")).toBe(true); // under the configured prefix: clean-up by prefix still finds it
  });
});
