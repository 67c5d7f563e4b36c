/**
 * Metrics of one simulated run and their summaries over seeds. Pure functions on plain
 * arrays, checked against hand-computed cases in test/sim/metrics.test.ts.
 */
import { pearson } from "../audit/correlation.js";

/** Average ranks (1-based), ties get the mean of the ranks they span. */
export function ranks(xs: readonly number[]): number[] {
  const order = xs.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    const avg = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) r[order[t]![1]] = avg;
    i = j + 1;
  }
  return r;
}

export { pearson };

/** Spearman rank correlation (Pearson of average ranks); null when undefined. */
export function spearman(xs: readonly number[], ys: readonly number[]): number | null {
  return pearson(ranks(xs), ranks(ys));
}

/** Median of a non-empty list (mean of the two middle values for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError("median of an empty list");
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Share of the total reward paid to nodes whose quality is strictly below the median node
 * quality. Rewards are per-node reward rates (pay per output served), so nodes that happened
 * to serve more tasks do not weigh more. Null when nothing was paid.
 */
export function lowQualityRewardShare(rewards: readonly number[], quality: readonly number[]): number | null {
  if (rewards.length !== quality.length) throw new RangeError("lowQualityRewardShare: length mismatch");
  if (rewards.length === 0) return null;
  const med = median(quality);
  let low = 0;
  let total = 0;
  for (let i = 0; i < rewards.length; i++) {
    total += rewards[i]!;
    if (quality[i]! < med) low += rewards[i]!;
  }
  return total > 0 ? low / total : null;
}

/** Two-sided 97.5% quantiles of Student's t for df = 1..30; larger df use the normal 1.96. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  if (df < 1) return Number.NaN;
  if (df <= 30) return T975[df - 1]!;
  if (df <= 60) return 2.042 + ((2.0 - 2.042) * (df - 30)) / 30;
  return 1.96;
}

/** Mean with a 95% t-interval over independent replicates (seeds). */
export interface Summary {
  mean: number | null;
  ci95: [number, number] | null;
  sd: number | null;
  /** Replicates that had a defined value. */
  n: number;
}

/** Summarises replicate values; nulls (undefined metrics) are left out and counted out of n. */
export function summarize(values: ReadonlyArray<number | null>): Summary {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: null, ci95: null, sd: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, ci95: null, sd: null, n };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) * (b - mean), 0) / (n - 1));
  const half = (tQuantile975(n - 1) * sd) / Math.sqrt(n);
  return { mean, ci95: [mean - half, mean + half], sd, n };
}

/** Evenly spaced indices (first and last included) to thin a trajectory to at most `points`. */
export function thinIndices(length: number, points: number): number[] {
  if (length <= points) return Array.from({ length }, (_, i) => i);
  const out: number[] = [];
  for (let p = 0; p < points; p++) out.push(Math.round((p * (length - 1)) / (points - 1)));
  return [...new Set(out)];
}
