/**
 * Helpers the sealed-round tests share (sealed.test.ts, redteam-v10 .. v13): keyed evaluators
 * that can sign SealedCommit, the honest round's commitments / signatures / openings, the
 * commitAll / finalizeSealed / revealSealed calls, custom-error assertions, several transactions
 * in one block and the Committed events a sealed list is rebuilt from.
 */
import { expect } from "vitest";
import { BaseError, ContractFunctionRevertedError, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { sealedCommitTypedData } from "../../oracle/contract/commitment.js";
import { E18, salt, setupChain, type Chain } from "./helpers.js";
import { sameAddress, type settledEvents } from "./settlement-helpers.js";

export { ABSTAIN, expectConserved } from "./settlement-helpers.js";

export const GAS = 3_000_000n;
export const HONEST = [6_000, 4_000];
export const GREEDY = [10_000, 10_000];
export const ZERO32: Hex = `0x${"00".repeat(32)}`;

/** `count` private keys, keccak256(`${prefix}-${i}`) (each test file keeps its own prefix). */
export const keyedAccounts = (prefix: string, count = 6): PrivateKeyAccount[] =>
  Array.from({ length: count }, (_, i) => privateKeyToAccount(keccak256(toHex(`${prefix}-${i}`))));

/** Asserts `p` reverts with the custom error `name` (and exactly `args`, when given). */
export async function reverts(p: Promise<unknown>, name: string, args?: readonly unknown[]) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected a revert with ${name}`).toBeDefined();
  const rev = err instanceof BaseError ? err.walk((e) => e instanceof ContractFunctionRevertedError) : undefined;
  expect(rev, `expected a custom error ${name}, got: ${String((err as Error)?.message).slice(0, 400)}`).toBeInstanceOf(ContractFunctionRevertedError);
  const data = (rev as ContractFunctionRevertedError).data;
  expect(data?.errorName).toBe(name);
  if (args) expect(data?.args).toEqual(args);
}

/**
 * `sealedChain(count = defaultCount, opts)` for the keys `keys`: a chain (setupChain(opts)) with
 * the first `count` keys registered as evaluators (stake 1,000, cost 1) and 2 inference nodes;
 * `keyOf(a)` is the key of `a` among `keys` and `others` (keys that never register), and throws
 * for any other address.
 */
export function sealedChainFor(keys: readonly PrivateKeyAccount[], defaultCount: number, others: readonly PrivateKeyAccount[] = []) {
  return async function sealedChain(count = defaultCount, opts: Parameters<typeof setupChain>[0] = {}) {
    const c = await setupChain(opts);
    await c.keyedEvaluators(keys.slice(0, count));
    const nodes = await c.nodes(2);
    const requester = (await c.actor(1)).address;
    const keyOf = (a: Address) => {
      const k = [...keys, ...others].find((x) => sameAddress(x.address, a));
      if (!k) throw new Error(`no key for ${a}`);
      return k;
    };
    return { c, nodes, requester, keys, keyOf };
  };
}
export type Sealed = Awaited<ReturnType<ReturnType<typeof sealedChainFor>>>;

/** Creates and draws a task (k = 3 by default, 2 outputs) whose committee is keyed. */
export async function task(s: Sealed, k = 3) {
  const t = await s.c.createTask(s.requester, s.c.spec(s.nodes, { k, evalBudget: BigInt(k) * 2n * E18 }));
  for (const m of t.members) expect(s.keys.some((x) => sameAddress(x.address, m))).toBe(true);
  return t;
}

/** `signer`'s EIP-712 signature of SealedCommit(taskId, commitment) (domain overridable). */
export function sign(
  s: Sealed,
  signer: PrivateKeyAccount,
  taskId: bigint,
  commitment: Hex,
  domain: { chainId?: number | bigint; contract?: Address } = {},
) {
  return signer.signTypedData(
    sealedCommitTypedData({ chainId: domain.chainId ?? s.c.chainId, contract: domain.contract ?? s.c.poq.address, taskId, commitment }),
  );
}

export type Openings = { commitments: Hex[]; scores: number[][]; salts: Hex[] };

/** The honest sealed round of `members` scoring `scores[i]` with salt(i): commitments, signatures, openings. */
export async function prepare(s: Sealed, taskId: bigint, members: readonly Address[], scores: readonly (readonly number[])[]) {
  const salts = members.map((_, i) => salt(i));
  const commitments = members.map((m, i) => s.c.commitment(taskId, m, scores[i]!, salts[i]!));
  const signatures = await Promise.all(members.map((m, i) => sign(s, s.keyOf(m), taskId, commitments[i]!)));
  const openings: Openings = { commitments, scores: scores.map((x) => [...x]), salts };
  return { commitments, signatures, salts, openings };
}

export const commitAll = (c: Chain, taskId: bigint, commitments: readonly Hex[], signatures: readonly Hex[], from?: Address) =>
  c.poq.write.commitAll([taskId, [...commitments], [...signatures]], from ? { account: from } : {});

export const finalizeSealed = (c: Chain, taskId: bigint, o: Openings, from?: Address) =>
  c.poq.write.finalizeSealed([taskId, o], from ? { account: from } : {});

export const revealSealed = (c: Chain, taskId: bigint, member: Address, commitments: readonly Hex[], scores: readonly number[], sl: Hex) =>
  c.poq.write.revealSealed([taskId, [...commitments], [...scores], sl], { account: member });

/** Warps past `taskId`'s reveal deadline (nothing when already past). */
export async function pastRevealDeadline(c: Chain, taskId: bigint) {
  const t = await c.poq.read.getTask([taskId]);
  const left = BigInt(t.revealDeadline) - (await c.now()) + 1n;
  if (left > 0n) await c.warp(left);
}

/** Runs `txs` (each returns a tx hash) in ONE block mined at `timestamp`, in order; returns the receipts' statuses and the hashes. */
export async function oneBlock(c: Chain, timestamp: bigint, txs: (() => Promise<Hex>)[]) {
  await c.conn.provider.request({ method: "evm_setAutomine", params: [false] });
  const hashes: Hex[] = [];
  try {
    for (const tx of txs) hashes.push(await tx());
    await c.networkHelpers.time.setNextBlockTimestamp(timestamp);
    await c.networkHelpers.mine();
  } finally {
    await c.conn.provider.request({ method: "evm_setAutomine", params: [true] });
  }
  const rcs = await Promise.all(hashes.map((hash) => c.publicClient.waitForTransactionReceipt({ hash })));
  expect(new Set(rcs.map((r) => r.blockNumber)).size).toBe(1);
  return { statuses: rcs.map((r) => r.status), hashes };
}

/** The task's Committed events from the settlement contract (the input sealedList documents). */
export const committedLogs = (c: Chain, taskId: bigint) =>
  c.publicClient.getContractEvents({ address: c.poq.address, abi: c.poq.abi, eventName: "Committed", args: { taskId }, fromBlock: 0n });

type Settled = Awaited<ReturnType<typeof settledEvents>>;
/** Each member's pay / slash, in committee order. */
export const pays = (r: Settled) => r.members.map((m) => m.pay);
export const slashes = (r: Settled) => r.members.map((m) => m.slashed);
