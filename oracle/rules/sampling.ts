/**
 * Cost-aware, trust- and stake-weighted committee sampling without replacement, exactly as
 * the Solidity `Sampling` library draws it from a 32-byte seed.
 */
import { encodeAbiParameters, keccak256, type Hex } from "viem";

/** One eligible evaluator, in the contract's registration order. */
export interface Candidate {
  /** Sampling weight = trust * min(stake, stakeCap) (see `samplingWeight`). */
  weight: bigint;
  /** Declared cost per evaluation (token wei). */
  cost: bigint;
}

/** Evaluator record used to decide eligibility (as read from the contract). */
export interface EvaluatorRecord {
  registered: boolean;
  /** Active (bonded, not unbonding) stake. */
  stake: bigint;
  trust: number;
  cost: bigint;
  openTasks: number;
}

/** Sampling weight of an evaluator: trust * min(stake, stakeCap). */
export function samplingWeight(trust: number, stake: bigint, stakeCap: bigint): bigint {
  return BigInt(trust) * (stake < stakeCap ? stake : stakeCap);
}

/** Max concurrent open committees per evaluator (uint16 counter on chain). */
export const MAX_OPEN_TASKS = 65_535;

/**
 * Indices (into `evaluators`) and candidates of the evaluators the contract considers:
 * registered, stake >= minStake, openTasks < MAX_OPEN_TASKS, weight > 0.
 */
export function eligibleCandidates(
  evaluators: readonly EvaluatorRecord[],
  minStake: bigint,
  stakeCap: bigint,
): { index: number; candidate: Candidate }[] {
  const out: { index: number; candidate: Candidate }[] = [];
  evaluators.forEach((e, index) => {
    if (!e.registered || e.stake < minStake || e.openTasks >= MAX_OPEN_TASKS) return;
    const weight = samplingWeight(e.trust, e.stake, stakeCap);
    if (weight === 0n) return;
    out.push({ index, candidate: { weight, cost: e.cost } });
  });
  return out;
}

/** The uniform word for draw number `draw`: uint256(keccak256(abi.encode(seed, draw))). */
export function drawWord(seed: Hex, draw: number): bigint {
  return BigInt(keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [seed, BigInt(draw)])));
}

/**
 * Draws up to `k` distinct candidates. Draw number `d` (0-based) considers the candidates not
 * yet chosen whose cost <= the remaining budget; with total weight T > 0 it picks
 * r = drawWord(seed, d) mod T and walks them in order, subtracting weights, until r < weight.
 * The chosen cost is subtracted from the remaining budget. Stops early when T = 0; the
 * contract then reverts `CommitteeUnfillable`, so a result shorter than k means "no committee".
 *
 * @returns indices into `candidates`, in draw order
 */
export function sampleCommittee(candidates: readonly Candidate[], k: number, evalBudget: bigint, seed: Hex): number[] {
  const chosen = new Array<boolean>(candidates.length).fill(false);
  const out: number[] = [];
  let remaining = evalBudget;
  for (let d = 0; d < k; d++) {
    let total = 0n;
    candidates.forEach((c, i) => {
      if (!chosen[i] && c.cost <= remaining) total += c.weight;
    });
    if (total === 0n) break;
    let r = drawWord(seed, d) % total;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i]!;
      if (chosen[i] || c.cost > remaining) continue;
      if (r < c.weight) {
        chosen[i] = true;
        out.push(i);
        remaining -= c.cost;
        break;
      }
      r -= c.weight;
    }
  }
  return out;
}
