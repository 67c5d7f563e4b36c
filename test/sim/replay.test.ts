/**
 * Replays small simulations on the real contracts (in-process Hardhat network, the stack of
 * deployLocalStack, direct commit/reveal calls, no workers): the pool registers with the
 * simulator's stakes and different declared costs, ProofOfQuality draws each committee from its
 * own block-hash seed (as of the task's creation), the simulator is handed that seed, the
 * creation, draw and finalisation times (and replays the syncs of operators whose trust outgrew
 * their trust bound), and every
 * round must agree exactly: committee (cost filter, trust x stake weights), consensus, trust
 * (rises capped per period), fees, slashes, slash shares, burns and node payouts, to the wei.
 */
import { describe, expect, it } from "vitest";
import { encodeFunctionData, parseEventLogs, type Address } from "viem";
import { DEFAULT_SETTLEMENT_PARAMS, Family, type ProtocolParams } from "../../oracle/rules/index.js";
import { DEFAULT_ATTACK_PARAMS } from "../../oracle/sim/attacks/index.js";
import { createRun, RULE_OF, type RunSpec } from "../../oracle/sim/engine.js";
import { DEV_PROTOCOL_PARAMS, E18, salt, setupChain } from "../contracts/helpers.js";
import { fixtureDataset, spec } from "./helpers.js";

/**
 * Dev-chain clocks, a trust allowance small enough that the per-period cap binds, and an initial
 * trust just under a power of two (8192) so that rises outgrow the trust bound and operators sync.
 */
const PROTOCOL: ProtocolParams = {
  staking: { ...DEV_PROTOCOL_PARAMS.staking, trustGainPerPeriod: 800, trustPeriod: 3_600, initialTrust: 8_000 },
  governance: DEV_PROTOCOL_PARAMS.governance,
};
const WINDOWS = { commit: 60, reveal: 60 };

async function replay(s: RunSpec, rounds: number) {
  const c = await setupChain({ params: PROTOCOL });
  const run = createRun(s, rounds);
  // the pool registers in pool order (= the registry's list order) with the simulator's stakes and costs
  const evaluators: Address[] = [];
  for (const e of run.evaluators) {
    const a = (await c.actor(100 + e.index)).address;
    await c.registry.write.register([e.stake, e.cost, [c.profiles[0]!]], { account: a });
    evaluators.push(a);
  }
  await c.activate();
  const nodes = await c.nodes(s.dataset.nodes.length);
  const requester = (await c.actor(1, 10_000_000n * E18)).address;
  const fee = s.economics.feePerMember;
  let saltN = 0;
  let compared = 0;
  let burned = 0n;
  let synced = 0;
  for (let r = 0; r < rounds; r++) {
    const next = run.peek();
    const taskSpec = c.spec(
      next.outputs.map((o) => nodes[o.node]!),
      {
        k: s.committeeSize,
        rule: RULE_OF[s.defense],
        family: Family.QA,
        nodeBudget: s.economics.nodeBudget,
        evalBudget: fee * BigInt(s.committeeSize),
        commitWindow: WINDOWS.commit,
        revealWindow: WINDOWS.reveal,
      },
    );
    const taskId = await c.create(requester, taskSpec);
    const createdAt = Number(await c.now()); // the create block: the registry draws as of it
    const drawHash = await c.poq.write.drawCommittee([taskId]);
    const rc = await c.publicClient.waitForTransactionReceipt({ hash: drawHash });
    const [sampled] = parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "CommitteeSampled" });
    expect(sampled, `round ${r}: committee drawn`).toBeDefined();
    const t = await c.poq.read.getTask([taskId]);
    const finalizeAt = t.revealDeadline + 1;
    const drawAt = Number((await c.publicClient.getBlock({ blockNumber: rc.blockNumber })).timestamp);
    const rec = run.step(sampled!.args.seed, { create: createdAt, draw: drawAt, finalize: finalizeAt });

    // Same committee, in the same order.
    expect(rec.committee.map((i) => evaluators[i]!), `round ${r}`).toEqual([...sampled!.args.members]);
    const members = [...sampled!.args.members];
    const salts = rec.scores.map(() => salt(saltN++));
    for (let pos = 0; pos < members.length; pos++) {
      const sc = rec.scores[pos];
      if (sc) await c.commit(taskId, members[pos]!, sc, salts[pos]!);
    }
    if (rec.scores.some((x) => x === null)) await c.warp(BigInt(t.commitDeadline) - (await c.now()) + 1n);
    for (let pos = 0; pos < members.length; pos++) {
      const sc = rec.scores[pos];
      if (sc) await c.reveal(taskId, members[pos]!, sc, salts[pos]!);
    }
    await c.networkHelpers.time.setNextBlockTimestamp(finalizeAt);
    const fh = await c.poq.write.finalize([taskId]);
    const frc = await c.publicClient.waitForTransactionReceipt({ hash: fh });
    const [fin] = parseEventLogs({ abi: c.poq.abi, logs: frc.logs, eventName: "TaskFinalized" });
    expect(fin!.args.burned).toBe(rec.burned);
    const outs = parseEventLogs({ abi: c.poq.abi, logs: frc.logs, eventName: "OutputSettled" });
    // a task without consensus (void, or nobody scored) settles no output and pays no node
    // the operators the simulator has sync (trust past their trust bound), one second later in one Multicall
    if (rec.synced.length > 0) {
      await c.networkHelpers.time.setNextBlockTimestamp(finalizeAt + 1);
      const calls = rec.synced.map((slot) => encodeFunctionData({ abi: c.registry.abi, functionName: "sync", args: [evaluators[slot]!] }));
      await c.registry.write.multicall([calls]);
      synced += rec.synced.length;
    }
    expect(outs.map((o) => o.args.node), `round ${r}: nodes`).toEqual(rec.consensus ? taskSpec.nodes : []);
    expect(outs.map((o) => o.args.pay), `round ${r}: node pay`).toEqual(rec.consensus ? rec.nodePay : []);
    if (!rec.consensus) expect(rec.nodePay.every((p) => p === 0n)).toBe(true);
    burned += rec.burned;

    const [has, consensus] = await c.poq.read.getConsensus([taskId]);
    expect(has).toBe(rec.consensus !== null);
    if (rec.consensus) expect([...consensus]).toEqual(rec.consensus);
    const settled = parseEventLogs({ abi: c.poq.abi, logs: frc.logs, eventName: "EvaluatorSettled" });
    expect(settled.map((e) => e.args.pay)).toEqual(rec.evaluatorPay);
    expect(settled.map((e) => e.args.slashed)).toEqual(rec.slashed);
    expect(settled.map((e) => e.args.slashShare)).toEqual(rec.slashShare);
    expect(settled.map((e) => Number(e.args.newTrust))).toEqual(rec.trustAfter);
    for (let pos = 0; pos < members.length; pos++) {
      const onChain = await c.registry.read.getEvaluator([members[pos]!]);
      const sim = run.evaluators[rec.committee[pos]!]!;
      expect(onChain.trust, `round ${r} member ${pos}`).toBe(sim.trust);
      expect(onChain.stake).toBe(sim.stake);
      expect(await c.poq.read.claimableOf([members[pos]!])).toBe(sim.fees + sim.slashShares); // nobody claims here
    }
    compared++;
  }
  // Node payouts and burns accumulated over the whole replay, to the wei.
  const totals = run.totals();
  for (let n = 0; n < nodes.length; n++) {
    const onChain = await c.poq.read.getNode([nodes[n]!]);
    expect(onChain.lifetime).toBe(totals.nodePay[n]);
  }
  expect(totals.burned).toBe(burned);
  const bal = await c.conserved();
  expect(bal.balance).toBe(bal.accounted);
  return { compared, totals, run, synced };
}

describe("simulator replayed on the contract", () => {
  const base = (over: Partial<RunSpec>) =>
    spec({
      dataset: fixtureDataset("fixqa"),
      evaluatorPool: 8,
      committeeSize: 5,
      settlement: { ...DEFAULT_SETTLEMENT_PARAMS },
      protocol: PROTOCOL,
      windows: WINDOWS,
      ...over,
    });

  it("colluding boosters under TRUST_WEIGHTED_MEDIAN: identical committees, consensus, capped trust, fees and node pay", async () => {
    const { compared, run, synced } = await replay(base({ attack: "collude", attackerRatio: 0.4, defense: "TRUST_WEIGHTED_MEDIAN", seed: 11 }), 7);
    expect(compared).toBe(7);
    expect(synced).toBeGreaterThan(0); // trust bounds raised by sync reach later draws
    expect(run.evaluators.filter((e) => e.attacker)).toHaveLength(3);
  });

  it("abstaining copiers under MEDIAN: the contract slashes, shares and burns exactly what the simulator does", async () => {
    const { run } = await replay(
      base({ attack: "copy", attackerRatio: 0.5, defense: "MEDIAN", seed: 5, attackParams: { ...DEFAULT_ATTACK_PARAMS, copyMode: "silent" } }),
      5,
    );
    expect(run.evaluators.some((e) => e.attacker && e.slashed > 0n)).toBe(true);
    expect(run.evaluators.some((e) => !e.attacker && e.slashShares > 0n)).toBe(true);
  });

  it("a price the cost filter binds at: single-evaluator scoring with noise under TRIMMED_MEAN", async () => {
    const s = base({
      attack: "noise",
      attackerRatio: 0.3,
      defense: "TRIMMED_MEAN",
      signal: "single",
      seed: 3,
      evaluatorPool: 10,
      committeeSize: 3,
      economics: { ...spec().economics, feePerMember: E18 },
    });
    const { run } = await replay(s, 5);
    // only evaluators declaring <= 1 token are ever drawn
    expect(run.evaluators.filter((e) => e.sampled > 0).every((e) => e.cost <= E18)).toBe(true);
  });
});
