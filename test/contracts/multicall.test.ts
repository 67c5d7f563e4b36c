import { describe, expect, it } from "vitest";
import { BaseError, ContractFunctionRevertedError, encodeFunctionData, type Hex } from "viem";
import { TaskStatus } from "../../oracle/rules/index.js";
import { salt, setupChain } from "./helpers.js";

/** The custom error name a viem write/simulate failed with (inner multicall errors bubble up). */
function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const r = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  return r?.data?.errorName;
}

/** A chain with three evaluators, two nodes and two tasks whose committee is all three evaluators. */
async function twoTasks() {
  const c = await setupChain();
  const evals = await c.evaluators(3);
  const nodes = await c.nodes(2);
  const requester = (await c.actor(1)).address;
  const a = await c.createTask(requester, c.spec(nodes, { k: 3 }));
  const b = await c.createTask(requester, c.spec(nodes, { k: 3 }));
  return { c, evals, a, b };
}

describe("ProofOfQuality multicall (batched commits, reveals and finalizations)", () => {
  it("lets one evaluator commit and reveal for several tasks in one transaction each, then finalizes both in one", async () => {
    const { c, evals, a, b } = await twoTasks();
    expect(new Set(a.members)).toEqual(new Set(evals));
    expect(new Set(b.members)).toEqual(new Set(evals));
    const abi = c.poq.abi;
    const scores = (i: number) => [7_000 + i, 3_000 + i];

    for (const [i, ev] of evals.entries()) {
      const calls = [a.taskId, b.taskId].map((id) => encodeFunctionData({ abi, functionName: "commit", args: [id, c.commitment(id, ev, scores(i), salt(i))] }));
      const hash = await c.poq.write.multicall([calls], { account: ev });
      const receipt = await c.publicClient.getTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
    }
    for (const id of [a.taskId, b.taskId]) expect((await c.poq.read.getTask([id])).commits).toBe(3);
    for (const [i, ev] of evals.entries()) {
      const calls = [a.taskId, b.taskId].map((id) => encodeFunctionData({ abi, functionName: "reveal", args: [id, scores(i), salt(i)] }));
      await c.poq.write.multicall([calls], { account: ev });
    }
    for (const id of [a.taskId, b.taskId]) expect((await c.poq.read.getTask([id])).reveals).toBe(3);

    const before = await c.publicClient.getBlockNumber();
    await c.poq.write.multicall([[a.taskId, b.taskId].map((id) => encodeFunctionData({ abi, functionName: "finalize", args: [id] }))]);
    expect(await c.publicClient.getBlockNumber()).toBe(before + 1n);
    for (const id of [a.taskId, b.taskId]) {
      expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.FINALIZED);
      const [has, consensus] = await c.poq.read.getConsensus([id]);
      expect(has).toBe(true);
      expect([...consensus]).toEqual(scores(1)); // median of the three evaluators
    }
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
  });

  it("is all-or-nothing: one failing inner call reverts the batch with that call's custom error", async () => {
    const { c, evals, a, b } = await twoTasks();
    const ev = evals[0]!;
    await c.commit(b.taskId, ev, [1, 2], salt(9)); // b already committed: the batch's second call fails
    const calls: Hex[] = [a.taskId, b.taskId].map((id) =>
      encodeFunctionData({ abi: c.poq.abi, functionName: "commit", args: [id, c.commitment(id, ev, [5, 5], salt(1))] }),
    );
    const err = await c.poq.simulate.multicall([calls], { account: ev }).catch((e: unknown) => e);
    expect(revertName(err)).toBe("AlreadyCommitted");
    await expect(c.poq.write.multicall([calls], { account: ev })).rejects.toThrow();
    // nothing of the batch applied: task a has no commit from ev
    const [, committed] = await c.poq.read.getMember([a.taskId, ev]);
    expect(committed).toBe(false);
    expect((await c.poq.read.getTask([a.taskId])).commits).toBe(0);
  });

  it("keeps msg.sender: an outsider cannot commit for a committee member through multicall", async () => {
    const { c, evals, a } = await twoTasks();
    const outsider = (await c.actor(7)).address;
    const call = encodeFunctionData({ abi: c.poq.abi, functionName: "commit", args: [a.taskId, c.commitment(a.taskId, evals[0]!, [1, 2], salt(1))] });
    const err = await c.poq.simulate.multicall([[call]], { account: outsider }).catch((e: unknown) => e);
    expect(revertName(err)).toBe("NotCommitteeMember");
  });
});
