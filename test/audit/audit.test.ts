import { mkdtemp, readFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_AUDIT, runAudit, type AuditOptions } from "../../oracle/audit/audit.js";
import { parseScoredJsonl, loadScoredFiles, type AuditRecord } from "../../oracle/audit/records.js";
import { ctxOf, rescoreComposite } from "../../oracle/audit/rescore.js";
import { auditFiles } from "../../oracle/audit/run.js";
import { syntheticScoredRecords, toJsonl } from "../../oracle/audit/synthetic.js";
import { ABLATIONS } from "../../oracle/audit/signals.js";
import { defaultProfile, loadProfile, profileHash } from "../../oracle/scoring/profile.js";
import { computeComposite } from "../../oracle/scoring/composite.js";

const FIX = path.join(__dirname, "../fixtures/audit");
const base = defaultProfile();

function options(extra: Partial<AuditOptions> = {}): AuditOptions {
  return { ...DEFAULT_AUDIT, resamples: 100, calibration: {}, baseProfile: base, inputFiles: ["mem"], skipped: [], ...extra };
}

function synthetic(n: number, seed: number): AuditRecord[] {
  return parseScoredJsonl(toJsonl(syntheticScoredRecords(base, { records: n, seed })), `syn${seed}`).records;
}

describe("audit report", async () => {
  const recs = synthetic(600, 5);
  const res = await runAudit(recs, options());

  it("has every signal with kind, three correlations and intervals, per task and overall", () => {
    const r = res.report;
    expect(Object.keys(r.tasks).sort()).toEqual(["qa", "summarization"]);
    for (const scope of [r.overall, r.tasks.qa!, r.tasks.summarization!]) {
      for (const name of ["dimension.semantic", "evaluator.bertscore.f1", "consensus.mean", "consensus.median", "composite.default", "composite.calibrated"]) {
        const s = scope.signals[name]!;
        expect(s.kind).toBeTypeOf("string");
        for (const k of ["pearson", "spearman", "kendall"] as const) {
          expect(s[k]).toBeTypeOf("number");
          const iv = s.ci95[k]!;
          expect(iv[0]).toBeLessThanOrEqual(s[k]!);
          expect(iv[1]).toBeGreaterThanOrEqual(s[k]!);
        }
      }
      expect(Object.keys(scope.ablations)).toEqual([...ABLATIONS]);
      expect(scope.bestSingleEvaluator?.name).toBeTypeOf("string");
    }
    expect(r.tasks.qa!.signals["evaluator.squad.f1"]).toBeDefined();
    expect(r.tasks.summarization!.signals["evaluator.squad.f1"]).toBeUndefined();
    expect(r.calibrated.outOfFold).toBe(true);
    expect(r.calibrated.mode).toBe("cross-validation");
    expect(r.calibrated.folds).toHaveLength(10);
  });

  it("reports constant signals as undefined (null), not 0, and lists them as failures", () => {
    // summaries of unpriced, unrated models: model prior and cost prior are the cold-start constant
    const s = res.report.tasks.summarization!;
    expect(s.signals["dimension.modelPrior"]!.pearson).toBeNull();
    expect(s.signals["dimension.modelPrior"]!.ci95.pearson).toBeNull();
    expect(s.failureModes.dimensions.map((d) => d.signal)).toContain("dimension.modelPrior");
  });

  it("the default ablation reproduces the records' composite, and the best evaluator is the argmax", () => {
    const qa = res.report.tasks.qa!;
    expect(qa.ablations.default.pearson).toBeCloseTo(qa.signals["composite.default"]!.pearson!, 9);
    const evals = Object.entries(qa.signals).filter(([, s]) => s.kind === "evaluator");
    const max = Math.max(...evals.map(([, s]) => s.pearson ?? -2));
    expect(qa.bestSingleEvaluator!.pearson).toBe(max);
  });

  it("calibration learned on other groups beats the published weights on data with a known structure", () => {
    for (const t of ["qa", "summarization"]) {
      const s = res.report.tasks[t]!;
      expect(s.ablations.calibrated.pearson!).toBeGreaterThan(s.ablations.default.pearson! + 0.05);
    }
  });

  it("largest disagreements name record ids", () => {
    const d = res.report.tasks.qa!.failureModes.disagreements.calibrated;
    expect(d).toHaveLength(DEFAULT_AUDIT.topDisagreements);
    expect(recs.some((r) => r.id === d[0]!.id)).toBe(true);
    expect(Math.abs(d[0]!.diff)).toBeGreaterThanOrEqual(Math.abs(d[d.length - 1]!.diff));
  });

  it("is deterministic for a seed, with or without bootstrap worker threads", async () => {
    const again = await runAudit(recs, options({ threads: 2 }));
    expect(again.report).toEqual(res.report);
    expect(again.profile.hash).toBe(res.profile.hash);
  });
});

describe("no label leakage", () => {
  it("model-prior ratings are learned on training folds only (one model per group cannot be rated out-of-fold)", async () => {
    // every group has its own models: a rating learned on the test group itself would predict it perfectly
    const recs = synthetic(500, 8).map((r) => ({ ...r, model: `${r.group}/${r.model}` }));
    const res = await runAudit(recs, options());
    for (const t of ["qa", "summarization"]) {
      const mp = res.report.tasks[t]!.signals["calibrated.modelPrior"]!;
      expect(mp.pearson).toBeNull(); // every held-out model is unknown: cold-start constant
    }
  });

  it("with --calibrate-on, predictions on the audited file equal poq score's composite under the written profile", async () => {
    const fit = await loadScoredFiles([path.join(FIX, "scored-fit.jsonl")]);
    const audited = await loadScoredFiles([path.join(FIX, "scored-small.jsonl")]);
    const res = await runAudit(audited.records, options({ calibrateOn: { records: fit.records, files: ["fit"] }, skipped: audited.skipped }));
    expect(res.report.calibrated.mode).toBe("holdout");
    const p = res.profile;
    audited.records.forEach((r, i) => {
      const again = rescoreComposite(r, p);
      expect(again.composite).toBe(res.points[i]!.calibrated);
      expect(computeComposite(again.dimensions, p, r.task, ctxOf(r))).toBeCloseTo(again.composite, 6);
    });
  });
});

describe("bad input", () => {
  it("skips and reports records without a human score", async () => {
    const loaded = await loadScoredFiles([path.join(FIX, "scored-small.jsonl")]);
    expect(loaded.skipped.length).toBeGreaterThan(0);
    expect(loaded.skipped[0]!.reason).toMatch(/human/);
    const res = await runAudit(loaded.records, options({ skipped: loaded.skipped }));
    expect(res.report.inputs.skipped.count).toBe(loaded.skipped.length);
    expect(res.report.inputs.records).toBe(loaded.records.length);
  });

  it("refuses a task with too few records or groups, naming it", async () => {
    const recs = synthetic(400, 9);
    const few = [...recs.filter((r) => r.task === "qa"), ...recs.filter((r) => r.task === "summarization").slice(0, 20)];
    await expect(runAudit(few, options())).rejects.toThrow(/task "summarization" has 20 labelled records in 2 groups/);
  });

  it("names the line and field of an invalid record", () => {
    const good = JSON.stringify(syntheticScoredRecords(base, { records: 1, seed: 1 })[0]);
    const bad = JSON.stringify({ ...JSON.parse(good), id: "x1", dimensions: { semantic: 2 } });
    expect(() => parseScoredJsonl(`${good}\n${bad}\n`, "f.jsonl")).toThrow(/f\.jsonl:2: record x1: dimensions\./);
    expect(() => parseScoredJsonl(`${good}\n{oops\n`, "f.jsonl")).toThrow(/f\.jsonl:2: not valid JSON/);
  });
});

describe("audit files", () => {
  it("writes a loadable calibrated profile, report.json, report.md and SVG figures", async () => {
    const out = await mkdtemp(path.join(tmpdir(), "poq-audit-"));
    const res = await auditFiles({ inputs: [path.join(FIX, "scored-small.jsonl")], outDir: out, baseProfile: base, resamples: 50 });
    const profile = await loadProfile(path.join(out, "profile.calibrated.json"));
    expect(profile.hash).toBe(profileHash(profile));
    expect(profile.hash).toBe(res.report.calibrated.profile.hash);
    expect(Object.keys(profile.modelPrior.byTask).sort()).toEqual(["qa", "summarization"]);
    const report = JSON.parse(await readFile(path.join(out, "report.json"), "utf8"));
    expect(report.tasks.qa.signals["dimension.semantic"].kind).toBe("dimension");
    const md = await readFile(path.join(out, "report.md"), "utf8");
    expect(md).toMatch(/## Ablations/);
    expect(md).toMatch(/\| calibrated \|/);
    const figs = await readdir(path.join(out, "figures"));
    expect(figs.sort()).toEqual(["ablations.svg", "heatmap.svg", "scatter.svg"]);
    for (const f of figs) {
      const svg = await readFile(path.join(out, "figures", f), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      expect(svg).toMatch(/<path|<rect/);
    }
  });
});

describe("rescoring", () => {
  it("the lean rescoring equals the scoring engine's dimension functions, under calibrated profiles", async () => {
    const recs = synthetic(300, 31);
    const res = await runAudit(recs, options({ resamples: 20 }));
    const { rescoreDimensions, rescoreDimensionsReference } = await import("../../oracle/audit/rescore.js");
    for (const p of [base, res.profile]) {
      for (const r of recs) expect(rescoreDimensions(r, p)).toEqual(rescoreDimensionsReference(r, p));
    }
    // priced models (gpt4, chatgpt) exercise the affordability path
    expect(recs.some((r) => r.model === "gpt4")).toBe(true);
  });
});

describe("poq audit command", () => {
  it("registers on the program and writes the outputs; rejects unknown options with a clear error", async () => {
    const { buildProgram } = await import("../../oracle/cli/index.js");
    const program = await buildProgram();
    expect(program.commands.map((c) => c.name())).toEqual(expect.arrayContaining(["audit", "drift"]));
    const { runAuditCli } = await import("../../oracle/cli/commands/audit.js");
    const out = await mkdtemp(path.join(tmpdir(), "poq-audit-cli-"));
    const common = {
      in: [path.join(FIX, "scored-small.jsonl")],
      out,
      folds: "3",
      seed: "2",
      resamples: "20",
      minRecords: "30",
      minGroups: "5",
      minReliability: "0.02",
      ratings: "bradley-terry",
      strategies: "reliable,nnls",
      figures: false,
      json: true,
    };
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await runAuditCli(common)).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const report = JSON.parse(await readFile(path.join(out, "report.json"), "utf8"));
    expect(report.options.ratingMethod).toBe("bradley-terry");
    expect(report.calibrated.folds).toHaveLength(6);
    await expect(runAuditCli({ ...common, strategies: "magic" })).rejects.toThrow(/unknown strategy "magic"/);
    await expect(runAuditCli({ ...common, folds: "1" })).rejects.toThrow(/--folds must be an integer >= 2/);
  });
});
