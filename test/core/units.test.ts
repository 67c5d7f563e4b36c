import { describe, expect, it } from "vitest";
import { fromBps, toBps } from "../../oracle/core/units.js";

describe("score units", () => {
  it("round-trips every basis point", () => {
    for (let b = 0; b <= 10_000; b++) expect(toBps(fromBps(b))).toBe(b);
  });
  it("clips out-of-range floats and rejects NaN", () => {
    expect(toBps(1.7)).toBe(10_000);
    expect(toBps(-0.2)).toBe(0);
    expect(() => toBps(Number.NaN)).toThrow(RangeError);
    expect(() => fromBps(10_001)).toThrow(RangeError);
    expect(() => fromBps(1.5)).toThrow(RangeError);
  });
});
