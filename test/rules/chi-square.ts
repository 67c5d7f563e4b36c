/**
 * Pearson's chi-square goodness-of-fit test for the sampler's distribution test: the statistic
 * and its p-value (upper tail of the chi-square distribution, through the regularized
 * incomplete gamma function; Numerical Recipes' series and continued fraction).
 */

/** ln Γ(z), Lanczos approximation (g = 7, n = 9), z > 0. */
function lnGamma(z: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  const x = z - 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // series for P(a, x)
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  // continued fraction for Q(a, x) (modified Lentz)
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

/**
 * Goodness of fit of observed counts to expected probabilities (which sum to 1).
 * @returns the statistic, its degrees of freedom (cells - 1) and the p-value
 */
export function chiSquare(observed: readonly number[], probabilities: readonly number[]): { stat: number; df: number; p: number } {
  if (observed.length !== probabilities.length) throw new Error("chiSquare: length mismatch");
  const n = observed.reduce((s, x) => s + x, 0);
  let stat = 0;
  for (const [i, o] of observed.entries()) {
    const e = n * probabilities[i]!;
    stat += ((o - e) * (o - e)) / e;
  }
  const df = observed.length - 1;
  return { stat, df, p: gammaQ(df / 2, stat / 2) };
}
