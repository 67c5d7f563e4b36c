/**
 * Raw-bytecode attackers and storage readers shared by the blob red teams (redteam-v16 and
 * redteam-v17): a "try, then do" forwarder that plays an outer contract's try/catch around a
 * call to ProofOfQuality, and readers of ProofOfQuality's packed word (`_taskCount`,
 * `_paramsVersion`, `_escrow`, `_blobs`). No Solidity is added for them.
 */
import { expect } from "vitest";
import { concat, encodeFunctionData, numberToHex, pad, type Address, type Hex } from "viem";
import type { Chain } from "./helpers.js";

const U64 = (1n << 64n) - 1n;
const MAX_U256 = (1n << 256n) - 1n;

const p2 = (n: number) => n.toString(16).padStart(4, "0");
/** Init code that returns `runtime` (hex, no 0x) as the contract's code. */
export const initcodeFor = (runtime: string): Hex => `0x61${p2(runtime.length / 2)}80600c6000396000f3${runtime}` as Hex;

/**
 * "Try, then do": calldata = target (32) | gas1 (32) | len1 (32) | data1 (len1) | data2 (rest).
 * CALLs target with data1 and gas1, keeps its success flag and return data whatever happened
 * (an outer contract's try/catch), then CALLs target with data2 and all gas left, reverting
 * with its data if that fails; returns abi (ok1, len(ret1)) followed by ret1's bytes.
 */
export const FORWARDER_RUNTIME = [
  "604035", // len1 = calldataload(0x40)
  "8060606000" + "37", // calldatacopy(0, 0x60, len1)
  "60006000826000600060003560203" + "5f1", // ok1 = call(calldataload(0x20), target, 0, 0, len1, 0, 0)
  "610fc052", // mstore(0xfc0, ok1)
  "3d610fe052", // mstore(0xfe0, returndatasize)
  "3d60006110003e", // returndatacopy(0x1000, 0, returndatasize)
  "606001", // off2 = len1 + 0x60
  "803603", // len2 = calldatasize - off2
  "8091600037", // calldatacopy(0, off2, len2)
  "6000600082600060006000355af1", // ok2 = call(gas, target, 0, 0, len2, 0, 0)
  "604e57", // if ok2 jump to 0x4e
  "3d6000803e3d6000fd", // revert with call 2's data
  "5b610fe051604001610fc0f3", // 0x4e: return(0xfc0, 0x40 + len(ret1))
].join("");

/** The forwarder's calldata: try `data1` with `gas1`, then do `data2`. */
export const fwd = (target: Address, gas1: bigint, data1: Hex, data2: Hex): Hex =>
  concat([pad(target), numberToHex(gas1, { size: 32 }), numberToHex((data1.length - 2) / 2, { size: 32 }), data1, data2]);

/** The forwarder's return: call 1's success and return (revert) data. */
export function decodeFwd(out: Hex) {
  const ok1 = BigInt(out.slice(0, 66)) === 1n;
  const n = Number(BigInt(`0x${out.slice(66, 130)}`));
  return { ok1, data: `0x${out.slice(130, 130 + 2 * n)}` as Hex };
}

export async function deployRaw(c: Chain, initcode: Hex): Promise<Address> {
  const hash = await c.admin.deployContract({ abi: [], bytecode: initcode });
  return (await c.publicClient.waitForTransactionReceipt({ hash })).contractAddress!;
}

/** A forwarder funded with `tokens` and approved to ProofOfQuality (through its own call). */
export async function fundedForwarder(c: Chain, tokens: bigint) {
  const F = await deployRaw(c, initcodeFor(FORWARDER_RUNTIME));
  await c.token.write.mint([F, tokens]);
  const approve = encodeFunctionData({ abi: c.token.abi, functionName: "approve", args: [c.poq.address, MAX_U256] });
  await c.admin.sendTransaction({ to: F, data: fwd(c.token.address, 0n, "0x", approve) });
  expect(await c.token.read.allowance([F, c.poq.address])).toBe(MAX_U256);
  return F;
}

export const nonceOf = async (c: Chain, a: Address) => BigInt(await c.publicClient.getTransactionCount({ address: a }));

export const readSlot = async (c: Chain, address: Address, slot: bigint) =>
  BigInt((await c.publicClient.getStorageAt({ address, slot: numberToHex(slot, { size: 32 }) })) ?? "0x0");

/** ProofOfQuality's shared word (blobs << 224 | escrow << 96 | version << 64 | count): its slot. */
export async function packedSlot(c: Chain): Promise<bigint> {
  const count = await c.poq.read.taskCount();
  const blobs = (await nonceOf(c, c.poq.address)) - 1n;
  for (let s = 0n; s < 48n; s++) {
    const w = await readSlot(c, c.poq.address, s);
    if (w !== 0n && (w & U64) === count && w >> 224n === blobs) return s;
  }
  throw new Error("packed word not found");
}

/** The `_blobs` field of the shared word. */
export const blobsIn = async (c: Chain, slot: bigint) => (await readSlot(c, c.poq.address, slot)) >> 224n;

/** What the forwarder's first call did: a call-1 outcome read by `decodeFwd`. */
export type FwdOutcome = ReturnType<typeof decodeFwd>;

/** The least gas (below `hi`) with which `probe` reports call 1 succeeding (binary search). */
export async function leastGas(probe: (gas: bigint) => Promise<FwdOutcome>, hi: bigint): Promise<bigint> {
  let lo = 0n;
  while (hi - lo > 1n) {
    const mid = (lo + hi) / 2n;
    if ((await probe(mid)).ok1) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * Call 1's outcome at `count` gas values `from`, `from + step`, ..., merged into runs of one
 * kind: "ok", "oog" (failed without data) or the 4-byte selector of its revert.
 */
export async function failureRuns(probe: (gas: bigint) => Promise<FwdOutcome>, from: bigint, step: bigint, count: number) {
  const runs: { kind: string; from: bigint; to: bigint }[] = [];
  const outcomes = await Promise.all(Array.from({ length: count }, (_, i) => from + step * BigInt(i)).map(async (g) => ({ g, r: await probe(g) })));
  for (const { g, r } of outcomes) {
    const kind = r.ok1 ? "ok" : r.data === "0x" ? "oog" : r.data.slice(0, 10);
    const last = runs[runs.length - 1];
    if (last?.kind === kind) last.to = g;
    else runs.push({ kind, from: g, to: g });
  }
  return runs;
}
