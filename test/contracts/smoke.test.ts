import { describe, it, expect } from "vitest";
import { network } from "hardhat";

describe("toolchain", () => {
  it("deploys on the in-process network", async () => {
    const { viem } = await network.create();
    const s = await viem.deployContract("Smoke");
    await s.write.set([42n]);
    expect(await s.read.x()).toBe(42n);
  });
});
