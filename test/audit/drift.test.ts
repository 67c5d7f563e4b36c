import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { driftReport, ks, psi, singleEvaluatorProfile } from "../../oracle/audit/drift.js";
import { parseScoredJsonl } from "../../oracle/audit/records.js";
import { Rng } from "../../oracle/audit/rng.js";
import { syntheticScoredRecords, toJsonl } from "../../oracle/audit/synthetic.js";
import { runDriftCli } from "../../oracle/cli/commands/drift.js";
import { computeComposite } from "../../oracle/scoring/composite.js";
import { defaultProfile, loadProfile } from "../../oracle/scoring/profile.js";

const base = defaultProfile();

describe("PSI and KS", () => {
  const rng = new Rng(4);
  const a = Array.from({ length: 3000 }, () => rng.normal());
  const b = Array.from({ length: 3000 }, () => rng.normal());
  const shifted = b.map((x) => x + 1);

  it("are small for the same distribution and large for a shifted one", () => {
    expect(psi(a, b)!).toBeLessThan(0.02);
    expect(psi(a, shifted)!).toBeGreaterThan(0.5);
    const same = ks(a, b)!;
    expect(same.d).toBeLessThan(0.05);
    expect(same.p).toBeGreaterThan(0.01);
    const moved = ks(a, shifted)!;
    expect(moved.d).toBeGreaterThan(0.3);
    expect(moved.p).toBeLessThan(1e-6);
  });

  it("KS matches a hand-computed statistic", () => {
    // F_a jumps at 1,2,3 ; F_b at 2.5, 3.5: max gap 2/3 at x in [2, 2.5)
    expect(ks([1, 2, 3], [2.5, 3.5])!.d).toBeCloseTo(2 / 3, 12);
  });

  it("PSI handles constant reference values", () => {
    expect(psi([0.5, 0.5, 0.5], [0.5, 0.5])).toBeCloseTo(0, 12);
    expect(psi([0.5, 0.5, 0.5], [0.9, 0.9])!).toBeGreaterThan(1);
  });
});

describe("drift report", () => {
  const ref = parseScoredJsonl(toJsonl(syntheticScoredRecords(base, { records: 800, seed: 21 })), "ref").records;
  const same = parseScoredJsonl(toJsonl(syntheticScoredRecords(base, { records: 800, seed: 22 })), "recent").records;
  // recent window where the structure dimension collapsed (e.g. a new output format)
  const shifted = same.map((r) => {
    const dims = { ...r.dimensions, structure: Math.max(0, r.dimensions.structure - 0.4) };
    return { ...r, dimensions: dims, composite: computeComposite(dims, base, r.task) };
  });

  it("keeps the profile when nothing moved", () => {
    const rep = driftReport({ reference: { files: ["a"], records: ref }, recent: { files: ["b"], records: same }, profile: base });
    for (const t of Object.values(rep.tasks)) {
      expect(t.driftedDimensions).toEqual([]);
      expect(t.recommendation).toBe("keep");
    }
    expect(rep.recommendedProfile).toBe("current");
  });

  it("flags the drifted dimension and recommends switching it off", () => {
    const rep = driftReport({ reference: { files: ["a"], records: ref }, recent: { files: ["b"], records: shifted }, profile: base });
    const qa = rep.tasks.qa!;
    expect(qa.driftedDimensions).toEqual(["structure"]);
    expect(qa.signals.find((s) => s.signal === "dimension.structure")!.status).toBe("drifted");
    expect(qa.recommendation).toBe("drop-drifted-dimensions");
    expect(rep.recommendedProfile).toBe("reduced");
  });

  it("falls back to the best single evaluator when semantic drifts", () => {
    // the evaluators behind the semantic dimension collapse (drift recomputes dimensions under the profile)
    const sem = same.map((r) => ({
      ...r,
      evaluators: { ...r.evaluators, "use.cosine.ref": r.evaluators["use.cosine.ref"]! * 0.3, "bertscore.f1": r.evaluators["bertscore.f1"]! * 0.3 },
    }));
    const rep = driftReport({ reference: { files: ["a"], records: ref }, recent: { files: ["b"], records: sem }, profile: base, bestEvaluators: { qa: "squad.recall" } });
    expect(rep.tasks.qa!.recommendation).toBe("single-evaluator-fallback");
    expect(rep.tasks.qa!.fallbackEvaluator).toBe("squad.recall");
    const fb = singleEvaluatorProfile(base, { qa: "squad.recall" });
    expect(fb.tasks.qa!.weights!.semantic).toBe(1);
    expect(fb.tasks.qa!.semantic.withReferences).toEqual([{ id: "squad.recall", weight: 1 }]);
  });

  it("the CLI writes drift.json and a loadable fallback profile", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-drift-"));
    await writeFile(path.join(dir, "ref.jsonl"), toJsonl(syntheticScoredRecords(base, { records: 300, seed: 21 })));
    const recent = syntheticScoredRecords(base, { records: 300, seed: 23, unlabelledShare: 1 }).map((r) => ({
      ...r,
      dimensions: { ...(r.dimensions as object), structure: 0 },
    }));
    await writeFile(path.join(dir, "recent.jsonl"), toJsonl(recent));
    const code = await runDriftCli({ reference: [path.join(dir, "ref.jsonl")], recent: [path.join(dir, "recent.jsonl")], out: dir, json: true, failOnDrift: true });
    expect(code).toBe(2);
    const rep = JSON.parse(await readFile(path.join(dir, "drift.json"), "utf8"));
    expect(rep.tasks.qa.driftedDimensions).toContain("structure");
    const fb = await loadProfile(path.join(dir, "profile.fallback.json"));
    expect(fb.name).toBe("default-fallback");
    await loadProfile(path.join(dir, "profile.reduced.json"));
  });
});
