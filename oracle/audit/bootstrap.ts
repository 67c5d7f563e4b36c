/**
 * Group (cluster) bootstrap of correlations: each resample draws whole groups (one source
 * article or question and all of its outputs) with replacement, because outputs of one group
 * are not independent. Percentile intervals, seeded and deterministic.
 */
import { CORRELATIONS, type CorrelationName, type PairedSignal } from "./correlation.js";
import { Rng } from "./rng.js";

export type Interval = [number, number];

export interface BootstrapIntervals {
  pearson: Interval | null;
  spearman: Interval | null;
  kendall: Interval | null;
  /** Resamples in which the correlation was defined (per correlation). */
  valid: Record<CorrelationName, number>;
  /** Per-resample Pearson (with keepPearsonDraws). */
  pearsonDraws?: Float64Array;
}

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Confidence level (default 0.95). */
  level?: number;
  spearman?: boolean;
  kendall?: boolean;
  /** Minimum share of defined resamples for an interval to be reported (default 0.5). */
  minValidShare?: number;
  /** Keep every resample's Pearson (NaN where undefined) for paired comparisons. */
  keepPearsonDraws?: boolean;
}

/** Dense 0..G-1 group index for each record, and G. */
export function indexGroups(groups: readonly string[]): { index: Int32Array; count: number } {
  const ids = new Map<string, number>();
  const index = new Int32Array(groups.length);
  for (let i = 0; i < groups.length; i++) {
    let g = ids.get(groups[i]!);
    if (g === undefined) {
      g = ids.size;
      ids.set(groups[i]!, g);
    }
    index[i] = g;
  }
  return { index, count: ids.size };
}

/**
 * Runs `resamples` group-bootstrap replicates and returns, for every signal, the percentile
 * intervals of its correlations. Every signal must have been built with the same group index
 * (0..groupCount-1). All signals see the same resamples (a paired comparison).
 */
export function groupBootstrap(
  groupCount: number,
  signals: readonly PairedSignal[],
  options: BootstrapOptions,
): BootstrapIntervals[] {
  const B = options.resamples;
  const level = options.level ?? 0.95;
  const which = { spearman: options.spearman !== false, kendall: options.kendall !== false };
  const draws = signals.map(() => ({
    pearson: new Float64Array(B),
    spearman: new Float64Array(B),
    kendall: new Float64Array(B),
  }));
  const rng = new Rng(options.seed);
  const counts = new Float64Array(groupCount);
  for (let b = 0; b < B; b++) {
    counts.fill(0);
    for (let k = 0; k < groupCount; k++) counts[rng.int(groupCount)]! += 1;
    for (let s = 0; s < signals.length; s++) {
      const c = signals[s]!.compute(counts, which.spearman, which.kendall);
      const d = draws[s]!;
      d.pearson[b] = c.pearson ?? Number.NaN;
      d.spearman[b] = c.spearman ?? Number.NaN;
      d.kendall[b] = c.kendall ?? Number.NaN;
    }
  }
  const minValid = Math.max(1, Math.ceil((options.minValidShare ?? 0.5) * B));
  return draws.map((d) => {
    const out: BootstrapIntervals = {
      pearson: null,
      spearman: null,
      kendall: null,
      valid: { pearson: 0, spearman: 0, kendall: 0 },
    };
    if (options.keepPearsonDraws) out.pearsonDraws = d.pearson;
    for (const name of CORRELATIONS) {
      if (name === "spearman" && !which.spearman) continue;
      if (name === "kendall" && !which.kendall) continue;
      const finite = d[name].filter((v) => !Number.isNaN(v)).sort();
      out.valid[name] = finite.length;
      if (finite.length >= minValid) {
        out[name] = [quantileSorted(finite, (1 - level) / 2), quantileSorted(finite, 1 - (1 - level) / 2)];
      }
    }
    return out;
  });
}

/** Linear-interpolation quantile (R type 7) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Percentile interval of the paired difference a - b over resamples where both are defined. */
export function differenceInterval(a: Float64Array, b: Float64Array, level = 0.95): Interval | null {
  const diff: number[] = [];
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]!) && !Number.isNaN(b[i]!)) diff.push(a[i]! - b[i]!);
  if (diff.length < Math.max(1, a.length / 2)) return null;
  const sorted = Float64Array.from(diff).sort();
  return [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, 1 - (1 - level) / 2)];
}

/**
 * Pearson-only group bootstrap from per-group moments, O(n + B x G) per column, all columns
 * on the same resamples: the cheap reliability test the calibration runs on every training
 * fold. Per column: the point estimate and the percentile interval (null when undefined in
 * more than half of the resamples).
 */
export function pearsonGroupBootstrap(
  columns: ReadonlyArray<ArrayLike<number>>,
  y: ArrayLike<number>,
  groupIndex: ArrayLike<number>,
  groupCount: number,
  resamples: number,
  seed: number,
  level = 0.95,
): Array<{ pearson: number | null; ci: Interval | null }> {
  const G = groupCount;
  const moments = columns.map((x) => groupMoments(x, y, groupIndex, G));
  const points = moments.map((m) => (m ? momentPearson(m, null) : Number.NaN));
  const draws = columns.map(() => [] as number[]);
  const live = points.map((p) => !Number.isNaN(p));
  if (live.some(Boolean)) {
    const rng = new Rng(seed);
    const counts = new Float64Array(G);
    for (let k = 0; k < resamples; k++) {
      counts.fill(0);
      for (let j = 0; j < G; j++) counts[rng.int(G)]! += 1;
      moments.forEach((m, c) => {
        if (!live[c] || !m) return;
        const r = momentPearson(m, counts);
        if (!Number.isNaN(r)) draws[c]!.push(r);
      });
    }
  }
  return columns.map((_, c) => {
    if (!live[c]) return { pearson: null, ci: null };
    const d = draws[c]!;
    if (d.length < Math.max(1, resamples / 2)) return { pearson: points[c]!, ci: null };
    const sorted = Float64Array.from(d).sort();
    return { pearson: points[c]!, ci: [quantileSorted(sorted, (1 - level) / 2), quantileSorted(sorted, 1 - (1 - level) / 2)] as Interval };
  });
}

interface Moments {
  n: Float64Array;
  sx: Float64Array;
  sy: Float64Array;
  sxx: Float64Array;
  syy: Float64Array;
  sxy: Float64Array;
}

function groupMoments(x: ArrayLike<number>, y: ArrayLike<number>, groupIndex: ArrayLike<number>, G: number): Moments | null {
  let mx = 0, my = 0, m = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) continue;
    mx += x[i]!;
    my += y[i]!;
    m++;
  }
  if (m < 2) return null;
  mx /= m;
  my /= m;
  const M: Moments = { n: new Float64Array(G), sx: new Float64Array(G), sy: new Float64Array(G), sxx: new Float64Array(G), syy: new Float64Array(G), sxy: new Float64Array(G) };
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) continue;
    const g = groupIndex[i]!;
    const dx = x[i]! - mx, dy = y[i]! - my;
    M.n[g]! += 1; M.sx[g]! += dx; M.sy[g]! += dy; M.sxx[g]! += dx * dx; M.syy[g]! += dy * dy; M.sxy[g]! += dx * dy;
  }
  return M;
}

function momentPearson(M: Moments, c: Float64Array | null): number {
  let W = 0, a = 0, b = 0, aa = 0, bb = 0, ab = 0;
  const { n, sx, sy, sxx, syy, sxy } = M;
  for (let g = 0; g < n.length; g++) {
    const w = c === null ? 1 : c[g]!;
    if (w === 0) continue;
    W += w * n[g]!; a += w * sx[g]!; b += w * sy[g]!; aa += w * sxx[g]!; bb += w * syy[g]!; ab += w * sxy[g]!;
  }
  if (!(W >= 2)) return Number.NaN;
  const vx = aa - (a * a) / W, vy = bb - (b * b) / W;
  // relative tolerance: a constant signal leaves only rounding noise in vx
  if (!(vx > 1e-12 * aa) || !(vy > 1e-12 * bb)) return Number.NaN;
  const r = (ab - (a * b) / W) / Math.sqrt(vx * vy);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}
