/**
 * Audit throughput: `poq audit` end to end (read JSONL, grouped 5-fold nested calibration,
 * 1,000 group-bootstrap resamples of Pearson/Spearman/Kendall for every signal and ablation,
 * overall and per task, report + figures) on 10,000 synthetic scored records (70% QA with 5
 * outputs per question, 30% summaries with 10 per article; 7-11 evaluators each). Target:
 * under 30 s. Prints a table; `--json FILE` writes the numbers.
 *
 *   npm run bench:audit -- [--json FILE] [--records N] [--resamples N]
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { auditFiles } from "../oracle/audit/run.js";
import { syntheticScoredRecords, toJsonl } from "../oracle/audit/synthetic.js";
import { defaultProfile } from "../oracle/scoring/profile.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const records = Number(arg("records") ?? 10_000);
const resamples = Number(arg("resamples") ?? 1_000);
const TARGET_S = 30;
const base = defaultProfile();
const dir = await mkdtemp(path.join(tmpdir(), "poq-bench-audit-"));
const input = path.join(dir, "scored.jsonl");
await writeFile(input, toJsonl(syntheticScoredRecords(base, { records, seed: 7 })));

// Warm-up on a small input (JIT), then the measured run.
await writeFile(path.join(dir, "warm.jsonl"), toJsonl(syntheticScoredRecords(base, { records: 400, seed: 8 })));
await auditFiles({ inputs: [path.join(dir, "warm.jsonl")], outDir: path.join(dir, "warm"), baseProfile: base, resamples: 20 });

const loadBefore = loadavg()[0]!;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const res = await auditFiles({ inputs: [input], outDir: path.join(dir, "out"), baseProfile: base, resamples });
const total = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const calibration = res.timings.calibrationMs / 1000;
const bootstrap = res.timings.bootstrapMs / 1000;
const other = total - calibration - bootstrap;
const signals = Object.keys(res.report.overall.signals).length + Object.keys(res.report.overall.ablations).length;

const result = {
  benchmark: "audit",
  records: res.report.inputs.records,
  skippedUnlabelled: res.report.inputs.skipped.count,
  tasks: res.report.inputs.tasks,
  resamples,
  folds: res.report.options.folds,
  signalsPerScope: signals,
  scopes: 1 + Object.keys(res.report.tasks).length,
  seconds: { total, calibration, bootstrap, loadReportFigures: other },
  phaseCpuSeconds: { calibration: res.timings.calibrationCpuMs / 1000, bootstrap: res.timings.bootstrapCpuMs / 1000 },
  /** CPU seconds of the whole process (main thread + bootstrap workers): what a busy machine cannot hide. */
  cpuSeconds,
  threads: Math.max(1, Math.min(4, cpus().length)),
  targetSeconds: TARGET_S,
  pass: total < TARGET_S,
  peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "unknown", loadAvg1mBefore: loadBefore, loadAvg1mAfter: loadavg()[0]! },
  node: process.version,
};

const rows: Array<[string, string]> = [
  ["records (labelled)", String(result.records)],
  ["bootstrap resamples", String(resamples)],
  ["signals x scopes", `${signals} x ${result.scopes}`],
  ["calibration (nested grouped CV)", `${calibration.toFixed(2)} s wall, ${(res.timings.calibrationCpuMs / 1000).toFixed(2)} s CPU`],
  ["bootstrap (P/S/K, all signals)", `${bootstrap.toFixed(2)} s wall, ${(res.timings.bootstrapCpuMs / 1000).toFixed(2)} s CPU`],
  ["load + report + figures", `${other.toFixed(2)} s`],
  ["total", `${total.toFixed(2)} s (target < ${TARGET_S} s: ${result.pass ? "PASS" : "FAIL"})`],
  ["CPU time (all threads)", `${cpuSeconds.toFixed(2)} s on ${result.threads} bootstrap threads`],
  ["peak RSS", `${result.peakRssMb} MB`],
  ["load average (1 min) before/after", `${loadBefore.toFixed(2)} / ${result.machine.loadAvg1mAfter.toFixed(2)} on ${result.machine.cpus} CPUs`],
];
const w = Math.max(...rows.map((r) => r[0].length));
process.stdout.write(`bench:audit\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n")}\n`);
const json = arg("json");
if (json) {
  await mkdir(path.dirname(path.resolve(json)), { recursive: true });
  await writeFile(json, JSON.stringify(result, null, 2) + "\n");
}
await rm(dir, { recursive: true, force: true });
