/**
 * Weighted Pearson, Spearman and Kendall tau-b of one signal against the human score.
 *
 * A `PairedSignal` sorts the (signal, human) pairs once; every correlation is then computed
 * for any vector of non-negative integer GROUP weights (the multiplicities of a group
 * bootstrap resample, or all ones for the point estimate) without sorting again:
 * Pearson in O(G) from per-group moments, Spearman in O(n + K) from block mid-ranks, and
 * Kendall tau-b in O(n log K) with a Fenwick tree over the K distinct human-score levels
 * (Knight's algorithm). A resample is the data set in which every record of group g occurs
 * c[g] times, so ties, mid-ranks and tau-b's tie corrections are exact for it.
 */

export interface Correlations {
  pearson: number | null;
  spearman: number | null;
  kendall: number | null;
}

export type CorrelationName = keyof Correlations;
export const CORRELATIONS: readonly CorrelationName[] = ["pearson", "spearman", "kendall"];

/** Sorted, de-duplicated levels of `values` and each value's level index. */
export function denseLevels(values: ArrayLike<number>): { levels: Float64Array; index: Int32Array } {
  const sorted = Float64Array.from(values).sort();
  const uniq: number[] = [];
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) uniq.push(sorted[i]!);
  const levels = Float64Array.from(uniq);
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) index[i] = lowerBound(levels, values[i]!);
  return { levels, index };
}

function lowerBound(arr: Float64Array, v: number): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class PairedSignal {
  /** Number of pairs with a finite signal value. */
  readonly n: number;
  /** Record index (into the caller's arrays) of each sorted position. */
  readonly recIdx: Int32Array;
  private readonly groupOf: Int32Array; // group of each sorted position
  private readonly nGroups: number;
  private readonly yLevel: Int32Array;
  private readonly yValues: Float64Array; // value of each level
  private readonly nLevels: number;
  /** Tie block (equal signal value) of each sorted position. */
  private readonly blockOf: Int32Array;
  /** Run (equal signal value and equal human score) of each sorted position. */
  private readonly runOf: Int32Array;
  // per-group moments (finite-x records only)
  private readonly gN: Float64Array;
  private readonly gX: Float64Array;
  private readonly gY: Float64Array;
  private readonly gXX: Float64Array;
  private readonly gYY: Float64Array;
  private readonly gXY: Float64Array;
  private readonly gXmin: Float64Array;
  private readonly gXmax: Float64Array;
  private readonly gYmin: Float64Array;
  private readonly gYmax: Float64Array;
  // scratch
  private readonly ws: Float64Array;
  private readonly blockW: Float64Array;
  private readonly blockRank: Float64Array;
  private readonly runW: Float64Array;
  private readonly levelW: Float64Array;
  private readonly levelRank: Float64Array;
  private readonly fenwick: Float64Array;

  /**
   * @param x signal values, one per record (non-finite values are left out of this signal)
   * @param y human scores, one per record (must be finite)
   * @param groupIndex dense group index 0..groups-1 per record (default: every record its own group)
   */
  constructor(x: ArrayLike<number>, y: ArrayLike<number>, groupIndex?: ArrayLike<number>, groups?: number) {
    if (x.length !== y.length) throw new RangeError("PairedSignal: x and y differ in length");
    const keep: number[] = [];
    for (let i = 0; i < x.length; i++) {
      if (!Number.isFinite(y[i]!)) throw new RangeError(`PairedSignal: human score ${i} is not finite`);
      if (Number.isFinite(x[i]!)) keep.push(i);
    }
    keep.sort((a, b) => x[a]! - x[b]! || y[a]! - y[b]! || a - b);
    const n = keep.length;
    this.n = n;
    this.recIdx = Int32Array.from(keep);
    const xs = Float64Array.from(keep, (i) => x[i]!);
    const ys = Float64Array.from(keep, (i) => y[i]!);
    if (groupIndex) {
      this.nGroups = groups ?? 1 + Math.max(-1, ...Array.from(groupIndex));
      this.groupOf = Int32Array.from(keep, (i) => groupIndex[i]!);
    } else {
      this.nGroups = x.length;
      this.groupOf = Int32Array.from(keep);
    }
    const { levels, index } = denseLevels(ys);
    this.yLevel = index;
    this.yValues = levels;
    this.nLevels = levels.length;
    this.blockOf = new Int32Array(n);
    this.runOf = new Int32Array(n);
    let nBlocks = 0;
    let nRuns = 0;
    for (let p = 0; p < n; p++) {
      const newBlock = p === 0 || xs[p] !== xs[p - 1];
      if (newBlock) nBlocks++;
      if (newBlock || ys[p] !== ys[p - 1]) nRuns++;
      this.blockOf[p] = nBlocks - 1;
      this.runOf[p] = nRuns - 1;
    }
    const G = this.nGroups;
    this.gN = new Float64Array(G);
    this.gX = new Float64Array(G);
    this.gY = new Float64Array(G);
    this.gXX = new Float64Array(G);
    this.gYY = new Float64Array(G);
    this.gXY = new Float64Array(G);
    this.gXmin = new Float64Array(G).fill(Infinity);
    this.gXmax = new Float64Array(G).fill(-Infinity);
    this.gYmin = new Float64Array(G).fill(Infinity);
    this.gYmax = new Float64Array(G).fill(-Infinity);
    // Centre the moments on the overall means for numerical stability.
    let mx = 0;
    let my = 0;
    for (let p = 0; p < n; p++) {
      mx += xs[p]!;
      my += ys[p]!;
    }
    mx = n > 0 ? mx / n : 0;
    my = n > 0 ? my / n : 0;
    for (let p = 0; p < n; p++) {
      const g = this.groupOf[p]!;
      const dx = xs[p]! - mx;
      const dy = ys[p]! - my;
      this.gN[g]! += 1;
      this.gX[g]! += dx;
      this.gY[g]! += dy;
      this.gXX[g]! += dx * dx;
      this.gYY[g]! += dy * dy;
      this.gXY[g]! += dx * dy;
      if (xs[p]! < this.gXmin[g]!) this.gXmin[g] = xs[p]!;
      if (xs[p]! > this.gXmax[g]!) this.gXmax[g] = xs[p]!;
      if (ys[p]! < this.gYmin[g]!) this.gYmin[g] = ys[p]!;
      if (ys[p]! > this.gYmax[g]!) this.gYmax[g] = ys[p]!;
    }
    this.ws = new Float64Array(n);
    this.blockW = new Float64Array(nBlocks);
    this.blockRank = new Float64Array(nBlocks);
    this.runW = new Float64Array(nRuns);
    this.levelW = new Float64Array(this.nLevels);
    this.levelRank = new Float64Array(this.nLevels);
    this.fenwick = new Float64Array(this.nLevels + 1);
  }

  /** Point estimates (every group weight 1). */
  point(): Correlations {
    return this.compute(null);
  }

  /**
   * Correlations for group weights `c` (indexed by group; null = all 1). A correlation is
   * null when it is undefined: fewer than 2 distinct values on either side.
   */
  compute(weights: ArrayLike<number> | null, wantS = true, wantK = true): Correlations {
    const G = this.nGroups;
    const c = weights === null ? new Float64Array(G).fill(1) : weights instanceof Float64Array ? weights : Float64Array.from(weights);
    let W = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    let xmin = Infinity, xmax = -Infinity, ymin = Infinity, ymax = -Infinity;
    const gN = this.gN, gX = this.gX, gY = this.gY, gXX = this.gXX, gYY = this.gYY, gXY = this.gXY;
    const gXmin = this.gXmin, gXmax = this.gXmax, gYmin = this.gYmin, gYmax = this.gYmax;
    for (let g = 0; g < G; g++) {
      const cg = c[g]!;
      if (cg === 0 || gN[g] === 0) continue;
      W += cg * gN[g]!;
      sx += cg * gX[g]!;
      sy += cg * gY[g]!;
      sxx += cg * gXX[g]!;
      syy += cg * gYY[g]!;
      sxy += cg * gXY[g]!;
      if (gXmin[g]! < xmin) xmin = gXmin[g]!;
      if (gXmax[g]! > xmax) xmax = gXmax[g]!;
      if (gYmin[g]! < ymin) ymin = gYmin[g]!;
      if (gYmax[g]! > ymax) ymax = gYmax[g]!;
    }
    if (!(W >= 2) || xmin === xmax || ymin === ymax) return { pearson: null, spearman: null, kendall: null };
    const vx = sxx - (sx * sx) / W;
    const vy = syy - (sy * sy) / W;
    const cxy = sxy - (sx * sy) / W;
    const pearson = ratio(cxy, vx, vy);
    if (!wantS && !wantK) return { pearson, spearman: null, kendall: null };
    const [spearman, kendall] = this.ranked(c, W, wantS, wantK);
    return { pearson, spearman, kendall };
  }

  /**
   * Pass 1: gathers the record weights of this resample and the weight of every tie block,
   * (x, y) run and human level; when `wantK`, also accumulates Kendall's S in the same pass.
   * S is accumulated as if the (x, y)-sorted order were strict; pairs tied in x but not in y
   * (all counted as concordant that way) are subtracted afterwards from the block and run totals.
   */
  private gather(c: Float64Array, wantK: boolean): number {
    const n = this.n;
    const ws = this.ws;
    const groupOf = this.groupOf;
    const yl = this.yLevel;
    const blk = this.blockOf;
    const run = this.runOf;
    const levelW = this.levelW;
    const blockW = this.blockW;
    const runW = this.runW;
    const fw = this.fenwick;
    const K = this.nLevels;
    levelW.fill(0);
    blockW.fill(0);
    runW.fill(0);
    if (!wantK) {
      for (let p = 0; p < n; p++) {
        const wp = c[groupOf[p]!]!;
        ws[p] = wp;
        blockW[blk[p]!]! += wp;
        levelW[yl[p]!]! += wp;
      }
      return 0;
    }
    fw.fill(0);
    let inserted = 0;
    let s = 0;
    for (let p = 0; p < n; p++) {
      const wp = c[groupOf[p]!]!;
      ws[p] = wp;
      blockW[blk[p]!]! += wp;
      runW[run[p]!]! += wp;
      const lvl = yl[p]!;
      // earlier weight below this level, and at it (levelW before adding p is "at")
      let less = 0;
      for (let i = lvl; i > 0; i -= i & -i) less += fw[i]!;
      s += wp * (2 * less + levelW[lvl]! - inserted);
      levelW[lvl]! += wp;
      for (let i = lvl + 1; i <= K; i += i & -i) fw[i]! += wp;
      inserted += wp;
    }
    return s;
  }

  private ranked(c: Float64Array, W: number, wantS: boolean, wantK: boolean): [number | null, number | null] {
    const sFlat = this.gather(c, wantK);
    return [wantS ? this.spearman(W) : null, wantK ? this.kendall(W, sFlat) : null];
  }

  /** Kendall tau-b from the flat S of pass 1 and the tie totals. */
  private kendall(W: number, sFlat: number): number | null {
    const blockW = this.blockW;
    const runW = this.runW;
    const levelW = this.levelW;
    let sumBlock2 = 0;
    let tiesX = 0;
    for (let b = 0; b < blockW.length; b++) {
      const t = blockW[b]!;
      sumBlock2 += t * t;
      tiesX += t * (t - 1) * 0.5;
    }
    let sumRun2 = 0;
    for (let r = 0; r < runW.length; r++) sumRun2 += runW[r]! * runW[r]!;
    let tiesY = 0;
    for (let k = 0; k < levelW.length; k++) tiesY += levelW[k]! * (levelW[k]! - 1) * 0.5;
    // pairs inside an x block with different human levels were counted +1 each in sFlat
    const s = sFlat - (sumBlock2 - sumRun2) * 0.5;
    const n0 = W * (W - 1) * 0.5;
    return ratio(s, n0 - tiesX, n0 - tiesY);
  }

  /** Spearman: Pearson of weighted mid-ranks; the mean rank is (W + 1) / 2 on both sides. */
  private spearman(W: number): number | null {
    const n = this.n;
    const ws = this.ws;
    const yl = this.yLevel;
    const blk = this.blockOf;
    const blockW = this.blockW;
    const blockRank = this.blockRank;
    const levelW = this.levelW;
    const levelRank = this.levelRank;
    const K = this.nLevels;
    const m = (W + 1) / 2;
    let cum = 0;
    let syy = 0;
    for (let k = 0; k < K; k++) {
      const t = levelW[k]!;
      const r = cum + (t + 1) / 2 - m;
      levelRank[k] = r;
      syy += t * r * r;
      cum += t;
    }
    cum = 0;
    let sxx = 0;
    for (let b = 0; b < blockW.length; b++) {
      const t = blockW[b]!;
      const r = cum + (t + 1) / 2 - m;
      blockRank[b] = r;
      sxx += t * r * r;
      cum += t;
    }
    let sxy = 0;
    for (let p = 0; p < n; p++) sxy += ws[p]! * blockRank[blk[p]!]! * levelRank[yl[p]!]!;
    return ratio(sxy, sxx, syy);
  }

  /** The distinct human-score levels this signal was paired with. */
  humanLevels(): Float64Array {
    return this.yValues;
  }
}

/**
 * num / sqrt(a * b), clamped to [-1, 1]; null unless both a and b are positive. Kept out of
 * the hot loops on purpose: a compare first reached after a long loop has no type feedback
 * when V8 optimises the loop on-stack, which made every later call deoptimise.
 */
function ratio(num: number, a: number, b: number): number | null {
  if (!(a > 0) || !(b > 0)) return null;
  return clampUnit(num / Math.sqrt(a * b));
}

function clampUnit(v: number): number {
  return v > 1 ? 1 : v < -1 ? -1 : v;
}

/** Pearson correlation; null when undefined (fewer than 2 points or a constant series). */
export function pearson(xs: ArrayLike<number>, ys: ArrayLike<number>): number | null {
  if (xs.length !== ys.length) throw new RangeError(`pearson: length mismatch ${xs.length} vs ${ys.length}`);
  const n = xs.length;
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i]!;
    my += ys[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  // Relative tolerance: sums of identical floats can leave rounding noise instead of 0.
  const eps = 1e-12;
  if (sxx <= eps * (1 + mx * mx) * n || syy <= eps * (1 + my * my) * n) return null;
  return sxy / Math.sqrt(sxx * syy);
}

/** Unweighted Pearson / Spearman / Kendall tau-b of two equal-length arrays (non-finite x left out). */
export function correlate(x: ArrayLike<number>, y: ArrayLike<number>): Correlations {
  return new PairedSignal(x, y).point();
}

/**
 * Gives V8 type feedback for every branch of the hot methods on a tiny input before a big
 * one arrives. Without it the first large call is optimised on-stack (OSR) with branches it
 * never reached, and that code deoptimises again on every later call (3-10x slower).
 */
function warmUp(): void {
  const x = [0.1, 0.5, 0.5, 0.9, 0.2, 0.7, 0.3, 0.3];
  const y = [0, 1, 0.5, 1, 0, 1, 0.5, 0];
  const sig = new PairedSignal(x, y, [0, 0, 1, 1, 2, 2, 3, 3], 4);
  const weights = [new Float64Array([1, 1, 1, 1]), new Float64Array([2, 0, 1, 1]), new Float64Array([0, 0, 4, 0])];
  for (let i = 0; i < 30; i++) for (const w of weights) sig.compute(w, true, true);
}
warmUp();
