/**
 * The monotone calibration map after the composite and the alternative mixes (issue 14):
 * schema, evaluation, which mix scores which record, bit-identical composites between the
 * scoring engine and the audit's rescoring, the shipped calibrated profile, and the profile
 * modules no longer importing each other.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../oracle/audit/records.js";
import { rescoreComposite } from "../../oracle/audit/rescore.js";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { computeComposite, explainComposite } from "../../oracle/scoring/composite.js";
import { scoreRecords } from "../../oracle/scoring/engine.js";
import { applyCalibration, hasTaskRating, selectMix } from "../../oracle/scoring/mix.js";
import { PAYING_PROFILE_PATH, payingProfile, resolveProfile } from "../../oracle/scoring/paying-profile.js";
import { DIMENSIONS, defaultProfile, loadProfile, parseProfile, profileHash, withHash, type CalibrationMap, type DimensionScores, type Profile } from "../../oracle/scoring/profile.js";

const root = path.join(import.meta.dirname, "../..");
const fixtures = path.join(root, "test/fixtures/scoring");
const readJsonl = (f: string) =>
  readFileSync(path.join(fixtures, f), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const MAP: CalibrationMap = { method: "isotonic", target: "P(a human judges the output correct)", x: [0.2, 0.5, 0.8], y: [0.1, 0.4, 0.9] };

/** The default profile with a hand-made calibration: a map, task ratings and the three alternative mixes. */
function calibrated(): Profile {
  const p = structuredClone(defaultProfile()) as Profile;
  for (const task of ["qa", "summarization"] as const) {
    const cfg = p.tasks[task]!;
    cfg.calibration = MAP;
    cfg.mixes = {
      priorFree: {
        weights: { modelPrior: 0, costPrior: 0, structure: 0.2, semantic: 0.6, alignment: 0.2, agreement: 0 },
        normalization: { semantic: { method: "minmax", lo: 0.1, hi: 0.9 } },
        calibration: { ...MAP, y: [0.2, 0.5, 0.7] },
      },
      referenceFree: {
        weights: { modelPrior: 0.3, costPrior: 0, structure: 0.3, semantic: 0.4, alignment: 0, agreement: 0 },
        normalization: {},
        semantic: [
          { id: "distinct.3gram", weight: 1 },
          { id: "use.cosine.query", weight: 2 },
        ],
        calibration: { ...MAP, y: [0.3, 0.6, 0.65] },
      },
      referenceFreePriorFree: {
        weights: { modelPrior: 0, costPrior: 0, structure: 0.5, semantic: 0.5, alignment: 0, agreement: 0 },
        normalization: {},
        semantic: [{ id: "use.cosine.query", weight: 1 }],
      },
    };
  }
  // every fixture model is rated for its task (the unrated variants get unseen names)
  const rated = (f: string) => Object.fromEntries(readJsonl(f).map((r, i) => [r.model as string, 1100 + 10 * i]));
  p.modelPrior.byTask = { qa: { ...rated("qa.jsonl"), gpt4: 1200, fid: 1100 }, summarization: rated("summarization.jsonl") };
  return withHash(parseProfile({ ...p, hash: undefined, name: "hand-calibrated" }));
}

describe("calibration map", () => {
  it("interpolates linearly between breakpoints and is constant outside them", () => {
    expect(applyCalibration(0, MAP)).toBe(0.1);
    expect(applyCalibration(0.2, MAP)).toBe(0.1);
    expect(applyCalibration(0.35, MAP)).toBeCloseTo(0.25, 12);
    expect(applyCalibration(0.5, MAP)).toBeCloseTo(0.4, 12);
    expect(applyCalibration(0.65, MAP)).toBeCloseTo(0.65, 12);
    expect(applyCalibration(1, MAP)).toBe(0.9);
    expect(applyCalibration(0.42, undefined)).toBe(0.42);
    // monotone on a fine grid
    let prev = -1;
    for (let x = 0; x <= 1; x += 0.001) {
      const v = applyCalibration(x, MAP);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
  });

  it("the schema refuses maps that are not monotone or not aligned; profiles without a map still parse", () => {
    const p = calibrated();
    const bad = (m: unknown) => {
      const q = structuredClone(p) as any;
      delete q.hash;
      q.tasks.qa.calibration = m;
      return () => parseProfile(q);
    };
    expect(bad({ ...MAP, x: [0.2, 0.2, 0.8] })).toThrow(/strictly increasing/);
    expect(bad({ ...MAP, y: [0.5, 0.4, 0.9] })).toThrow(/non-decreasing/);
    expect(bad({ ...MAP, y: [0.1, 0.4] })).toThrow(/same length/);
    expect(bad({ ...MAP, y: [0.1, 0.4, 1.2] })).toThrow(/tasks\.qa\.calibration\.y/);
    expect(bad(MAP)).not.toThrow();
    expect(() => parseProfile(structuredClone(defaultProfile()))).not.toThrow();
  });

  it("is part of the profile hash", () => {
    const p = calibrated();
    const q = structuredClone(p);
    q.tasks.qa!.calibration = { ...MAP, y: [0.1, 0.4, 0.91] };
    expect(profileHash(q)).not.toBe(profileHash(p));
  });

  it("the composite is the map of the weighted sum; explainComposite says which mix and the raw value", () => {
    const p = calibrated();
    const dims: DimensionScores = { modelPrior: 0.6, costPrior: 0.5, structure: 0.9, semantic: 0.7, alignment: 0.4, agreement: 0.5 };
    const b = explainComposite(dims, p, "qa", { model: "gpt4", hasReferences: true });
    expect(b.mix).toBe("main");
    expect(b.calibrated).toBe(true);
    const raw = DIMENSIONS.reduce((s, d) => s + b.weights[d] * b.normalized[d], 0);
    expect(b.raw).toBeCloseTo(raw, 12);
    expect(b.composite).toBe(applyCalibration(b.raw, MAP));
    // without a context: the main mix (backwards compatible callers)
    expect(computeComposite(dims, p, "qa")).toBe(b.composite);
    // the default profile has no map: raw composite
    const d = explainComposite(dims, defaultProfile(), "qa", { model: "nobody", hasReferences: false });
    expect(d.mix).toBe("main");
    expect(d.composite).toBe(d.raw);
  });
});

describe("mix choice", () => {
  it("main for rated models with references, prior-free / reference-free / both otherwise", () => {
    const p = calibrated();
    expect(hasTaskRating(p, "gpt4", "qa")).toBe(true);
    // task ratings exist: a model rated only globally (gpt-4-0613 in the default table) is unrated for the task
    expect(hasTaskRating(p, "gpt-4-0613", "qa")).toBe(false);
    expect(hasTaskRating(p, "gpt-4-0613", "open")).toBe(true);
    expect(selectMix(p, "qa", { model: "gpt4", hasReferences: true })).toBe("main");
    expect(selectMix(p, "qa", { model: "new-model", hasReferences: true })).toBe("priorFree");
    expect(selectMix(p, "qa", { model: "gpt4", hasReferences: false })).toBe("referenceFree");
    expect(selectMix(p, "qa", { model: "new-model", hasReferences: false })).toBe("referenceFreePriorFree");
    expect(selectMix(p, "open", { model: "new-model", hasReferences: false })).toBe("main"); // no mixes for open
    const q = structuredClone(p);
    delete q.tasks.qa!.mixes!.referenceFreePriorFree;
    expect(selectMix(q, "qa", { model: "new-model", hasReferences: false })).toBe("referenceFree");
    delete q.tasks.qa!.mixes!.referenceFree;
    expect(selectMix(q, "qa", { model: "new-model", hasReferences: false })).toBe("priorFree");
    expect(selectMix(q, "qa", { model: "gpt4", hasReferences: false })).toBe("main");
  });
});

describe("engine and audit agree bit for bit under a calibrated profile", () => {
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    encoder = await loadUseLite({ intraOpThreads: 1 });
  });
  afterAll(async () => {
    await encoder?.close();
  });

  it("every mix: rated/unrated models, with and without references, in one batch and one by one", async () => {
    const p = calibrated();
    const base = [...readJsonl("qa.jsonl"), ...readJsonl("summarization.jsonl")];
    const input = base.flatMap((r, i) => [
      r,
      { ...r, id: `${r.id}#unrated`, model: `unseen-${i}` },
      { ...r, id: `${r.id}#noref`, references: [] },
      { ...r, id: `${r.id}#both`, references: [], model: `unseen-${i}` },
    ]);
    const batch = await scoreRecords(input, { profile: p, encoder });
    const seen = new Set<string>();
    for (const res of batch) {
      if (!res.ok) throw new Error(res.error.message);
      const r = res.record;
      const rec: AuditRecord = {
        id: r.id,
        task: r.task,
        group: r.group,
        model: r.model,
        query: r.query,
        output: r.output,
        hasReferences: r.references.some((t) => t.trim().length > 0),
        usage: r.usage,
        human: r.human?.score ?? Number.NaN,
        dimensions: r.dimensions,
        evaluators: r.evaluators,
        composite: r.composite,
        source: "mem",
        line: 1,
      };
      // the audit's rescoring reproduces the engine's dimensions and composite exactly
      const again = rescoreComposite(rec, p);
      expect(again.composite).toBe(r.composite);
      expect(again.dimensions).toEqual(r.dimensions);
      expect(r.profileHash).toBe(p.hash);
      const m = /#(\w+)$/.exec(r.id)?.[1] ?? "main";
      const expectedMix = { main: "main", unrated: "priorFree", noref: "referenceFree", both: "referenceFreePriorFree" }[m]!;
      const b = explainComposite(r.dimensions, p, r.task, { model: r.model, hasReferences: rec.hasReferences });
      expect(b.mix).toBe(expectedMix);
      seen.add(b.mix);
      expect(res.explain.composite).toContain(b.calibrated ? "calibration map" : "composite");
    }
    expect([...seen].sort()).toEqual(["main", "priorFree", "referenceFree", "referenceFreePriorFree"]);
    // batching does not change results
    const single = await scoreRecords(input.slice(0, 8), { profile: p, encoder, chunkSize: 1 });
    single.forEach((s, i) => {
      const b = batch[i]!;
      expect(s.ok && b.ok && s.record.composite === b.record.composite).toBe(true);
    });
  }, 120_000);
});

describe("shipped profiles", () => {
  it("profiles/calibrated.json is the paying profile: hashed, a map on every calibrated task, prior-free and reference-free mixes", async () => {
    const p = await payingProfile();
    expect(PAYING_PROFILE_PATH.endsWith(path.join("profiles", "calibrated.json"))).toBe(true);
    expect(p.hash).toBe(profileHash(p));
    for (const task of ["qa", "summarization"]) {
      const cfg = p.tasks[task]!;
      expect(["isotonic", "linear"]).toContain(cfg.calibration?.method);
      expect(cfg.mixes?.priorFree).toBeDefined();
      expect(cfg.mixes?.referenceFree).toBeDefined();
    }
    expect(p.tasks.qa!.calibration!.target).toMatch(/P\(a human judges/);
    expect((await resolveProfile("calibrated")).hash).toBe(p.hash);
    expect(profileHash(await resolveProfile("default"))).toBe(profileHash(defaultProfile()));
    expect((await resolveProfile(path.join(root, "profiles/default.json"))).name).toBe("default");
    expect(defaultProfile().description).toMatch(/Not for money/);
  });

  it("profile.ts and default-profile.ts do not import each other", () => {
    const imports = (f: string) => [...readFileSync(path.join(root, "oracle/scoring", f), "utf8").matchAll(/from "\.\/([\w-]+)\.js"/g)].map((m) => m[1]);
    expect(imports("default-profile.ts")).not.toContain("profile");
    expect(imports("profile-schema.ts")).not.toContain("default-profile");
    expect(imports("profile-schema.ts")).not.toContain("profile");
  });

  it("profiles/default.json still loads (old profiles without maps or mixes parse)", async () => {
    const p = await loadProfile(path.join(root, "profiles/default.json"));
    expect(p.tasks.qa!.calibration).toBeUndefined();
    expect(p.tasks.qa!.mixes).toBeUndefined();
  });
});
