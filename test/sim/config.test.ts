import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { InputError } from "../../oracle/core/errors.js";
import { loadSimConfig, parseSimConfig } from "../../oracle/sim/config.js";

const valid = {
  data: { scored: ["scored.jsonl"] },
  rounds: 10,
  evaluatorPool: 9,
  sweep: { attacks: ["collude"], attackerRatios: [0, 0.3], defenses: ["MEDIAN"], signals: ["composite"], committeeSizes: [5] },
};

function problem(raw: unknown): string {
  try {
    parseSimConfig(raw, "cfg.json");
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error("config was accepted");
}

describe("simulation config validation", () => {
  it("accepts a valid config and fills defaults", () => {
    const c = parseSimConfig(valid);
    expect(c.seeds).toBe(8);
    expect(c.sweep).toHaveLength(1);
    expect(c.sweep[0]!.name).toBe("main");
    expect(c.economics.stake).toBe(1000n * 10n ** 18n);
    expect(c.attack.copyMode).toBe("previous");
    expect(c.report.headline.defense).toBe("TRUST_WEIGHTED_MEDIAN");
  });

  it("rejects an unknown attack by name, listing the known ones", () => {
    const msg = problem({ ...valid, sweep: { ...valid.sweep, attacks: ["collude", "bribe"] } });
    expect(msg).toContain('sweep[0].attacks[1]: unknown attack "bribe"');
    expect(msg).toContain("known: none, boost, sabotage");
  });

  it("rejects attacker ratios outside [0,1]", () => {
    expect(problem({ ...valid, sweep: { ...valid.sweep, attackerRatios: [0, 1.2] } })).toContain("sweep[0].attackerRatios[1]: attacker ratio must be in [0,1]");
    expect(problem({ ...valid, sweep: { ...valid.sweep, attackerRatios: [-0.1] } })).toContain("attacker ratio must be in [0,1]");
  });

  it("rejects a committee larger than the evaluator pool", () => {
    expect(problem({ ...valid, sweep: { ...valid.sweep, committeeSizes: [5, 11] } })).toContain(
      "sweep[0].committeeSizes[1]: committee size 11 is larger than the evaluator pool (9)",
    );
  });

  it("rejects unknown defenses and signals, unknown fields, and calibrated without a profile", () => {
    expect(problem({ ...valid, sweep: { ...valid.sweep, defenses: ["MODE"] } })).toContain('unknown defense "MODE"');
    expect(problem({ ...valid, sweep: { ...valid.sweep, signals: ["oracle"] } })).toContain('unknown signal "oracle"');
    expect(problem({ ...valid, round: 5 })).toMatch(/round/);
    expect(problem({ ...valid, sweep: { ...valid.sweep, signals: ["calibrated"] } })).toContain("needs data.profile");
  });

  it("reports every problem at once", () => {
    const msg = problem({ ...valid, rounds: 0, sweep: { ...valid.sweep, attacks: ["x"], committeeSizes: [40] } });
    expect(msg).toContain("rounds");
    expect(msg).toContain("unknown attack");
    expect(msg).toContain("committeeSizes");
  });

  it("loadSimConfig resolves data paths relative to the config file and rejects non-JSON", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-sim-cfg-"));
    const file = path.join(dir, "c.json");
    await writeFile(file, JSON.stringify(valid));
    const c = await loadSimConfig(file);
    expect(c.data.scored[0]).toBe(path.join(dir, "scored.jsonl"));
    await writeFile(file, "{ nope");
    await expect(loadSimConfig(file)).rejects.toThrow(/not JSON/);
  });
});
