/**
 * normalizeStates writes all unit vectors of a text into one buffer, and the BERTScore GEMM
 * takes such rows without copying them: both must give exactly what the per-vector code gave.
 */
import { describe, expect, it } from "vitest";
import { normalizeStates } from "../../oracle/scoring/evaluators/embedding.js";
import { stackRows, TokenSimilarity } from "../../oracle/scoring/evaluators/similarity.js";

/** The original: one new Float32Array per vector. */
function normalizePlain(states: readonly Float32Array[]): Float32Array[] {
  return states.map((v) => {
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
    const out = new Float32Array(v.length);
    if (n === 0) return out;
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
    return out;
  });
}

let seed = 7;
const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
const vectors = (n: number, d: number) => Array.from({ length: n }, () => Float32Array.from({ length: d }, rnd));
const bits = (vs: readonly Float32Array[]) => vs.map((v) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex"));

describe("normalizeStates", () => {
  it("gives the same bits as per-vector normalisation, in one shared buffer", () => {
    const states = [...vectors(5, 64), new Float32Array(64), ...vectors(2, 64)];
    const fast = normalizeStates(states);
    expect(bits(fast)).toEqual(bits(normalizePlain(states)));
    for (const v of fast) expect(v.buffer).toBe(fast[0]!.buffer);
    expect([...fast[5]!].every((x) => x === 0)).toBe(true);
    expect(normalizeStates([])).toEqual([]);
  });
});

describe("stackRows", () => {
  it("is a view for back-to-back rows and a copy otherwise, with the same values", () => {
    const rows = normalizeStates(vectors(4, 8));
    const view = stackRows(rows, 8);
    expect(view.buffer).toBe(rows[0]!.buffer);
    const scattered = [rows[2]!, rows[0]!];
    const copy = stackRows(scattered, 8);
    expect(copy.buffer).not.toBe(rows[0]!.buffer);
    expect([...copy]).toEqual([...rows[2]!, ...rows[0]!]);
    expect([...view]).toEqual(rows.flatMap((r) => [...r]));
    const sub = stackRows(rows.slice(1, 3), 8); // a run in the middle of the buffer
    expect(sub.byteOffset).toBe(8 * 4);
    expect([...sub]).toEqual([...rows[1]!, ...rows[2]!]);
  });
});

describe("TokenSimilarity", () => {
  it("gives identical scores for shared-buffer rows and for separately allocated rows", async () => {
    const sim = await TokenSimilarity.create(1);
    try {
      const cand = normalizeStates(vectors(7, 512));
      const refs = [normalizeStates(vectors(3, 512)), normalizeStates(vectors(5, 512))];
      const separate = (vs: Float32Array[]) => vs.map((v) => Float32Array.from(v));
      for (const rs of [[refs[0]!], refs]) {
        const a = await sim.bertScores(cand, rs);
        const b = await sim.bertScores(separate(cand), rs.map(separate));
        expect(a).toEqual(b);
      }
    } finally {
      await sim.close();
    }
  });

  it("bertScoresMany (references stacked once) gives each candidate exactly what bertScores gives it", async () => {
    const sim = await TokenSimilarity.create(1);
    try {
      const cands = [normalizeStates(vectors(9, 512)), [], normalizeStates(vectors(1, 512)), normalizeStates(vectors(4, 512))];
      for (const refs of [[normalizeStates(vectors(2, 512))], [normalizeStates(vectors(3, 512)), [], normalizeStates(vectors(6, 512))], []]) {
        const many = await sim.bertScoresMany(cands, refs);
        expect(many).toHaveLength(cands.length);
        for (const [i, c] of cands.entries()) expect(many[i]).toEqual(await sim.bertScores(c, refs));
        expect(many[1]).toEqual(refs.map(() => ({ p: 0, r: 0, f1: 0 })));
      }
    } finally {
      await sim.close();
    }
  });
});
