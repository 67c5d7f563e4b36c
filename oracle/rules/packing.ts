/** uint16 score packing used by the contract's storage and the settlement harness. */
import { BPS } from "./constants.js";
import { MAX_OUTPUTS } from "./constants.js";

/** Packs bps scores into one uint256: score j occupies bits [16j, 16j + 16). */
export function packScores(scores: readonly number[]): bigint {
  if (scores.length > MAX_OUTPUTS) throw new RangeError(`packScores: more than ${MAX_OUTPUTS} scores`);
  let word = 0n;
  scores.forEach((s, j) => {
    if (!Number.isInteger(s) || s < 0 || s > BPS) throw new RangeError(`packScores: score out of range: ${s}`);
    word |= BigInt(s) << BigInt(16 * j);
  });
  return word;
}

/** Inverse of `packScores` for `m` outputs. */
export function unpackScores(word: bigint, m: number): number[] {
  const out: number[] = [];
  for (let j = 0; j < m; j++) out.push(Number((word >> BigInt(16 * j)) & 0xffffn));
  return out;
}
