/**
 * `poq drift --reference SCORED.jsonl --recent SCORED.jsonl [--profile FILE] [--report
 * AUDIT/report.json] [--out DIR]`: PSI and Kolmogorov-Smirnov per dimension (and composite,
 * evaluators) per task; flags drifted dimensions and recommends which profile to score with
 * (current, without the drifted dimensions, or the single-evaluator fallback). With `--live
 * URL|FILE` instead of `--recent`, the recent window is a worker's `poq_score_value`
 * histograms (its /metrics endpoint or a saved copy) under the profile's hash.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { InputError } from "../../core/errors.js";
import { driftReport, liveDriftReport, reducedProfile, singleEvaluatorProfile, type DriftReport } from "../../audit/drift.js";
import { parsePromHistograms, readExposition } from "../../audit/live.js";
import { loadScoredFiles } from "../../audit/records.js";
import { resolveProfile } from "../../scoring/paying-profile.js";
import { defaultProfile, type Dimension } from "../../scoring/profile.js";

interface DriftCliOptions {
  reference: string[];
  recent?: string[];
  live?: string;
  profile?: string;
  report?: string;
  out?: string;
  json?: boolean;
  failOnDrift?: boolean;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const AuditReportBestSchema = z.looseObject({
  tasks: z.record(z.string(), z.looseObject({ bestSingleEvaluator: z.looseObject({ name: z.string() }).nullable() })),
});

async function bestEvaluatorsFrom(file: string): Promise<Record<string, string>> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new InputError(`cannot read audit report ${file}: ${(err as Error).message}`, { reason: "unreadable" });
  }
  const parsed = AuditReportBestSchema.safeParse(doc);
  if (!parsed.success) throw new InputError(`${file} is not a poq audit report.json: ${parsed.error.issues[0]!.message}`, { field: "tasks", reason: "not an audit report" });
  const out: Record<string, string> = {};
  for (const [task, s] of Object.entries(parsed.data.tasks)) if (s.bestSingleEvaluator) out[task] = s.bestSingleEvaluator.name;
  return out;
}

function table(r: DriftReport): string {
  const lines: string[] = [];
  for (const [task, t] of Object.entries(r.tasks)) {
    lines.push(`${task}: ${t.recommendation} (${t.reason})`);
    lines.push(`  ${"signal".padEnd(30)} ${"weight".padStart(6)} ${"PSI".padStart(7)} ${"KS".padStart(6)} ${"KS p".padStart(8)}  status`);
    for (const s of t.signals.filter((x) => x.kind !== "evaluator" || x.status === "drifted")) {
      const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));
      lines.push(`  ${s.signal.padEnd(30)} ${f(s.weight, 2).padStart(6)} ${f(s.psi).padStart(7)} ${f(s.ks).padStart(6)} ${f(s.ksP, 4).padStart(8)}  ${s.status}`);
    }
  }
  lines.push(`recommended profile: ${r.recommendedProfile}`);
  return lines.join("\n");
}

export async function runDriftCli(o: DriftCliOptions): Promise<number> {
  const hasRecent = (o.recent?.length ?? 0) > 0;
  if (hasRecent === (o.live !== undefined)) throw new InputError("drift compares the reference with either --recent FILE... or --live URL|FILE (one of them)", { field: "--recent", reason: "one of --recent, --live" });
  const profile = o.profile ? await resolveProfile(o.profile) : defaultProfile();
  const bestEvaluators = o.report ? await bestEvaluatorsFrom(o.report) : undefined;
  const reference = await loadScoredFiles(o.reference, { keepUnlabelled: true });
  let report: DriftReport;
  if (o.live !== undefined) {
    const histograms = parsePromHistograms(await readExposition(o.live));
    report = liveDriftReport({ reference: { files: o.reference, records: reference.records }, live: { source: o.live, histograms }, profile, bestEvaluators });
    if (reference.records.length === 0 || report.recent.records === 0) {
      throw new InputError(
        `drift needs records in both windows (reference ${reference.records.length}, live ${report.recent.records} scores under profile ${report.profile.hash} at ${o.live}: is the worker serving this profile, and has it scored?)`,
        { reason: "empty window" },
      );
    }
  } else {
    const recent = await loadScoredFiles(o.recent!, { keepUnlabelled: true });
    if (reference.records.length === 0 || recent.records.length === 0) {
      throw new InputError(`drift needs records in both windows (reference ${reference.records.length}, recent ${recent.records.length})`, { reason: "empty window" });
    }
    report = driftReport({ reference: { files: o.reference, records: reference.records }, recent: { files: o.recent!, records: recent.records }, profile, bestEvaluators });
  }
  const fallbackEvaluators: Record<string, string> = {};
  const drifted: Record<string, Dimension[]> = {};
  for (const [task, t] of Object.entries(report.tasks)) {
    if (t.fallbackEvaluator && profile.tasks[task]) fallbackEvaluators[task] = t.fallbackEvaluator;
    if (t.driftedDimensions.length > 0) drifted[task] = t.driftedDimensions;
  }
  if (o.out) {
    await mkdir(o.out, { recursive: true });
    await writeFile(path.join(o.out, "drift.json"), JSON.stringify(report, null, 2) + "\n");
    await writeFile(path.join(o.out, "profile.fallback.json"), JSON.stringify(singleEvaluatorProfile(profile, fallbackEvaluators), null, 2) + "\n");
    if (report.recommendedProfile === "reduced") {
      await writeFile(path.join(o.out, "profile.reduced.json"), JSON.stringify(reducedProfile(profile, drifted), null, 2) + "\n");
    }
  }
  process.stdout.write((o.json ? JSON.stringify(report) : table(report)) + "\n");
  const anyDrift = Object.values(report.tasks).some((t) => t.driftedDimensions.length > 0);
  return o.failOnDrift && anyDrift ? 2 : 0;
}

export function register(program: Command): void {
  program
    .command("drift")
    .description("compare dimension distributions of two scored windows, or of the calibration data and a worker's live traffic (PSI, KS), and recommend a profile")
    .requiredOption("--reference <file>", "scored JSONL of the reference window (repeatable)", collect)
    .option("--recent <file>", "scored JSONL of the recent window (repeatable)", collect)
    .option("--live <url|file>", "instead of --recent: a worker's /metrics URL (or a saved copy): its poq_score_value histograms under the profile's hash")
    .option("--profile <name|file>", "the profile in use: \"calibrated\", \"default\" or a JSON file (default: default)")
    .option("--report <file>", "an audit report.json naming the best single evaluator per task (the fallback)")
    .option("--out <dir>", "write drift.json, profile.fallback.json (and profile.reduced.json) here")
    .option("--json", "print the report as JSON")
    .option("--fail-on-drift", "exit with code 2 when a weighted dimension drifted")
    .action(async (o: DriftCliOptions) => {
      process.exitCode = await runDriftCli(o);
    });
}
