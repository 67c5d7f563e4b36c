/** Every revert path of ProofOfQuality, each asserted by its custom error name. */
import { beforeAll, describe, expect, it } from "vitest";
import { zeroAddress, keccak256, toHex, type Address } from "viem";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import { DEFAULT_PARAMS, MAX_EVALUATORS, PARAM_BOUNDS, Family } from "../../oracle/rules/index.js";
import { E18, salt, setupChain } from "./helpers.js";

type Chain = Awaited<ReturnType<typeof setupChain>>;

describe("ProofOfQuality revert paths", () => {
  let c: Chain;
  let evals: Address[];
  let nodes: Address[];
  let requester: Address;
  let outsider: Address;
  let rv: (p: Promise<unknown>, name: string) => Promise<void>;

  beforeAll(async () => {
    c = await setupChain();
    evals = await c.evaluators(4);
    nodes = await c.nodes(2);
    requester = (await c.actor(1)).address;
    outsider = (await c.actor(2)).address;
    rv = (p, name) => c.viem.assertions.revertWithCustomError(p as never, c.poq, name as never);
  });

  it("registration and staking", async () => {
    await rv(c.poq.write.registerEvaluator([1_000n * E18, 1n], { account: evals[0]! }), "AlreadyRegistered");
    await rv(c.poq.write.registerEvaluator([DEFAULT_PARAMS.minStake - 1n, 1n], { account: outsider }), "StakeBelowMinimum");
    await rv(c.poq.write.addStake([1n], { account: outsider }), "NotRegistered");
    await rv(c.poq.write.addStake([0n], { account: evals[0]! }), "ZeroAmount");
    await rv(c.poq.write.setCost([1n], { account: outsider }), "NotRegistered");
    await rv(c.poq.write.requestUnbond([1n], { account: outsider }), "NotRegistered");
    await rv(c.poq.write.requestUnbond([0n], { account: evals[0]! }), "ZeroAmount");
    await rv(c.poq.write.requestUnbond([1_001n * E18], { account: evals[0]! }), "InsufficientStake");
    await rv(c.poq.write.requestUnbond([901n * E18 + 1n], { account: evals[0]! }), "StakeBelowMinimum");
    await rv(c.poq.write.withdraw({ account: evals[0]! }), "NothingToWithdraw");
    await rv(c.poq.write.registerNode([zeroAddress, keccak256(toHex("m"))], { account: outsider }), "ZeroAddress");
    await rv(c.poq.write.registerNode([outsider, keccak256(toHex("m"))], { account: nodes[0]! }), "AlreadyRegistered");
    await rv(c.poq.write.updateNode([outsider, keccak256(toHex("m"))], { account: outsider }), "NotRegistered");
    await rv(c.poq.write.updateNode([zeroAddress, keccak256(toHex("m"))], { account: nodes[0]! }), "ZeroAddress");
  });

  it("task creation", async () => {
    const ok = await c.spec(nodes);
    const bad = async (over: Record<string, unknown>, name: string) =>
      rv(c.poq.write.createTask([{ ...ok, ...over }], { account: requester }), name);
    await bad({ family: 3 }, "InvalidFamily");
    await bad({ rule: 5 }, "InvalidRule");
    await bad({ k: 0 }, "InvalidCommitteeSize");
    await bad({ k: 33 }, "InvalidCommitteeSize");
    await bad({ nodes: [], outputHashes: [] }, "InvalidOutputCount");
    await bad({ nodes: new Array(16).fill(nodes[0]), outputHashes: new Array(16).fill(ok.outputHashes[0]) }, "InvalidOutputCount");
    await bad({ outputHashes: [ok.outputHashes[0]] }, "LengthMismatch");
    const now = Number(await c.now());
    await bad({ commitDeadline: now }, "InvalidDeadlines");
    await bad({ revealDeadline: ok.commitDeadline }, "InvalidDeadlines");
    await bad({ revealDeadline: now + 31 * 24 * 3600 }, "InvalidDeadlines");
    await bad({ nodes: [nodes[0], outsider] }, "UnknownNode");
    await bad({ k: 5 }, "CommitteeUnfillable"); // only 4 evaluators
    await bad({ evalBudget: 29n * E18 }, "CommitteeUnfillable"); // 3 x 10 tokens do not fit
  });

  it("commit, reveal and finalize", async () => {
    const s = await c.spec(nodes, { k: 3 });
    const { taskId, members } = await c.createTask(requester, s);
    const outside = evals.find((e) => !members.includes(e))!;
    const [a, b, d] = members as [Address, Address, Address];
    const sa = [7_000, 8_000];

    await rv(c.poq.write.commit([999n, keccak256("0x01")], { account: a }), "UnknownTask");
    await rv(c.poq.write.commit([taskId, keccak256("0x01")], { account: outside }), "NotCommitteeMember");
    await rv(c.poq.write.commit([taskId, `0x${"00".repeat(32)}`], { account: a }), "InvalidCommitment");
    await c.commit(taskId, a, sa, salt(1));
    await rv(c.commit(taskId, a, sa, salt(1)), "AlreadyCommitted");
    // b copies a's commitment: it can never reveal it, because the hash binds the evaluator
    await c.poq.write.commit([taskId, c.commitment(taskId, a, sa, salt(1))], { account: b });

    await rv(c.reveal(taskId, a, sa, salt(1)), "RevealTooEarly"); // d has not committed yet
    await rv(c.reveal(999n, a, sa, salt(1)), "UnknownTask");
    await rv(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    await c.networkHelpers.time.increaseTo(s.commitDeadline + 1);
    await rv(c.commit(taskId, d, sa, salt(3)), "CommitTooLate");
    await rv(c.reveal(taskId, outside, sa, salt(1)), "NotCommitteeMember");
    await rv(c.reveal(taskId, d, sa, salt(3)), "NotCommitted");
    await rv(c.reveal(taskId, a, [7_000], salt(1)), "WrongScoreCount");
    await rv(c.reveal(taskId, a, [7_000, 10_001], salt(1)), "ScoreOutOfRange");
    await rv(c.reveal(taskId, a, sa, salt(2)), "CommitmentMismatch"); // wrong salt
    await rv(c.reveal(taskId, a, [7_001, 8_000], salt(1)), "CommitmentMismatch"); // changed scores
    await rv(c.reveal(taskId, b, sa, salt(1)), "CommitmentMismatch"); // the copier
    await c.reveal(taskId, a, sa, salt(1));
    await rv(c.reveal(taskId, a, sa, salt(1)), "AlreadyRevealed");
    await rv(c.poq.write.finalize([taskId]), "FinalizeTooEarly");
    await c.networkHelpers.time.increaseTo(s.revealDeadline + 1);
    await rv(c.reveal(taskId, a, sa, salt(1)), "RevealTooLate");
    await c.poq.write.finalize([taskId]);
    await rv(c.poq.write.finalize([taskId]), "TaskAlreadyFinalized");
    await rv(c.commit(taskId, a, sa, salt(1)), "TaskAlreadyFinalized");
    await rv(c.poq.write.finalize([12345n]), "UnknownTask");

    // payouts: double claim and empty claims
    await c.poq.write.claim({ account: a });
    await rv(c.poq.write.claim({ account: a }), "NothingToClaim");
    await rv(c.poq.write.claim({ account: outsider }), "NothingToClaim");
    await c.poq.write.claimNode([nodes[0]!]);
    await rv(c.poq.write.claimNode([nodes[0]!]), "NothingToClaim");
  });

  it("withdraw while locked and before the unbonding delay", async () => {
    const s = await c.spec(nodes, { k: 4 });
    const { taskId, members } = await c.createTask(requester, s);
    const e = members[0]!;
    await c.poq.write.requestUnbond([100n * E18], { account: e });
    await rv(c.poq.write.withdraw({ account: e }), "UnbondingNotElapsed");
    await c.networkHelpers.time.increase(DEFAULT_PARAMS.unbondingDelay + 1);
    await rv(c.poq.write.withdraw({ account: e }), "StakeLocked");
    await c.poq.write.finalize([taskId]); // nobody revealed: refund, penalties
    const before = await c.token.read.balanceOf([e]);
    const rec = await c.poq.read.getEvaluator([e]);
    await c.poq.write.withdraw({ account: e });
    expect((await c.token.read.balanceOf([e])) - before).toBe(rec.unbonding);
    await rv(c.poq.write.withdraw({ account: e }), "NothingToWithdraw");
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
  });

  it("governance: roles, bounds, treasury, pause", async () => {
    const ac = (p: Promise<unknown>) => rv(p, "AccessControlUnauthorizedAccount");
    const tuple = toGovernanceTuple(DEFAULT_PARAMS);
    await ac(c.poq.write.setParams([tuple], { account: outsider }));
    await ac(c.poq.write.setRandomnessSource([outsider], { account: outsider }));
    await ac(c.poq.write.pause({ account: outsider }));
    await ac(c.poq.write.withdrawTreasury([outsider, 1n], { account: outsider }));
    await rv(c.poq.write.setRandomnessSource([zeroAddress]), "ZeroAddress");

    const oob = async (patch: (t: typeof tuple) => void) => {
      const t = structuredClone(tuple);
      patch(t);
      await rv(c.poq.write.setParams([t]), "ParamOutOfRange");
    };
    await oob((t) => (t.minStake = 0n));
    await oob((t) => (t.stakeCap = t.minStake - 1n));
    await oob((t) => (t.unbondingDelay = PARAM_BOUNDS.unbondingDelay[1] + 1));
    const s = PARAM_BOUNDS;
    await oob((t) => (t.settlement.lambdaBps = s.lambdaBps[1] + 1));
    await oob((t) => (t.settlement.deviationScaleBps = s.deviationScaleBps[0] - 1));
    await oob((t) => (t.settlement.deviationScaleBps = s.deviationScaleBps[1] + 1));
    await oob((t) => (t.settlement.trimBps = s.trimBps[1] + 1));
    await oob((t) => (t.settlement.qualityFloorBps = s.qualityFloorBps[1] + 1));
    await oob((t) => (t.settlement.slashBps = s.slashBps[1] + 1));
    await oob((t) => (t.settlement.missPenaltyBps = s.missPenaltyBps[1] + 1));
    await oob((t) => (t.settlement.wMin = s.wMin[0] - 1));
    await oob((t) => (t.settlement.wMin = s.wMin[1] + 1));
    await oob((t) => (t.settlement.wMax = s.wMax[0] - 1));
    await oob((t) => (t.settlement.wMax = s.wMax[1] + 1));
    await c.poq.write.setParams([tuple]);

    const [, , , treasury] = await c.poq.read.totals();
    expect(treasury).toBeGreaterThan(0n); // the no-show task above was slashed
    await rv(c.poq.write.withdrawTreasury([zeroAddress, 1n]), "ZeroAddress");
    await rv(c.poq.write.withdrawTreasury([outsider, 0n]), "ZeroAmount");
    await rv(c.poq.write.withdrawTreasury([outsider, treasury + 1n]), "InsufficientTreasury");
    await c.poq.write.withdrawTreasury([outsider, treasury]);
    expect(await c.token.read.balanceOf([outsider])).toBe(1_000_000n * E18 + treasury);

    await rv(c.poq.write.unpause(), "ExpectedPause");
    await c.poq.write.pause();
    const paused = (p: Promise<unknown>) => rv(p, "EnforcedPause");
    await paused(c.poq.write.createTask([await c.spec(nodes)], { account: requester }));
    await paused(c.poq.write.registerEvaluator([1_000n * E18, 1n], { account: outsider }));
    await paused(c.poq.write.addStake([1n], { account: evals[1]! }));
    await paused(c.poq.write.setCost([1n], { account: evals[1]! }));
    await paused(c.poq.write.registerNode([outsider, keccak256(toHex("m"))], { account: outsider }));
    // exits and claims still work while paused
    await c.poq.write.requestUnbond([100n * E18], { account: evals[1]! });
    await c.poq.write.unpause();
    await c.createTask(requester, await c.spec(nodes, { family: Family.OPEN }));
  });

  it("constructor rejects zero addresses", async () => {
    const gov = await c.viem.deployContract("Governance");
    await expect(
      c.viem.deployContract("ProofOfQuality", [zeroAddress, c.randomness.address, c.admin.account.address, toGovernanceTuple()], {
        libraries: { Settlement: c.settlement.address, Governance: gov.address },
      }),
    ).rejects.toThrow(/ZeroAddress/);
  });

  it("caps the number of evaluators", async () => {
    const count = (await c.poq.read.getEvaluators()).length;
    for (let i = count; i < MAX_EVALUATORS; i++) {
      const a = await c.actor(1_000 + i, 100n * E18);
      await c.poq.write.registerEvaluator([100n * E18, 0n], { account: a.address });
    }
    const late = await c.actor(5_000, 100n * E18);
    await rv(c.poq.write.registerEvaluator([100n * E18, 0n], { account: late.address }), "TooManyEvaluators");
  });

  it("library preconditions: aggregation needs scores", async () => {
    const lib = await c.viem.deployContract("Settlement");
    const h = await c.viem.deployContract("RulesHarness", [], { libraries: { Settlement: lib.address } });
    await expect(h.read.aggregate([0, [], [], 0n])).rejects.toThrow(/TooFewScores/);
    await expect(h.read.aggregateWithLeaveOneOut([1, [5n], [1n], 0n])).rejects.toThrow(/TooFewScores/);
  });
});
