/** Every revert path of the v2 contracts, each asserted by its custom error name. */
import { beforeAll, describe, expect, it } from "vitest";
import { encodeFunctionData, keccak256, toHex, zeroAddress, type Address } from "viem";
import { toGovernanceTuple, toStakingTuple } from "../../oracle/contract/params.js";
import { DEV_PROTOCOL_PARAMS, Family, PARAM_BOUNDS, TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, salt, setupChain, type Chain } from "./helpers.js";

const P = DEV_PROTOCOL_PARAMS;

describe("v2 revert paths", () => {
  let c: Chain;
  let evals: Address[];
  let nodes: Address[];
  let requester: Address;
  let outsider: Address;
  const rv = (contract: { address: Address }, p: Promise<unknown>, name: string) =>
    c.viem.assertions.revertWithCustomError(p as never, contract as never, name as never);

  beforeAll(async () => {
    c = await setupChain();
    evals = await c.evaluators(4);
    nodes = await c.nodes(2);
    requester = (await c.actor(1)).address;
    outsider = (await c.actor(2)).address;
  });

  it("EvaluatorRegistry: registration, staking, exits", async () => {
    const r = c.registry;
    await rv(r, r.write.register([1_000n * E18, 1n, [TEST_PROFILE]], { account: evals[0]! }), "AlreadyRegistered");
    await rv(r, r.write.register([P.staking.minStake - 1n, 1n, [TEST_PROFILE]], { account: outsider }), "StakeBelowMinimum");
    await rv(r, r.write.register([P.staking.minStake, 1n, [keccak256(toHex("nope"))]], { account: outsider }), "UnknownProfile");
    await rv(r, r.write.addStake([1n], { account: outsider }), "NotRegistered");
    await rv(r, r.write.addStake([0n], { account: evals[0]! }), "ZeroAmount");
    await rv(r, r.write.setCost([1n], { account: outsider }), "NotRegistered");
    await rv(r, r.write.setProfiles([[TEST_PROFILE]], { account: outsider }), "NotRegistered");
    await rv(r, r.write.requestUnbond([1n], { account: outsider }), "NotRegistered");
    await rv(r, r.write.requestUnbond([0n], { account: evals[0]! }), "ZeroAmount");
    await rv(r, r.write.requestUnbond([1_001n * E18], { account: evals[0]! }), "InsufficientStake");
    await rv(r, r.write.requestUnbond([901n * E18 + 1n], { account: evals[0]! }), "StakeBelowMinimum");
    await rv(r, r.write.withdraw({ account: evals[0]! }), "NothingToWithdraw");
    await rv(r, r.write.evict([outsider]), "NotRegistered");
    await rv(r, r.write.evict([evals[0]!]), "NotEvictable");
    await rv(r, r.write.register([P.staking.minStake, P.staking.maxCost + 1n, [TEST_PROFILE]], { account: outsider }), "CostAboveMaximum");
    await rv(r, r.write.setCost([P.staking.maxCost + 1n], { account: evals[0]! }), "CostAboveMaximum");
    // hooks only the settlement contract may call
    await rv(r, r.write.drawCommittee([1n, 1n, zeroAddress, 3n, keccak256("0x01"), 1, 5_000n, 0n]), "NotSettlement");
    await rv(r, r.write.settleMembers([[], 0n, [], []]), "NotSettlement");
    await rv(r, r.write.bindSettlement([outsider]), "SettlementAlreadyBound");
    await rv(r, r.write.bindSettlement([zeroAddress]), "ZeroAddress");
    await c.networkHelpers.impersonateAccount(c.poq.address);
    await c.networkHelpers.setBalance(c.poq.address, 10n ** 20n);
    await rv(r, r.write.settleMembers([[evals[0]!], 0n, [5_000n, 1n], [0n]], { account: c.poq.address }), "LengthMismatch");
  });

  it("unbonding: before the delay, and while a committee it sits on is running", async () => {
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 4 }));
    const e = members[0]!;
    await c.registry.write.requestUnbond([100n * E18], { account: e });
    await rv(c.registry, c.registry.write.withdraw({ account: e }), "UnbondingNotElapsed");
    await c.warp(P.staking.unbondingDelay + 1);
    await rv(c.registry, c.registry.write.withdraw({ account: e }), "StakeLocked");
    await c.finalize(taskId); // nobody revealed: refund, penalties, slashes burned
    const locked = BigInt((await c.registry.read.getEvaluator([e])).lockedUntil);
    await c.networkHelpers.time.increaseTo(locked + 1n);
    const before = await c.token.read.balanceOf([e]);
    const rec = await c.registry.read.getEvaluator([e]);
    await c.registry.write.withdraw({ account: e });
    expect((await c.token.read.balanceOf([e])) - before).toBe(rec.unbonding);
    await rv(c.registry, c.registry.write.withdraw({ account: e }), "NothingToWithdraw");
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    expect(bal.registryBalance).toBe(bal.staked);
  });

  it("ProfileRegistry", async () => {
    const p = c.profileRegistry;
    await rv(p, p.write.register([`0x${"00".repeat(32)}`, "x"]), "InvalidProfile");
    await rv(p, p.write.register([TEST_PROFILE, "x"]), "ProfileExists");
    await rv(p, p.write.retire([keccak256(toHex("unknown"))]), "UnknownProfile");
    await rv(p, p.read.activeBit([keccak256(toHex("unknown"))]), "UnknownProfile");
    await c.viem.assertions.revertWithCustomError(p.write.register([keccak256(toHex("x")), "x"], { account: outsider }), p, "AccessControlUnauthorizedAccount");
    const count = Number(await p.read.profileCount());
    for (let i = count; i < 16; i++) await p.write.register([keccak256(toHex(`profile-${i}`)), `p${i}`]);
    await rv(p, p.write.register([keccak256(toHex("one-too-many")), "x"]), "TooManyProfiles");
    await expect(c.viem.deployContract("ProfileRegistry", [zeroAddress])).rejects.toThrow(/ZeroAddress/);
  });

  it("ProofOfQuality: nodes and task creation", async () => {
    const q = c.poq;
    await rv(q, q.write.registerNode([zeroAddress, keccak256(toHex("m"))], { account: outsider }), "ZeroAddress");
    await rv(q, q.write.registerNode([outsider, keccak256(toHex("m"))], { account: nodes[0]! }), "AlreadyRegistered");
    await rv(q, q.write.updateNode([outsider, keccak256(toHex("m"))], { account: outsider }), "NotRegistered");
    await rv(q, q.write.updateNode([zeroAddress, keccak256(toHex("m"))], { account: nodes[0]! }), "ZeroAddress");
    const ok = c.spec(nodes);
    const bad = (over: Record<string, unknown>, name: string) => rv(q, q.write.createTask([{ ...ok, ...over }], { account: requester }), name);
    await bad({ family: 3 }, "InvalidFamily");
    await bad({ rule: 5 }, "InvalidRule");
    await bad({ k: 2 }, "InvalidCommitteeSize");
    await bad({ k: 33 }, "InvalidCommitteeSize");
    await bad({ nodes: [], outputHashes: [] }, "InvalidOutputCount");
    await bad({ nodes: new Array(16).fill(nodes[0]), outputHashes: new Array(16).fill(ok.outputHashes[0]) }, "InvalidOutputCount");
    await bad({ outputHashes: [ok.outputHashes[0]] }, "LengthMismatch");
    await bad({ commitWindow: P.governance.tasks.minCommitWindow - 1 }, "InvalidWindows");
    await bad({ revealWindow: P.governance.tasks.maxRevealWindow + 1 }, "InvalidWindows");
    await bad({ evalBudget: 3n * P.governance.tasks.minFeePerMember - 1n }, "FeeBelowMinimum");
    await bad({ profileHash: keccak256(toHex("unregistered")) }, "UnknownProfile");
    await bad({ nodes: [nodes[0], outsider] }, "UnknownNode");
  });

  it("ProofOfQuality: draw", async () => {
    const q = c.poq;
    await rv(q, q.write.drawCommittee([999n]), "UnknownTask");
    // create and draw in the same block (one multicall): the seed block's hash is not known yet
    const n = (await q.read.taskCount()) + 1n;
    const calls = [
      encodeFunctionData({ abi: q.abi, functionName: "createTask", args: [c.spec(nodes)] }),
      encodeFunctionData({ abi: q.abi, functionName: "drawCommittee", args: [n] }),
    ];
    await rv(q, q.write.multicall([calls], { account: requester }), "DrawTooEarly");
    // more than 256 blocks later the seed block's hash is gone: the task is cancelled (no free re-roll)
    const id = await c.create(requester, c.spec(nodes));
    await c.networkHelpers.mine(300);
    await q.write.drawCommittee([id]);
    expect((await q.read.getTask([id])).status).toBe(TaskStatus.CANCELLED);
    expect((await q.getEvents.TaskCancelled({ taskId: id })).length).toBe(1);
    await rv(q, q.write.drawCommittee([id]), "NotPending");
    const open = await c.create(requester, c.spec(nodes));
    await q.write.drawCommittee([open]);
    expect((await q.read.getTask([open])).status).toBe(TaskStatus.OPEN);
    await c.finalize(open);
  });

  it("ProofOfQuality: commit, reveal, finalize, claims", async () => {
    const q = c.poq;
    const pending = await c.create(requester, c.spec(nodes));
    await rv(q, c.commit(pending, evals[0]!, [1, 2], salt(1)), "TaskNotOpen");
    await c.draw(pending);
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    const outside = evals.find((e) => !members.includes(e))!;
    const [a, b, d] = members as [Address, Address, Address];
    const sa = [7_000, 8_000];
    await rv(q, q.write.commit([999n, keccak256("0x01")], { account: a }), "UnknownTask");
    await rv(q, q.write.commit([taskId, keccak256("0x01")], { account: outside }), "NotCommitteeMember");
    await rv(q, q.write.commit([taskId, `0x${"00".repeat(32)}`], { account: a }), "InvalidCommitment");
    await c.commit(taskId, a, sa, salt(1));
    await rv(q, c.commit(taskId, a, sa, salt(1)), "AlreadyCommitted");
    // b copies a's commitment: it can never reveal it, because the hash binds the evaluator
    await q.write.commit([taskId, c.commitment(taskId, a, sa, salt(1))], { account: b });
    await rv(q, c.reveal(taskId, a, sa, salt(1)), "RevealTooEarly"); // d has not committed yet
    await rv(q, q.write.finalize([taskId]), "FinalizeTooEarly");
    const t = await q.read.getTask([taskId]);
    await c.networkHelpers.time.increaseTo(BigInt(t.commitDeadline) + 1n);
    await rv(q, c.commit(taskId, d, sa, salt(3)), "CommitTooLate");
    await rv(q, c.reveal(taskId, outside, sa, salt(1)), "NotCommitteeMember");
    await rv(q, c.reveal(taskId, d, sa, salt(3)), "NotCommitted");
    await rv(q, c.reveal(taskId, a, [7_000], salt(1)), "WrongScoreCount");
    await rv(q, c.reveal(taskId, a, [7_000, 10_001], salt(1)), "ScoreOutOfRange");
    await rv(q, c.reveal(taskId, a, sa, salt(2)), "CommitmentMismatch");
    await rv(q, c.reveal(taskId, a, [7_001, 8_000], salt(1)), "CommitmentMismatch");
    await rv(q, c.reveal(taskId, b, sa, salt(1)), "CommitmentMismatch"); // the copier
    await c.reveal(taskId, a, sa, salt(1));
    await rv(q, c.reveal(taskId, a, sa, salt(1)), "AlreadyRevealed");
    await rv(q, q.write.finalize([taskId]), "FinalizeTooEarly");
    await c.networkHelpers.time.increaseTo(BigInt(t.revealDeadline) + 1n);
    await rv(q, c.reveal(taskId, a, sa, salt(1)), "RevealTooLate");
    await q.write.finalize([taskId]);
    await rv(q, q.write.finalize([taskId]), "TaskNotOpen");
    await rv(q, q.write.finalize([12_345n]), "UnknownTask");
    await q.write.claim([a], { account: a });
    await rv(q, q.write.claim([a], { account: a }), "NothingToClaim");
    await rv(q, q.write.claim([zeroAddress], { account: a }), "ZeroAddress");
    await rv(q, q.write.claim([outsider], { account: outsider }), "NothingToClaim");
    await q.write.claimNode([nodes[0]!]);
    await rv(q, q.write.claimNode([nodes[0]!]), "NothingToClaim");
  });

  it("governance: roles, bounds, treasury, pause", async () => {
    const q = c.poq;
    const r = c.registry;
    const ac = (contract: { address: Address }, p: Promise<unknown>) => rv(contract, p, "AccessControlUnauthorizedAccount");
    const tuple = toGovernanceTuple(P.governance);
    const staking = toStakingTuple(P.staking);
    await ac(q, q.write.setParams([tuple], { account: outsider }));
    await ac(q, q.write.setRandomnessSource([outsider], { account: outsider }));
    await ac(q, q.write.pause({ account: outsider }));
    await ac(q, q.write.withdrawTreasury([outsider, 1n], { account: outsider }));
    await ac(r, r.write.setParams([staking], { account: outsider }));
    await ac(r, r.write.pause({ account: outsider }));

    const oob = async (patch: (t: typeof tuple) => void) => {
      const t = structuredClone(tuple);
      patch(t);
      await rv(q, q.write.setParams([t]), "ParamOutOfRange");
    };
    const B = PARAM_BOUNDS;
    await oob((t) => (t.tasks.minFeePerMember = 0n));
    await oob((t) => (t.tasks.protocolFeeBps = B.protocolFeeBps[1] + 1));
    await oob((t) => ((t.tasks.taskFee = 0n), (t.tasks.protocolFeeBps = 0)));
    await oob((t) => (t.tasks.minK = B.minK[0] - 1));
    await oob((t) => (t.tasks.minK = B.minK[1] + 1));
    await oob((t) => (t.tasks.minEligibleBps = B.minEligibleBps[1] + 1));
    await oob((t) => (t.tasks.allowedRules = 0));
    await oob((t) => (t.tasks.allowedRules = B.allowedRules[1] + 1));
    await oob((t) => (t.tasks.minCommitWindow = B.window[0] - 1));
    await oob((t) => (t.tasks.maxCommitWindow = t.tasks.minCommitWindow - 1));
    await oob((t) => (t.tasks.maxCommitWindow = B.window[1] + 1));
    await oob((t) => (t.tasks.minRevealWindow = B.window[0] - 1));
    await oob((t) => (t.tasks.maxRevealWindow = t.tasks.minRevealWindow - 1));
    await oob((t) => (t.tasks.maxRevealWindow = B.window[1] + 1));
    await oob((t) => (t.settlement.lambdaBps = B.lambdaBps[1] + 1));
    await oob((t) => (t.settlement.deviationScaleBps = B.deviationScaleBps[0] - 1));
    await oob((t) => (t.settlement.deviationScaleBps = B.deviationScaleBps[1] + 1));
    await oob((t) => (t.settlement.trimBps = B.trimBps[1] + 1));
    await oob((t) => (t.settlement.qualityFloorBps = B.qualityFloorBps[1] + 1));
    await oob((t) => (t.settlement.slashBps = B.slashBps[1] + 1));
    await oob((t) => (t.settlement.missPenaltyBps = B.missPenaltyBps[1] + 1));
    await oob((t) => (t.settlement.wMin = B.wMin[0] - 1));
    await oob((t) => (t.settlement.wMin = B.wMin[1] + 1));
    await oob((t) => (t.settlement.wMax = B.wMax[0] - 1));
    await oob((t) => (t.settlement.wMax = B.wMax[1] + 1));
    // the public default allows only the median rules: MEAN is refused
    await q.write.setParams([{ ...tuple, tasks: { ...tuple.tasks, allowedRules: (1 << 1) | (1 << 4) } }]);
    await rv(q, q.write.createTask([c.spec(nodes, { rule: 0 })], { account: requester }), "InvalidRule");
    await rv(q, q.write.createTask([c.spec(nodes, { rule: 3 })], { account: requester }), "InvalidRule");
    await q.write.setParams([tuple]);

    const soob = async (patch: (t: typeof staking) => void) => {
      const t = structuredClone(staking);
      patch(t);
      await rv(r, r.write.setParams([t]), "ParamOutOfRange");
    };
    await soob((t) => (t.minStake = 0n));
    await soob((t) => (t.stakeCap = t.minStake - 1n));
    await soob((t) => (t.activationDelay = B.activationDelay[1] + 1));
    await soob((t) => (t.unbondingDelay = t.activationDelay - 1));
    await soob((t) => (t.unbondingDelay = B.unbondingDelay[1] + 1));
    await soob((t) => (t.initialTrust = B.initialTrust[0] - 1));
    await soob((t) => (t.initialTrust = B.initialTrust[1] + 1));
    await soob((t) => (t.trustGainPerPeriod = 0));
    await soob((t) => (t.trustGainPerPeriod = B.trustGainPerPeriod[1] + 1));
    await soob((t) => (t.trustPeriod = B.trustPeriod[0] - 1));
    await soob((t) => (t.trustPeriod = B.trustPeriod[1] + 1));
    await soob((t) => (t.maxCost = 0n));
    await r.write.setParams([staking]);

    const [, , treasury] = await q.read.totals();
    expect(treasury).toBeGreaterThan(0n); // protocol fees of the tasks above
    await rv(q, q.write.withdrawTreasury([zeroAddress, 1n]), "ZeroAddress");
    await rv(q, q.write.withdrawTreasury([outsider, 0n]), "ZeroAmount");
    await rv(q, q.write.withdrawTreasury([outsider, treasury + 1n]), "InsufficientTreasury");
    const b0 = await c.token.read.balanceOf([outsider]);
    await q.write.withdrawTreasury([outsider, treasury]);
    expect((await c.token.read.balanceOf([outsider])) - b0).toBe(treasury);

    await rv(q, q.write.unpause(), "ExpectedPause");
    await q.write.pause();
    await r.write.pause();
    const paused = (contract: { address: Address }, p: Promise<unknown>) => rv(contract, p, "EnforcedPause");
    await paused(q, q.write.createTask([c.spec(nodes)], { account: requester }));
    await paused(q, q.write.registerNode([outsider, keccak256(toHex("m"))], { account: outsider }));
    await paused(r, r.write.register([1_000n * E18, 1n, [TEST_PROFILE]], { account: outsider }));
    await paused(r, r.write.addStake([1n], { account: evals[1]! }));
    await paused(r, r.write.setCost([1n], { account: evals[1]! }));
    await paused(r, r.write.setProfiles([[TEST_PROFILE]], { account: evals[1]! }));
    // exits and claims still work while paused
    await r.write.requestUnbond([100n * E18], { account: evals[1]! });
    await q.write.unpause();
    await r.write.unpause();
    await c.createTask(requester, c.spec(nodes, { family: Family.OPEN }));
  });

  it("constructors reject zero addresses", async () => {
    const gov = c.governance.address;
    await expect(
      c.viem.deployContract("EvaluatorRegistry", [zeroAddress, c.profileRegistry.address, c.admin.account.address, toStakingTuple(P.staking)], { libraries: { Governance: gov } }),
    ).rejects.toThrow(/ZeroAddress/);
    await expect(
      c.viem.deployContract("ProofOfQuality", [c.token.address, zeroAddress, c.profileRegistry.address, c.admin.account.address, toGovernanceTuple(P.governance)], {
        libraries: { TaskSettlement: c.settlement.address, Governance: gov, Sealing: c.sealing.address },
      }),
    ).rejects.toThrow(/ZeroAddress/);
  });

  it("library preconditions: aggregation needs scores", async () => {
    const h = await c.viem.deployContract("RulesHarness");
    await expect(h.read.aggregate([0, [], [], 0n])).rejects.toThrow(/TooFewScores/);
    await expect(h.read.aggregateWithLeaveOneOut([1, [5n], [1n], 0n])).rejects.toThrow(/TooFewScores/);
  });
});
