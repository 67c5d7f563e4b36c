/**
 * One number format per boundary: scores are floats in [0,1] inside the scoring engine and
 * basis points (integers 0..10000) on the wire and on chain. These two functions are the
 * only conversion.
 */
export const BPS = 10_000;

/** Float in [0,1] (clipped; NaN is an error) to integer basis points, rounded half up. */
export function toBps(score: number): number {
  if (Number.isNaN(score)) throw new RangeError("score is NaN");
  const clipped = Math.min(1, Math.max(0, score));
  return Math.floor(clipped * BPS + 0.5);
}

/** Integer basis points to a float in [0,1]. */
export function fromBps(bps: number | bigint): number {
  const n = Number(bps);
  if (!Number.isInteger(n) || n < 0 || n > BPS) throw new RangeError(`not a basis-point score: ${bps}`);
  return n / BPS;
}
