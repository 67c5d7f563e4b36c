/**
 * The compact task storage of issue 13: a task keeps two words (three after a seal or a consensus) plus two write-once data
 * contracts (TaskBlob: the spec's windows, query hash, nodes and output hashes at creation; the
 * committee and its voting weights at the draw), its settlement parameters by version, and
 * refundTo only when it differs from the requester. The views must return exactly what the
 * spec and the draw said.
 */
import { describe, expect, it } from "vitest";
import { decodeErrorResult, encodeFunctionData, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import { contentHashOf } from "../../oracle/contract/content.js";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import { DEV_PROTOCOL_PARAMS, Family, Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, actorAddress, salt, setupChain } from "./helpers.js";

const P = DEV_PROTOCOL_PARAMS;

describe("compact task storage (TaskBlob)", () => {
  it("getTask and getOutputs return the spec; getCommittee the drawn members and weights; getMember the commit/reveal state", async () => {
    const c = await setupChain();
    await c.evaluators(6);
    const nodes = await c.nodes(15);
    const requester = (await c.actor(1)).address;
    const refundTo = actorAddress(77);
    const spec = c.spec(nodes, {
      family: Family.SUMMARIZATION,
      rule: Rule.MEDIAN,
      k: 5,
      commitWindow: 61,
      revealWindow: 67,
      evalBudget: 10n * E18,
      queryHash: keccak256(toHex("compact-query")),
      refundTo,
      outputHashes: nodes.map((_, j) => keccak256(toHex(`compact-output-${j}`))),
    });
    const hash = await c.poq.write.createTask([spec], { account: requester });
    const createBlock = (await c.publicClient.getTransactionReceipt({ hash })).blockNumber;
    const taskId = await c.poq.read.taskCount();

    const t = await c.poq.read.getTask([taskId]);
    expect(t.status).toBe(TaskStatus.PENDING);
    expect([t.family, t.rule, t.k, t.m]).toEqual([Family.SUMMARIZATION, Rule.MEDIAN, 5, 15]);
    expect([t.commitWindow, t.revealWindow]).toEqual([61, 67]);
    // the query and output hashes are kept as their content hash; TaskCreated carries them
    expect(t.contentHash).toBe(contentHashOf(spec.queryHash, spec.outputHashes));
    expect(t.profileHash).toBe(TEST_PROFILE);
    expect(t.requester).toBe(requester);
    expect(t.refundTo).toBe(refundTo);
    expect(t.seedBlock).toBe(createBlock);
    expect(t.fee).toBe(2n * E18);
    expect(t.params).toEqual(P.governance.settlement);
    expect(await c.poq.read.getOutputs([taskId])).toEqual(nodes);
    const [created] = parseEventLogs({ abi: c.poq.abi, logs: (await c.publicClient.getTransactionReceipt({ hash })).logs, eventName: "TaskCreated" });
    expect([created!.args.spec.queryHash, created!.args.spec.outputHashes]).toEqual([spec.queryHash, spec.outputHashes]);
    // unknown ids read as empty
    expect((await c.poq.read.getTask([999n])).status).toBe(TaskStatus.NONE);
    expect(await c.poq.read.getOutputs([999n])).toEqual([]);

    const drawHash = await c.poq.write.drawCommittee([taskId]);
    const logs = parseEventLogs({ abi: c.poq.abi, logs: (await c.publicClient.getTransactionReceipt({ hash: drawHash })).logs, eventName: "CommitteeSampled" });
    const [members, fee, weights] = await c.poq.read.getCommittee([taskId]);
    expect(members).toEqual(logs[0]!.args.members);
    expect(fee).toBe(2n * E18);
    // every member: trust 5000 (new identity) x stake factor 1000/stakeCap x 2^24
    const cap = P.staking.stakeCap;
    const f = ((1_000n * E18 < cap ? 1_000n * E18 : cap) << 24n) / cap;
    expect(weights).toEqual(members.map(() => BigInt(P.staking.initialTrust) * f));

    const outsider = (await c.actor(2)).address;
    expect((await c.poq.read.getMember([taskId, outsider]))[0]).toBe(false);
    const scores = nodes.map((_, j) => (j * 600) % 10_001);
    const m0 = members[0]!;
    expect(await c.poq.read.getMember([taskId, m0])).toEqual([true, false, false, `0x${"0".repeat(64)}`, []]);
    await c.commit(taskId, m0, scores, salt(0));
    const full = c.commitment(taskId, m0, scores, salt(0));
    const low240 = `0x0000${full.slice(6)}`;
    expect(await c.poq.read.getMember([taskId, m0])).toEqual([true, true, false, low240, []]);
    await c.viem.assertions.revertWithCustomError(c.commit(taskId, m0, scores, salt(0)), c.poq as never, "AlreadyCommitted");
    await c.viem.assertions.revertWithCustomError(
      c.poq.write.commit([taskId, full], { account: outsider }),
      c.poq as never,
      "NotCommitteeMember",
    );
    for (let i = 1; i < members.length; i++) await c.commit(taskId, members[i]!, scores, salt(i));
    // a reveal that opens different scores fails on the stored 240 bits
    await c.viem.assertions.revertWithCustomError(c.reveal(taskId, m0, scores.map((s) => 10_000 - s), salt(0)), c.poq as never, "CommitmentMismatch");
    await c.reveal(taskId, m0, scores, salt(0));
    expect(await c.poq.read.getMember([taskId, m0])).toEqual([true, true, true, `0x${"0".repeat(64)}`, scores]);
    await c.viem.assertions.revertWithCustomError(c.reveal(taskId, m0, scores, salt(0)), c.poq as never, "AlreadyRevealed");
    for (let i = 1; i < members.length; i++) await c.reveal(taskId, members[i]!, scores, salt(i));
    await c.poq.write.finalize([taskId]);
    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(true);
    expect(consensus).toEqual(scores);
    // nodes are paid from the blob's node list: each node's pending matches its OutputSettled pay
    for (const [j, node] of nodes.entries()) {
      const paid = (await c.poq.read.getNode([node])).pending;
      expect(paid > 0n).toBe(scores[j]! > P.governance.settlement.qualityFloorBps);
    }
  });

  it("a task keeps the settlement parameters it was created under (by version), refunds go to the requester by default", async () => {
    const c = await setupChain();
    await c.evaluators(4);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const old = await c.create(requester, c.spec(nodes));
    const tuple = toGovernanceTuple(P.governance);
    const changed = structuredClone(tuple);
    changed.settlement.lambdaBps = tuple.settlement.lambdaBps + 1_000;
    changed.settlement.slashBps = tuple.settlement.slashBps + 500;
    await c.poq.write.setParams([changed]);
    const fresh = await c.create(requester, c.spec(nodes, { queryHash: keccak256(toHex("fresh")) }));
    expect((await c.poq.read.getTask([old])).params.lambdaBps).toBe(tuple.settlement.lambdaBps);
    expect((await c.poq.read.getTask([fresh])).params.lambdaBps).toBe(changed.settlement.lambdaBps);
    expect((await c.poq.read.getTask([old])).params.slashBps).toBe(tuple.settlement.slashBps);
    expect((await c.poq.read.getTask([old])).refundTo).toBe(requester);

    // the old task settles under its own slashBps: its silent member loses slashBps of its stake
    const { members } = await c.draw(old);
    await c.play(old, members, [[5_000], [5_000], undefined]);
    const silent = members[2]! as Address;
    const before = await c.registry.read.getEvaluator([silent]);
    await c.finalize(old);
    const after = await c.registry.read.getEvaluator([silent]);
    expect(before.stake - after.stake).toBe((before.stake * BigInt(tuple.settlement.slashBps)) / 10_000n);
  });

  it("reverts BlobWriteFailed (not a silent zero pointer) when the data contract cannot be created", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(15);
    const requester = (await c.actor(1)).address;
    const spec = c.spec(nodes);
    // gas limits around the point where the CREATE's code deposit no longer fits: the parent keeps
    // 1/64 of its gas and must revert with the named error
    const seen = new Set<string>();
    const data = encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [spec] });
    const needed = await c.publicClient.estimateGas({ account: requester, to: c.poq.address, data });
    for (let gas = needed - 200_000n; gas <= needed; gas += 2_000n) {
      try {
        await c.publicClient.call({ account: requester, to: c.poq.address, gas, data });
        seen.add("ok");
      } catch (e) {
        const raw = (e as { walk: (f: (x: unknown) => boolean) => unknown }).walk((x) => typeof (x as { data?: unknown }).data === "string") as { data?: Hex } | null;
        const revert = raw?.data;
        seen.add(revert && revert !== "0x" ? (decodeErrorResult({ abi: c.poq.abi, data: revert }).errorName as string) : "out of gas");
      }
    }
    expect([...seen]).toContain("BlobWriteFailed");
    expect(seen.has("ok")).toBe(true);
  });
});
