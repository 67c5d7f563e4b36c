/**
 * Attack 9 (docs/contract.md, "Threat model"): a requester picks its own committee through a
 * profile that only its own evaluators serve (the uncalibrated default profile, or a newly
 * registered profile during a rollover). Before the fix the `minEligibleBps` bar was measured
 * against the weight of the evaluators serving the task's profile, which the requester chooses:
 * three sybils alone on a profile were its whole serving set, so they were the committee of every
 * task naming it. The bar is now measured against the whole network's weight (every drawable
 * evaluator but the requester, any profile, any cost).
 *
 * Figures of the first test's script on the contract before the fix (commit 9ac2a0f, measured
 * once, the sybils then revealing [10000, 0] and the task finalized): every one of the 5 tasks
 * drew the 3 sybils (3 of 3 seats, whatever the seed); the requester's node was paid 50 tokens a
 * task and the honest node 0 (an honest 9000 would have earned 40), the other 50 of the node
 * budget came back to the requester, its sybils took the whole evaluator budget (5 tokens each)
 * and farmed their trust from 5,000 to 8,052; the requester's only outside cost was the
 * protocol fee, 5 x 2.16 = 10.8 tokens. After the fix the same 10.8 tokens buy nothing: every
 * task is cancelled, no committee, no pay, no trust.
 */
import { describe, expect, it } from "vitest";
import { keccak256, toHex, type Address } from "viem";
import { DEV_PROTOCOL_PARAMS, Rule, TaskStatus } from "../../oracle/rules/index.js";
import { E18, TEST_PROFILE, setupChain, type Chain } from "./helpers.js";

const P = DEV_PROTOCOL_PARAMS;
/** A second profile governance registers (a re-audit's calibrated profile, say). */
const NEW_PROFILE = keccak256(toHex("poq.new-calibrated-profile"));

/** 8 honest evaluators (1,000 tokens each) on the main profile; the requester's 3 sybils (1,000 each) alone on the new one. */
async function rollover() {
  const c = await setupChain();
  const [attackerNode, honestNode] = await c.nodes(2);
  const requester = (await c.actor(1)).address;
  const honest = await c.evaluators(8, 1_000n * E18, 1n * E18, { wait: false });
  await c.profileRegistry.write.register([NEW_PROFILE, "ipfs://new-calibrated-profile"]); // governance
  const sybils = await c.evaluators(3, 1_000n * E18, 1n * E18, { first: 700, profiles: [NEW_PROFILE] });
  // the attacker's task: its own node first, an honest node second; 3 seats at 1 token
  const spec = c.spec([attackerNode!, honestNode!], { k: 3, rule: Rule.MEDIAN, nodeBudget: 100n * E18, evalBudget: 3n * E18, profileHash: NEW_PROFILE });
  return { c, requester, honest, sybils, attackerNode: attackerNode!, honestNode: honestNode!, spec };
}

const bit = async (c: Chain, h: `0x${string}`) => BigInt(await c.profileRegistry.read.activeBit([h]));

async function eligibleShare(c: Chain, profile: `0x${string}`, fee: bigint, requester: Address) {
  const { cand, eligible, network } = await c.candidates(await bit(c, profile), fee, requester);
  return { cand: [...cand], eligible, network, bps: (eligible * 10_000n) / network };
}

describe("attack 9: a committee of one's own through a thin profile", () => {
  it("the requester's 3 sybils alone on a newly registered profile (27% of the network's weight): every task naming it is cancelled, the sybils are never drawn, and each try costs the protocol fee (5 x 2.16 tokens)", async () => {
    const { c, requester, sybils, attackerNode, honestNode, spec } = await rollover();
    const share = await eligibleShare(c, NEW_PROFILE, 1n * E18, requester);
    expect(new Set(share.cand)).toEqual(new Set(sybils));
    expect(share.network).toBe(11_000n * E18); // 8 honest + 3 sybils (min(stake, cap) each)
    expect(share.bps).toBe(2_727n); // 3,000 of 11,000 < minEligibleBps 5000 (the old bar: 3,000 of 3,000 = 100%)

    const bal0 = await c.token.read.balanceOf([requester]);
    for (let i = 0; i < 5; i++) {
      const id = await c.create(requester, { ...spec, queryHash: keccak256(toHex(`q${i}`)) });
      await c.poq.write.drawCommittee([id]);
      const t = await c.poq.read.getTask([id]);
      expect(t.status).toBe(TaskStatus.CANCELLED);
      expect((await c.poq.read.getCommittee([id]))[0]).toEqual([]);
    }
    await c.poq.write.claim([requester], { account: requester });
    const loss = bal0 - (await c.token.read.balanceOf([requester]));
    expect(loss).toBe(5n * (await c.poq.read.protocolFeeFor([100n * E18, 3n * E18])));
    expect(loss).toBe((5n * 216n * E18) / 100n); // escrow refunded, 5 x 2.16 protocol fee lost
    for (const s of sybils) {
      const e = await c.registry.read.getEvaluator([s]);
      expect([e.tasksAssigned, e.trust]).toEqual([0, P.staking.initialTrust]); // never drawn, nothing farmed
      expect(await c.poq.read.claimableOf([s])).toBe(0n);
    }
    for (const n of [attackerNode, honestNode]) expect((await c.poq.read.getNode([n])).lifetime).toBe(0n);
    const [escrow] = await c.poq.read.totals();
    expect(escrow).toBe(0n);
  });

  it("the threshold follows the migration: 2 of 8 honest serving the new profile (45%) still cancels, 5 of 8 (73%) draws normally with honest members, the sybils holding 37.5% of the eligible weight", async () => {
    const { c, requester, honest, sybils, spec } = await rollover();
    const move = async (who: Address[]) => {
      for (const h of who) await c.registry.write.setProfiles([[TEST_PROFILE, NEW_PROFILE]], { account: h });
      await c.activate();
    };
    await move(honest.slice(0, 2));
    expect((await eligibleShare(c, NEW_PROFILE, 1n * E18, requester)).bps).toBe(4_545n); // 5,000 of 11,000
    const early = await c.create(requester, spec);
    await c.poq.write.drawCommittee([early]);
    expect((await c.poq.read.getTask([early])).status).toBe(TaskStatus.CANCELLED);

    await move(honest.slice(2, 5));
    const share = await eligibleShare(c, NEW_PROFILE, 1n * E18, requester);
    expect(share.bps).toBe(7_272n); // 8,000 of 11,000
    expect(share.cand).toHaveLength(8);
    let honestSeats = 0;
    for (let i = 0; i < 6; i++) {
      const { taskId, members } = await c.createTask(requester, { ...spec, queryHash: keccak256(toHex(`m${i}`)) });
      expect((await c.poq.read.getTask([taskId])).status).toBe(TaskStatus.OPEN);
      expect(members).toHaveLength(3);
      for (const m of members) expect(share.cand).toContain(m);
      honestSeats += members.filter((m) => !sybils.includes(m)).length;
    }
    expect(honestSeats).toBeGreaterThan(0);
    // the main profile is untouched: its eligible weight is everyone's but the sybils' (8,000 of 11,000)
    expect((await eligibleShare(c, TEST_PROFILE, 1n * E18, requester)).bps).toBe(7_272n);
  });

  it("the requester's own stake neither counts for it nor against it: a requester holding most of the network's weight on the main profile does not make the sybils' share of the rest enough", async () => {
    const { c, requester, spec } = await rollover();
    // the requester itself registers 20,000 tokens on the main profile: left out of the network weight of its own tasks
    await c.registry.write.register([20_000n * E18, 1n * E18, [TEST_PROFILE]], { account: requester });
    await c.activate();
    const share = await eligibleShare(c, NEW_PROFILE, 1n * E18, requester);
    expect(share.network).toBe(11_000n * E18); // its stake is not in it (with it, capped at 10,000 tokens: 21,000)
    const id = await c.create(requester, spec);
    await c.poq.write.drawCommittee([id]);
    expect((await c.poq.read.getTask([id])).status).toBe(TaskStatus.CANCELLED);
    // for anyone else's tasks it is part of the network
    const other = (await c.actor(2)).address;
    expect((await eligibleShare(c, NEW_PROFILE, 1n * E18, other)).network).toBe(21_000n * E18);
  });
});
