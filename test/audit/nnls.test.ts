import { describe, expect, it } from "vitest";
import { nnlsCentered, nnlsGram } from "../../oracle/audit/nnls.js";
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
