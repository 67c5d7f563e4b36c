/** Helpers the settlement attack tests share (abstentions, voids, slashes). */
import { expect } from "vitest";
import { parseEventLogs, type Address, type Hex } from "viem";
import type { Chain } from "./helpers.js";

/** What a member that cannot score reveals: an empty score list. */
export const ABSTAIN: number[] = [];

/** Address equality, whatever the case. */
export const sameAddress = (a: Address, b: Address) => a.toLowerCase() === b.toLowerCase();

/** The settlement events of a finalize transaction: members (committee order), the task, outputs. */
export async function settledEvents(c: Chain, hash: Hex) {
  const rc = await c.publicClient.waitForTransactionReceipt({ hash });
  return {
    members: parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "EvaluatorSettled" }).map((e) => e.args),
    task: parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "TaskFinalized" })[0]!.args,
    outputs: parseEventLogs({ abi: c.poq.abi, logs: rc.logs, eventName: "OutputSettled" }).map((e) => e.args),
  };
}

/** The nodes' pending payouts, summed. */
export async function nodePending(c: Chain, nodes: readonly Address[]) {
  let s = 0n;
  for (const n of nodes) s += (await c.poq.read.getNode([n])).pending;
  return s;
}

/** Both contracts hold exactly what they account for. */
export async function expectConserved(c: Chain) {
  const b = await c.conserved();
  expect(b.balance).toBe(b.accounted);
  expect(b.registryBalance).toBe(b.staked);
}

/** ProofOfQuality's four totals (escrowed, claimable, treasury, burned). */
export const totals = async (c: Chain) => [...(await c.poq.read.totals())];

/** expectConserved, and the four totals add up to the token balance both directly and as `accountedBalance`. */
export async function expectBalanced(c: Chain) {
  const [escrowed, claimable, treasury, burned] = await totals(c);
  const bal = await c.token.read.balanceOf([c.poq.address]);
  expect(escrowed! + claimable! + treasury! + burned!).toBe(bal);
  expect(await c.poq.read.accountedBalance()).toBe(bal);
  await expectConserved(c);
}

/** Plays a task where each member's scores are looked up by address (undefined: silent), finalizes it, and reads the settlement; `of(a)` is member a's EvaluatorSettled. */
export async function playBy(c: Chain, t: { taskId: bigint; members: Address[] }, pick: (a: Address) => number[] | undefined) {
  await c.play(t.taskId, t.members, t.members.map(pick));
  const r = await settledEvents(c, await c.finalize(t.taskId));
  const of = (a: Address) => r.members[t.members.findIndex((x) => sameAddress(x, a))]!;
  return { ...r, of };
}
