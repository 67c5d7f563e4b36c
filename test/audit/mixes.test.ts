/**
 * The audit's calibration map, alternative mixes and validation folds (issue 14): the written
 * profile carries a map and the mixes, out-of-fold figures on the probability scale are in the
 * report, leave-one-system-out never rates the held-out system, and the reference-free mix is
 * fitted on rows whose reference-based evaluators were withheld.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_AUDIT, runAudit, type AuditOptions } from "../../oracle/audit/audit.js";
import { DEFAULT_CALIBRATION, excludedDimensions, fitTaskMixes, profileWithFit, withReferencesWithheld } from "../../oracle/audit/calibrate.js";
import { parseScoredJsonl, type AuditRecord } from "../../oracle/audit/records.js";
import { rescoreComposite } from "../../oracle/audit/rescore.js";
import { syntheticScoredRecords, toJsonl } from "../../oracle/audit/synthetic.js";
import { renderReportMarkdown } from "../../oracle/audit/report.js";
import { hasTaskRating, selectMix } from "../../oracle/scoring/mix.js";
import { defaultProfile } from "../../oracle/scoring/profile.js";

const base = defaultProfile();
const options = (extra: Partial<AuditOptions> = {}): AuditOptions => ({ ...DEFAULT_AUDIT, resamples: 50, calibration: {}, baseProfile: base, inputFiles: ["mem"], skipped: [], ...extra });
const synthetic = (n: number, seed: number): AuditRecord[] => parseScoredJsonl(toJsonl(syntheticScoredRecords(base, { records: n, seed })), `syn${seed}`).records;

describe("calibrated profile on the probability scale", async () => {
  const recs = synthetic(600, 11);
  const res = await runAudit(recs, options());

  it("every task gets a monotone map onto the human scale and the alternative mixes", () => {
    for (const task of ["qa", "summarization"]) {
      const cfg = res.profile.tasks[task]!;
      expect(["isotonic", "linear"]).toContain(cfg.calibration?.method);
      expect(cfg.mixes?.priorFree).toBeDefined();
      expect(cfg.mixes?.referenceFree).toBeDefined();
      expect(cfg.mixes?.referenceFreePriorFree).toBeDefined();
      expect(cfg.mixes!.priorFree!.weights.modelPrior).toBe(0);
      expect(cfg.mixes!.priorFree!.weights.costPrior).toBe(0);
      // the reference-free mix uses no reference-based evaluator
      for (const e of cfg.mixes!.referenceFree!.semantic ?? []) expect(["use.cosine.ref", "bertscore.f1", "rougeL.f", "squad.f1"]).not.toContain(e.id);
    }
    expect(res.profile.tasks.qa!.calibration!.target).toMatch(/P\(a human judges/);
    expect(res.profile.tasks.summarization!.calibration!.target).toMatch(/expected human rating/);
    // QA aligns against the references: its reference-free mixes cannot use alignment
    expect(res.profile.tasks.qa!.mixes!.referenceFree!.weights.alignment).toBe(0);
  });

  it("reports out-of-fold ECE, the pay decision for 0/1 labels, the mixes and leave-one-system-out", () => {
    const qa = res.report.probability.qa!;
    expect(qa.target).toMatch(/P\(/);
    expect(qa.calibrated.ece).toBeGreaterThanOrEqual(0);
    // the map is fitted to be calibrated: better ECE than the raw composite
    expect(qa.calibrated.ece!).toBeLessThan(qa.raw.ece!);
    expect(qa.calibrated.pay!.wrong + qa.calibrated.pay!.correct).toBe(qa.calibrated.n);
    expect(qa.leaveOneSystemOut).not.toBeNull();
    expect(Object.keys(qa.leaveOneSystemOut!.systems).length).toBeGreaterThan(1);
    expect(qa.referenceFree.fallback.n).toBe(qa.referenceFree.n);
    expect(res.report.probability.summarization!.calibrated.pay).toBeUndefined();
    // the calibrated column of the main report is the same out-of-fold composite
    expect(res.report.tasks.qa!.ablations.calibrated.pearson).toBeCloseTo(qa.calibrated.pearson!, 6);
    const md = renderReportMarkdown(res.report);
    expect(md).toContain("leave-one-system-out");
    expect(md).toContain("wrong paid");
  });

  it("the weight sensitivity sweep: ordered quantiles, the published weights' Pearson equals the default ablation", () => {
    for (const task of ["qa", "summarization"]) {
      const x = res.report.sensitivity[task]!;
      expect(x.draws).toBe(1000);
      const q = x.quantiles;
      expect(q.min).toBeLessThanOrEqual(q.p05);
      expect(q.p05).toBeLessThanOrEqual(q.median);
      expect(q.median).toBeLessThanOrEqual(q.p95);
      expect(q.p95).toBeLessThanOrEqual(q.max);
      expect(x.published!).toBeCloseTo(res.report.tasks[task]!.ablations.default.pearson!, 3);
      expect(Object.values(x.best).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it("the written profile reproduces its composites with the audit's rescoring, on the probability scale", () => {
    for (const r of recs.slice(0, 50)) {
      const c = rescoreComposite(r, res.profile).composite;
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThanOrEqual(1);
    }
  });
});

describe("validation folds and mixes", () => {
  const recs = synthetic(400, 21);
  const qa = recs.filter((r) => r.task === "qa");
  const opts = { ...DEFAULT_CALIBRATION, innerFolds: 3, reliabilityResamples: 50 };

  it("a fit without one system never rates it: its records are scored by the prior-free mix", () => {
    const held = qa[0]!.model;
    const train = qa.filter((r) => r.model !== held);
    const fit = fitTaskMixes(train, base, "qa", opts, "test", ["priorFree"]);
    const p = profileWithFit(base, fit);
    expect(hasTaskRating(p, held, "qa")).toBe(false);
    expect(selectMix(p, "qa", { model: held, hasReferences: true })).toBe("priorFree");
    expect(selectMix(p, "qa", { model: train[0]!.model, hasReferences: true })).toBe("main");
  });

  it("references withheld: reference-based evaluators removed (and alignment evaluators where alignment is against the references)", () => {
    const w = withReferencesWithheld(recs, base);
    for (const [i, r] of w.entries()) {
      expect(r.hasReferences).toBe(false);
      expect(r.id).toBe(recs[i]!.id);
      for (const id of ["use.cosine.ref", "bertscore.f1", "rougeL.f", "squad.f1", "qa.recall.soft"]) expect(r.evaluators[id]).toBeUndefined();
      if (r.task === "qa") expect(r.evaluators["summac.align"]).toBeUndefined();
    }
    expect(excludedDimensions(base, "qa", "referenceFree")).toEqual(["alignment"]);
    expect(excludedDimensions(base, "summarization", "referenceFreePriorFree")).toEqual(["modelPrior", "costPrior"]);
    // the input is not modified
    expect(recs.some((r) => r.evaluators["use.cosine.ref"] !== undefined)).toBe(true);
  });
});
