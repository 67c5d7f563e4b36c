/**
 * `poq audit --in SCORED.jsonl [--in MORE.jsonl] --out DIR [--folds 5] [--seed N]
 * [--calibrate-on FIT.jsonl]`: correlations of every dimension, evaluator, consensus baseline
 * and composite with the human scores (group-bootstrap intervals), ablations, failure modes,
 * and a calibrated profile learned on training folds (or on FIT) and reported out-of-fold.
 */
import type { Command } from "commander";
import { InputError } from "../../core/errors.js";
import { createLogger } from "../../core/log.js";
import { ALL_STRATEGIES, STRATEGIES, type StrategyName } from "../../audit/calibrate.js";
import { auditFiles } from "../../audit/run.js";
import { resolveProfile } from "../../scoring/paying-profile.js";
import { defaultProfile } from "../../scoring/profile.js";

interface AuditCliOptions {
  in: string[];
  out: string;
  folds: string;
  seed: string;
  resamples: string;
  calibrateOn?: string[];
  profile?: string;
  minRecords: string;
  minGroups: string;
  minReliability: string;
  ratings: string;
  strategies: string;
  priorFree?: string;
  systemFolds?: boolean;
  figures?: boolean;
  json?: boolean;
}

function int(v: string, flag: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${flag} must be an integer >= ${min}, got "${v}"`, { field: flag, reason: "invalid integer" });
  return n;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export async function runAuditCli(o: AuditCliOptions): Promise<number> {
  const log = createLogger("audit");
  const minReliability = Number(o.minReliability);
  if (!Number.isFinite(minReliability) || minReliability < -1 || minReliability > 1) {
    throw new InputError(`--min-reliability must be a number in [-1, 1], got "${o.minReliability}"`, { field: "--min-reliability", reason: "out of range" });
  }
  if (o.ratings !== "mean" && o.ratings !== "bradley-terry") {
    throw new InputError(`--ratings must be "mean" or "bradley-terry", got "${o.ratings}"`, { field: "--ratings", reason: "unknown method" });
  }
  const strategies = o.strategies.split(",").map((s) => s.trim()) as StrategyName[];
  for (const s of strategies) {
    if (!(ALL_STRATEGIES as readonly string[]).includes(s)) throw new InputError(`--strategies: unknown strategy "${s}" (${ALL_STRATEGIES.join(", ")})`, { field: "--strategies", reason: "unknown strategy" });
  }
  const priorFree = o.priorFree ?? "within";
  if (priorFree !== "within" && priorFree !== "drop" && priorFree !== "fit") {
    throw new InputError(`--prior-free must be "within", "drop" or "fit", got "${priorFree}"`, { field: "--prior-free", reason: "unknown method" });
  }
  const started = Date.now();
  const res = await auditFiles({
    inputs: o.in,
    outDir: o.out,
    baseProfile: o.profile ? await resolveProfile(o.profile) : defaultProfile(),
    calibrateOn: o.calibrateOn,
    folds: int(o.folds, "--folds", 2),
    seed: int(o.seed, "--seed", 0),
    resamples: int(o.resamples, "--resamples", 1),
    minRecords: int(o.minRecords, "--min-records", 3),
    minGroups: int(o.minGroups, "--min-groups", 2),
    calibration: { minReliability, ratingMethod: o.ratings, strategies, priorFree },
    leaveOneSystemOut: o.systemFolds !== false,
    figures: o.figures,
    logger: log,
  });
  const r = res.report;
  if (o.json) {
    process.stdout.write(JSON.stringify({ files: res.files, profileHash: res.profile.hash, skipped: r.inputs.skipped.count }) + "\n");
  } else {
    const lines = [`poq audit: ${r.inputs.records} labelled records, ${r.inputs.skipped.count} skipped without a human score, ${((Date.now() - started) / 1000).toFixed(1)} s`];
    for (const [scope, s] of [["all", r.overall] as const, ...Object.entries(r.tasks)]) {
      const best = s.bestSingleEvaluator;
      const f = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : x.toFixed(3));
      lines.push(
        `  ${scope.padEnd(14)} calibrated (out-of-fold) ${f(s.ablations.calibrated.pearson)}  default ${f(s.signals["composite.default"]?.pearson)}  ` +
          `best evaluator ${best ? `${best.name} ${f(best.pearson)}` : "n/a"}  median consensus ${f(s.signals["consensus.median"]?.pearson)}`,
      );
    }
    const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`);
    for (const [task, p] of Object.entries(r.probability)) {
      const c = p.calibrated;
      const l = p.leaveOneSystemOut;
      lines.push(
        `  ${task.padEnd(14)} ECE ${c.ece?.toFixed(3) ?? "n/a"} (${p.target ?? "raw"})` +
          (c.pay ? `  paid at 0.5: wrong ${pct(c.pay.wrongPaid)}, correct ${pct(c.pay.correctPaid)}` : "") +
          (l ? `  leave-one-system-out ${l.pearson?.toFixed(3) ?? "n/a"}` : "") +
          `  references withheld ${p.referenceFree.pearson?.toFixed(3) ?? "n/a"}`,
      );
    }
    lines.push(`  wrote ${res.files.join(", ")}`);
    lines.push(`  calibrated profile ${res.profile.hash}`);
    process.stdout.write(lines.join("\n") + "\n");
  }
  return 0;
}

export function register(program: Command): void {
  program
    .command("audit")
    .description("audit dimensions, evaluators and composites against human scores; write a calibrated profile and reports")
    .requiredOption("--in <file>", "scored JSONL (poq score output) with human scores; repeatable", collect)
    .requiredOption("--out <dir>", "output directory")
    .option("--folds <k>", "grouped cross-validation folds", "5")
    .option("--seed <n>", "seed of folds and bootstrap", "1")
    .option("--resamples <n>", "group-bootstrap resamples", "1000")
    .option("--calibrate-on <file>", "learn the calibration on this scored JSONL instead (repeatable); report on --in", collect)
    .option("--profile <name|file>", "the profile the records were scored with: \"default\", \"calibrated\" or a JSON file (default: default)")
    .option("--min-records <n>", "minimum labelled records per task", "30")
    .option("--min-groups <n>", "minimum groups per task", "10")
    .option("--min-reliability <r>", "gate threshold on the lower 95% bound of a dimension's Pearson", "0.02")
    .option("--ratings <method>", "model-prior ratings from human scores: mean | bradley-terry", "mean")
    .option("--strategies <list>", `candidate calibration strategies (${STRATEGIES.join(",")})`, STRATEGIES.join(","))
    .option("--prior-free <how>", "prior-free mixes (unrated models): within = NNLS within systems (system fixed effects), drop = the fitted mix without its priors, fit = fitted again without them", "within")
    .option("--no-system-folds", "skip the leave-one-system-out validation")
    .option("--no-figures", "skip the SVG figures")
    .option("--json", "print a JSON summary")
    .action(async (o: AuditCliOptions) => {
      process.exitCode = await runAuditCli(o);
    });
}
