/**
 * Trust- and stake-weighted committee sampling without replacement: the registry's draw
 * (`EvaluatorRegistry.previewDraw` / `drawCommittee`: proposals from the profile's sum tree as of
 * the task's creation, each accepted with probability accept / leaf, `treeSample`).
 */
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import type { StakingParams } from "./constants.js";
import { ALL_PROFILES, drawInputs, drawWindow, eligibleStake, type Exclude, type RegistryEvaluator, type RegistryView } from "./registry.js";

/** A draw gives up after TRIES_PER_MEMBER x k + EXTRA_TRIES proposals (the task is cancelled). */
export const TRIES_PER_MEMBER = 4;
export const EXTRA_TRIES = 64;

/** The uniform word for draw number `draw`: uint256(keccak256(abi.encode(seed, draw))). */
export function drawWord(seed: Hex, draw: number): bigint {
  return BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [seed, BigInt(draw)])));
}

/** The acceptance word of proposal `t`: uint256(keccak256(abi.encode(seed, t, 1))). */
export function acceptWord(seed: Hex, t: number): bigint {
  return BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }, { type: "uint256" }], [seed, BigInt(t), 1n])));
}

/**
 * The registry's proposal loop (`_fill` / `_propose` / `SumTree.findAtExcept`) over fixed
 * leaves: proposal t picks the slot whose prefix interval [sum of the leaves before it, + its
 * leaf) holds drawWord(seed, t) mod W, over the leaves not yet taken out (W their sum). A slot
 * whose acceptance weight is 0 (ineligible) is taken out; an eligible one is accepted, and taken
 * out, when acceptWord(seed, t) mod leaf < accept, and stays in when it loses that draw. With
 * accept <= leaf this is successive sampling without replacement with probabilities
 * proportional to `accept` among the slots with accept > 0. Gives up (null) after 4 k + 64
 * proposals or once nothing is left (W = 0).
 *
 * @returns slots in acceptance order, or null
 */
export function treeSample(leaves: readonly bigint[], accept: readonly bigint[], k: number, seed: Hex): number[] | null {
  const left = [...leaves];
  let total = 0n;
  for (const x of left) total += x;
  const picked: number[] = [];
  const tries = TRIES_PER_MEMBER * k + EXTRA_TRIES;
  for (let t = 0; picked.length < k; t++) {
    if (t === tries || total === 0n) return null;
    let r = drawWord(seed, t) % total;
    let slot = 0;
    for (; slot < left.length; slot++) {
      if (r < left[slot]!) break;
      r -= left[slot]!;
    }
    const a = accept[slot] ?? 0n;
    const leaf = left[slot]!;
    if (a !== 0n && acceptWord(seed, t) % leaf >= a) continue; // lost its acceptance draw: stays in
    left[slot] = 0n;
    total -= leaf;
    if (a !== 0n) picked.push(slot);
  }
  return picked;
}

/**
 * `EvaluatorRegistry.previewDraw` (`drawCommittee` without its side effects, see `lockMember`)
 * for a task created at `asOf`, drawn at `now`: nothing (null) once now > asOf + drawWindow
 * (max(activationDelay, unbondingDelay - activationDelay)), for a retired or unknown profile, or
 * when the eligible stake (`eligibleStake`: serving the profile at a bucket <= bucketOf(fee) as
 * of `asOf`, the requester's own on neither side) is 0 or under `minEligibleBps` of the
 * network's; else `treeSample` over the profile's draw tree as of `asOf` (`drawInputs`: the slots'
 * owners then, their acceptance weights with the period trust at `now`), and each member's
 * voting weight, which the task keeps.
 *
 * @param reg the registry: slot order (null: a hole), or a `RegistryView` with the departed
 * @param exclude the requester (never drawn): a list position (-1: none) or its record
 * @param activeMask the ProfileRegistry's `activeMask` at the draw (default: every profile active)
 * @returns the members' slots in draw order, their records (the slots' owners as of `asOf`,
 *   possibly departed since) and their voting weights, or null
 */
export function drawCommittee(
  reg: RegistryView | ReadonlyArray<RegistryEvaluator | null>,
  profileBit: number,
  fee: bigint,
  exclude: Exclude,
  k: number,
  seed: Hex,
  asOf: number,
  now: number,
  p: Pick<StakingParams, "stakeCap" | "trustPeriod" | "activationDelay" | "unbondingDelay">,
  minEligibleBps: number,
  activeMask: number = ALL_PROFILES,
): { members: number[]; owners: RegistryEvaluator[]; weights: bigint[] } | null {
  const view: RegistryView = Array.isArray(reg) ? { list: reg as ReadonlyArray<RegistryEvaluator | null> } : (reg as RegistryView);
  if (now > asOf + drawWindow(p)) return null;
  const { eligible, network } = eligibleStake(view, profileBit, fee, exclude, asOf, activeMask);
  if (eligible === 0n || eligible * 10_000n < network * BigInt(minEligibleBps)) return null;
  const inputs = drawInputs(view, profileBit, fee, exclude, asOf, now, p, activeMask);
  const members = treeSample(inputs.leaves, inputs.accept, k, seed);
  if (members === null) return null;
  return { members, owners: members.map((i) => inputs.owners[i]!), weights: members.map((i) => inputs.weights[i]!) };
}
