import { describe, expect, it } from "vitest";
import { PairedSignal, correlate } from "../../oracle/audit/correlation.js";
import { groupBootstrap, indexGroups, quantileSorted } from "../../oracle/audit/bootstrap.js";
import { Rng } from "../../oracle/audit/rng.js";

function naivePearson(x: number[], y: number[]): number | null {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
    sxy += (x[i]! - mx) * (y[i]! - my);
  }
  return sxx === 0 || syy === 0 ? null : sxy / Math.sqrt(sxx * syy);
}
function midranks(v: number[]): number[] {
  const idx = v.map((_, i) => i).sort((a, b) => v[a]! - v[b]!);
  const r = new Array<number>(v.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && v[idx[j + 1]!] === v[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}
function naiveKendallB(x: number[], y: number[]): number | null {
  let s = 0, n1 = 0, n2 = 0;
  const n = x.length;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i]! - x[j]!);
      const dy = Math.sign(y[i]! - y[j]!);
      s += dx * dy;
      if (dx === 0) n1++;
      if (dy === 0) n2++;
    }
  const n0 = (n * (n - 1)) / 2;
  const den = (n0 - n1) * (n0 - n2);
  return den > 0 ? s / Math.sqrt(den) : null;
}

function randomData(rng: Rng, n: number, levels: number) {
  const y = Array.from({ length: n }, () => rng.int(levels) / (levels - 1));
  const x = y.map((v) => Math.round((v + rng.normal() * 0.5) * 4) / 4); // many ties
  return { x, y };
}

describe("correlations", () => {
  it("match naive O(n^2) definitions with ties (Pearson, Spearman, Kendall tau-b)", () => {
    const rng = new Rng(7);
    for (const levels of [2, 5, 40]) {
      for (let rep = 0; rep < 5; rep++) {
        const { x, y } = randomData(rng, 60 + rep * 7, levels);
        const c = correlate(x, y);
        expect(c.pearson!).toBeCloseTo(naivePearson(x, y)!, 12);
        expect(c.spearman!).toBeCloseTo(naivePearson(midranks(x), midranks(y))!, 12);
        expect(c.kendall!).toBeCloseTo(naiveKendallB(x, y)!, 12);
      }
    }
  });

  it("weights equal duplicating records (what a bootstrap resample is)", () => {
    const rng = new Rng(11);
    const { x, y } = randomData(rng, 50, 7);
    const w = x.map(() => rng.int(4)); // 0..3 copies (each record its own group)
    const dx: number[] = [], dy: number[] = [];
    x.forEach((v, i) => { for (let k = 0; k < w[i]!; k++) { dx.push(v); dy.push(y[i]!); } });
    const c = new PairedSignal(x, y).compute(w);
    expect(c.pearson!).toBeCloseTo(naivePearson(dx, dy)!, 12);
    expect(c.spearman!).toBeCloseTo(naivePearson(midranks(dx), midranks(dy))!, 12);
    expect(c.kendall!).toBeCloseTo(naiveKendallB(dx, dy)!, 12);
  });

  it("group weights equal duplicating every record of a group", () => {
    const rng = new Rng(5);
    const { x, y } = randomData(rng, 60, 3);
    const gi = x.map((_, i) => Math.floor(i / 4));
    const c = gi.map(() => 0);
    for (let k = 0; k < 15; k++) c[rng.int(15)]! += 1;
    const dx: number[] = [], dy: number[] = [];
    x.forEach((v, i) => { for (let k = 0; k < c[gi[i]!]!; k++) { dx.push(v); dy.push(y[i]!); } });
    const r = new PairedSignal(x, y, gi, 15).compute(c);
    expect(r.pearson!).toBeCloseTo(naivePearson(dx, dy)!, 10);
    expect(r.spearman!).toBeCloseTo(naivePearson(midranks(dx), midranks(dy))!, 10);
    expect(r.kendall!).toBeCloseTo(naiveKendallB(dx, dy)!, 10);
  });

  it("reports constant signals as undefined (null), not 0", () => {
    const c = correlate([0.3, 0.3, 0.3, 0.3], [0, 1, 0.5, 1]);
    expect(c).toEqual({ pearson: null, spearman: null, kendall: null });
    const d = correlate([0.1, 0.2, 0.3], [1, 1, 1]);
    expect(d.pearson).toBeNull();
  });

  it("leaves out non-finite signal values", () => {
    const c = correlate([0, Number.NaN, 1, 2], [0, 5, 1, 2]);
    expect(c.pearson).toBeCloseTo(1, 12);
    expect(c.kendall).toBeCloseTo(1, 12);
  });

  it("perfectly anti-monotone data gives -1", () => {
    const c = correlate([1, 2, 3, 4, 5], [10, 8, 6, 4, 2]);
    expect(c).toEqual({ pearson: -1, spearman: -1, kendall: -1 });
  });
});

describe("group bootstrap", () => {
  const rng = new Rng(3);
  const groups: string[] = [];
  const x: number[] = [];
  const y: number[] = [];
  for (let g = 0; g < 40; g++) {
    const shift = rng.normal();
    for (let k = 0; k < 5; k++) {
      const q = shift * 0.3 + rng.normal();
      y.push(q);
      x.push(q + rng.normal() * 0.8);
      groups.push(`g${g}`);
    }
  }
  const { index, count } = indexGroups(groups);
  const sig = new PairedSignal(x, y, index, count);

  it("is deterministic for a seed and brackets the point estimate", () => {
    const a = groupBootstrap(count, [sig], { resamples: 300, seed: 42 })[0]!;
    const b = groupBootstrap(count, [sig], { resamples: 300, seed: 42 })[0]!;
    const c = groupBootstrap(count, [sig], { resamples: 300, seed: 43 })[0]!;
    expect(a).toEqual(b);
    expect(a.pearson).not.toEqual(c.pearson);
    const p = sig.point();
    for (const k of ["pearson", "spearman", "kendall"] as const) {
      const iv = a[k]!;
      expect(iv[0]).toBeLessThan(p[k]!);
      expect(iv[1]).toBeGreaterThan(p[k]!);
      expect(a.valid[k]).toBe(300);
    }
  });

  it("gives a null interval for a constant signal", () => {
    const constant = new PairedSignal(x.map(() => 0.5), y, index, count);
    const iv = groupBootstrap(count, [constant], { resamples: 50, seed: 1 })[0]!;
    expect(iv.pearson).toBeNull();
    expect(iv.valid.pearson).toBe(0);
  });

  it("quantiles interpolate linearly", () => {
    expect(quantileSorted([0, 1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
  });
});
