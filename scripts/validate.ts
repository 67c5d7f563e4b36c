/**
 * Reproduces the validation on real human-rated data (docs/validation/):
 *  1. scores ../shared/data/dev/{summeval,evouna_nq}.jsonl with `poq score` (default profile)
 *     into a git-ignored scratch directory (scored files contain the source texts: never commit);
 *  2. runs `poq audit` on both (grouped 5-fold CV, 1,000 group-bootstrap resamples, seed 1) and
 *     writes report.md, report.json, the figures and profile.calibrated.json;
 *  3. checks that `poq score --profile profile.calibrated.json` reproduces, on a sample of the
 *     raw records, exactly the composite the audit computed for them under that profile.
 *
 *   npx tsx scripts/validate.ts [--data ../shared/data/dev] [--scratch .cache/audit-validation]
 *                               [--out docs/validation] [--resamples 1000] [--rescore] [--check 300]
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadScoredFiles } from "../oracle/audit/records.js";
import { rescoreComposite } from "../oracle/audit/rescore.js";
import { auditFiles } from "../oracle/audit/run.js";
import { createLogger } from "../oracle/core/log.js";
import { defaultProfile, loadProfile } from "../oracle/scoring/profile.js";

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
process.chdir(root);
const data = path.resolve(root, arg("data", "../shared/data/dev"));
const scratch = path.resolve(root, arg("scratch", ".cache/audit-validation"));
const out = path.resolve(root, arg("out", "docs/validation"));
const resamples = Number(arg("resamples", "1000"));
const check = Number(arg("check", "300"));
const rescore = process.argv.includes("--rescore");
const log = createLogger("validate");
const DATASETS = ["summeval", "evouna_nq"];

function poq(args: string[]): void {
  const r = spawnSync(process.execPath, [path.join(root, "bin/poq.mjs"), ...args], { cwd: root, stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) throw new Error(`poq ${args.join(" ")} exited with ${r.status}`);
}

await mkdir(scratch, { recursive: true });
const scored: string[] = [];
for (const name of DATASETS) {
  const input = path.join(data, `${name}.jsonl`);
  if (!existsSync(input)) throw new Error(`missing ${input} (see ../shared/data/README.md)`);
  const target = path.join(scratch, `${name}.scored.jsonl`);
  if (rescore || !existsSync(target)) {
    log.info({ input, target }, "scoring with the default profile");
    poq(["score", "--in", input, "--out", target, "--no-progress"]);
  }
  scored.push(target);
}

// relative paths, so the committed report names no machine-specific directories
const res = await auditFiles({ inputs: scored.map((f) => path.relative(root, f)), outDir: out, baseProfile: defaultProfile(), resamples, seed: 1, folds: 5, logger: log });
log.info({ files: res.files }, "audit written");

// 3. `poq score --profile` reproduces the audit's composite under the calibrated profile.
if (check > 0) {
  const profilePath = path.join(out, "profile.calibrated.json");
  const profile = await loadProfile(profilePath);
  const sampleIn = path.join(scratch, "check.input.jsonl");
  const sampleOut = path.join(scratch, "check.scored.jsonl");
  const lines: string[] = [];
  for (const name of DATASETS) {
    const text = (await readFile(path.join(data, `${name}.jsonl`), "utf8")).split("\n").filter((l) => l.trim());
    const step = Math.max(1, Math.floor(text.length / Math.ceil(check / DATASETS.length)));
    for (let i = 0; i < text.length && lines.length < check * (DATASETS.indexOf(name) + 1) / DATASETS.length; i += step) lines.push(text[i]!);
  }
  await writeFile(sampleIn, lines.join("\n") + "\n");
  poq(["score", "--in", sampleIn, "--out", sampleOut, "--profile", profilePath, "--no-progress"]);
  const byId = new Map((await loadScoredFiles(scored)).records.map((r) => [r.id, r]));
  // every check record must be found in the audited files
  const rescored = (await loadScoredFiles([sampleOut])).records;
  let maxDiff = 0;
  let hashOk = true;
  for (const r of rescored) {
    const predicted = rescoreComposite(byId.get(r.id)!, profile).composite;
    maxDiff = Math.max(maxDiff, Math.abs(predicted - r.composite));
    if (r.profileHash !== profile.hash) hashOk = false;
  }
  const summary = { records: rescored.length, maxAbsDiff: maxDiff, profileHash: profile.hash, recordsNameProfile: hashOk };
  await writeFile(path.join(out, "profile-check.json"), JSON.stringify(summary, null, 2) + "\n");
  process.stdout.write(`profile check: ${rescored.length} records re-scored by poq score --profile; max |composite - audit's composite| = ${maxDiff}; profile hash in records: ${hashOk ? "ok" : "MISMATCH"}\n`);
  if (maxDiff > 1e-6 || !hashOk) process.exitCode = 1;
}
