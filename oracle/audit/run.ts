/**
 * The audit as a file-to-files operation (what `poq audit` runs): load scored JSONL files,
 * run the audit, write DIR/profile.calibrated.json, DIR/report.json, DIR/report.md and the
 * figures under DIR/figures/.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../core/log.js";
import type { Profile } from "../scoring/profile.js";
import { DEFAULT_AUDIT, runAudit, type AuditOptions, type AuditResult } from "./audit.js";
import type { CalibrationOptions } from "./calibrate.js";
import { renderAuditFigures } from "./figures.js";
import { BootstrapPool } from "./parallel.js";
import { loadScoredFiles } from "./records.js";
import { renderReportMarkdown } from "./report.js";

export interface AuditFilesOptions {
  inputs: string[];
  outDir: string;
  baseProfile: Profile;
  calibrateOn?: string[];
  folds?: number;
  seed?: number;
  resamples?: number;
  minRecords?: number;
  minGroups?: number;
  calibration?: Partial<Omit<CalibrationOptions, "seed">>;
  figures?: boolean;
  /** Bootstrap worker threads (default: min(4, available cores)). */
  threads?: number;
  /** Leave-one-system-out validation (default true). */
  leaveOneSystemOut?: boolean;
  logger?: Logger;
}

export interface AuditFilesResult extends AuditResult {
  files: string[];
}

export async function auditFiles(o: AuditFilesOptions): Promise<AuditFilesResult> {
  const log = o.logger;
  const loaded = await loadScoredFiles(o.inputs);
  for (const s of loaded.skipped.slice(0, 20)) log?.warn({ record: s.id, file: s.source, line: s.line, reason: s.reason }, "skipped: no human score");
  if (loaded.skipped.length > 0) log?.warn({ skipped: loaded.skipped.length }, "records without a human score were skipped");
  const fit = o.calibrateOn && o.calibrateOn.length > 0 ? await loadScoredFiles(o.calibrateOn) : undefined;
  const options: AuditOptions = {
    ...DEFAULT_AUDIT,
    ...(o.folds !== undefined ? { folds: o.folds } : {}),
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.resamples !== undefined ? { resamples: o.resamples } : {}),
    ...(o.minRecords !== undefined ? { minRecords: o.minRecords } : {}),
    ...(o.minGroups !== undefined ? { minGroups: o.minGroups } : {}),
    calibration: o.calibration ?? {},
    baseProfile: o.baseProfile,
    calibrateOn: fit ? { records: fit.records, files: o.calibrateOn! } : undefined,
    inputFiles: o.inputs,
    skipped: loaded.skipped,
    threads: o.threads ?? BootstrapPool.defaultThreads(),
    leaveOneSystemOut: o.leaveOneSystemOut,
    logger: log,
  };
  const result = await runAudit(loaded.records, options);
  await mkdir(o.outDir, { recursive: true });
  const files: string[] = [];
  const write = async (name: string, text: string) => {
    const p = path.join(o.outDir, name);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, text);
    files.push(p);
  };
  await write("profile.calibrated.json", JSON.stringify(result.profile, null, 2) + "\n");
  await write("report.json", JSON.stringify(result.report, null, 2) + "\n");
  let figureLinks: { heatmap: string; ablations: string; scatter: string } | undefined;
  if (o.figures !== false) {
    const svg = await renderAuditFigures(result);
    figureLinks = { heatmap: "figures/heatmap.svg", ablations: "figures/ablations.svg", scatter: "figures/scatter.svg" };
    await write(figureLinks.heatmap, svg.heatmap);
    await write(figureLinks.ablations, svg.ablations);
    await write(figureLinks.scatter, svg.scatter);
  }
  await write("report.md", renderReportMarkdown(result.report, figureLinks) + "\n");
  return { ...result, files };
}
