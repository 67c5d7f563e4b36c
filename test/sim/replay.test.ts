/**
 * Replays small simulations on the real contract (in-process Hardhat network, direct
 * commit/reveal calls, no workers): the contract samples each committee from its own
 * randomness, the simulator is handed the same seed, and every round must agree exactly:
 * committee, consensus, trust, fees, slashing and node payouts to the wei.
 */
import { describe, expect, it } from "vitest";
import type { Address } from "viem";
import { DEFAULT_SETTLEMENT_PARAMS, Family } from "../../oracle/rules/index.js";
import { DEFAULT_ATTACK_PARAMS } from "../../oracle/sim/attacks/index.js";
import { createRun, RULE_OF, type RunSpec } from "../../oracle/sim/engine.js";
import { E18, salt, setupChain } from "../contracts/helpers.js";
import { fixtureDataset, spec } from "./helpers.js";

const STAKE = 1_000n * E18;
const COST = 10n * E18;

async function replay(s: RunSpec, rounds: number) {
  const c = await setupChain();
  const evaluators = await c.evaluators(s.evaluatorPool, STAKE, COST);
  const nodes = await c.nodes(s.dataset.nodes.length);
  const requester = (await c.actor(1, 10_000_000n * E18)).address;
  const run = createRun(s, rounds);
  const evalBudget = BigInt(s.committeeSize) * COST;
  let saltN = 0;
  let compared = 0;
  for (let r = 0; r < rounds; r++) {
    const next = run.peek();
    const taskSpec = await c.spec(
      next.outputs.map((o) => nodes[o.node]!),
      { k: s.committeeSize, rule: RULE_OF[s.defense], family: Family.QA, nodeBudget: s.economics.nodeBudget, evalBudget },
    );
    const { taskId, members } = await c.createTask(requester, taskSpec);
    const [sampled] = await c.publicClient.getContractEvents({
      address: c.poq.address,
      abi: c.poq.abi,
      eventName: "CommitteeSampled",
      args: { taskId },
      fromBlock: 0n,
    });
    const seed = (sampled as unknown as { args: { seed: `0x${string}` } }).args.seed;
    const rec = run.step(seed);

    // Same committee, in the same order.
    expect(rec.committee.map((i) => evaluators[i]!)).toEqual(members);

    const salts = rec.scores.map(() => salt(saltN++));
    for (let pos = 0; pos < members.length; pos++) {
      const sc = rec.scores[pos];
      if (sc) await c.commit(taskId, members[pos] as Address, sc, salts[pos]!);
    }
    await c.networkHelpers.time.increase(1_001);
    for (let pos = 0; pos < members.length; pos++) {
      const sc = rec.scores[pos];
      if (sc) await c.reveal(taskId, members[pos] as Address, sc, salts[pos]!);
    }
    if (rec.scores.some((x) => x === null)) await c.networkHelpers.time.increase(1_001);
    await c.poq.write.finalize([taskId]);

    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(rec.consensus !== null);
    if (rec.consensus) expect([...consensus]).toEqual(rec.consensus);
    for (let pos = 0; pos < members.length; pos++) {
      const onChain = await c.poq.read.getEvaluator([members[pos] as Address]);
      const sim = run.evaluators[rec.committee[pos]!]!;
      expect(onChain.trust).toBe(rec.trustAfter[pos]);
      expect(onChain.trust).toBe(sim.trust);
      expect(onChain.rewards).toBe(sim.fees);
      expect(onChain.stake).toBe(sim.stake);
    }
    compared++;
  }
  // Node payouts accumulated over the whole replay, to the wei.
  const totals = run.totals();
  for (let n = 0; n < nodes.length; n++) {
    const onChain = await c.poq.read.getNode([nodes[n]!]);
    expect(onChain.lifetime).toBe(totals.nodePay[n]);
  }
  const bal = await c.conserved();
  expect(bal.balance).toBe(bal.accounted);
  return { compared, totals, run };
}

describe("simulator replayed on the contract", () => {
  const base = (over: Partial<RunSpec>) =>
    spec({
      dataset: fixtureDataset("fixqa"),
      evaluatorPool: 8,
      committeeSize: 5,
      economics: { stake: STAKE, evaluatorCost: COST, nodeBudget: 100n * E18, workCostBps: 8000 },
      settlement: { ...DEFAULT_SETTLEMENT_PARAMS },
      ...over,
    });

  it("colluding boosters under TRUST_WEIGHTED_MEDIAN: identical committees, consensus, trust, fees and node pay", async () => {
    const { compared, run } = await replay(base({ attack: "collude", attackerRatio: 0.4, defense: "TRUST_WEIGHTED_MEDIAN", seed: 11 }), 6);
    expect(compared).toBe(6);
    expect(run.evaluators.filter((e) => e.attacker)).toHaveLength(3);
  });

  it("abstaining copiers under MEDIAN: the contract slashes exactly what the simulator slashes", async () => {
    const { run } = await replay(
      base({ attack: "copy", attackerRatio: 0.5, defense: "MEDIAN", seed: 5, attackParams: { ...DEFAULT_ATTACK_PARAMS, copyMode: "abstain" } }),
      5,
    );
    expect(run.evaluators.some((e) => e.attacker && e.slashed > 0n)).toBe(true);
  });

  it("single-evaluator honest scoring with noise injection under TRIMMED_MEAN", async () => {
    await replay(base({ attack: "noise", attackerRatio: 0.25, defense: "TRIMMED_MEAN", signal: "single", seed: 3 }), 4);
  });
});
