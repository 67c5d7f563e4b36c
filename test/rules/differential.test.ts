/**
 * Differential test: the TypeScript mirror (oracle/rules) against the Solidity code, to the wei.
 *
 * Part 1 runs thousands of random cases through RulesHarness (the exact library code
 * ProofOfQuality executes) with eth_call. Part 2 runs full task lifecycles through
 * ProofOfQuality itself, predicting committee, consensus, trust, slashes and every payout with
 * the mirror. Seeded PRNG: set POQ_DIFF_SEED to reproduce, POQ_DIFF_SCALE to run more (or fewer).
 */
import { describe, expect, it } from "vitest";
import { network } from "hardhat";
import { parseEventLogs, keccak256, toHex, type Address, type Hex } from "viem";
import {
  aggregate,
  DEFAULT_PARAMS,
  eligibleCandidates,
  packScores,
  PARAM_BOUNDS,
  Rule,
  RULES,
  sampleCommittee,
  settleTask,
  unpackScores,
  updateTrust,
  type GovernanceParams,
  type SettlementParams,
} from "../../oracle/rules/index.js";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import { salt, setupChain, E18 } from "../contracts/helpers.js";

const SEED = Number(process.env.POQ_DIFF_SEED ?? 20261129);
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

/** Scores with structure: a truth per output, honest noise, outliers, ties and extremes. */
function randomScores(r: Rng, n: number, m: number): number[][] {
  const truth = Array.from({ length: m }, () => r.int(0, 10_000));
  const noise = r.pick([0, 50, 500, 2_000, 10_000]);
  return Array.from({ length: n }, () => {
    const kind = r.next();
    return truth.map((t) => {
      if (kind < 0.1) return r.pick([0, 10_000, t]);
      if (kind < 0.2) return r.int(0, 10_000);
      return Math.max(0, Math.min(10_000, t + r.int(-noise, noise)));
    });
  });
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
  it(`agrees on aggregation, leave-one-out, trust, settlement and sampling (seed ${SEED})`, async () => {
    const { viem } = await network.create();
    const lib = await viem.deployContract("Settlement");
    const h = await viem.deployContract("RulesHarness", [], { libraries: { Settlement: lib.address } });
    const r = prng(SEED);

    // 1. aggregate + every leave-one-out consensus
    for (let c = 0; c < 600 * SCALE; c++) {
      const rule = r.pick(RULES);
      const n = r.int(1, 25);
      const scores = randomScores(r, n, 1).map((s) => s[0]!);
      const weights = Array.from({ length: n }, () => r.int(100, 100_000));
      const trim = r.int(0, 4_500);
      const args = [rule, scores.map(BigInt), weights.map(BigInt), BigInt(trim)] as const;
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
    for (let c = 0; c < 200 * SCALE; c++) {
      const p = randomSettlementParams(r);
      const trust = r.int(p.wMin, p.wMax);
      const d = r.int(0, 10_000);
      expect(Number(await h.read.updateTrust([BigInt(trust), BigInt(d), BigInt(p.lambdaBps), BigInt(p.wMin), BigInt(p.wMax)]))).toBe(
        updateTrust(trust, d, p),
      );
    }

    // 3. full settlement with no-shows (cases generated first, then checked 25 calls at a time)
    const cases = Array.from({ length: 1_100 * SCALE }, (_, c) => {
      const rule = r.pick(RULES);
      const k = r.int(1, 21);
      const m = r.int(1, 15);
      const p = r.next() < 0.3 ? DEFAULT_PARAMS.settlement : randomSettlementParams(r);
      const showRate = r.pick([0, 0.5, 0.9, 1]);
      const scores = randomScores(r, k, m);
      const members = scores.map((s) => ({
        trust: r.int(p.wMin, p.wMax),
        stake: r.big(0n, 10n ** 24n),
        cost: r.big(0n, 10n ** 20n),
        revealed: r.next() < showRate,
        scores: s,
      }));
      const costSum = members.reduce((a, x) => a + x.cost, 0n);
      const nodeBudget = r.big(0n, 10n ** 22n);
      const evalBudget = costSum + r.big(0n, 10n ** 20n);
      return { c, rule, k, m, p, members, nodeBudget, evalBudget };
    });
    for (let from = 0; from < cases.length; from += 25) {
      const chunk = cases.slice(from, from + 25);
      const results = await Promise.all(
        chunk.map(({ rule, p, members, m, nodeBudget, evalBudget }) =>
          h.read.settle([
            rule,
            p,
            members.map((x) => ({
              trust: BigInt(x.trust),
              stake: x.revealed ? 0n : x.stake,
              cost: x.cost,
              revealed: x.revealed,
              scores: x.revealed ? packScores(x.scores) : 0n,
            })),
            BigInt(m),
            nodeBudget,
            evalBudget,
          ]),
        ),
      );
      chunk.forEach(({ c, rule, k, m, p, members, nodeBudget, evalBudget }, x) => {
        const got = results[x]!;
        const want = settleTask({ rule, params: p, members, m, nodeBudget, evalBudget });
        const tag = `settle case ${c} rule ${rule} k ${k} m ${m}`;
        expect(got.hasConsensus, tag).toBe(want.consensus !== null);
        if (want.consensus) expect(unpackScores(got.consensus, m), tag).toEqual(want.consensus);
        expect(got.deviation.map(Number), tag).toEqual(want.deviations);
        expect(got.dNorm.map(Number), tag).toEqual(want.normalisedDeviations);
        expect(got.newTrust.map(Number), tag).toEqual(want.newTrust);
        expect([...got.slashed], tag).toEqual(want.slashed);
        expect([...got.evaluatorPay], tag).toEqual(want.evaluatorPay);
        expect([...got.nodePay], tag).toEqual(want.nodePay);
        expect(got.refund, tag).toBe(want.refund);
        expect(got.treasury, tag).toBe(want.treasury);
      });
    }

    // 4. committee sampling
    for (let c = 0; c < 300 * SCALE; c++) {
      const n = r.int(1, 40);
      const cands = Array.from({ length: n }, () => ({ weight: r.big(1n, 10n ** 30n), cost: r.big(0n, 100n) }));
      const k = r.int(1, Math.min(n, 21));
      const budget = r.big(0n, 100n * BigInt(k));
      const seed = keccak256(toHex(`seed-${c}`));
      const [picked] = await h.read.sample([cands.map((x) => x.weight), cands.map((x) => x.cost), BigInt(k), budget, seed]);
      expect(picked.map(Number), `sample case ${c}`).toEqual(sampleCommittee(cands, k, budget, seed));
    }
  });
});

describe("differential: mirror vs ProofOfQuality lifecycles", () => {
  it(`predicts committees, trust, slashes and payouts to the wei (seed ${SEED})`, async () => {
    const r = prng(SEED + 1);
    const c = await setupChain();
    const N = 14;
    const evaluators: Address[] = [];
    for (let i = 0; i < N; i++) {
      const a = await c.actor(100 + i);
      await c.poq.write.registerEvaluator([r.big(100n, 3_000n) * E18, r.big(0n, 20n) * E18], { account: a.address });
      evaluators.push(a.address);
    }
    const nodes = await c.nodes(6);
    const requester = (await c.actor(1)).address;
    let params: GovernanceParams = { ...DEFAULT_PARAMS, settlement: { ...DEFAULT_PARAMS.settlement } };
    const TASKS = 200 * SCALE;
    let created = 0;
    let unfillable = 0;

    for (let task = 0; task < TASKS; task++) {
      if (task % 25 === 24) {
        params = { ...params, stakeCap: r.big(100n, 5_000n) * E18, settlement: randomSettlementParams(r) };
        await c.poq.write.setParams([toGovernanceTuple(params)]);
      }
      if (task % 10 === 9) {
        // some evaluators top up (slashes erode stake) and change cost
        const e = r.pick(evaluators);
        await c.poq.write.addStake([r.big(1n, 500n) * E18], { account: e });
        await c.poq.write.setCost([r.big(0n, 20n) * E18], { account: e });
      }
      const rule = r.pick(RULES);
      const k = r.int(1, 8);
      const m = r.int(1, 6);
      const spec = await c.spec(nodes.slice(0, m).map((_, j) => nodes[r.int(0, nodes.length - 1)]!), {
        rule,
        k,
        nodeBudget: r.big(0n, 1_000n) * E18,
        evalBudget: r.big(10n, 200n) * E18,
        commitDeadline: Number((await c.now()) + 100n),
        revealDeadline: Number((await c.now()) + 200n),
        queryHash: keccak256(toHex(`q${task}`)),
      });

      // mirror: eligible candidates before creation
      const list = await c.poq.read.getEvaluators();
      const recs = await Promise.all(list.map((a) => c.poq.read.getEvaluator([a])));
      const eligible = eligibleCandidates(
        recs.map((e) => ({ registered: e.registered, stake: e.stake, trust: e.trust, cost: e.cost, openTasks: e.openTasks })),
        params.minStake,
        params.stakeCap,
      );

      let hash: Hex;
      try {
        hash = await c.poq.write.createTask([spec], { account: requester });
      } catch (err) {
        expect(String(err)).toContain("CommitteeUnfillable");
        unfillable++;
        continue;
      }
      created++;
      const receipt = await c.publicClient.waitForTransactionReceipt({ hash });
      const [sampled] = parseEventLogs({ abi: c.poq.abi, logs: receipt.logs, eventName: "CommitteeSampled" });
      const taskId = sampled!.args.taskId;
      const picked = sampleCommittee(eligible.map((e) => e.candidate), k, spec.evalBudget, sampled!.args.seed);
      expect(picked.length).toBe(k);
      const predicted = picked.map((i) => list[eligible[i]!.index]!);
      expect([...sampled!.args.members]).toEqual(predicted);

      // random behaviour: reveal, commit-only, or absent
      const members = predicted;
      const scores = randomScores(r, k, m);
      const behaviour = members.map(() => (r.next() < 0.8 ? "reveal" : r.next() < 0.5 ? "commit" : "absent"));
      await Promise.all(
        members.map((a, i) => (behaviour[i] !== "absent" ? c.commit(taskId, a, scores[i]!, salt(task * 100 + i)) : undefined)),
      );
      if (behaviour.some((b) => b !== "reveal")) await c.networkHelpers.time.increaseTo(spec.commitDeadline + 1);
      await Promise.all(
        members.map((a, i) => (behaviour[i] === "reveal" ? c.reveal(taskId, a, scores[i]!, salt(task * 100 + i)) : undefined)),
      );
      if (behaviour.some((b) => b !== "reveal")) await c.networkHelpers.time.increaseTo(spec.revealDeadline + 1);

      // state the contract settles with
      const before = await Promise.all(members.map((a) => c.poq.read.getEvaluator([a])));
      const [, costs] = await c.poq.read.getCommittee([taskId]);
      const nodePendingBefore = await Promise.all(nodes.map((n) => c.poq.read.getNode([n])));
      const refundBefore = await c.poq.read.refunds([requester]);
      const [, , , treasuryBefore] = await c.poq.read.totals();
      const task_ = await c.poq.read.getTask([taskId]);
      const want = settleTask({
        rule,
        params: task_.params,
        members: members.map((_, i) => ({
          trust: before[i]!.trust,
          stake: before[i]!.stake + before[i]!.unbonding,
          cost: costs[i]!,
          revealed: behaviour[i] === "reveal",
          scores: scores[i],
        })),
        m,
        nodeBudget: spec.nodeBudget,
        evalBudget: spec.evalBudget,
      });
      await c.poq.write.finalize([taskId]);

      const after = await Promise.all(members.map((a) => c.poq.read.getEvaluator([a])));
      const tag = `task ${task} rule ${rule} k ${k} m ${m} ${behaviour.join(",")}`;
      // a member may sit twice in no committee; each appears once, so per-member deltas are exact
      expect(after.map((e) => e.trust), tag).toEqual(want.newTrust);
      expect(after.map((e, i) => e.rewards - before[i]!.rewards), tag).toEqual(want.evaluatorPay);
      expect(after.map((e, i) => before[i]!.stake + before[i]!.unbonding - e.stake - e.unbonding), tag).toEqual(want.slashed);
      const [has, cons] = await c.poq.read.getConsensus([taskId]);
      expect(has, tag).toBe(want.consensus !== null);
      if (want.consensus) expect([...cons], tag).toEqual(want.consensus);
      const nodeDelta = new Map<string, bigint>();
      spec.nodes.forEach((n, j) => nodeDelta.set(n, (nodeDelta.get(n) ?? 0n) + want.nodePay[j]!));
      const nodeAfter = await Promise.all(nodes.map((n) => c.poq.read.getNode([n])));
      nodes.forEach((n, x) => expect(nodeAfter[x]!.pending - nodePendingBefore[x]!.pending, tag).toBe(nodeDelta.get(n) ?? 0n));
      expect((await c.poq.read.refunds([requester])) - refundBefore, tag).toBe(want.refund);
      const [, , , treasuryAfter] = await c.poq.read.totals();
      expect(treasuryAfter - treasuryBefore, tag).toBe(want.treasury);
      const bal = await c.conserved();
      expect(bal.balance, tag).toBe(bal.accounted);
    }
    expect(created).toBeGreaterThan(TASKS * 0.7);
    expect(unfillable).toBeLessThan(created);
  });
});
