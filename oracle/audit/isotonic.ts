/**
 * Isotonic regression (pool-adjacent-violators) of the human score on the composite, turned
 * into the profile's monotone calibration map, and the figures that judge a calibration:
 * expected calibration error and, for a 0/1 human score, the pay decision at a threshold.
 */
import { applyCalibration } from "../scoring/mix.js";
import { MAX_CALIBRATION_POINTS, type CalibrationMap } from "../scoring/profile.js";

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

interface Block {
  n: number;
  sx: number;
  sy: number;
}

export interface IsotonicOptions {
  /** What the map estimates (written into the profile). */
  target: string;
  /**
   * Smallest block (rows) after pooling: smaller blocks are merged into a neighbour, so one
   * or two rows at an end cannot pin the map to 0 or 1. Default max(10, ceil(n / 200)).
   */
  minBlock?: number;
}

/**
 * Fits y ~ f(x), f non-decreasing, by pool-adjacent-violators (equal x values are one block
 * from the start), merges blocks smaller than `minBlock`, and returns the map whose
 * breakpoints are the blocks' mean x with the blocks' mean y (linear in between).
 * Deterministic: the sort is by (x, y, index).
 */
export function fitIsotonic(x: ArrayLike<number>, y: ArrayLike<number>, opts: IsotonicOptions): CalibrationMap {
  const n = x.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(x[i]!) && Number.isFinite(y[i]!)) idx.push(i);
  if (idx.length === 0) return { method: "isotonic", target: opts.target, x: [0], y: [0.5], n: 0 };
  idx.sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]! || a - b);
  const m = idx.length;
  const minBlock = Math.max(1, opts.minBlock ?? Math.max(10, Math.ceil(m / 200)), Math.ceil(m / (MAX_CALIBRATION_POINTS - 1)));
  const stack: Block[] = [];
  const mean = (b: Block) => b.sy / b.n;
  for (let k = 0; k < m; ) {
    // equal x: one block
    let j = k;
    const b: Block = { n: 0, sx: 0, sy: 0 };
    while (j < m && x[idx[j]!] === x[idx[k]!]) {
      b.n++;
      b.sx += x[idx[j]!]!;
      b.sy += y[idx[j]!]!;
      j++;
    }
    k = j;
    stack.push(b);
    while (stack.length > 1 && mean(stack[stack.length - 2]!) >= mean(stack[stack.length - 1]!)) {
      const top = stack.pop()!;
      const prev = stack[stack.length - 1]!;
      prev.n += top.n;
      prev.sx += top.sx;
      prev.sy += top.sy;
    }
  }
  // merge small blocks left to right (merging neighbours of a monotone sequence keeps it monotone)
  const merged: Block[] = [];
  let acc: Block | null = null;
  for (const b of stack) {
    acc = acc ? { n: acc.n + b.n, sx: acc.sx + b.sx, sy: acc.sy + b.sy } : { ...b };
    if (acc.n >= minBlock) {
      merged.push(acc);
      acc = null;
    }
  }
  if (acc) {
    if (merged.length > 0) {
      const last = merged[merged.length - 1]!;
      last.n += acc.n;
      last.sx += acc.sx;
      last.sy += acc.sy;
    } else merged.push(acc);
  }
  const xs: number[] = [];
  const ys: number[] = [];
  for (const b of merged) {
    const bx = r6(b.sx / b.n);
    const by = Math.min(1, Math.max(0, r6(b.sy / b.n)));
    if (xs.length > 0 && bx <= xs[xs.length - 1]!) {
      // rounding collision: keep the later (higher) value, still monotone
      ys[ys.length - 1] = Math.max(ys[ys.length - 1]!, by);
      continue;
    }
    xs.push(bx);
    ys.push(ys.length > 0 ? Math.max(ys[ys.length - 1]!, by) : by);
  }
  return { method: "isotonic", target: opts.target, x: xs, y: ys, n: m };
}

export interface CalibrationBin {
  lo: number;
  hi: number;
  n: number;
  meanPredicted: number | null;
  meanHuman: number | null;
}

/** Expected calibration error over `bins` equal-width bins of the prediction in [0,1], and the bins. */
export function expectedCalibrationError(pred: ArrayLike<number>, y: ArrayLike<number>, bins = 10): { ece: number | null; bins: CalibrationBin[] } {
  const n = new Float64Array(bins);
  const sp = new Float64Array(bins);
  const sy = new Float64Array(bins);
  let total = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const h = y[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(h)) continue;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(p * bins)));
    n[b]++;
    sp[b] += p;
    sy[b] += h;
    total++;
  }
  if (total === 0) return { ece: null, bins: [] };
  let ece = 0;
  const out: CalibrationBin[] = [];
  for (let b = 0; b < bins; b++) {
    const mp = n[b]! > 0 ? sp[b]! / n[b]! : null;
    const mh = n[b]! > 0 ? sy[b]! / n[b]! : null;
    if (mp !== null && mh !== null) ece += (n[b]! / total) * Math.abs(mp - mh);
    out.push({ lo: b / bins, hi: (b + 1) / bins, n: n[b]!, meanPredicted: mp === null ? null : r6(mp), meanHuman: mh === null ? null : r6(mh) });
  }
  return { ece: r6(ece), bins: out };
}

export interface PayDecision {
  threshold: number;
  /** Rows judged wrong (human < 0.5) and the share of them scored above the threshold (paid). */
  wrong: number;
  wrongPaid: number | null;
  /** Rows judged correct (human >= 0.5) and the share of them paid. */
  correct: number;
  correctPaid: number | null;
}

/** The pay decision "score > threshold" against a 0/1 human judgement. */
export function payDecision(pred: ArrayLike<number>, y: ArrayLike<number>, threshold = 0.5): PayDecision {
  let wrong = 0;
  let wrongPaid = 0;
  let correct = 0;
  let correctPaid = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const h = y[i]!;
    if (!Number.isFinite(p) || !Number.isFinite(h)) continue;
    const paid = p > threshold;
    if (h >= 0.5) {
      correct++;
      if (paid) correctPaid++;
    } else {
      wrong++;
      if (paid) wrongPaid++;
    }
  }
  return {
    threshold,
    wrong,
    wrongPaid: wrong > 0 ? r6(wrongPaid / wrong) : null,
    correct,
    correctPaid: correct > 0 ? r6(correctPaid / correct) : null,
  };
}

/** Whether a human score column is binary (every value 0 or 1): then the pay decision applies. */
export function isBinary(y: ArrayLike<number>): boolean {
  for (let i = 0; i < y.length; i++) if (y[i] !== 0 && y[i] !== 1) return false;
  return y.length > 0;
}

/**
 * The least-squares line y ~ a + b x (b >= 0; b = 0 gives the mean) as a calibration map:
 * breakpoints at the smallest and largest fitted x (constant outside, no extrapolation) and
 * where the line leaves [0,1]. Keeps Pearson exactly within the fitted range (an increasing
 * affine map); the choice for graded scores whose relation to the composite is close to linear.
 */
export function fitLinearMap(x: ArrayLike<number>, y: ArrayLike<number>, opts: { target: string }): CalibrationMap {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) continue;
    n++;
    sx += x[i]!;
    sy += y[i]!;
    lo = Math.min(lo, x[i]!);
    hi = Math.max(hi, x[i]!);
  }
  if (n === 0) return { method: "linear", target: opts.target, x: [0], y: [0.5], n: 0 };
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!) || !Number.isFinite(y[i]!)) continue;
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
  }
  const b = sxx > 0 && sxy > 0 ? sxy / sxx : 0;
  const a = my - b * mx;
  const clip = (v: number) => Math.min(1, Math.max(0, v));
  if (b === 0 || !(hi > lo)) return { method: "linear", target: opts.target, x: [r6(mx)], y: [r6(clip(my))], n };
  const xs = [lo];
  for (const level of [0, 1]) {
    const c = (level - a) / b;
    if (c > lo && c < hi) xs.push(c);
  }
  xs.push(hi);
  xs.sort((p, q) => p - q);
  const outX: number[] = [];
  const outY: number[] = [];
  for (const v of xs) {
    const rx = r6(v);
    if (outX.length > 0 && rx <= outX[outX.length - 1]!) continue;
    outX.push(rx);
    outY.push(Math.max(outY.length > 0 ? outY[outY.length - 1]! : 0, r6(clip(a + b * v))));
  }
  return { method: "linear", target: opts.target, x: outX, y: outY, n };
}

/** Mean squared error of a map's values against y. */
function mapMse(map: CalibrationMap, x: ArrayLike<number>, y: ArrayLike<number>, rows: readonly number[]): number {
  let s = 0;
  for (const i of rows) s += (applyCalibration(x[i]!, map) - y[i]!) ** 2;
  return rows.length > 0 ? s / rows.length : 0;
}

/**
 * The calibration map for out-of-fold composites x with human scores y: isotonic regression or
 * a least-squares line, whichever has the lower squared error when each is fitted on one half
 * of the groups and measured on the other (both ways; groups dealt alternately in sorted
 * order), then fitted on all rows. Isotonic follows a curved relation (a model prior that
 * separates systems); the line keeps every distinction of a weak, near-linear one (a plateau of
 * pooled blocks would erase them). Ties go to isotonic.
 */
export function fitCalibrationMap(x: ArrayLike<number>, y: ArrayLike<number>, groups: readonly string[], opts: { target: string }): CalibrationMap {
  const keys = [...new Set(groups)].sort();
  if (keys.length >= 4) {
    const half = new Map(keys.map((g, i) => [g, i % 2]));
    const a: number[] = [];
    const b: number[] = [];
    groups.forEach((g, i) => (half.get(g) === 0 ? a : b).push(i));
    const pick = (rows: number[]) => ({ x: rows.map((i) => x[i]!), y: rows.map((i) => y[i]!) });
    const pa = pick(a);
    const pb = pick(b);
    const iso = mapMse(fitIsotonic(pa.x, pa.y, opts), x, y, b) * b.length + mapMse(fitIsotonic(pb.x, pb.y, opts), x, y, a) * a.length;
    const lin = mapMse(fitLinearMap(pa.x, pa.y, opts), x, y, b) * b.length + mapMse(fitLinearMap(pb.x, pb.y, opts), x, y, a) * a.length;
    if (lin < iso - 1e-12) return fitLinearMap(x, y, opts);
  }
  return fitIsotonic(x, y, opts);
}
