/**
 * Issue 12's attacks on the settlement, each played against the deployed v2 contracts and
 * shown to fail or to cost the attacker more than it gains (figures in the assertions).
 * docs/contract.md ("Threat model") names the defence and the parameter behind each.
 */
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Address } from "viem";
import { DEV_PROTOCOL_PARAMS, FINALIZE_GRACE, Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, setupChain, type Chain } from "./helpers.js";

const OTHER_PROFILE = keccak256(toHex("poq.other-profile"));
const P = DEV_PROTOCOL_PARAMS;

function rv(c: Chain, contract: { address: Address }, p: Promise<unknown>, name: string) {
  return c.viem.assertions.revertWithCustomError(p as never, contract as never, name as never);
}

/** The committee a pending task would get, drawn on a snapshot that is then discarded. */
async function drawOnSnapshot(c: Chain, taskId: bigint, before?: () => Promise<void>) {
  const snap = await c.networkHelpers.takeSnapshot();
  if (before) await before();
  const { members } = await c.draw(taskId);
  await snap.restore();
  return members;
}

describe("attack 1: free slashing through short windows", () => {
  it("refuses windows under the protocol minimum; honest members answering inside the minimum are never slashed and the griefer pays for every task", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(2);
    const griefer = (await c.actor(1)).address;
    const before = await c.token.read.balanceOf([griefer]);
    for (const over of [{ commitWindow: 1 }, { revealWindow: 1 }, { commitWindow: P.governance.tasks.minCommitWindow - 1 }, { revealWindow: 86_401 }]) {
      await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, over)], { account: griefer }), "InvalidWindows");
    }
    // ten tasks at the minimum windows, zero node budget, in one multicall
    const s = c.spec(nodes, { commitWindow: P.governance.tasks.minCommitWindow, revealWindow: P.governance.tasks.minRevealWindow, nodeBudget: 0n });
    const { encodeFunctionData } = await import("viem");
    const call = encodeFunctionData({ abi: c.poq.abi, functionName: "createTask", args: [s] });
    await c.poq.write.multicall([new Array(10).fill(call)], { account: griefer });
    for (let t = 1n; t <= 10n; t++) {
      const { members } = await c.draw(t);
      // a worker answers within a few blocks, well inside 10 s
      await c.play(t, members, members.map(() => [7_000, 7_000]));
      await c.poq.write.finalize([t]);
    }
    for (const e of evals) {
      const r = await c.registry.read.getEvaluator([e]);
      expect(r.stake).toBe(1_000n * E18); // nobody slashed
      expect(r.tasksMissed).toBe(0);
      expect(r.trust).toBeGreaterThanOrEqual(P.staking.initialTrust); // trust only rose
    }
    const spent = before - (await c.token.read.balanceOf([griefer]));
    const protocolFee = await c.poq.read.protocolFeeFor([0n, 6n * E18]);
    // 10 x (protocol fee 0.22 + 3 members x 2 tokens paid to the victims) = 62.2 tokens lost
    expect(spent).toBe(10n * (protocolFee + 6n * E18));
    expect(spent).toBe(622n * E18 / 10n);
  });

  it("cannot keep a leaving evaluator's stake locked: it leaves sampling after the activation delay and withdraws by unbondAt plus one task's length", async () => {
    const c = await setupChain();
    const evals = await c.evaluators(5);
    const nodes = await c.nodes(1);
    const griefer = (await c.actor(1)).address;
    const victim = evals[0]!;
    const t0 = await c.now();
    await c.registry.write.requestUnbond([1_000n * E18], { account: victim });
    const maxWindows = P.governance.tasks.maxCommitWindow + P.governance.tasks.maxRevealWindow;
    // the griefer keeps asking for maximal windows
    const long = c.spec(nodes, { k: 4, commitWindow: P.governance.tasks.maxCommitWindow, revealWindow: P.governance.tasks.maxRevealWindow });
    await c.activate();
    for (let i = 0; i < 5; i++) {
      const id = await c.create(griefer, long);
      const { members } = await c.draw(id);
      expect(members).not.toContain(victim); // effective stake 0 after the activation delay
    }
    const lockedUntil = BigInt((await c.registry.read.getEvaluator([victim])).lockedUntil);
    expect(lockedUntil).toBeLessThanOrEqual(t0 + BigInt(P.staking.activationDelay + maxWindows + FINALIZE_GRACE) + 5n);
    await c.warp(BigInt(P.staking.unbondingDelay) + 1n);
    if ((await c.now()) <= lockedUntil) await c.networkHelpers.time.increaseTo(lockedUntil + 1n);
    await c.registry.write.withdraw({ account: victim });
    expect((await c.registry.read.getEvaluator([victim])).registered).toBe(false);
  });
});

describe("attack 2: slashing through an unknown profile", () => {
  it("refuses unregistered and retired profiles, cancels (refunds, slashes nobody) when nobody serves one, and never samples evaluators for profiles they do not serve", async () => {
    const c = await setupChain({ profiles: [TEST_PROFILE, OTHER_PROFILE] });
    const evals = await c.evaluators(4);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const typo = keccak256(toHex("poq.test-profil"));
    await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, { profileHash: typo })], { account: requester }), "UnknownProfile");
    await rv(c, c.registry, c.registry.write.register([1_000n * E18, 0n, [typo]], { account: requester }), "UnknownProfile");

    const staked = await c.registry.read.totalStaked();
    const balance = await c.token.read.balanceOf([requester]);
    const id = await c.create(requester, c.spec(nodes, { profileHash: OTHER_PROFILE }));
    await c.poq.write.drawCommittee([id]);
    expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.CANCELLED);
    expect(await c.registry.read.totalStaked()).toBe(staked); // nobody slashed
    await c.poq.write.claim([requester], { account: requester });
    const fee = await c.poq.read.protocolFeeFor([100n * E18, 6n * E18]);
    expect(balance - (await c.token.read.balanceOf([requester]))).toBe(fee); // escrow back, protocol fee kept

    // three evaluators serve the other profile too: only they are ever drawn for it
    for (const e of evals.slice(0, 3)) await c.registry.write.setProfiles([[TEST_PROFILE, OTHER_PROFILE]], { account: e });
    await c.activate();
    for (let i = 0; i < 4; i++) {
      const { members } = await c.createTask(requester, c.spec(nodes, { profileHash: OTHER_PROFILE }));
      expect(members).not.toContain(evals[3]);
    }
    await c.profileRegistry.write.retire([OTHER_PROFILE]);
    await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, { profileHash: OTHER_PROFILE })], { account: requester }), "UnknownProfile");
  });
});

describe("attack 3: the requester picks the committee", () => {
  it("refuses fees under the minimum and committees under 3; never samples the requester for its own task", async () => {
    const c = await setupChain();
    await c.evaluators(3);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, { evalBudget: 0n })], { account: requester }), "FeeBelowMinimum");
    await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, { evalBudget: 3n * (E18 / 10n) - 1n })], { account: requester }), "FeeBelowMinimum");
    for (const k of [1, 2]) await rv(c, c.poq, c.poq.write.createTask([c.spec(nodes, { k })], { account: requester }), "InvalidCommitteeSize");
    // the requester is also a cheap, heavily staked evaluator: never drawn for its own tasks
    await c.registry.write.register([10_000n * E18, 0n, [TEST_PROFILE]], { account: requester });
    await c.activate();
    for (let i = 0; i < 12; i++) {
      const { members } = await c.createTask(requester, c.spec(nodes));
      expect(members).not.toContain(requester);
    }
    // with only two other evaluators a 3-member committee cannot be filled: cancelled, not self-served
    const other = (await c.actor(2)).address;
    const id = await c.create(requester, c.spec(nodes, { k: 4 }));
    await c.poq.write.drawCommittee([id], { account: other });
    expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.CANCELLED);
  });

  it("trust farming with sybils is capped per period and paid for; farmed sybils cannot capture a trust-weighted consensus", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const attacker = (await c.actor(1)).address;
    // three sybils at the minimum stake, cost 0, alone in the profile: the attacker's own tasks go to them
    const sybils = await c.evaluators(3, P.staking.minStake, 0n, { first: 600 });
    await c.alignToTrustPeriod(); // all 12 tasks inside one trust period
    const spent0 = await c.token.read.balanceOf([attacker]);
    for (let i = 0; i < 12; i++) {
      const { taskId, members } = await c.createTask(attacker, c.spec(nodes, { nodeBudget: 0n, evalBudget: 3n * (E18 / 10n) }));
      await c.play(taskId, members, members.map(() => [9_000]));
      await c.poq.write.finalize([taskId]);
    }
    const farmed = await Promise.all(sybils.map((s) => c.registry.read.getEvaluator([s])));
    // uncapped, 12 x 10% would give 5000 x 1.1^12 = 15692; the cap holds them at 5000 + 5000
    for (const f of farmed) expect(f.trust).toBe(P.staking.initialTrust + P.staking.trustGainPerPeriod);
    await c.poq.write.claim([attacker], { account: attacker }).catch(() => undefined);
    for (const s of sybils) await c.poq.write.claim([attacker], { account: s });
    const cost = spent0 - (await c.token.read.balanceOf([attacker]));
    expect(cost).toBe(12n * (await c.poq.read.protocolFeeFor([0n, 3n * (E18 / 10n)]))); // 12 x 0.106 tokens of protocol fee, gone

    // five honest evaluators (stake 1000) join; in a TRUST_WEIGHTED_MEDIAN task with all eight,
    // the farmed sybils (trust 10000, stake 100) vote 0 and the honest (trust 5000) vote 8000
    const honest = await c.evaluators(5, 1_000n * E18, 1n * E18);
    const requester = (await c.actor(2)).address;
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 8, rule: Rule.TRUST_WEIGHTED_MEDIAN, evalBudget: 16n * E18 }));
    expect(new Set(members)).toEqual(new Set([...sybils, ...honest]));
    const [, , weights] = await c.poq.read.getCommittee([taskId]);
    const w = (a: Address) => weights[members.indexOf(a)]!;
    const sybilWeight = sybils.reduce((s, a) => s + w(a), 0n);
    const honestWeight = honest.reduce((s, a) => s + w(a), 0n);
    expect(honestWeight).toBeGreaterThan(8n * sybilWeight); // trust x stake: 5 x 5000 x 1000 vs 3 x 10000 x 100
    await c.play(taskId, members, members.map((m) => (sybils.includes(m) ? [0] : [8_000])));
    await c.poq.write.finalize([taskId]);
    expect((await c.poq.read.getConsensus([taskId]))[1]).toEqual([8_000]);
    expect((await c.poq.read.getNode([nodes[0]!])).lifetime).toBeGreaterThan(0n); // the node is paid
  });

  it("a sybil in a 3-member committee cannot stiff the nodes: the median ignores its zero", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    await c.evaluators(3);
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { rule: Rule.MEDIAN }));
    await c.play(taskId, members, [[0], [9_000], [9_000]]);
    await c.poq.write.finalize([taskId]);
    expect((await c.poq.read.getConsensus([taskId]))[1]).toEqual([9_000]);
    expect((await c.poq.read.getNode([nodes[0]!])).pending).toBe((100n * E18 * 4_000n) / 5_000n);
  });
});

/** The registry's storage slot holding the number of registered evaluators (`_active`), found by its value. */
async function activeCountSlot(c: Chain, count: number): Promise<bigint> {
  const hits: bigint[] = [];
  for (let i = 0n; i < 40n; i++) {
    const v = await c.publicClient.getStorageAt({ address: c.registry.address, slot: `0x${i.toString(16)}` });
    if (v !== undefined && BigInt(v) === BigInt(count)) hits.push(i);
  }
  // `_list` (its length: every place ever used) sits two slots before `_active`, `_holes` between
  const found = hits.filter((h) => hits.includes(h - 2n));
  expect(found, "the list length two slots before the evaluator count").toHaveLength(1);
  return found[0]!;
}

describe("attack 4: squatting the registry, whitewashing", () => {
  it("a full exit frees a place; squatters that do not serve are slashed under the minimum and evicted; a newcomer then joins", async () => {
    const c = await setupChain();
    const MAX_EVALUATORS = Number(await c.registry.read.MAX_EVALUATORS());
    expect(MAX_EVALUATORS).toBe(16_384);
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const SQUATTERS = 12;
    const squatters = await c.evaluators(SQUATTERS, P.staking.minStake, 0n, { first: 1_000 });
    const late = (await c.actor(5_000)).address;
    // the registry is full at MAX_EVALUATORS (16,384, the sum trees' leaves): filling it here
    // would take 16,384 registrations, so the count is moved to one short of the cap in storage
    const slot = await activeCountSlot(c, SQUATTERS);
    await c.networkHelpers.setStorageAt(c.registry.address, slot, BigInt(MAX_EVALUATORS - 1));
    const filler = (await c.actor(5_001)).address;
    await c.registry.write.register([P.staking.minStake, 0n, [TEST_PROFILE]], { account: filler });
    expect(await c.registry.read.evaluatorCount()).toBe(BigInt(MAX_EVALUATORS));
    await rv(c, c.registry, c.registry.write.register([P.staking.minStake, 0n, [TEST_PROFILE]], { account: late }), "TooManyEvaluators");
    await c.networkHelpers.setStorageAt(c.registry.address, slot, BigInt(SQUATTERS + 1)); // back to the real count
    await c.registry.write.requestUnbond([P.staking.minStake], { account: filler });
    await c.warp(BigInt(P.staking.unbondingDelay) + 1n);
    await c.registry.write.withdraw({ account: filler });
    await c.networkHelpers.setStorageAt(c.registry.address, slot, BigInt(MAX_EVALUATORS));
    await rv(c, c.registry, c.registry.write.register([P.staking.minStake, 0n, [TEST_PROFILE]], { account: late }), "TooManyEvaluators");
    // the squatters never reveal
    const { taskId, members } = await c.createTask(requester, c.spec(nodes));
    await c.finalize(taskId);
    for (const m of members) {
      const r = await c.registry.read.getEvaluator([m]);
      expect(r.stake).toBe((P.staking.minStake * 9n) / 10n); // slashed 10%: under the minimum
    }
    await rv(c, c.registry, c.registry.write.evict([squatters.find((s) => !members.includes(s))!]), "NotEvictable");
    // a slash reaches the effective stake after the activation delay, like any change
    await rv(c, c.registry, c.registry.write.evict([members[0]!], { account: late }), "NotEvictable");
    await c.activate();
    await c.registry.write.evict([members[0]!], { account: late });
    expect(await c.registry.read.evaluatorCount()).toBe(BigInt(MAX_EVALUATORS - 1));
    await c.registry.write.register([P.staking.minStake, 0n, [TEST_PROFILE]], { account: late }); // the freed place
    // a voluntary full exit frees a place too
    const leaver = squatters.find((s) => !members.includes(s))!;
    await c.registry.write.requestUnbond([P.staking.minStake], { account: leaver });
    await c.warp(BigInt(P.staking.unbondingDelay) + 1n);
    await c.registry.write.withdraw({ account: leaver });
    expect(await c.registry.read.evaluatorCount()).toBe(BigInt(MAX_EVALUATORS - 1));
  });

  it("idle squatters that serve no profile are evictable; a cost above maxCost cannot be declared", async () => {
    const c = await setupChain();
    const idle = await c.evaluators(2, P.staking.minStake, 0n, { first: 800, profiles: [] });
    await c.registry.write.evict([idle[0]!]);
    expect((await c.registry.read.getEvaluator([idle[0]!])).registered).toBe(false);
    const pricey = (await c.actor(810)).address;
    await rv(c, c.registry, c.registry.write.register([P.staking.minStake, P.staking.maxCost + 1n, [TEST_PROFILE]], { account: pricey }), "CostAboveMaximum");
  });

  it("whitewashing: the same address keeps its low trust, a new identity starts below established evaluators and waits the activation delay", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const evals = await c.evaluators(4);
    const liar = evals[3]!;
    for (let i = 0; i < 3; i++) {
      const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 4, rule: Rule.MEDIAN }));
      await c.play(taskId, members, members.map((m) => (m === liar ? [0] : [8_000])));
      await c.poq.write.finalize([taskId]);
    }
    const low = (await c.registry.read.getEvaluator([liar])).trust;
    const established = (await c.registry.read.getEvaluator([evals[0]!])).trust;
    expect(low).toBe(3_645); // 5000 x 0.9^3
    expect(established).toBe(6_655); // 5000 x 1.1^3
    await c.registry.write.requestUnbond([1_000n * E18], { account: liar });
    await c.warp(BigInt(P.staking.unbondingDelay) + BigInt(FINALIZE_GRACE) + 200n);
    await c.registry.write.withdraw({ account: liar });
    await c.registry.write.register([1_000n * E18, 1n * E18, [TEST_PROFILE]], { account: liar });
    expect((await c.registry.read.getEvaluator([liar])).trust).toBe(low); // remembered
    const fresh = (await c.actor(900)).address;
    await c.registry.write.register([1_000n * E18, 1n * E18, [TEST_PROFILE]], { account: fresh });
    const f = await c.registry.read.getEvaluator([fresh]);
    expect(f.trust).toBe(P.staking.initialTrust);
    expect(f.trust).toBeLessThan(established);
    expect((await c.registry.read.effectiveOf([fresh]))[0]).toBe(0n); // not sampleable yet
  });
});

describe("attack 5: steering the draw", () => {
  it("changes made after a task is visible do not change its committee, and the drawer's block does not either", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const evals = await c.evaluators(6);
    const requester = (await c.actor(1)).address;
    const id = await c.create(requester, c.spec(nodes, { k: 3, evalBudget: 3n * E18 }));
    const honest = await drawOnSnapshot(c, id);
    // colluders see the task: one registers with a huge stake, members try to leave or price themselves out
    const steered = await drawOnSnapshot(c, id, async () => {
      const colluder = (await c.actor(700)).address;
      await c.registry.write.register([10_000n * E18, 0n, [TEST_PROFILE]], { account: colluder });
      await c.registry.write.addStake([9_000n * E18], { account: evals[5]! });
      for (const m of honest) await c.registry.write.requestUnbond([1_000n * E18], { account: m });
      await c.registry.write.setCost([10n * E18], { account: evals[4]! });
    });
    expect(steered).toEqual(honest);
    const later = await drawOnSnapshot(c, id, async () => {
      await c.networkHelpers.mine(7);
    });
    expect(later).toEqual(honest);
  });
});

describe("attack 6: hiding a boost in the average", () => {
  it("a +3500 bps boost on one output of five costs the booster its whole fee and trust, while honest members keep theirs", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(5);
    const requester = (await c.actor(1)).address;
    await c.evaluators(5);
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 5, rule: Rule.MEDIAN, evalBudget: 10n * E18 }));
    const honest = [6_000, 5_000, 6_000, 4_000, 6_500];
    const boosted = [...honest];
    boosted[2] = 6_000 + 3_500;
    await c.play(taskId, members, members.map((_, i) => (i === 4 ? boosted : honest)));
    const tx = await c.poq.write.finalize([taskId]);
    const logs = await c.poq.getEvents.EvaluatorSettled({}, { blockHash: (await c.publicClient.getTransactionReceipt({ hash: tx })).blockHash });
    const booster = logs.find((l) => l.args.evaluator === members[4])!.args;
    expect(booster.deviation).toBe(3_500n); // the largest deviation, not the mean (700)
    expect(booster.pay).toBe(0n); // was 65% of the fee under the mean
    expect(booster.newTrust).toBe(4_500n); // d = 1: trust x 0.9 (was x 1.03)
    for (const l of logs.filter((l) => l.args.evaluator !== members[4])) {
      expect(l.args.pay).toBe(2n * E18);
      expect(l.args.newTrust).toBe(5_500n);
    }
  });
});

describe("attack 7: blocking finalize by overflow", () => {
  it("fees near the uint96 limit accrue past it without reverting and are claimable", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    await c.token.write.mint([requester, 2n ** 100n]);
    const evals = await c.evaluators(3, 1_000n * E18, 0n);
    const max96 = 2n ** 96n - 1n;
    for (let i = 0; i < 4; i++) {
      const { taskId, members } = await c.createTask(requester, c.spec(nodes, { nodeBudget: 0n, evalBudget: max96 }));
      await c.play(taskId, members, [[5_000], [5_000], [5_000]]);
      await c.poq.write.finalize([taskId]);
    }
    const fee = max96 / 3n;
    const owed = await c.poq.read.claimableOf([evals[0]!]);
    expect(owed).toBe(4n * fee);
    expect(owed).toBeGreaterThan(max96);
    await c.poq.write.claim([evals[0]!], { account: evals[0]! });
    expect(await c.poq.read.claimableOf([evals[0]!])).toBe(0n);
  });
});

describe("attack 8: the smaller ones", () => {
  it("slashed stake goes to the task's honest revealers, never the treasury; with no honest revealer it is burned", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    await c.evaluators(4);
    const { taskId, members } = await c.createTask(requester, c.spec(nodes, { k: 4, evalBudget: 8n * E18 }));
    await c.play(taskId, members, [[7_000], [7_000], [7_000], undefined]);
    await c.finalize(taskId);
    const slashed = 100n * E18; // 10% of 1000
    expect((await c.registry.read.getEvaluator([members[3]!])).stake).toBe(900n * E18);
    const share = slashed / 3n;
    expect(await c.poq.read.claimableOf([members[0]!])).toBe(2n * E18 + share + (slashed - 3n * share));
    expect(await c.poq.read.claimableOf([members[1]!])).toBe(2n * E18 + share);
    const [, , treasury, burned] = await c.poq.read.totals();
    expect(treasury).toBe(await c.poq.read.protocolFeeFor([100n * E18, 8n * E18])); // fees only
    expect(burned).toBe(0n);
    await rv(c, c.poq, c.poq.write.withdrawTreasury([requester, treasury + 1n]), "InsufficientTreasury");

    // nobody reveals: nobody is honest, the slashed stake is burned (no one gains from it)
    const t2 = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    await c.finalize(t2.taskId);
    const [, , , burned2] = await c.poq.read.totals();
    expect(burned2).toBeGreaterThan(0n);
    const bal = await c.conserved();
    expect(bal.balance).toBe(bal.accounted);
    expect(bal.registryBalance).toBe(bal.staked);
  });

  it("a reverting or gas-burning randomness source cannot halt task creation or draws (the block seed is used)", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    await c.evaluators(5);
    const id = await c.create(requester, c.spec(nodes));
    const plain = await drawOnSnapshot(c, id);
    const hostile = await c.viem.deployContract("HostileRandomness");
    await c.poq.write.setRandomnessSource([hostile.address]);
    expect(await drawOnSnapshot(c, id)).toEqual(plain);
    await hostile.write.setMode([2n]);
    const { members } = await c.draw(id);
    expect(members).toEqual(plain);
    const fixed = await c.viem.deployContract("FixedRandomness");
    await fixed.write.set([keccak256(toHex("vrf"))]);
    await c.poq.write.setRandomnessSource([fixed.address]);
    const id2 = await c.create(requester, c.spec(nodes));
    expect(BigInt((await c.poq.read.getTask([id2])).seedBlock)).toBe(await c.publicClient.getBlockNumber()); // the create block
    const tx = await c.poq.write.drawCommittee([id2]);
    const ev = await c.poq.getEvents.CommitteeSampled({ taskId: id2 }, { blockHash: (await c.publicClient.getTransactionReceipt({ hash: tx })).blockHash });
    expect(ev[0]!.args.seed).toBe(keccak256(toHex("vrf"))); // a working source is used
  });

  it("refunds go where the requester says, and claim(to) pays an account a token blocks elsewhere", async () => {
    const c = await setupChain();
    const nodes = await c.nodes(1);
    const requester = (await c.actor(1)).address;
    const treasuryOfRequester = (await c.actor(2, 0n)).address;
    await c.evaluators(3);
    const { taskId } = await c.createTask(requester, c.spec(nodes, { refundTo: treasuryOfRequester }));
    await c.finalize(taskId); // nobody reveals: everything but the fee comes back
    expect(await c.poq.read.claimableOf([requester])).toBe(0n);
    expect(await c.poq.read.claimableOf([treasuryOfRequester])).toBe(106n * E18);
    const to = (await c.actor(3, 0n)).address;
    await c.poq.write.claim([to], { account: treasuryOfRequester });
    expect(await c.token.read.balanceOf([to])).toBe(106n * E18);
  });

  it("fee-on-transfer tokens are refused where they would break the accounting", async () => {
    const d = await setupChain({ feeOnTransferToken: true });
    const a = (await d.actor(1)).address;
    await rv(d, d.registry, d.registry.write.register([1_000n * E18, 0n, [TEST_PROFILE]], { account: a }), "UnsupportedToken");
    await d.poq.write.registerNode([a, keccak256(toHex("m"))], { account: a });
    await rv(d, d.poq, d.poq.write.createTask([d.spec([a])], { account: a }), "UnsupportedToken");
  });
});
