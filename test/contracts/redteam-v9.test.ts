/**
 * Red team v9: the issue-13 committee draw (activation-keyed registry history, checkpointed
 * Fenwick draw/price trees, draw as of the task's creation with rejection sampling, draw
 * window, `_unbondAt`).
 *
 * "FINDING V9-n" tests PLAY an attack and assert the current (vulnerable) outcome;
 * "HOLDS V9-n" tests pin a defence that held.
 *
 * Figures use DEV_PROTOCOL_PARAMS unless said: activation delay 60 s, unbonding delay 3600 s
 * (draw window max(60, 3600 - 60) = 3540 s), min stake 100, stake cap 10,000, initial trust
 * 5000 (trust bound 2^13 = 8192), fee 2 a member (k = 3, eval budget 6).
 */
import { describe, expect, it } from "vitest";
import { getAddress, type Address } from "viem";
import { TaskStatus } from "../../oracle/rules/index.js";
import { toStakingTuple } from "../../oracle/contract/params.js";
import { E18, TEST_PROFILE, setupChain, type Chain } from "./helpers.js";

const BIT = 1n; // TEST_PROFILE is profile id 0
const same = (a: Address, b: Address) => getAddress(a) === getAddress(b);
const has = (xs: readonly Address[], a: Address) => xs.some((x) => same(x, a));
const key = (xs: readonly Address[]) => xs.map((x) => getAddress(x)).join(",");

/** Creation times by task id (the create transaction's block: getTask does not expose it). */
const created = new Map<string, bigint>();
async function create(c: Chain, requester: Address, s: ReturnType<Chain["spec"]>): Promise<bigint> {
  const id = await c.create(requester, s);
  const blk = await c.publicClient.getBlock();
  created.set(`${c.poq.address}:${id}`, blk.timestamp);
  return id;
}
async function createdAt(c: Chain, id: bigint): Promise<bigint> {
  return created.get(`${c.poq.address}:${id}`)!;
}

/** Draws `id` in a throw-away snapshot after `before` ran; returns the committee ([] if cancelled). */
async function drawIn(c: Chain, id: bigint, before?: () => Promise<unknown>) {
  const snap = await c.networkHelpers.takeSnapshot();
  if (before) await before();
  await c.poq.write.drawCommittee([id]);
  const t = await c.poq.read.getTask([id]);
  const members = t.status === TaskStatus.CANCELLED ? [] : [...(await c.poq.read.getCommittee([id]))[0]];
  await snap.restore();
  return members;
}

describe("V9-1 an eviction between a task's creation and its draw takes a counted evaluator out of that draw", () => {
  it("FINDING V9-1: 5 honest (1,000 each) and the attacker's D (10,000 = cap) serve the profile; D declares setProfiles([]) at t0 (key t0 + 60); 4 tasks created before the key count D (bar 15,000 / 15,000, D's acceptance weight 5000 x 10,000); after the key ANYONE may evict D before drawing: D sits on the default committee of at least one task but on none after the eviction, the as-of-creation view of D's slot becomes address(0), and a newcomer B taking the slot is rejected (since > T): whoever draws picks either committee after seeing the seed", async () => {
    const c = await setupChain();
    const honest = await c.evaluators(5, 1_000n * E18, E18, { first: 100, wait: false });
    const [D] = await c.evaluators(1, 10_000n * E18, E18, { first: 150 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const s = c.spec(nodes, { k: 3 });

    // D schedules its way out (mask 0 from t0 + 60): it still counts for tasks created before
    await c.registry.write.setProfiles([[]], { account: D! });
    const pendingAt = BigInt((await c.registry.read.getEvaluator([D!])).pendingAt);
    const ids: bigint[] = [];
    for (let i = 0; i < 4; i++) ids.push(await create(c, requester, s));
    const T0 = await createdAt(c, ids[0]!);
    expect(T0 < pendingAt).toBe(true);
    const [eligible, netw] = await c.registry.read.eligibleStake([BIT, 2n * E18, requester, T0]);
    expect([eligible, netw]).toEqual([15_000n * E18, 15_000n * E18]);
    let inp = await c.registry.read.drawInputs([BIT, 2n * E18, requester, T0]);
    const slotD = inp[0].findIndex((a) => same(a, D!));
    expect(inp[2][slotD]).toBe(5_000n * 10_000n * E18);

    // the key passes; now D (declared and effective mask 0) is evictable by anyone
    await c.warp(pendingAt - (await c.now()) + 1n);
    const byDefault: Address[][] = [];
    const afterEvict: Address[][] = [];
    for (const id of ids) {
      byDefault.push(await drawIn(c, id));
      afterEvict.push(await drawIn(c, id, () => c.registry.write.evict([D!], { account: requester })));
    }
    console.log("V9-1 default committees contain D:", byDefault.map((m) => has(m, D!)), "after evict:", afterEvict.map((m) => has(m, D!)));
    expect(byDefault.some((m) => has(m, D!))).toBe(true);
    expect(afterEvict.every((m) => m.length === 3 && !has(m, D!))).toBe(true);
    expect(ids.some((_, i) => key(byDefault[i]!) !== key(afterEvict[i]!))).toBe(true);
    for (const m of afterEvict) for (const a of m) expect(has(honest, a)).toBe(true);

    // the registry "as of T0" changed after T0: D's slot reads empty, its stake still in the bar
    await c.registry.write.evict([D!], { account: requester });
    inp = await c.registry.read.drawInputs([BIT, 2n * E18, requester, T0]);
    expect(same(inp[0][slotD]!, "0x0000000000000000000000000000000000000000")).toBe(true);
    expect(inp[1][slotD]).toBe(10_000n * E18 * 8192n); // its leaf as of T0 is still there
    expect(inp[2][slotD]).toBe(0n);
    expect(await c.registry.read.eligibleStake([BIT, 2n * E18, requester, T0])).toEqual([15_000n * E18, 15_000n * E18]);
    // slot reuse: a newcomer takes D's slot at once and is rejected for the old task (no underflow)
    const [B] = await c.evaluators(1, 10_000n * E18, E18, { first: 160, wait: false });
    inp = await c.registry.read.drawInputs([BIT, 2n * E18, requester, T0]);
    expect(same(inp[0][slotD]!, B!)).toBe(true);
    expect(inp[2][slotD]).toBe(0n);
    const { members } = await c.draw(ids[0]!);
    expect(members.length).toBe(3);
    expect(has(members, B!) || has(members, D!)).toBe(false);
  });

  it("FINDING V9-1b (re-roll): the attacker pre-schedules 3 'dice' sybils (10,000 each, setProfiles([]) maturing between create and draw) next to 6 honest (1,000) and its target S (1,000); after seeing the seed it evicts any subset of the dice before drawing: up to 2^3 = 8 different committees for one task and one seed", async () => {
    const c = await setupChain();
    await c.evaluators(6, 1_000n * E18, E18, { first: 100, wait: false });
    const [S] = await c.evaluators(1, 1_000n * E18, E18, { first: 140, wait: false });
    const dice = await c.evaluators(3, 10_000n * E18, E18, { first: 150 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const s = c.spec(nodes, { k: 3 });
    for (const d of dice) await c.registry.write.setProfiles([[]], { account: d });
    const pendingAt = BigInt((await c.registry.read.getEvaluator([dice[2]!])).pendingAt);
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) ids.push(await create(c, requester, s));
    expect((await createdAt(c, ids[2]!)) < BigInt((await c.registry.read.getEvaluator([dice[0]!])).pendingAt)).toBe(true);
    await c.warp(pendingAt - (await c.now()) + 1n);

    let maxDistinct = 0;
    let sDefault = 0;
    let sBest = 0;
    for (const id of ids) {
      const seen = new Set<string>();
      let sSeated = false;
      for (let mask = 0; mask < 8; mask++) {
        const m = await drawIn(c, id, async () => {
          for (let j = 0; j < 3; j++) if ((mask >> j) & 1) await c.registry.write.evict([dice[j]!], { account: requester });
        });
        seen.add(key(m));
        if (has(m, S!)) sSeated = true;
        if (mask === 0 && has(m, S!)) sDefault++;
      }
      if (sSeated) sBest++;
      maxDistinct = Math.max(maxDistinct, seen.size);
    }
    console.log(`V9-1b: distinct committees per task up to ${maxDistinct}; S seated by default in ${sDefault}/3 tasks, with the best eviction subset in ${sBest}/3`);
    expect(maxDistinct).toBeGreaterThanOrEqual(3);
    expect(sBest).toBeGreaterThanOrEqual(sDefault);
  });
});

describe("V9-2 the draw reads minStake and stakeCap as they are at the draw, not as of the creation", () => {
  it("FINDING V9-2: 3 honest (1,000 each) and 3 attacker evaluators (2,000 each) serve the profile; a task is created (bar 9,000 / 9,000); a ready governance change minStake 100 -> 1,500 (executable by anyone, at the moment they choose) executed between create and draw makes the 3 honest ineligible for the already-created task: the committee is exactly the attacker's 3, while the bar as of creation still counts the honest stake", async () => {
    const c = await setupChain();
    const honest = await c.evaluators(3, 1_000n * E18, E18, { first: 100, wait: false });
    const attacker = await c.evaluators(3, 2_000n * E18, E18, { first: 150 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const id = await create(c, requester, c.spec(nodes, { k: 3 }));
    const T = await createdAt(c, id);
    expect(await c.registry.read.eligibleStake([BIT, 2n * E18, requester, T])).toEqual([9_000n * E18, 9_000n * E18]);

    const byDefault = await drawIn(c, id);
    expect(byDefault.length).toBe(3);
    const raised = { ...toStakingTuple(c.params.staking), minStake: 1_500n * E18 };
    const afterGov = await drawIn(c, id, () => c.registry.write.setParams([raised]));
    console.log("V9-2 default committee honest seats:", byDefault.filter((a) => has(honest, a)).length, "after the minStake change:", afterGov.filter((a) => has(honest, a)).length);
    expect(afterGov.length).toBe(3);
    for (const a of afterGov) expect(has(attacker, a)).toBe(true);
    // the bar as of creation is unchanged: it still counts the now-ineligible honest stake
    await c.registry.write.setParams([raised]);
    expect(await c.registry.read.eligibleStake([BIT, 2n * E18, requester, T])).toEqual([9_000n * E18, 9_000n * E18]);
  });

  it("FINDING V9-2b: lowering stakeCap (10,000 -> 100, within bounds: >= minStake) between create and draw cuts the acceptance coin of every unsynced 1,000-stake evaluator from 5000 x 1,000 / (1,000 x 8192) = 0.61 to 5000 x 100 / (1,000 x 8192) = 0.061 (under the documented 1/4 floor): the draw of an already-created task changes", async () => {
    const c = await setupChain();
    await c.evaluators(6, 1_000n * E18, E18, { first: 100 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const id = await create(c, requester, c.spec(nodes, { k: 3 }));
    const T = await createdAt(c, id);
    const before = await c.registry.read.drawInputs([BIT, 2n * E18, requester, T]);
    expect(before[2][0]).toBe(5_000n * 1_000n * E18);
    expect(before[1][0]).toBe(1_000n * E18 * 8192n);
    await c.registry.write.setParams([{ ...toStakingTuple(c.params.staking), stakeCap: 100n * E18 }]);
    const after = await c.registry.read.drawInputs([BIT, 2n * E18, requester, T]);
    expect(after[1][0]).toBe(1_000n * E18 * 8192n); // leaf as of T unchanged
    expect(after[2][0]).toBe(5_000n * 100n * E18); // acceptance / leaf = 0.061
  });
});

describe("V9-3 the draw window is read at the draw, unbondAt was fixed at the request", () => {
  it("FINDING V9-3: M (1,000) asks to unbond 900 just before a task is created (it counts 1,000 at T; unbondAt = key + 3,540); governance raises unbondingDelay 3,600 -> 7,200 (draw window 3,540 -> 7,140); M withdraws its 900 at T + ~3,570 and keeps 100 staked; the task, still drawable, seats M with the voting weight of 1,000 tokens (5000 x floor(1,000 x 2^24 / 10,000)) while only 100 is slashable", async () => {
    const c = await setupChain();
    const [M] = await c.evaluators(1, 1_000n * E18, E18, { first: 100, wait: false });
    const others = await c.evaluators(2, 1_000n * E18, E18, { first: 110 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    await c.registry.write.requestUnbond([900n * E18], { account: M! });
    const id = await create(c, requester, c.spec(nodes, { k: 3 }));
    const T = await createdAt(c, id);
    expect((await c.registry.read.stateAt([M!, T]))[0]).toBe(1_000n * E18);
    const unbondAt = BigInt((await c.registry.read.getEvaluator([M!])).unbondAt);
    expect(unbondAt <= T + 3_540n + 60n).toBe(true);

    await c.registry.write.setParams([{ ...toStakingTuple(c.params.staking), unbondingDelay: 7_200 }]);
    expect(await c.registry.read.drawWindow()).toBe(7_140n);
    await c.warp(unbondAt - (await c.now()) + 1n);
    await c.registry.write.withdraw({ account: M! });
    const e = await c.registry.read.getEvaluator([M!]);
    expect([e.stake, e.unbonding, e.registered]).toEqual([100n * E18, 0n, true]);

    const { members } = await c.draw(id);
    expect(has(members, M!)).toBe(true);
    const [addrs, , weights] = await c.poq.read.getCommittee([id]);
    const wM = weights[addrs.findIndex((a) => same(a, M!))]!;
    const wO = weights[addrs.findIndex((a) => same(a, others[0]!))]!;
    expect(wM).toBe(5_000n * ((1_000n * E18 * 2n ** 24n) / (10_000n * E18)));
    expect(wM).toBe(wO); // as heavy as a member holding 1,000
    const [, slashable] = await c.registry.read.memberStates([[M!], 1n]);
    expect(slashable[0]).toBe(100n * E18);
  });

  it("HOLDS V9-3b: without a governance change the same M cannot withdraw before the task's draw window ends: drawn at T + 3,540 it is seated with its 1,000 and the 900 stays locked (StakeLocked) until the task's reveal deadline + grace", async () => {
    const c = await setupChain();
    const [M] = await c.evaluators(1, 1_000n * E18, E18, { first: 100, wait: false });
    await c.evaluators(2, 1_000n * E18, E18, { first: 110 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    await c.registry.write.requestUnbond([900n * E18], { account: M! });
    const id = await create(c, requester, c.spec(nodes, { k: 3 }));
    const T = await createdAt(c, id);
    await c.warp(T + 3_530n - (await c.now()));
    await expect(c.registry.write.withdraw({ account: M! })).rejects.toThrow(/UnbondingNotElapsed/);
    const { members } = await c.draw(id);
    expect(has(members, M!)).toBe(true);
    const unbondAt = BigInt((await c.registry.read.getEvaluator([M!])).unbondAt);
    await c.warp(unbondAt - (await c.now()) + 1n);
    await expect(c.registry.write.withdraw({ account: M! })).rejects.toThrow(/StakeLocked/);
  });
});

describe("V9-4 sum trees stay equal to the evaluators' states", () => {
  it("HOLDS V9-4: register, re-register into another's freed slot, evict, partial and full unbond, withdraw, cost and profile changes, sync after a stakeCap change: the latest tree totals equal the sum of the evaluators' latest leaves and the totals as of an earlier time never move", async () => {
    const c = await setupChain();
    const ev = await c.evaluators(6, 1_000n * E18, E18, { first: 100 });
    const requester = (await c.actor(1)).address;
    const t0 = await c.now();
    const totals0 = await c.registry.read.treeTotals([0n, t0]);
    const [a, b, d, e, f, g] = ev as [Address, Address, Address, Address, Address, Address];
    await c.registry.write.setProfiles([[]], { account: a });
    await c.registry.write.requestUnbond([1_000n * E18], { account: b });
    await c.registry.write.requestUnbond([500n * E18], { account: d });
    await c.registry.write.setCost([3n * E18 + 1n], { account: e });
    await c.activate();
    await c.registry.write.evict([a], { account: requester });
    await c.registry.write.evict([b], { account: requester });
    // a re-registers at once into b's freed slot (LIFO holes: a freed slot stays empty)
    await c.registry.write.register([2_000n * E18, E18, [TEST_PROFILE]], { account: a });
    await c.registry.write.addStake([9_000n * E18], { account: f });
    await c.registry.write.setParams([{ ...toStakingTuple(c.params.staking), stakeCap: 5_000n * E18 }]);
    await c.registry.write.sync([f]);
    await c.registry.write.sync([g]);
    await c.activate();
    const far = (await c.now()) + 10_000n;
    const [draw, price, netw] = await c.registry.read.treeTotals([0n, far]);
    const inp = await c.registry.read.drawInputs([BIT, 10n * E18, requester, far]);
    const sumLeaves = inp[1].reduce((x, y) => x + y, 0n);
    expect(draw).toBe(sumLeaves);
    // price tree: sum of parts (a 2,000, d 500, e 1,000, f cap 5,000, g 1,000)
    expect(price).toBe((2_000n + 500n + 1_000n + 5_000n + 1_000n) * E18);
    expect(netw).toBe(price);
    const [el] = await c.registry.read.eligibleStake([BIT, 2n * E18, requester, far]);
    expect(el).toBe(price - 1_000n * E18); // e's cost 3.1 is above a 2-token fee
    expect(await c.registry.read.treeTotals([0n, t0])).toEqual(totals0);
  });
});

describe("V9-5 exhausting the 4k + 64 proposals with expensive sybils", () => {
  it("HOLDS V9-5: 10 honest (1,000 each, cost 1) against 20 expensive sybils (500 each, cost 9: in the draw tree, never eligible at fee 2) holding the same 10,000 stake (bar 10,000 / 20,000 = 50%): 5 tasks with k = 5 all draw 5 honest members", async () => {
    const c = await setupChain();
    const honest = await c.evaluators(10, 1_000n * E18, E18, { first: 100, wait: false });
    await c.evaluators(20, 500n * E18, 9n * E18, { first: 200 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    for (let i = 0; i < 5; i++) {
      const { members } = await c.createTask(requester, c.spec(nodes, { k: 5, evalBudget: 10n * E18 }));
      expect(members.length).toBe(5);
      for (const m of members) expect(has(honest, m)).toBe(true);
    }
  });
});

describe("V9-6 the trust bound and the leaf are kept, the acceptance coin reads the next period's trust and the slashed stake", () => {
  it("FINDING V9-6 (low, griefing amplifier): X (1,000, trust 5000, bound 2^13) misses 7 tasks in one trust period: trust 5000 -> 1048, stake 1,000 -> 478.2969 (one 10% slash per task); no finalize rewrites its tree leaf or its bound (slashes push the stake only), so in the next period, with no write, X's leaf is still 1,000 x 8192 while the draw accepts it with 1048 x 478.2969: 0.0612 per proposal (documented floor: 1/4), and a lost coin never takes it out; the bar still counts its 1,000 (price tree 3,000 for 2,478 staked); only a sync (effective after the delay) fixes both", async () => {
    const c = await setupChain();
    await c.alignToTrustPeriod();
    const [X] = await c.evaluators(1, 1_000n * E18, E18, { first: 100, wait: false });
    await c.evaluators(2, 1_000n * E18, E18, { first: 110 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    for (let i = 0; i < 7; i++) {
      const t = await c.createTask(requester, c.spec(nodes, { k: 3 }));
      await c.play(t.taskId, t.members, t.members.map((m) => (same(m, X!) ? undefined : [7_000])));
      await c.finalize(t.taskId);
    }
    const e = await c.registry.read.getEvaluator([X!]);
    expect(e.trust).toBe(1_048);
    expect(e.periodTrust).toBe(5_000);
    expect(e.stake).toBe(4_782_969n * 10n ** 14n);
    // next period, no write: the bound stays 8192 and the leaf 1,000 x 8192
    const period = BigInt(c.params.staking.trustPeriod);
    await c.warp(period - ((await c.now()) % period) + 1n);
    const at = await c.now();
    const st = await c.registry.read.stateAt([X!, at]);
    expect([st[0], st[3], st[4]]).toEqual([e.stake, 8_192n, 1_000n * E18]);
    const inp = await c.registry.read.drawInputs([BIT, 2n * E18, requester, at]);
    const i = inp[0].findIndex((a) => same(a, X!));
    expect(inp[1][i]).toBe(1_000n * E18 * 8_192n);
    expect(inp[2][i]).toBe(e.stake * 1_048n);
    expect((inp[2][i]! * 10_000n) / inp[1][i]!).toBe(611n); // 0.0611 < 0.25
    expect((await c.registry.read.treeTotals([0n, at]))[1]).toBe(3_000n * E18);
    expect((await c.registry.read.eligibleStake([BIT, 2n * E18, requester, at]))[0]).toBe(3_000n * E18);
    await c.registry.write.sync([X!]);
    await c.activate();
    const st2 = await c.registry.read.stateAt([X!, await c.now()]);
    expect([st2[3], st2[4]]).toEqual([2_048n, e.stake]);
  });
});

describe("V9-7 the draw reads the trust of the period it runs in, not the period the task was created in", () => {
  it("FINDING V9-7 (low): task B is created late in trust period P; task A (E silent) is past its reveal deadline but not finalized. Whoever acts after B's seed is known chooses E's voting weight on B: finalize A (E 5000 -> 4000) and draw B in P + 1: 4000 x 1677721; leave A and draw in P + 1: 5000 x 1677721 (with more evaluators the acceptance coins, i.e. the committee, move too)", async () => {
    const c = await setupChain();
    await c.alignToTrustPeriod();
    const [E] = await c.evaluators(1, 1_000n * E18, E18, { first: 100, wait: false });
    await c.evaluators(2, 1_000n * E18, E18, { first: 110 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const period = BigInt(c.params.staking.trustPeriod);
    await c.warp(period - ((await c.now()) % period) - 300n);
    const A = await c.createTask(requester, c.spec(nodes, { k: 3 }));
    await c.play(A.taskId, A.members, A.members.map((m) => (same(m, E!) ? undefined : [7_000])));
    const B = await create(c, requester, c.spec(nodes, { k: 3 }));
    const TB = await createdAt(c, B);
    const a = await c.poq.read.getTask([A.taskId]);
    await c.warp(BigInt(a.revealDeadline) - (await c.now()) + 1n);
    expect((await c.now()) / period).toBe(TB / period); // still period P

    const weightOfE = async () => {
      const [addrs, , w] = await c.poq.read.getCommittee([B]);
      return w[addrs.findIndex((x) => same(x, E!))]!;
    };
    const toNextPeriod = async () => c.warp(period - ((await c.now()) % period) + 1n);
    const f = (1_000n * E18 * 2n ** 24n) / (10_000n * E18);

    const snap = await c.networkHelpers.takeSnapshot();
    await c.poq.write.finalize([A.taskId]);
    expect((await c.registry.read.getEvaluator([E!])).trust).toBe(4_000);
    await toNextPeriod();
    await c.draw(B);
    const withFinalize = await weightOfE();
    await snap.restore();
    await toNextPeriod();
    await c.draw(B);
    const without = await weightOfE();
    expect((await c.now()) - TB < 3_540n).toBe(true);
    console.log(`V9-7: E's weight on B: ${withFinalize} (A finalized after B's creation) vs ${without}`);
    expect(withFinalize).toBe(4_000n * f);
    expect(without).toBe(5_000n * f);
  });
});

describe("V9-8 declarations after the create block", () => {
  it("HOLDS V9-8: after a task's creation every evaluator (6 x 1,000) adds 9,000, halves its cost, drops or unbonds, is synced, a newcomer registers with 10,000, and the requester registers as an evaluator: the committee drawn is the same as without any of it", async () => {
    const c = await setupChain();
    const ev = await c.evaluators(6, 1_000n * E18, 2n * E18, { first: 100 });
    const requester = (await c.actor(1)).address;
    const nodes = await c.nodes(1);
    const id = await create(c, requester, c.spec(nodes, { k: 3 }));
    const quiet = await drawIn(c, id);
    const busy = await drawIn(c, id, async () => {
      await c.registry.write.addStake([9_000n * E18], { account: ev[0]! });
      await c.registry.write.setCost([E18], { account: ev[1]! });
      await c.registry.write.setProfiles([[]], { account: ev[2]! });
      await c.registry.write.requestUnbond([1_000n * E18], { account: ev[3]! });
      await c.registry.write.sync([ev[4]!]);
      await c.evaluators(1, 10_000n * E18, E18, { first: 170, wait: false });
      await c.registry.write.register([10_000n * E18, E18, [TEST_PROFILE]], { account: requester });
      await c.activate();
    });
    expect(quiet.length).toBe(3);
    expect(key(busy)).toBe(key(quiet));
  });
});
