import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { main } from "../../oracle/cli/index.js";
import { breakPoints, headlineChecks } from "../../oracle/sim/report.js";
import { parseSimConfig } from "../../oracle/sim/config.js";
import type { SimRow } from "../../oracle/sim/sweep.js";
import { FIXTURE } from "./helpers.js";

let out = "";
let err = "";
beforeEach(() => {
  out = "";
  err = "";
  process.exitCode = 0;
  vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = 0;
});

async function cfgFile(raw: unknown): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "poq-sim-cli-"));
  const file = path.join(dir, "config.json");
  await writeFile(file, JSON.stringify(raw));
  return { file, dir };
}

const small = {
  name: "cli test",
  data: { scored: [FIXTURE], datasets: ["fixqa"] },
  rounds: 30,
  seeds: 2,
  evaluatorPool: 10,
  sweep: { attacks: ["collude", "copy"], attackerRatios: [0, 0.3], defenses: ["MEDIAN", "TRUST_WEIGHTED_MEDIAN"], signals: ["composite", "single"], committeeSizes: [5] },
  report: { headline: { signal: "composite" } },
};

describe("poq simulate", () => {
  it("writes simulation.json rows with the required fields, a summary and SVG figures", async () => {
    const { file, dir } = await cfgFile(small);
    const outDir = path.join(dir, "out");
    await main(["node", "poq", "simulate", "--config", file, "--out", outDir, "--no-progress"]);
    expect(err).toBe("");
    expect(process.exitCode ?? 0).toBe(0);
    const doc = JSON.parse(await readFile(path.join(outDir, "simulation.json"), "utf8"));
    expect(doc.rows).toHaveLength(2 * 2 * 2 * 2);
    for (const r of doc.rows) {
      for (const k of ["attack", "attackerRatio", "defense", "signal", "committeeSize", "rewardSpearman", "rewardSpearmanClean", "lowQualityRewardShare", "attackerProfit"]) {
        expect(r).toHaveProperty(k);
      }
    }
    expect(doc.headline[0].found).toBe(true);
    const summary = await readFile(path.join(outDir, "summary.md"), "utf8");
    expect(summary).toContain("## Headline check");
    expect(summary).toContain("## Breaking points");
    const figs = await readdir(path.join(outDir, "figures"));
    expect(figs).toEqual(expect.arrayContaining(["trust-trajectories.svg", "fidelity-collude.svg", "profit-collude.svg"]));
    const svg = await readFile(path.join(outDir, "figures", "fidelity-collude.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("TRUST_WEIGHTED_MEDIAN");
    // --rerender rebuilds the same summary from simulation.json without simulating
    await main(["node", "poq", "simulate", "--config", file, "--out", outDir, "--rerender"]);
    expect(await readFile(path.join(outDir, "summary.md"), "utf8")).toBe(summary);
  });

  it("an invalid config fails with one clear line before any work", async () => {
    const { file, dir } = await cfgFile({ ...small, sweep: { ...small.sweep, attacks: ["bribe"], attackerRatios: [2], committeeSizes: [11] } });
    await main(["node", "poq", "simulate", "--config", file, "--out", path.join(dir, "out")]);
    expect(process.exitCode).toBe(1);
    expect(err).toMatch(/^poq: invalid simulation config .*unknown attack "bribe".*attacker ratio must be in \[0,1\].*committee size 11 is larger than the evaluator pool \(10\)\n$/);
    await expect(readdir(path.join(dir, "out"))).rejects.toThrow();
  });

  it("gains the protocol attacks and a price sweep; refuses prices and committees under the protocol minimum", async () => {
    const cfg = {
      ...small,
      rounds: 40,
      sweep: [
        { name: "protocol", attacks: ["self-deal", "whitewash", "short-window"], attackerRatios: [0, 0.3], defenses: ["TRUST_WEIGHTED_MEDIAN"], signals: ["composite"], committeeSizes: [3] },
        { name: "price", attacks: ["collude"], attackerRatios: [0, 0.3], defenses: ["MEDIAN"], signals: ["composite"], committeeSizes: [5], feesPerMember: ["500000000000000000", "2000000000000000000"] },
      ],
    };
    const { file, dir } = await cfgFile(cfg);
    const outDir = path.join(dir, "out");
    await main(["node", "poq", "simulate", "--config", file, "--out", outDir, "--no-progress"]);
    expect(err).toBe("");
    const doc = JSON.parse(await readFile(path.join(outDir, "simulation.json"), "utf8"));
    const rows = doc.rows as SimRow[];
    const selfDeal = rows.find((r) => r.attack === "self-deal" && r.attackerRatio === 0.3)!;
    expect(selfDeal.requesterProtocolFees).toBeGreaterThan(0);
    expect(selfDeal.attackerProfit).toBeLessThan(0);
    const grief = rows.find((r) => r.attack === "short-window" && r.attackerRatio === 0.3)!;
    expect(grief.attackers).toBe(0);
    expect(grief.griefedTasks).toBeGreaterThan(0);
    expect(grief.honestSlashed).toBe(0);
    const wash = rows.find((r) => r.attack === "whitewash" && r.attackerRatio === 0.3)!;
    expect(wash.washes).toBeGreaterThan(0);
    const cheap = rows.find((r) => r.sweep === "price" && r.feePerMember === 0.5 && r.attackerRatio === 0)!;
    const dear = rows.find((r) => r.sweep === "price" && r.feePerMember === 2 && r.attackerRatio === 0)!;
    expect(cheap.unfillableShare).toBeGreaterThan(dear.unfillableShare as number);
    const summary = await readFile(path.join(outDir, "summary.md"), "utf8");
    expect(summary).toContain("## Protocol attacks");
    expect(summary).toContain("## Price sweep");
    expect(await readdir(path.join(outDir, "figures"))).toEqual(expect.arrayContaining(["price-cancelled-price.svg"]));

    const bad = await cfgFile({ ...small, economics: { feePerMember: "1000" }, sweep: { ...small.sweep, committeeSizes: [2] } });
    await main(["node", "poq", "simulate", "--config", bad.file, "--out", path.join(bad.dir, "out")]);
    expect(process.exitCode).toBe(1);
    expect(err).toMatch(/committeeSizes\[0\]: Too small.*|committee size 2/);
    expect(err).toMatch(/below the protocol minimum minFeePerMember/);
  });
});

describe("breaking points and the headline check", () => {
  const row = (over: Partial<SimRow>): SimRow =>
    ({
      sweep: "main",
      dataset: "d",
      attack: "collude",
      attackerRatio: 0,
      attackers: 0,
      defense: "MEDIAN",
      signal: "calibrated",
      committeeSize: 7,
      feePerMember: 2,
      rewardSpearman: 0.8,
      rewardSpearmanClean: 0.8,
      rewardFidelity: 1,
      attackerExcessProfit: null,
      attackerExcessProfitCi95: null,
      attackerProfit: null,
      ...over,
    }) as SimRow;

  it("finds the first ratio where fidelity drops under the threshold and where attacking pays", () => {
    const rows = [
      row({}),
      row({ attackerRatio: 0.1, attackers: 2, rewardSpearman: 0.78, rewardFidelity: 0.975, attackerExcessProfit: -3 }),
      row({ attackerRatio: 0.3, attackers: 6, rewardSpearman: 0.7, rewardFidelity: 0.875, attackerExcessProfit: -1 }),
      row({ attackerRatio: 0.5, attackers: 10, rewardSpearman: 0.2, rewardFidelity: 0.25, attackerExcessProfit: 4 }),
      row({ defense: "TRUST_WEIGHTED_MEDIAN" }),
      row({ defense: "TRUST_WEIGHTED_MEDIAN", attackerRatio: 0.5, attackers: 10, rewardSpearman: 0.79, rewardFidelity: 0.99, attackerExcessProfit: -2 }),
      row({ signal: "single", rewardSpearman: -0.5, rewardSpearmanClean: -0.5, rewardFidelity: null }),
      row({ signal: "single", attackerRatio: 0.3, attackers: 6, rewardSpearman: -0.6, rewardSpearmanClean: -0.5, rewardFidelity: null }),
    ];
    const bp = breakPoints(rows, 0.9);
    const med = bp.find((b) => b.defense === "MEDIAN" && b.signal === "calibrated")!;
    expect(med.fidelityBreaksAt).toBe(0.3);
    expect(med.profitableFrom).toBe(0.5);
    const twm = bp.find((b) => b.defense === "TRUST_WEIGHTED_MEDIAN")!;
    expect(twm.fidelityBreaksAt).toBeNull();
    expect(twm.profitableFrom).toBeNull();
    expect(twm.maxRatioSwept).toBe(0.5);
    const single = bp.find((b) => b.signal === "single")!;
    expect(single.cleanNotPositive).toBe(true);
    expect(single.fidelityBreaksAt).toBeNull();
  });

  it("checks the headline configuration against the targets", () => {
    const cfg = parseSimConfig({
      data: { scored: ["x"], profile: "p.json" },
      rounds: 1,
      evaluatorPool: 9,
      sweep: { attacks: ["collude"], attackerRatios: [0.3], defenses: ["TRUST_WEIGHTED_MEDIAN"], signals: ["calibrated"], committeeSizes: [7] },
    });
    const ok = row({ defense: "TRUST_WEIGHTED_MEDIAN", attackerRatio: 0.3, attackers: 3, rewardFidelity: 0.95, attackerExcessProfit: -5, attackerExcessProfitCi95: [-8, -2] });
    const [c] = headlineChecks([ok], cfg);
    expect(c!.fidelityMet).toBe(true);
    expect(c!.unprofitable).toBe(true);
    expect(c!.unprofitableSignificant).toBe(true);
    const bad = row({ ...ok, rewardFidelity: 0.85, attackerExcessProfit: 1, attackerExcessProfitCi95: [-1, 3] });
    const [d] = headlineChecks([bad], cfg);
    expect(d!.fidelityMet).toBe(false);
    expect(d!.unprofitable).toBe(false);
    expect(headlineChecks([], cfg)[0]!.found).toBe(false);
  });
});
