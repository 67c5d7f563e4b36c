/**
 * Trust- and stake-weighted committee sampling without replacement, exactly as the Solidity
 * `Sampling` library draws it from a 32-byte seed, and the registry's `drawCommittee` around
 * it (eligibility filter in list order: see `candidates` in registry.ts).
 */
import { encodeAbiParameters, keccak256, type Hex } from "viem";
import type { StakingParams } from "./constants.js";
import { ALL_PROFILES, candidates, effectiveOf, samplingTrust, votingWeight, type RegistryEvaluator } from "./registry.js";

/** The uniform word for draw number `draw`: uint256(keccak256(abi.encode(seed, draw))). */
export function drawWord(seed: Hex, draw: number): bigint {
  return BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [seed, BigInt(draw)])));
}

/**
 * `Sampling.sample`: draws up to `k` distinct indices with probability proportional to weight
 * among those not yet chosen. Draw d takes r = drawWord(seed, d) mod T (T = total weight left)
 * and walks the candidates in order, subtracting weights, until r < weight. Stops early when
 * nothing is left; a result shorter than k means the committee cannot be filled (the task is
 * then cancelled).
 *
 * @returns indices into `weights`, in draw order
 */
export function sample(weights: readonly bigint[], k: number, seed: Hex): number[] {
  const w = [...weights];
  let total = 0n;
  for (const x of w) total += x;
  const out: number[] = [];
  for (let d = 0; d < k && total !== 0n; d++) {
    let r = drawWord(seed, d) % total;
    for (let i = 0; i < w.length; i++) {
      const wi = w[i]!;
      if (r < wi) {
        out.push(i);
        total -= wi;
        w[i] = 0n;
        break;
      }
      r -= wi;
    }
  }
  return out;
}

/**
 * `EvaluatorRegistry.drawCommittee` without its side effects (see `lockMember`): the eligible
 * candidates (`candidates`); no committee when they hold less than `minEligibleBps` of the
 * network weight (every drawable evaluator but the requester, whatever its profile or cost: a
 * price only the requester's own cheap evaluators accept, or a profile only they serve, makes
 * no committee) or when fewer than k can be drawn; else `sample` over their weights, and each
 * member's voting weight at the draw (`votingWeight` of its trust and effective stake), which
 * the task keeps.
 *
 * @param list evaluators in the registry's list order (null: a hole)
 * @param exclude list position of the requester (never drawn), or -1
 * @param activeMask the ProfileRegistry's `activeMask` at the draw (default: every profile active)
 * @returns list positions of the k members in draw order and their voting weights, or null
 */
export function drawCommittee(
  list: ReadonlyArray<RegistryEvaluator | null>,
  profileBit: number,
  fee: bigint,
  exclude: number,
  k: number,
  seed: Hex,
  now: number,
  p: Pick<StakingParams, "minStake" | "stakeCap" | "trustPeriod">,
  minEligibleBps: number,
  activeMask: number = ALL_PROFILES,
): { members: number[]; weights: bigint[] } | null {
  const c = candidates(list, profileBit, fee, exclude, now, p, activeMask);
  let eligible = 0n;
  for (const w of c.weights) eligible += w;
  if (eligible * 10_000n < c.networkWeight * BigInt(minEligibleBps)) return null;
  const picked = sample(c.weights, k, seed);
  if (picked.length < k) return null;
  const members = picked.map((i) => c.index[i]!);
  const weights = members.map((pos) => {
    const e = list[pos]!;
    return votingWeight(samplingTrust(e, now, p.trustPeriod), effectiveOf(e, now).stake, p.stakeCap);
  });
  return { members, weights };
}
