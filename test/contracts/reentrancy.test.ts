/** A malicious token re-enters ProofOfQuality from inside a payout; the guard must stop it. */
import { describe, expect, it } from "vitest";
import { encodeFunctionData } from "viem";
import { Rule } from "../../oracle/rules/index.js";
import { setupChain } from "./helpers.js";

describe("reentrancy", () => {
  it("blocks a token that re-enters claim(), claimNode(), finalize() or the registry's withdraw() from inside a payout, and pays exactly once", async () => {
    const c = await setupChain({ reentrantToken: true });
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    const evals = await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    expect(evals).toHaveLength(3);
    const s = c.spec(nodes, { k: 3, rule: Rule.MEDIAN });
    const { taskId, members } = await c.createTask(requester, s);
    await c.play(taskId, members, [[9_000], [9_000], [9_000]]);
    await c.poq.write.finalize([taskId]);

    const victim = members[0]!;
    const owed = await c.poq.read.claimableOf([victim]);
    expect(owed).toBeGreaterThan(0n);
    const claimCall = encodeFunctionData({ abi: c.poq.abi, functionName: "claim", args: [victim] });

    // 1. the token bubbles the inner failure: the whole claim reverts with the guard's error
    await token.write.arm([c.poq.address, claimCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claim([victim], { account: victim }), c.poq, "ReentrancyGuardReentrantCall");
    expect(await c.poq.read.claimableOf([victim])).toBe(owed);

    // 2. the token swallows the failure: the outer claim pays once; the re-entry got nothing
    await token.write.arm([c.poq.address, claimCall, true]);
    await token.write.arm([c.poq.address, claimCall, false]);
    const before = await token.read.balanceOf([victim]);
    await c.poq.write.claim([victim], { account: victim });
    expect(await token.read.lastReentrySucceeded()).toBe(false);
    expect((await token.read.balanceOf([victim])) - before).toBe(owed);
    expect(await c.poq.read.claimableOf([victim])).toBe(0n);

    // 3. re-entering claimNode from inside claimNode, and finalize from inside claimNode
    const nodeCall = encodeFunctionData({ abi: c.poq.abi, functionName: "claimNode", args: [nodes[0]!] });
    await token.write.arm([c.poq.address, nodeCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claimNode([nodes[0]!]), c.poq, "ReentrancyGuardReentrantCall");
    const finalizeCall = encodeFunctionData({ abi: c.poq.abi, functionName: "finalize", args: [taskId] });
    await token.write.arm([c.poq.address, finalizeCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claimNode([nodes[0]!]), c.poq, "ReentrancyGuardReentrantCall");
    await token.write.arm([c.poq.address, nodeCall, false]);
    await c.poq.write.claimNode([nodes[0]!]);

    // 4. the registry: re-entering withdraw from inside withdraw
    const m = members[1]!;
    await c.registry.write.requestUnbond([1_000n * 10n ** 18n], { account: m });
    await c.warp(c.params.staking.unbondingDelay + 86_400 + 200);
    const withdrawCall = encodeFunctionData({ abi: c.registry.abi, functionName: "withdraw" });
    await token.write.arm([c.registry.address, withdrawCall, true]);
    await c.viem.assertions.revertWithCustomError(c.registry.write.withdraw({ account: m }), c.registry, "ReentrancyGuardReentrantCall");
    await token.write.arm([c.registry.address, withdrawCall, false]);
    const b0 = await token.read.balanceOf([m]);
    await c.registry.write.withdraw({ account: m });
    expect((await token.read.balanceOf([m])) - b0).toBe(1_000n * 10n ** 18n);
    expect(await c.registry.read.totalStaked()).toBe(2_000n * 10n ** 18n);

    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
  });
});
