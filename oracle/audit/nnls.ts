/**
 * Non-negative least squares (Lawson-Hanson active set) on the normal equations, for the
 * handful of columns the calibration fits (dimensions, evaluators): min ||A w - y||^2, w >= 0.
 */

/** Solves the symmetric system M x = v (Gaussian elimination with partial pivoting). */
function solve(M: number[][], v: number[]): number[] {
  const n = v.length;
  const a = M.map((row, i) => [...row, v[i]!]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[piv]![c]!)) piv = r;
    [a[c], a[piv]] = [a[piv]!, a[c]!];
    const d = a[c]![c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r]![c]! / d;
      if (f === 0) continue;
      for (let k = c; k <= n; k++) a[r]![k]! -= f * a[c]![k]!;
    }
  }
  return a.map((row, i) => (Math.abs(row[i]!) < 1e-300 ? 0 : row[n]! / row[i]!));
}

/**
 * NNLS from the Gram matrix G = A'A and b = A'y (a tiny ridge keeps collinear columns solvable).
 * Returns w >= 0.
 */
export function nnlsGram(G: number[][], b: number[], ridge = 1e-9): number[] {
  const p = b.length;
  const Gr = G.map((row, i) => row.map((v, j) => v + (i === j ? ridge * (1 + G[i]![i]!) : 0)));
  const w = new Array<number>(p).fill(0);
  const inP = new Array<boolean>(p).fill(false);
  const tol = 1e-12 * (1 + Math.max(0, ...b.map(Math.abs)));
  for (let outer = 0; outer < 3 * p + 10; outer++) {
    const grad = b.map((bi, i) => bi - Gr[i]!.reduce((s, g, j) => s + g * w[j]!, 0));
    let t = -1;
    for (let j = 0; j < p; j++) if (!inP[j] && grad[j]! > tol && (t < 0 || grad[j]! > grad[t]!)) t = j;
    if (t < 0) break;
    inP[t] = true;
    for (let inner = 0; inner < 3 * p + 10; inner++) {
      const P = [...Array(p).keys()].filter((j) => inP[j]);
      const sP = solve(
        P.map((i) => P.map((j) => Gr[i]![j]!)),
        P.map((i) => b[i]!),
      );
      const s = new Array<number>(p).fill(0);
      P.forEach((j, k) => (s[j] = sP[k]!));
      if (P.every((j) => s[j]! > 0)) {
        for (let j = 0; j < p; j++) w[j] = s[j]!;
        break;
      }
      let alpha = Infinity;
      for (const j of P) if (s[j]! <= 0) alpha = Math.min(alpha, w[j]! / (w[j]! - s[j]!));
      for (let j = 0; j < p; j++) w[j] = w[j]! + alpha * (s[j]! - w[j]!);
      for (const j of P) if (w[j]! <= 1e-15) {
        inP[j] = false;
        w[j] = 0;
      }
    }
  }
  return w.map((v) => (v > 0 ? v : 0));
}

/**
 * NNLS of y on the columns of X with a free intercept (columns and y are centred first, so
 * the non-negativity applies to the slopes only). Rows with a non-finite value are skipped.
 */
export function nnlsCentered(X: ReadonlyArray<ArrayLike<number>>, y: ArrayLike<number>, sampleWeights?: ArrayLike<number>): number[] {
  const p = X.length;
  const n = y.length;
  const mean = new Array<number>(p + 1).fill(0);
  let W = 0;
  for (let i = 0; i < n; i++) {
    const wi = sampleWeights ? sampleWeights[i]! : 1;
    if (!(wi > 0) || !Number.isFinite(y[i]!) || X.some((c) => !Number.isFinite(c[i]!))) continue;
    W += wi;
    for (let j = 0; j < p; j++) mean[j]! += wi * X[j]![i]!;
    mean[p]! += wi * y[i]!;
  }
  if (!(W > 0)) return new Array<number>(p).fill(0);
  for (let j = 0; j <= p; j++) mean[j]! /= W;
  const G = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const b = new Array<number>(p).fill(0);
  const row = new Array<number>(p);
  for (let i = 0; i < n; i++) {
    const wi = sampleWeights ? sampleWeights[i]! : 1;
    if (!(wi > 0) || !Number.isFinite(y[i]!) || X.some((c) => !Number.isFinite(c[i]!))) continue;
    for (let j = 0; j < p; j++) row[j] = X[j]![i]! - mean[j]!;
    const yi = y[i]! - mean[p]!;
    for (let j = 0; j < p; j++) {
      b[j]! += wi * row[j]! * yi;
      for (let k = j; k < p; k++) G[j]![k]! += wi * row[j]! * row[k]!;
    }
  }
  for (let j = 0; j < p; j++) for (let k = 0; k < j; k++) G[j]![k] = G[k]![j]!;
  return nnlsGram(G, b);
}

/**
 * Logistic regression with non-negative slopes, for 0/1 targets (a judged-correct label):
 * iteratively reweighted least squares, each step a weighted NNLS (nnlsCentered) of the working
 * response, with a free intercept, or one intercept per stratum (`strata`: system fixed
 * effects, the slopes then learn what separates good and bad outputs within a stratum). Least
 * squares on a 0/1 label spends its fit on the mass of easy answers near 0 and 1; the logistic
 * loss weighs the uncertain middle, where the pay decision is made. Step-halving keeps the
 * deviance from increasing. Returns the slopes (>= 0).
 */
export function nnLogistic(X: ReadonlyArray<ArrayLike<number>>, y: ArrayLike<number>, strata?: ArrayLike<number>, iterations = 30): number[] {
  const p = X.length;
  const n = y.length;
  const S = strata ? Math.max(0, ...Array.from(strata)) + 1 : 1;
  const st = (i: number): number => (strata ? strata[i]! : 0);
  const clampP = (v: number): number => Math.min(1 - 1e-9, Math.max(1e-9, v));
  let w = new Array<number>(p).fill(0);
  const b = new Array<number>(S).fill(0);
  {
    const m = new Array<number>(S).fill(0);
    const c = new Array<number>(S).fill(0);
    for (let i = 0; i < n; i++) {
      m[st(i)]! += y[i]!;
      c[st(i)]! += 1;
    }
    for (let s = 0; s < S; s++) {
      const mu = clampP(c[s]! > 0 ? (m[s]! + 0.5) / (c[s]! + 1) : 0.5);
      b[s] = Math.log(mu / (1 - mu));
    }
  }
  const eta = (wv: readonly number[], bv: readonly number[], i: number): number => {
    let e = bv[st(i)]!;
    for (let j = 0; j < p; j++) e += wv[j]! * X[j]![i]!;
    return e;
  };
  const deviance = (wv: readonly number[], bv: readonly number[]): number => {
    let d = 0;
    for (let i = 0; i < n; i++) {
      const q = clampP(1 / (1 + Math.exp(-eta(wv, bv, i))));
      d -= y[i]! * Math.log(q) + (1 - y[i]!) * Math.log(1 - q);
    }
    return d;
  };
  let dev = deviance(w, b);
  for (let it = 0; it < iterations; it++) {
    const z = new Float64Array(n);
    const W = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const e = eta(w, b, i);
      const q = clampP(1 / (1 + Math.exp(-e)));
      W[i] = Math.max(1e-6, q * (1 - q));
      z[i] = e + (y[i]! - q) / W[i]!;
    }
    // within each stratum: weighted centring of the working response and the columns
    const cols = X.map((c) => Float64Array.from({ length: n }, (_, i) => c[i]!));
    const zc = Float64Array.from(z);
    const meanZ = new Array<number>(S).fill(0);
    const meanX = Array.from({ length: S }, () => new Array<number>(p).fill(0));
    const sw = new Array<number>(S).fill(0);
    for (let i = 0; i < n; i++) {
      const s = st(i);
      sw[s]! += W[i]!;
      meanZ[s]! += W[i]! * z[i]!;
      for (let j = 0; j < p; j++) meanX[s]![j]! += W[i]! * cols[j]![i]!;
    }
    for (let s = 0; s < S; s++) {
      if (!(sw[s]! > 0)) continue;
      meanZ[s]! /= sw[s]!;
      for (let j = 0; j < p; j++) meanX[s]![j]! /= sw[s]!;
    }
    for (let i = 0; i < n; i++) {
      const s = st(i);
      zc[i]! -= meanZ[s]!;
      for (let j = 0; j < p; j++) cols[j]![i]! -= meanX[s]![j]!;
    }
    const wNew = nnlsCentered(cols, zc, W);
    const bNew = meanZ.map((mz, s) => mz - wNew.reduce((a, v, j) => a + v * meanX[s]![j]!, 0));
    // step-halving on the deviance
    let step = 1;
    let wTry = wNew;
    let bTry = bNew;
    let devTry = deviance(wTry, bTry);
    while (devTry > dev + 1e-9 && step > 1 / 64) {
      step /= 2;
      wTry = w.map((v, j) => v + step * (wNew[j]! - v));
      bTry = b.map((v, s) => v + step * (bNew[s]! - v));
      devTry = deviance(wTry, bTry);
    }
    if (devTry > dev + 1e-9) break;
    const done = dev - devTry < 1e-7 * (1 + dev);
    w = wTry;
    for (let s = 0; s < S; s++) b[s] = bTry[s]!;
    dev = devTry;
    if (done) break;
  }
  return w.map((v) => (v > 0 ? v : 0));
}
