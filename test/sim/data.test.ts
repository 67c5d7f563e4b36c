import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { semanticDimension } from "../../oracle/scoring/dimensions/semantic.js";
import { defaultProfile, withHash } from "../../oracle/scoring/profile.js";
import { parseSimConfig } from "../../oracle/sim/config.js";
import { groupTasks, parseScoredJsonl } from "../../oracle/sim/data.js";
import { prepareData } from "../../oracle/sim/prepare.js";
import { honestScore } from "../../oracle/sim/signals.js";
import { isFitGroup, splitScored } from "../../oracle/sim/split.js";
import { FIXTURE, fixtureRecords } from "./helpers.js";

const sweep = { attacks: ["none"], attackerRatios: [0], defenses: ["MEDIAN"], signals: ["composite"], committeeSizes: [3] };

describe("scored data for the simulator", () => {
  it("groups records into tasks by dataset and group, in a stable order", () => {
    const tasks = groupTasks(fixtureRecords());
    expect(tasks).toHaveLength(50);
    expect(tasks[0]!.key).toBe("fixqa:q000");
    expect(tasks.every((t) => t.records.every((r) => `${r.dataset}:${r.group}` === t.key))).toBe(true);
  });

  it("names the record, line and field of a bad scored record", () => {
    const good = JSON.stringify(fixtureRecords()[0]);
    const bad = JSON.stringify({ ...fixtureRecords()[1], human: { score: 1.5 } });
    expect(() => parseScoredJsonl(`${good}\n${bad}\n`, "x.jsonl")).toThrow(/x\.jsonl:2 record fixqa:0:bravo: field human\.score/);
    expect(() => parseScoredJsonl("{oops\n", "y.jsonl")).toThrow(/y\.jsonl:1: not JSON/);
  });

  it("signals: single = the pool evaluators round-robin, median over the pool, composite as written", async () => {
    const cfg = parseSimConfig({ data: { scored: [FIXTURE], datasets: ["fixqa"] }, rounds: 1, evaluatorPool: 3, sweep: { ...sweep } });
    const { partitions } = await prepareData(cfg);
    const ds = partitions[0]!.dataset;
    // default pool: the default profile's QA agreement pool
    expect(ds.pools.fixqa).toEqual(defaultProfile().tasks.qa!.agreementPool);
    const rec = fixtureRecords("fixqa").find((r) => r.id === ds.tasks[0]!.outputs[0]!.recordId)!;
    const o = ds.tasks[0]!.outputs[0]!;
    ds.pools.fixqa!.forEach((id, j) => expect(honestScore(o, "single", j)).toBe(rec.evaluators[id]));
    expect(honestScore(o, "single", ds.pools.fixqa!.length)).toBe(rec.evaluators[ds.pools.fixqa![0]!]);
    const vals = ds.pools.fixqa!.map((id) => rec.evaluators[id] as number).sort((a, b) => a - b);
    expect(honestScore(o, "median", 0)).toBe(vals[2]);
    expect(honestScore(o, "composite", 4)).toBe(rec.composite);
  });

  it("the calibrated signal is the record rescored under the calibrated profile", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-sim-prof-"));
    const base = defaultProfile();
    const semanticOnly = withHash({ ...base, name: "semantic-only", weights: { modelPrior: 0, costPrior: 0, structure: 0, semantic: 1, alignment: 0, agreement: 0 } });
    const file = path.join(dir, "profile.calibrated.json");
    await writeFile(file, JSON.stringify(semanticOnly));
    const cfg = parseSimConfig({
      data: { scored: [FIXTURE], profile: file },
      rounds: 1,
      evaluatorPool: 3,
      sweep: { ...sweep, signals: ["calibrated"] },
    });
    const { partitions, calibratedSource } = await prepareData(cfg);
    expect(calibratedSource).toContain(semanticOnly.hash!);
    const byId = new Map(fixtureRecords().map((r) => [r.id, r]));
    for (const p of partitions) {
      for (const t of p.dataset.tasks.slice(0, 3)) {
        for (const o of t.outputs) {
          const r = byId.get(o.recordId)!;
          // semantic-only weights: the composite is the semantic dimension the profile defines
          const evals = Object.fromEntries(Object.entries(r.evaluators).filter((e): e is [string, number] => e[1] !== null));
          const expected = semanticDimension(semanticOnly.tasks[r.task]!.semantic, evals, true).score;
          expect(o.calibrated).toBeCloseTo(expected, 6);
          expect(o.calibrated).not.toBeCloseTo(o.composite, 3);
        }
      }
    }
  });

  it("unknown datasets and unscored pool evaluators are clear errors", async () => {
    await expect(
      prepareData(parseSimConfig({ data: { scored: [FIXTURE], datasets: ["nope"] }, rounds: 1, evaluatorPool: 3, sweep: { ...sweep } })),
    ).rejects.toThrow(/dataset "nope" is not in the scored files/);
    await expect(
      prepareData(
        parseSimConfig({ data: { scored: [FIXTURE] }, rounds: 1, evaluatorPool: 3, honest: { evaluators: { qa: ["squad.em"] } }, sweep: { ...sweep } }),
      ),
    ).rejects.toThrow(/squad\.em, not scored on every record/);
  });

  it("splits by group, deterministically, every record on exactly one side", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-sim-split-"));
    const fit = path.join(dir, "fit.jsonl");
    const sim = path.join(dir, "sim.jsonl");
    const r = await splitScored([FIXTURE], fit, sim, 0.5, 7);
    expect(r.fit + r.sim).toBe(280);
    expect(r.fitGroups + r.simGroups).toBe(50);
    const fitRecs = parseScoredJsonl(await readFile(fit, "utf8"), fit);
    const simRecs = parseScoredJsonl(await readFile(sim, "utf8"), sim);
    const fitGroups = new Set(fitRecs.map((x) => `${x.dataset}:${x.group}`));
    expect(simRecs.some((x) => fitGroups.has(`${x.dataset}:${x.group}`))).toBe(false);
    expect(fitRecs.every((x) => isFitGroup(x.dataset, x.group, 0.5, 7))).toBe(true);
    const again = await splitScored([FIXTURE], fit + "2", sim + "2", 0.5, 7);
    expect(again).toEqual(r);
  });
});
