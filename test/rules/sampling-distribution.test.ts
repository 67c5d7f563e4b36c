/**
 * The committee sampler's distribution. 20,000 draws of the contract's `Sampling.sample` (through
 * RulesHarness.sampleMany, 1,000 a call) must equal the TypeScript mirror's draw for draw on the
 * same seeds, and the mirror's empirical frequencies of ordered pairs (k = 2 of 5 candidates)
 * must fit successive sampling without replacement: P(a then b) = w_a / W x w_b / (W - w_a)
 * (Pearson chi-square, fixed seed, p > 0.001). The same counts must reject a uniform draw, so
 * the test can fail.
 */
import { describe, expect, it } from "vitest";
import { network } from "hardhat";
import { encodeAbiParameters, keccak256, toHex, type Hex } from "viem";
import { sample } from "../../oracle/rules/index.js";
import { chiSquare, gammaQ } from "./chi-square.js";

const E18 = 10n ** 18n;
/** Sampling weights as the registry computes them: period trust (bps) x min(stake, cap) (wei). */
const WEIGHTS = [5_000n * 1_000n * E18, 10_000n * 1_500n * E18, 12_000n * 2_000n * E18, 20_000n * 3_000n * E18, 30_000n * 5_000n * E18];
const K = 2;
const DRAWS = 20_000;
const PER_CALL = 1_000;
const SEED = keccak256(toHex("poq.sampling-distribution"));

const runSeed = (t: number): Hex => keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "uint256" }], [SEED, BigInt(t)]));

describe("chi-square helper", () => {
  it("gives the textbook upper-tail probabilities", () => {
    expect(gammaQ(0.5, 3.841 / 2)).toBeCloseTo(0.05, 4); // df 1, 95th percentile
    expect(gammaQ(19 / 2, 30.144 / 2)).toBeCloseTo(0.05, 4); // df 19
    expect(gammaQ(19 / 2, 43.82 / 2)).toBeCloseTo(0.001, 4);
    expect(chiSquare([50, 50], [0.5, 0.5]).p).toBeCloseTo(1, 10);
  });
});

describe("sampler distribution (contract vs mirror, 20,000 draws)", () => {
  it("draws exactly the mirror's picks and fits successive weighted sampling (p > 0.001)", { timeout: 600_000 }, async () => {
    const { viem } = await network.create();
    const lib = await viem.deployContract("Settlement");
    const h = await viem.deployContract("RulesHarness", [], { libraries: { Settlement: lib.address } });

    const n = WEIGHTS.length;
    const counts = new Array<number>(n * n).fill(0);
    for (let first = 0; first < DRAWS; first += PER_CALL) {
      const out = await h.read.sampleMany([WEIGHTS, BigInt(K), SEED, BigInt(first), BigInt(PER_CALL)]);
      expect(out.length).toBe(PER_CALL * K);
      for (let t = 0; t < PER_CALL; t++) {
        const mirror = sample(WEIGHTS, K, runSeed(first + t));
        const chain = [Number(out[t * K]!), Number(out[t * K + 1]!)];
        expect(chain, `draw ${first + t}`).toEqual(mirror);
        counts[mirror[0]! * n + mirror[1]!]! += 1;
      }
    }

    // successive sampling: P(a, b) = w_a / W * w_b / (W - w_a), a != b
    const w = WEIGHTS.map(Number);
    const total = w.reduce((s, x) => s + x, 0);
    const cells: number[] = [];
    const probs: number[] = [];
    const uniform: number[] = [];
    for (let a = 0; a < n; a++) {
      for (let b = 0; b < n; b++) {
        if (a === b) {
          expect(counts[a * n + b], "a candidate drawn twice").toBe(0);
          continue;
        }
        cells.push(counts[a * n + b]!);
        probs.push((w[a]! / total) * (w[b]! / (total - w[a]!)));
        uniform.push(1 / (n * (n - 1)));
      }
    }
    expect(probs.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    const fit = chiSquare(cells, probs);
    expect(fit.df).toBe(19);
    expect(fit.p).toBeGreaterThan(0.001);
    // first picks alone: proportional to weight
    const firsts = Array.from({ length: n }, (_, a) => cells.filter((_, i) => Math.floor(i / (n - 1)) === a).reduce((s, x) => s + x, 0));
    expect(chiSquare(firsts, w.map((x) => x / total)).p).toBeGreaterThan(0.001);
    // the same counts reject a uniform committee: the test has power
    expect(chiSquare(cells, uniform).p).toBeLessThan(1e-12);
  });
});
