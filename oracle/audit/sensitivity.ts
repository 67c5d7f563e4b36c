/**
 * Weight sensitivity of the composite: Pearson with the human score for many weight vectors
 * drawn uniformly from the simplex (Dirichlet(1, ..., 1) over the six dimensions), on the
 * records' own dimension values (the profile they were scored with, identity normalisation, no
 * gates). Answers "how much do the published weights matter, and how good can any fixed weight
 * vector of these dimensions be?" (issue 14, item 7). Deterministic for a seed.
 */
import { DIMENSIONS, type Dimension } from "../scoring/profile.js";
import type { AuditRecord } from "./records.js";
import { Rng } from "./rng.js";
import { pearson } from "./correlation.js";

export interface SensitivityReport {
  draws: number;
  /** Pearson quantiles over the draws. */
  quantiles: { min: number; p05: number; p25: number; median: number; p75: number; p95: number; max: number };
  /** Pearson of the published (profile) weights, and the share of draws that beat it. */
  published: number | null;
  shareAbovePublished: number | null;
  /** The best draw's weights. */
  best: Record<Dimension, number>;
}

const r6 = (x: number): number => Math.round(x * 1e6) / 1e6;

const quantile = (sorted: readonly number[], q: number): number => {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
};

/** Pearson of sum_d w_d x_d with the human score for `draws` Dirichlet(1) weight vectors. */
export function weightSensitivity(rows: readonly AuditRecord[], published: Record<Dimension, number>, draws: number, seed: number): SensitivityReport {
  const y = Float64Array.from(rows, (r) => r.human);
  const cols = DIMENSIONS.map((d) => Float64Array.from(rows, (r) => r.dimensions[d]));
  const rng = new Rng(seed);
  const composite = new Float64Array(rows.length);
  const score = (w: readonly number[]): number => {
    composite.fill(0);
    cols.forEach((c, j) => {
      const wj = w[j]!;
      if (wj === 0) return;
      for (let i = 0; i < c.length; i++) composite[i] += wj * c[i]!;
    });
    return pearson(composite, y) ?? Number.NaN;
  };
  const total = DIMENSIONS.reduce((s, d) => s + published[d], 0);
  const pub = total > 0 ? score(DIMENSIONS.map((d) => published[d] / total)) : Number.NaN;
  const values: number[] = [];
  let best = -Infinity;
  let bestW: number[] = [];
  for (let k = 0; k < draws; k++) {
    const g = DIMENSIONS.map(() => -Math.log(1 - rng.float()));
    const s = g.reduce((a, b) => a + b, 0);
    const w = g.map((v) => v / s);
    const p = score(w);
    if (Number.isNaN(p)) continue;
    values.push(p);
    if (p > best) {
      best = p;
      bestW = w;
    }
  }
  values.sort((a, b) => a - b);
  const q = (x: number) => (values.length ? r6(quantile(values, x)) : Number.NaN);
  return {
    draws: values.length,
    quantiles: { min: q(0), p05: q(0.05), p25: q(0.25), median: q(0.5), p75: q(0.75), p95: q(0.95), max: q(1) },
    published: Number.isNaN(pub) ? null : r6(pub),
    shareAbovePublished: Number.isNaN(pub) || values.length === 0 ? null : r6(values.filter((v) => v > pub).length / values.length),
    best: Object.fromEntries(DIMENSIONS.map((d, j) => [d, r6(bestW[j] ?? 0)])) as Record<Dimension, number>,
  };
}
