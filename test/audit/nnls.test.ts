import { describe, expect, it } from "vitest";
import { nnLogistic, nnlsCentered, nnlsGram } from "../../oracle/audit/nnls.js";
import { Rng } from "../../oracle/audit/rng.js";

describe("nnls", () => {
  it("recovers non-negative coefficients and zeroes a negative one", () => {
    const rng = new Rng(9);
    const n = 20000;
    const X = [0, 1, 2].map(() => Array.from({ length: n }, () => rng.float()));
    const y = X[0]!.map((_, i) => 0.3 + 2 * X[0]![i]! + 0.5 * X[1]![i]! - 1 * X[2]![i]! + 0.001 * rng.normal());
    const w = nnlsCentered(X, y);
    expect(w[0]).toBeCloseTo(2, 1);
    expect(w[1]).toBeCloseTo(0.5, 1);
    expect(w[2]).toBe(0);
  });
  it("matches unconstrained least squares when the solution is positive", () => {
    // G = [[2,1],[1,2]], b = [3,3] -> w = [1,1]
    const w = nnlsGram([[2, 1], [1, 2]], [3, 3], 0);
    expect(w[0]).toBeCloseTo(1, 9);
    expect(w[1]).toBeCloseTo(1, 9);
  });
  it("returns zeros when nothing correlates positively", () => {
    const y = [1, 2, 3, 4];
    expect(nnlsCentered([[4, 3, 2, 1]], y)).toEqual([0]);
  });
});

describe("nnLogistic (non-negative logistic regression for 0/1 labels)", () => {
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  it("recovers positive slopes and sets a harmful column to 0", () => {
    const rng = new Rng(11);
    const n = 20000;
    const X = [0, 1, 2].map(() => Array.from({ length: n }, () => rng.float()));
    const y = X[0]!.map((_, i) => (rng.float() < sigmoid(-2 + 3 * X[0]![i]! + 1 * X[1]![i]! - 2 * X[2]![i]!) ? 1 : 0));
    const w = nnLogistic(X, y);
    expect(w[0]).toBeGreaterThan(2.5);
    expect(w[0]).toBeLessThan(3.5);
    expect(w[1]).toBeGreaterThan(0.6);
    expect(w[1]).toBeLessThan(1.4);
    expect(w[2]).toBe(0);
  });
  it("with strata, learns the within-stratum slope and ignores what separates the strata", () => {
    const rng = new Rng(12);
    const n = 20000;
    const strata = Array.from({ length: n }, (_, i) => i % 4);
    // column 1 only tracks the stratum (whose base rate differs); column 0 matters within each
    const X = [Array.from({ length: n }, () => rng.float()), strata.map((s) => s / 3 + 0.01 * rng.float())];
    const y = strata.map((s, i) => (rng.float() < sigmoid(-1 + 2 * s + 2 * X[0]![i]!) ? 1 : 0));
    const w = nnLogistic(X, y, strata);
    expect(w[0]).toBeGreaterThan(1.5);
    expect(w[0]).toBeLessThan(2.5);
    expect(w[1]).toBeLessThan(2);
  });
});
