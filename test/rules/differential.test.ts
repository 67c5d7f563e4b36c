/**
 * Differential test: the TypeScript mirror (oracle/rules) against the Solidity code, to the wei.
 *
 * Part 1 runs thousands of random cases through RulesHarness (the exact library code
 * ProofOfQuality executes) with eth_call: aggregation and every leave-one-out consensus, the
 * trust update, the full settlement (voting weights, max leave-one-out deviation, fee per
 * member, honest flags, slashes, refund). The registry's draw is checked in part 2.
 *
 * Part 2 runs random task lifecycles through the deployed stack (deployLocalStack: registry,
 * profiles, ProofOfQuality) while the mirror keeps its own copy of every evaluator record and
 * its activation history: registrations with different stakes and costs (on the price grid),
 * stake / cost / profile changes and unbonding that each take effect at their own activation
 * key, full exits by withdrawal and evictions (holes in the slot list, refilled by newcomers
 * and by returning addresses), requesters that are themselves evaluators (never drawn, their
 * stake on neither side of the bar), random fees (the cost filter binds), committees drawn as
 * of the task's creation (predicted from the mirror's own model, and `drawInputs` /
 * `eligibleStake` compared), no-shows, slashes from stake then unbonding, the trust-rise cap
 * per period, trust-bound rewrites, the split of the slashed stake among honest revealers (or
 * its burning) and every credit. Each step compares the chain's records with the mirror's.
 * Seeded PRNG: set POQ_DIFF_SEED to reproduce, POQ_DIFF_SCALE to run more (or fewer); the draw
 * seeds come from block hashes, so the walk varies with the chain's clock.
 */
import { describe, expect, it } from "vitest";
import { network } from "hardhat";
import { encodeAbiParameters, keccak256, parseEventLogs, toHex, type Address, type Hex } from "viem";
import {
  addStake,
  aggregate,
  canEvict,
  canWithdraw,
  DEFAULT_PARAMS,
  drawInputs,
  eligibleStake,
  evaluatorView,
  evictEvaluator,
  stateAt,
  syncEvaluator,
  withdrawUnbonded,
  drawCommittee,
  FINALIZE_GRACE,
  finalizeTask,
  lockMember,
  packScores,
  PARAM_BOUNDS,
  protocolFeeFor,
  registerEvaluator,
  requestUnbond,
  Rule,
  RULES,
  setCost,
  setProfiles,
  settleTask,
  TaskStatus,
  unpackScores,
  updateTrust,
  type ProtocolParams,
  type EvaluatorView,
  type RegistryEvaluator,
  type RegistryView,
  type SettlementParams,
} from "../../oracle/rules/index.js";
import { DEV_PROTOCOL_PARAMS, E18, salt, setupChain } from "../contracts/helpers.js";

const SEED = Number(process.env.POQ_DIFF_SEED ?? 20261205);
const SCALE = Number(process.env.POQ_DIFF_SCALE ?? 1);

function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const big = (lo: bigint, hi: bigint) => lo + (BigInt(Math.floor(next() * 2 ** 52)) * (hi - lo + 1n)) / 2n ** 52n;
  return { next, int, pick, big };
}
type Rng = ReturnType<typeof prng>;

/** Scores with structure: a truth per output, honest noise, outliers, one-output boosts, ties and extremes. */
function randomScores(r: Rng, n: number, m: number): number[][] {
  const truth = Array.from({ length: m }, () => r.int(0, 10_000));
  const noise = r.pick([0, 50, 500, 2_000, 10_000]);
  return Array.from({ length: n }, () => {
    const kind = r.next();
    const boosted = r.int(0, m - 1);
    return truth.map((t, j) => {
      if (kind < 0.1) return r.pick([0, 10_000, t]);
      if (kind < 0.2) return r.int(0, 10_000);
      if (kind < 0.3 && j === boosted) return 10_000;
      return Math.max(0, Math.min(10_000, t + r.int(-noise, noise)));
    });
  });
}

/** Voting weights as the registry produces them: trust x stake factor (<= 100000 x 2^24), sometimes tiny. */
function randomWeight(r: Rng): bigint {
  const trust = BigInt(r.int(100, 100_000));
  return r.next() < 0.2 ? trust : trust * r.big(1n, 1n << 24n);
}

function randomSettlementParams(r: Rng): SettlementParams {
  const b = PARAM_BOUNDS;
  return {
    lambdaBps: r.int(b.lambdaBps[0], b.lambdaBps[1]),
    deviationScaleBps: r.int(b.deviationScaleBps[0], b.deviationScaleBps[1]),
    trimBps: r.int(b.trimBps[0], b.trimBps[1]),
    qualityFloorBps: r.int(b.qualityFloorBps[0], b.qualityFloorBps[1]),
    slashBps: r.int(b.slashBps[0], b.slashBps[1]),
    missPenaltyBps: r.int(b.missPenaltyBps[0], b.missPenaltyBps[1]),
    wMin: r.int(b.wMin[0], b.wMin[1]),
    wMax: r.int(b.wMax[0], b.wMax[1]),
  };
}

describe("differential: mirror vs Solidity libraries (RulesHarness)", () => {
  it(`agrees on aggregation, leave-one-out, trust and settlement (seed ${SEED})`, async () => {
    const { viem } = await network.create();
    const h = await viem.deployContract("RulesHarness");
    const r = prng(SEED);

    // 1. aggregate + every leave-one-out consensus, with registry-sized voting weights
    for (let c = 0; c < 500 * SCALE; c++) {
      const rule = r.pick(RULES);
      const n = r.int(1, 25);
      const scores = randomScores(r, n, 1).map((s) => s[0]!);
      const weights = Array.from({ length: n }, () => randomWeight(r));
      const trim = r.int(0, 4_500);
      const args = [rule, scores.map(BigInt), weights, BigInt(trim)] as const;
      expect(Number(await h.read.aggregate(args)), `aggregate case ${c}`).toBe(aggregate(rule, scores, weights, trim));
      if (n >= 2) {
        const [cons, loo] = await h.read.aggregateWithLeaveOneOut(args);
        expect(Number(cons)).toBe(aggregate(rule, scores, weights, trim));
        const expected = scores.map((_, i) =>
          aggregate(rule, scores.filter((_, x) => x !== i), weights.filter((_, x) => x !== i), trim),
        );
        expect(loo.map(Number), `loo case ${c} rule ${rule}`).toEqual(expected);
      }
    }

    // 2. trust update
    for (let c = 0; c < 150 * SCALE; c++) {
      const p = randomSettlementParams(r);
      const trust = r.int(p.wMin, p.wMax);
      const d = r.int(0, 10_000);
      expect(Number(await h.read.updateTrust([BigInt(trust), BigInt(d), BigInt(p.lambdaBps), BigInt(p.wMin), BigInt(p.wMax)]))).toBe(
        updateTrust(trust, d, p),
      );
    }

    // 3. full settlement with no-shows (cases generated first, then checked 25 calls at a time)
    const cases = Array.from({ length: 1_000 * SCALE }, (_, c) => {
      const rule = r.pick(RULES);
      const k = r.int(1, 21);
      const m = r.int(1, 15);
      const p = r.next() < 0.3 ? DEFAULT_PARAMS.settlement : randomSettlementParams(r);
      const showRate = r.pick([0, 0.3, 0.5, 0.9, 1]);
      // abstentions (an empty score list): none, a few, about half, most or all of the revealers
      const abstainRate = r.pick([0, 0, 0.15, 0.5, 0.8, 1]);
      const scores = randomScores(r, k, m);
      const members = scores.map((s) => {
        const revealed = r.next() < showRate;
        const abstained = revealed && r.next() < abstainRate;
        return { trust: r.int(p.wMin, p.wMax), weight: randomWeight(r), stake: revealed ? 0n : r.big(0n, 10n ** 24n), revealed, abstained, scores: s };
      });
      const nodeBudget = r.big(0n, 10n ** 22n);
      const fee = r.big(0n, 10n ** 20n);
      return { c, rule, k, m, p, members, nodeBudget, fee };
    });
    for (let from = 0; from < cases.length; from += 25) {
      const chunk = cases.slice(from, from + 25);
      const results = await Promise.all(
        chunk.map(({ rule, p, members, m, nodeBudget, fee }) =>
          h.read.settle([
            rule,
            p,
            members.map((x) => ({
              trust: BigInt(x.trust),
              weight: x.weight,
              stake: x.stake,
              revealed: x.revealed,
              abstained: x.abstained,
              scores: x.revealed && !x.abstained ? packScores(x.scores) : 0n,
            })),
            BigInt(m),
            nodeBudget,
            fee,
          ]),
        ),
      );
      chunk.forEach(({ c, rule, k, m, p, members, nodeBudget, fee }, x) => {
        const got = results[x]!;
        const want = settleTask({ rule, params: p, members, m, nodeBudget, fee });
        const tag = `settle case ${c} rule ${rule} k ${k} m ${m}`;
        expect(got.hasConsensus, tag).toBe(want.consensus !== null);
        if (want.consensus) expect(unpackScores(got.consensus, m), tag).toEqual(want.consensus);
        expect(got.deviation.map(Number), tag).toEqual(want.deviations);
        expect(got.dNorm.map(Number), tag).toEqual(want.normalisedDeviations);
        expect(got.newTrust.map(Number), tag).toEqual(want.newTrust);
        expect([...got.slashed], tag).toEqual(want.slashed);
        expect([...got.evaluatorPay], tag).toEqual(want.evaluatorPay);
        expect([...got.nodePay], tag).toEqual(want.nodePay);
        expect([...got.honest], tag).toEqual(want.honest);
        expect(Number(got.honestCount), tag).toBe(want.honestCount);
        expect(got.slashTotal, tag).toBe(want.slashTotal);
        expect(got.refund, tag).toBe(want.refund);
        expect(got.forfeited, tag).toBe(want.forfeited);
      });
    }

  });
});

/** The registry's bigint fields; every other field of `getEvaluator` is a small uint the mirror holds as a number. */
const BIGINT_FIELDS = new Set(["stake", "effStake", "cost", "effCost", "unbonding"]);

/** The registry's list bookkeeping, compared separately (`registered`, `listIndex`) or not modelled (`known`). */
const LIST_FIELDS = new Set(["registered", "known", "listIndex"]);

/**
 * `getEvaluator`'s struct as the mirror's `evaluatorView` gives it: every field but the list
 * bookkeeping, converted (a field added to the contract and not to the mirror fails the comparison).
 */
function fromChain(e: Record<string, bigint | number | boolean>): EvaluatorView {
  const fields = Object.entries(e).filter(([k]) => !LIST_FIELDS.has(k));
  return Object.fromEntries(fields.map(([k, v]) => [k, BIGINT_FIELDS.has(k) ? BigInt(v) : Number(v)])) as unknown as EvaluatorView;
}

/** The draw seed ProofOfQuality derives (no randomness source): keccak256(abi.encode(hash of the creation block, poq, taskId)). */
async function seedOf(c: Awaited<ReturnType<typeof setupChain>>, taskId: bigint): Promise<Hex> {
  const t = await c.poq.read.getTask([taskId]);
  const { hash } = await c.publicClient.getBlock({ blockNumber: BigInt(t.seedBlock) });
  return keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }, { type: "uint256" }], [hash!, c.poq.address, taskId]));
}

describe("differential: mirror vs the deployed stack (deployLocalStack)", () => {
  it(`predicts draws, trust caps, slashes, shares, burns and credits to the wei (seed ${SEED})`, async () => {
    const r = prng(SEED + 1);
    // Short clocks, a trust allowance small enough to bind, and a stake cap some stakes exceed.
    const params: ProtocolParams = {
      staking: { ...DEV_PROTOCOL_PARAMS.staking, trustGainPerPeriod: 250, trustPeriod: 3_600, stakeCap: 2_000n * E18 },
      governance: { ...DEV_PROTOCOL_PARAMS.governance, settlement: { ...DEV_PROTOCOL_PARAMS.governance.settlement, slashBps: 2_000 } },
    };
    const S = params.staking;
    const c = await setupChain({ params });
    const blockTime = async (hash: Hex) => {
      const rc = await c.publicClient.waitForTransactionReceipt({ hash });
      return { rc, now: Number((await c.publicClient.getBlock({ blockNumber: rc.blockNumber })).timestamp) };
    };
    /** Fixes the next block's timestamp (latest + 1) so the mirror can decide before sending. */
    const nextTime = async () => {
      const t = Number(await c.now()) + 1;
      await c.networkHelpers.time.setNextBlockTimestamp(t);
      return t;
    };

    // three profiles (ids 0, 1, 2: bits 1, 2, 4): most evaluators serve the first, some the
    // second too or only, a few only the third, which is retired a third of the way through (its
    // only servers become evictable); the network stake (the denominator of minEligibleBps)
    // counts every evaluator serving some profile
    const P = [c.profiles[0]!, keccak256(toHex("poq.test-profile-2")), keccak256(toHex("poq.test-profile-3"))];
    for (const h of P.slice(1)) await c.profileRegistry.write.register([h, `test:${h}`]);
    let retired = false;
    const randomMask = () => {
      const x = r.next();
      return x < 0.3 ? 1 : x < 0.8 ? 3 : x < 0.9 || retired ? 2 : 4;
    };
    const hashesOf = (mask: number) => P.filter((_, i) => (mask >> i) & 1);
    const activeMask = async () => Number(await c.profileRegistry.read.activeMask());

    // the mirror's registry: slots (null: a hole left by an exit, refilled last-in first-out as
    // the contract does) and every record ever registered, by address
    const slots: Array<Address | null> = [];
    const holes: number[] = [];
    const mirror = new Map<Address, RegistryEvaluator>();
    const view = (): RegistryView => ({
      list: slots.map((a) => (a ? mirror.get(a)! : null)),
      departed: [...mirror.values()].filter((e) => !e.registered),
    });
    const registered = () => slots.filter((a): a is Address => a !== null);
    let nextActor = 100;
    let exits = 0;
    let evictions = 0;
    let holeRefills = 0;
    let reRegistrations = 0;
    async function register(a?: Address) {
      a ??= (await c.actor(nextActor++)).address;
      const stake = r.big(100n, 3_000n) * E18;
      const cost = r.big(0n, 40n) * (E18 / 10n);
      const mask = randomMask();
      const slot = holes.length > 0 ? holes.pop()! : slots.length;
      if (slot < slots.length) holeRefills++;
      const prior = mirror.get(a);
      if (prior) reRegistrations++;
      const { now } = await blockTime(await c.registry.write.register([stake, cost, hashesOf(mask)], { account: a }));
      slots[slot] = a;
      mirror.set(a, { ...registerEvaluator(S, stake, cost, mask, now, slot, prior), id: a });
    }
    function leave(a: Address) {
      const slot = slots.indexOf(a);
      slots[slot] = null;
      holes.push(slot);
    }
    for (let i = 0; i < 14; i++) await register();
    await c.activate();
    const nodes = await c.nodes(6);
    const outsider = (await c.actor(1)).address;
    /** Evaluators unbonding everything: they exit once they can withdraw. */
    const leaving = new Set<Address>();

    async function compareAll(tag: string) {
      const now = Number(await c.now());
      const addrs = [...mirror.keys()];
      const chain = await Promise.all(addrs.map((a) => c.registry.read.getEvaluator([a])));
      chain.forEach((e, i) => {
        const m = mirror.get(addrs[i]!)!;
        expect(fromChain(e as unknown as Record<string, bigint | number | boolean>), `${tag} evaluator ${addrs[i]}`).toEqual(evaluatorView(m, now));
        expect([e.registered, e.listIndex - 1], `${tag} evaluator ${addrs[i]} slot`).toEqual([m.registered, m.slot]);
      });
      expect([...(await c.registry.read.getEvaluators())]).toEqual(registered());
    }

    const TASKS = 120 * SCALE;
    let drawn = 0;
    let cancelled = 0;
    let capped = 0;
    let slashedTasks = 0;
    let burnedTasks = 0;
    let abstainTasks = 0;
    let voidTasks = 0;
    let thresholdCancels = 0;
    let secondProfileDraws = 0;
    let departedCounted = 0;
    let departures = 0;
    let syncs = 0;
    for (let task = 0; task < TASKS; task++) {
      // registry changes: each takes effect at its own activation key, now + activationDelay
      if (task % 4 === 3) {
        const a = r.pick(registered().filter((x) => !leaving.has(x)));
        const e = mirror.get(a)!;
        const what = r.int(0, 5);
        if (what === 5) {
          // anyone syncs it: the trust bound (and the current minStake / stakeCap) reach its leaves
          const { now } = await blockTime(await c.registry.write.sync([a]));
          mirror.set(a, syncEvaluator(e, now, S));
          syncs++;
        } else if (what === 3) {
          const mask = randomMask();
          const { now } = await blockTime(await c.registry.write.setProfiles([hashesOf(mask)], { account: a }));
          mirror.set(a, setProfiles(e, mask, now, S));
        } else if (what === 0) {
          const amt = r.big(1n, 800n) * E18;
          const { now } = await blockTime(await c.registry.write.addStake([amt], { account: a }));
          mirror.set(a, addStake(e, amt, now, S));
        } else if (what === 1) {
          const cost = r.big(0n, 40n) * (E18 / 10n);
          const { now } = await blockTime(await c.registry.write.setCost([cost], { account: a }));
          mirror.set(a, setCost(e, cost, now, S));
        } else if (what === 4 && e.stake > 0n) {
          // unbond everything: the evaluator exits at its withdrawal (its slot becomes a hole)
          const { now } = await blockTime(await c.registry.write.requestUnbond([e.stake], { account: a }));
          mirror.set(a, requestUnbond(e, e.stake, now, S));
          leaving.add(a);
        } else if (e.stake >= 2n * S.minStake) {
          const amt = r.big(1n, (e.stake - S.minStake) / E18) * E18;
          const { now } = await blockTime(await c.registry.write.requestUnbond([amt], { account: a }));
          mirror.set(a, requestUnbond(e, amt, now, S));
        }
      }
      // withdrawals the mirror allows (a full one exits), and evictions of evaluators serving only the retired profile
      for (const a of [...leaving]) {
        const t = await nextTime();
        if (!canWithdraw(mirror.get(a)!, t)) continue; // the next block keeps the fixed timestamp (latest + 1)
        await blockTime(await c.registry.write.withdraw({ account: a }));
        const w = withdrawUnbonded(mirror.get(a)!, t, S);
        expect(w.exits).toBe(true);
        mirror.set(a, w.evaluator);
        leaving.delete(a);
        leave(a);
        exits++;
      }
      {
        // evictable: serving only the retired profile, or slashed under minStake
        const active = await activeMask();
        for (const a of registered().filter((x) => !leaving.has(x))) {
          // (those unbonding everything are left to exit by their withdrawal)
          const t = await nextTime();
          const e = mirror.get(a)!;
          if (!canEvict(e, t, S.minStake, active)) continue;
          await blockTime(await c.registry.write.evict([a]));
          mirror.set(a, evictEvaluator(e, t, S, active));
          leaving.delete(a);
          leave(a);
          evictions++;
          break;
        }
      }
      if (task === Math.floor(TASKS / 2)) await register(); // a newcomer at initialTrust (in the last hole, or last in the list)
      if (task % 10 === 9 && holes.length > 0) {
        // a departed address comes back (its trust and history kept), or a newcomer takes the hole
        const back = [...mirror.entries()].filter(([, e]) => !e.registered).map(([a]) => a);
        await register(back.length > 0 && r.next() < 0.5 ? r.pick(back) : undefined);
      }
      if (task === Math.floor(TASKS / 3)) {
        await c.profileRegistry.write.retire([P[2]!]); // nobody is drawn for it any more; its only servers may be evicted
        retired = true;
      }
      // right after an exit, often a task created while the leaver's state still counts (its key is ahead)
      const left = exits + evictions > departures;
      departures = exits + evictions;
      await c.warp(left && r.next() < 0.7 ? 1 : r.pick([1, 5, 30, 61, 400, 1_800, 3_600]));

      // the task: random price (the cost filter binds), k >= minK, sometimes an evaluator (or a departed one) as requester
      const x = r.next();
      const requester = x < 0.25 ? r.pick(registered()) : x < 0.3 ? r.pick([...mirror.keys()]) : outsider;
      const rule = r.pick(RULES);
      const k = r.int(3, 7);
      const m = r.int(1, 5);
      const fee = r.big(1n, 60n) * (E18 / 10n);
      const evalBudget = fee * BigInt(k) + r.big(0n, BigInt(k - 1));
      const nodeBudget = r.big(0n, 500n) * E18;
      const spec = c.spec(Array.from({ length: m }, () => r.pick(nodes)), {
        rule,
        k,
        nodeBudget,
        evalBudget,
        commitWindow: r.int(10, 100),
        revealWindow: r.int(10, 100),
        queryHash: keccak256(toHex(`q${task}`)),
        refundTo: r.next() < 0.3 ? outsider : "0x0000000000000000000000000000000000000000",
        profileHash: r.next() < 0.8 ? P[0]! : P[1]!,
      });
      if (requester !== outsider && (await c.token.read.allowance([requester, c.poq.address])) === 0n) await c.actor(Number(BigInt(requester) - 0x5000_0000n));
      const [, , treasuryBefore] = await c.poq.read.totals();
      const createHash = await c.poq.write.createTask([spec], { account: requester });
      const { now: createdAt } = await blockTime(createHash);
      const taskId = await c.poq.read.taskCount();
      const t0 = await c.poq.read.getTask([taskId]);
      expect(t0.fee).toBe(evalBudget / BigInt(k));
      const [, , treasuryAfter] = await c.poq.read.totals();
      expect(treasuryAfter - treasuryBefore).toBe(protocolFeeFor(params.governance.tasks, nodeBudget, fee * BigInt(k)));

      // the draw: the registry as of the task's creation, against the mirror's own model
      const profileBit = 1 << Number(t0.profileId);
      const asOf = createdAt; // ProofOfQuality keeps the creation block's timestamp (createdAt) and draws as of it
      const exclude = mirror.get(requester) ?? null;
      const active = await activeMask();
      const { rc, now: drawNow } = await blockTime(await c.poq.write.drawCommittee([taskId]));
      const minEligible = params.governance.tasks.minEligibleBps;
      const reg = view();
      const [sampledEv] = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" });
      // without a committee the seed still matters (a draw may run out of proposals): replay the one the contract derived
      const seed = sampledEv ? sampledEv.args.seed : await seedOf(c, taskId);
      const predicted = drawCommittee(reg, profileBit, fee, exclude, k, seed, asOf, drawNow, S, minEligible, active);

      // the views agree with the mirror (read in the draw's block: eth_call runs at the latest block's timestamp)
      const bar = eligibleStake(reg, profileBit, fee, exclude, asOf, active);
      const [chainEligible, chainNetwork] = await c.registry.read.eligibleStake([BigInt(profileBit), fee, requester, BigInt(asOf)]);
      expect([chainEligible, chainNetwork], `task ${task}: eligibleStake`).toEqual([bar.eligible, bar.network]);
      const inputs = drawInputs(reg, profileBit, fee, exclude, asOf, drawNow, S, active);
      const [viewSlots, viewLeaves, viewAccept] = await c.registry.read.drawInputs([BigInt(profileBit), fee, requester, BigInt(asOf)]);
      // the slots' owners as of the creation (a retired profile: nobody)
      const owners = inputs.owners.map((e) => (e ? (e.id as Address) : "0x0000000000000000000000000000000000000000"));
      expect([...viewSlots], `task ${task}: drawInputs owners`).toEqual(owners);
      expect([...viewLeaves], `task ${task}: drawInputs leaves`).toEqual(inputs.leaves);
      expect([...viewAccept], `task ${task}: drawInputs accept`).toEqual(inputs.accept);
      if (reg.departed!.some((e) => { const st = stateAt(e, asOf); return st.part > 0n && st.mask !== 0; })) departedCounted++;

      if (!sampledEv) {
        // cancelled: the mirror must draw nothing either
        const [cancel] = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskCancelled" });
        expect(cancel, `task ${task}: neither drawn nor cancelled`).toBeDefined();
        expect(predicted, `task ${task}: the mirror draws a committee the contract cancelled`).toBeNull();
        if (bar.eligible > 0n && bar.eligible * 10_000n < bar.network * BigInt(minEligible)) thresholdCancels++;
        expect(cancel!.args.refund).toBe(nodeBudget + fee * BigInt(k));
        expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.CANCELLED);
        cancelled++;
        await compareAll(`task ${task} (cancelled)`);
        continue;
      }
      drawn++;
      if (profileBit === 2) secondProfileDraws++;
      expect(predicted, `task ${task}: committee`).not.toBeNull();
      const members = predicted!.owners.map((e) => e.id as Address);
      const weights = predicted!.weights;
      expect([...sampledEv.args.members], `task ${task}: committee`).toEqual(members);
      expect(members).not.toContain(requester);
      const t1 = await c.poq.read.getTask([taskId]);
      for (const a of members) mirror.set(a, lockMember(mirror.get(a)!, t1.revealDeadline + FINALIZE_GRACE, asOf));
      const [, , chainWeights] = await c.poq.read.getCommittee([taskId]);
      expect([...chainWeights], `task ${task}: voting weights fixed at the draw`).toEqual(weights);

      // behaviour: reveal, commit only, or absent
      const scores = randomScores(r, k, m);
      // abstaining members commit and reveal an empty score list (some tasks: most of them, so void)
      const abstainRate = r.pick([0, 0, 0.1, 0.6]);
      const behaviour = members.map(() => (r.next() < 0.75 ? (r.next() < abstainRate ? "abstain" : "reveal") : r.next() < 0.5 ? "commit" : "absent"));
      const opened = (i: number) => (behaviour[i] === "abstain" ? [] : scores[i]!);
      for (let i = 0; i < k; i++) if (behaviour[i] !== "absent") await c.commit(taskId, members[i]!, opened(i), salt(task * 100 + i));
      const shown = (b: string) => b === "reveal" || b === "abstain";
      if (behaviour.some((b) => !shown(b))) await c.warp(BigInt(t1.commitDeadline) - (await c.now()) + 1n);
      for (let i = 0; i < k; i++) if (shown(behaviour[i]!)) await c.reveal(taskId, members[i]!, opened(i), salt(task * 100 + i));
      if (behaviour.some((b) => !shown(b))) await c.warp(BigInt(t1.revealDeadline) - (await c.now()) + 1n);

      const refundTo = t1.refundTo;
      const claimBefore = await Promise.all(members.map((a) => c.poq.read.claimableOf([a])));
      const refundBefore = await c.poq.read.refundedOf([refundTo]);
      const nodeBefore = await Promise.all(nodes.map((n) => c.poq.read.getNode([n])));
      const [, , , burnedBefore] = await c.poq.read.totals();
      const { rc: frc, now } = await blockTime(await c.poq.write.finalize([taskId]));

      const revealed = behaviour.map(shown);
      const abstained = behaviour.map((b) => b === "abstain");
      if (abstained.some(Boolean)) abstainTasks++;
      const want = finalizeTask({
        rule,
        params: t1.params,
        staking: S,
        members: members.map((a) => mirror.get(a)!),
        weights,
        revealed,
        abstained,
        scores: scores.map((s, i) => (revealed[i] && !abstained[i] ? s : null)),
        m,
        nodeBudget,
        fee,
        now,
      });
      members.forEach((a, i) => mirror.set(a, want.registry.evaluators[i]!));
      const tag = `task ${task} rule ${rule} k ${k} m ${m} ${behaviour.join(",")}`;
      if (want.registry.trustSet.some((t, i) => t < want.settlement.newTrust[i]!)) capped++;
      if (want.registry.total > 0n) slashedTasks++;
      if (want.burned > 0n) burnedTasks++;
      if (abstained.some(Boolean) && want.settlement.consensus === null && revealed.some(Boolean)) voidTasks++;

      // events
      const settled = parseEventLogs({ abi: c.poq.abi, logs: frc.logs, eventName: "EvaluatorSettled" });
      expect(settled.map((e) => e.args.evaluator), tag).toEqual(members);
      expect(settled.map((e) => Number(e.args.deviation)), tag).toEqual(want.settlement.deviations);
      expect(settled.map((e) => Number(e.args.newTrust)), tag).toEqual(want.registry.trustSet);
      expect(settled.map((e) => e.args.pay), tag).toEqual(want.settlement.evaluatorPay);
      expect(settled.map((e) => e.args.slashed), tag).toEqual(want.registry.slashed);
      expect(settled.map((e) => e.args.slashShare), tag).toEqual(want.slashShare);
      const [fin] = parseEventLogs({ abi: c.poq.abi, logs: frc.logs, eventName: "TaskFinalized" });
      expect(fin!.args.refund, tag).toBe(want.settlement.refund);
      expect(fin!.args.slashed, tag).toBe(want.registry.total);
      expect(fin!.args.burned, tag).toBe(want.burned);
      // balances
      const claimAfter = await Promise.all(members.map((a) => c.poq.read.claimableOf([a])));
      // a member that is also the refundTo of this task gets the refund on top (members never are: the requester is excluded)
      expect(claimAfter.map((x, i) => x - claimBefore[i]! - (members[i] === refundTo ? want.settlement.refund : 0n)), tag).toEqual(want.credit);
      expect((await c.poq.read.refundedOf([refundTo])) - refundBefore, tag).toBe(want.settlement.refund);
      const [, , , burnedAfter] = await c.poq.read.totals();
      expect(burnedAfter - burnedBefore, tag).toBe(want.burned);
      const [has, cons] = await c.poq.read.getConsensus([taskId]);
      expect(has, tag).toBe(want.settlement.consensus !== null);
      if (want.settlement.consensus) expect([...cons], tag).toEqual(want.settlement.consensus);
      const nodeDelta = new Map<string, bigint>();
      spec.nodes.forEach((n, j) => nodeDelta.set(n, (nodeDelta.get(n) ?? 0n) + want.settlement.nodePay[j]!));
      const nodeAfter = await Promise.all(nodes.map((n) => c.poq.read.getNode([n])));
      nodes.forEach((n, x) => expect(nodeAfter[x]!.pending - nodeBefore[x]!.pending, tag).toBe(nodeDelta.get(n) ?? 0n));
      await compareAll(tag);
      const bal = await c.conserved();
      expect(bal.balance, tag).toBe(bal.accounted);
      expect(bal.registryBalance, tag).toBe(bal.staked);
    }
    // the random walk must have exercised every branch it claims to test
    const seen = { drawn, cancelled, thresholdCancels, secondProfileDraws, capped, slashedTasks, burnedTasks, abstainTasks, voidTasks, exits, evictions, holeRefills, reRegistrations, departedCounted, syncs };
    expect(drawn, JSON.stringify(seen)).toBeGreaterThan(TASKS * 0.25); // random prices and the network bar cancel a half to two thirds by design
    expect(cancelled, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(capped, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(slashedTasks, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(burnedTasks, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(thresholdCancels, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(abstainTasks, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(voidTasks, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(secondProfileDraws, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(exits + evictions, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(holeRefills, JSON.stringify(seen)).toBeGreaterThan(0);
    console.log("differential walk:", JSON.stringify(seen));
  });
});
