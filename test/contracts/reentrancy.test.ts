/** A malicious token re-enters ProofOfQuality from inside a payout; the guard must stop it. */
import { describe, expect, it } from "vitest";
import { encodeFunctionData } from "viem";
import { Rule } from "../../oracle/rules/index.js";
import { salt, setupChain } from "./helpers.js";

describe("reentrancy", () => {
  it("blocks a token that re-enters claim() from inside claim(), and pays exactly once", async () => {
    const c = await setupChain({ reentrantToken: true });
    const token = await c.viem.getContractAt("ReentrantToken", c.token.address);
    const evals = await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    expect(evals).toHaveLength(3);
    const s = await c.spec(nodes, { k: 3, rule: Rule.MEDIAN });
    const { taskId, members } = await c.createTask(requester, s);
    for (let i = 0; i < 3; i++) await c.commit(taskId, members[i]!, [9_000], salt(i));
    for (let i = 0; i < 3; i++) await c.reveal(taskId, members[i]!, [9_000], salt(i));
    await c.poq.write.finalize([taskId]);

    const victim = members[0]!;
    const owed = await c.poq.read.claimableOf([victim]);
    expect(owed).toBeGreaterThan(0n);
    const claimCall = encodeFunctionData({ abi: c.poq.abi, functionName: "claim" });

    // 1. the token bubbles the inner failure: the whole claim reverts with the guard's error
    await token.write.arm([c.poq.address, claimCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claim({ account: victim }), c.poq, "ReentrancyGuardReentrantCall");
    expect(await c.poq.read.claimableOf([victim])).toBe(owed);

    // 2. the token swallows the failure: the outer claim pays once; the re-entry got nothing
    await token.write.arm([c.poq.address, claimCall, true]);
    await token.write.arm([c.poq.address, claimCall, false]);
    const before = await token.read.balanceOf([victim]);
    await c.poq.write.claim({ account: victim });
    expect(await token.read.lastReentrySucceeded()).toBe(false);
    expect((await token.read.balanceOf([victim])) - before).toBe(owed);
    expect(await c.poq.read.claimableOf([victim])).toBe(0n);

    // 3. re-entering claimNode from inside claimNode, and withdraw from inside claimNode
    const nodeCall = encodeFunctionData({ abi: c.poq.abi, functionName: "claimNode", args: [nodes[0]!] });
    await token.write.arm([c.poq.address, nodeCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claimNode([nodes[0]!]), c.poq, "ReentrancyGuardReentrantCall");
    const withdrawCall = encodeFunctionData({ abi: c.poq.abi, functionName: "withdraw" });
    await token.write.arm([c.poq.address, withdrawCall, true]);
    await c.viem.assertions.revertWithCustomError(c.poq.write.claimNode([nodes[0]!]), c.poq, "ReentrancyGuardReentrantCall");
    await token.write.arm([c.poq.address, nodeCall, false]);
    await c.poq.write.claimNode([nodes[0]!]);

    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
  });
});
