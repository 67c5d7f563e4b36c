/**
 * The committee sampler's distribution. The registry's draw (`EvaluatorRegistry.previewDraw`:
 * proposals from the sum tree by leaf part x 2^tb, accepted with probability
 * min(trust, 2^tb) x min(part, stake) / leaf, chosen and
 * ineligible slots taken out): 20,000 draws on a deployed registry (through DrawHarness.drawMany)
 * must equal the mirror's `drawCommittee`, and the frequencies of ordered pairs (k = 2 of 5) must
 * fit successive sampling without replacement by the acceptance weights w: P(a then b) =
 * w_a / W x w_b / (W - w_a) (Pearson chi-square, fixed seed, p > 0.001).
 * Evaluators registered under different initial trusts (governance changes it between the
 * registrations) have acceptance ratios trust / 2^tb from about 0.5 to about 1, so acceptance
 * weights and leaves are disproportionate, and the same counts must reject both a uniform draw
 * and a draw proportional to the leaves.
 */
import { describe, expect, it } from "vitest";
import { encodeAbiParameters, keccak256, toHex, type Address, type Hex } from "viem";
import { toStakingTuple } from "../../oracle/contract/params.js";
import { drawCommittee, registerEvaluator, samplingWeight, stateAt, type RegistryEvaluator } from "../../oracle/rules/index.js";
import { setupChain } from "../contracts/helpers.js";
import { chiSquare, gammaQ } from "./chi-square.js";

const E18 = 10n ** 18n;
/** Committee size of the pair test. */
const K = 2;
const DRAWS = 20_000;
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

/** Ordered-pair cells of k = 2 draws over n candidates: observed counts, successive-sampling probabilities for `w`, and uniform ones. */
function pairCells(counts: readonly number[], n: number, w: readonly number[]) {
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
  return { cells, probs, uniform };
}

describe("registry draw distribution (contract vs mirror, 20,000 draws)", () => {
  it("draws exactly the mirror's committees and fits successive sampling by acceptance weight (p > 0.001)", { timeout: 600_000 }, async () => {
    const c = await setupChain();
    const S0 = c.params.staking;
    const stakes = [100n, 200n, 400n, 800n, 1_600n].map((x) => x * E18);
    const n = stakes.length;
    const addrs: Address[] = [];
    const list: RegistryEvaluator[] = [];
    // trust / 2^tb: 8000 / 8192 or 4200 / 8192 (both tb 13)
    const trusts = [8_000, 4_200, 8_000, 4_200, 8_000];
    for (const [i, stake] of stakes.entries()) {
      const a = (await c.actor(100 + i)).address;
      await c.registry.write.setParams([{ ...toStakingTuple(S0), initialTrust: trusts[i]! }]);
      const hash = await c.registry.write.register([stake, E18, [c.profiles[0]!]], { account: a });
      const rc = await c.publicClient.waitForTransactionReceipt({ hash });
      const now = Number((await c.publicClient.getBlock({ blockNumber: rc.blockNumber })).timestamp);
      addrs.push(a);
      list.push(registerEvaluator({ ...S0, initialTrust: trusts[i]! }, stake, E18, 1, now, i));
    }
    await c.activate();
    const S = S0;
    const asOf = Number(await c.now());
    const h = await c.viem.deployContract("DrawHarness");

    // the mirror's model of the draw: leaves and acceptance weights (checked against the chain's replay view)
    const [, chainLeaves, chainAccept] = await c.registry.read.drawInputs([1n, E18, "0x0000000000000000000000000000000000000000", BigInt(asOf)]);
    const leaves = list.map((e) => stateAt(e, asOf).part << BigInt(stateAt(e, asOf).tb));
    const accept = list.map((e) => samplingWeight(e.trust, stateAt(e, asOf).part, stateAt(e, asOf).stake, stateAt(e, asOf).tb));
    expect([...chainLeaves]).toEqual(leaves);
    expect([...chainAccept]).toEqual(accept);

    const counts = new Array<number>(n * n).fill(0);
    const PER = 100; // about 100k gas a draw: under the 2^24 gas cap of one call
    for (let first = 0; first < DRAWS; first += PER) {
      const out = await h.read.drawMany([c.registry.address, 1n, E18, BigInt(K), SEED, BigInt(first), BigInt(PER), BigInt(asOf)]);
      expect(out.length).toBe(PER * K);
      for (let t = 0; t < PER; t++) {
        const mirror = drawCommittee(list, 1, E18, -1, K, runSeed(first + t), asOf, asOf, S, 0);
        expect(mirror, `draw ${first + t} filled`).not.toBeNull();
        const chain = [out[t * K]!, out[t * K + 1]!];
        expect(chain, `draw ${first + t}`).toEqual(mirror!.members.map((i) => addrs[i]!));
        counts[mirror!.members[0]! * n + mirror!.members[1]!]! += 1;
      }
    }

    const w = accept.map(Number);
    const { cells, probs, uniform } = pairCells(counts, n, w);
    expect(probs.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    const fit = chiSquare(cells, probs);
    expect(fit.df).toBe(19);
    expect(fit.p).toBeGreaterThan(0.001);
    const firsts = Array.from({ length: n }, (_, a) => cells.filter((_, i) => Math.floor(i / (n - 1)) === a).reduce((s, x) => s + x, 0));
    expect(chiSquare(firsts, w.map((x) => x / w.reduce((s, y) => s + y, 0))).p).toBeGreaterThan(0.001);
    // the test has power: the same counts reject a uniform committee and one proportional to the leaves (stake)
    expect(chiSquare(cells, uniform).p).toBeLessThan(1e-12);
    const byLeaf = chiSquare(cells, pairCells(counts, n, leaves.map(Number)).probs);
    expect(byLeaf.p).toBeLessThan(1e-12);
    console.log(`registry draw: chi-square ${fit.stat.toFixed(1)} (p ${fit.p.toFixed(3)}); against leaves ${byLeaf.stat.toFixed(0)}, uniform ${chiSquare(cells, uniform).stat.toFixed(0)}`);
  });
});
