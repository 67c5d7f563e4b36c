import { describe, expect, it } from "vitest";
import { expectedCalibrationError, fitIsotonic, isBinary, payDecision } from "../../oracle/audit/isotonic.js";
import { applyCalibration } from "../../oracle/scoring/mix.js";
import { CalibrationMapSchema, MAX_CALIBRATION_POINTS } from "../../oracle/scoring/profile.js";
import { Rng } from "../../oracle/audit/rng.js";

describe("isotonic regression (pool-adjacent-violators)", () => {
  it("pools violators into their mean and gives a valid, monotone map", () => {
    // y decreases in the middle: 0.2 | 0.8, 0.4 pool to 0.6 | 1
    const m = fitIsotonic([0, 1, 2, 3], [0.2, 0.8, 0.4, 1], { target: "t", minBlock: 1 });
    expect(m.x).toEqual([0, 1.5, 3]);
    expect(m.y).toEqual([0.2, 0.6, 1]);
    expect(CalibrationMapSchema.safeParse(m).success).toBe(true);
  });

  it("equal x values form one block; tiny blocks merge into a neighbour so an end is not pinned to 0 or 1", () => {
    const m = fitIsotonic([0.5, 0.5, 0.5, 0.5], [0, 1, 1, 0], { target: "t", minBlock: 1 });
    expect(m).toMatchObject({ x: [0.5], y: [0.5] });
    const rng = new Rng(3);
    const x = Array.from({ length: 2000 }, () => rng.float());
    const y = x.map((v) => (rng.float() < v ? 1 : 0));
    const fit = fitIsotonic(x, y, { target: "P" });
    expect(fit.x.length).toBeLessThanOrEqual(2000 / 10);
    expect(fit.x.length).toBeLessThanOrEqual(MAX_CALIBRATION_POINTS);
    // one correct row at the top cannot pin the map's end to 1: it joins its neighbours
    const top = fitIsotonic([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1], { target: "t", minBlock: 3 });
    expect(top.y).toEqual([0.1]);
    // recovers P(y = 1 | x) = x within sampling noise
    for (const q of [0.2, 0.5, 0.8]) expect(Math.abs(applyCalibration(q, fit) - q)).toBeLessThan(0.12);
    expect(CalibrationMapSchema.safeParse(fit).success).toBe(true);
    // deterministic
    expect(fitIsotonic(x, y, { target: "P" })).toEqual(fit);
  });

  it("ignores non-finite rows and survives an empty input", () => {
    const m = fitIsotonic([Number.NaN, 0.1, 0.9], [1, 0, 1], { target: "t", minBlock: 1 });
    expect(m.n).toBe(2);
    expect(fitIsotonic([], [], { target: "t" }).x).toHaveLength(1);
  });
});

describe("calibration figures", () => {
  it("ECE is 0 for calibrated bins and the mean gap otherwise", () => {
    expect(expectedCalibrationError([0.25, 0.25, 0.25, 0.25], [0, 0, 0, 1]).ece).toBe(0);
    // two bins: 0.9 predicted vs 0.5 observed (half the rows), 0.1 vs 0.1
    const r = expectedCalibrationError([0.9, 0.9, 0.1], [1, 0, 0.1]);
    expect(r.ece).toBeCloseTo((2 / 3) * 0.4 + (1 / 3) * 0, 6);
    expect(r.bins).toHaveLength(10);
    expect(r.bins[9]!.n).toBe(2);
  });

  it("the pay decision counts wrong and correct outputs scored above the threshold", () => {
    const d = payDecision([0.9, 0.6, 0.4, 0.51, 0.5], [1, 0, 1, 0, 0]);
    expect(d).toEqual({ threshold: 0.5, wrong: 3, wrongPaid: 0.666667, correct: 2, correctPaid: 0.5 });
    expect(isBinary([0, 1, 1])).toBe(true);
    expect(isBinary([0, 0.5])).toBe(false);
  });
});

describe("choice of map", () => {
  it("a least-squares line for a linear relation, isotonic for a step; both valid maps", async () => {
    const { fitCalibrationMap, fitLinearMap } = await import("../../oracle/audit/isotonic.js");
    const rng = new Rng(9);
    const x = Array.from({ length: 800 }, () => rng.float());
    const groups = x.map((_, i) => `g${i % 40}`);
    const linear = x.map((v) => 0.3 + 0.4 * v + 0.15 * (rng.float() - 0.5));
    const step = x.map((v) => (v > 0.5 ? 0.9 : 0.1) + 0.05 * (rng.float() - 0.5));
    const a = fitCalibrationMap(x, linear, groups, { target: "t" });
    const b = fitCalibrationMap(x, step, groups, { target: "t" });
    expect(a.method).toBe("linear");
    expect(b.method).toBe("isotonic");
    for (const m of [a, b]) expect(CalibrationMapSchema.safeParse(m).success).toBe(true);
    expect(applyCalibration(0.5, a)).toBeCloseTo(0.5, 1);
    // the line leaves [0,1]: breakpoints where it is clipped, constant outside the fitted range
    const steep = fitLinearMap([0, 0.5, 1], [0, 0.5, 1.5].map((v) => Math.min(1, v)), { target: "t" });
    expect(CalibrationMapSchema.safeParse(steep).success).toBe(true);
    expect(applyCalibration(2, steep)).toBeLessThanOrEqual(1);
  });
});
