/**
 * Reproduces the validation on real human-rated data (docs/validation/):
 *  1. scores ../shared/data/dev/{summeval,evouna_nq}.jsonl with the scoring engine behind
 *     `poq score` (default profile) into a git-ignored scratch directory (scored files contain
 *     the source texts: never commit);
 *  2. runs the audit of `poq audit` on both (grouped 5-fold CV, leave-one-system-out, 1,000
 *     group-bootstrap resamples, seed 1) and writes report.md, report.json, the figures and
 *     profile.calibrated.json; with --ship also profiles/calibrated.json (the paying profile);
 *  3. checks that scoring with profile.calibrated.json reproduces, on a sample of the raw
 *     records (with their references, and the same records with references withheld), exactly
 *     the composite the audit computes for them under that profile.
 *
 *   npx tsx scripts/validate.ts [--data ../shared/data/dev] [--scratch .cache/audit-validation]
 *                               [--out docs/validation] [--resamples 1000] [--rescore] [--check 300] [--ship]
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadScoredFiles } from "../oracle/audit/records.js";
import { rescoreComposite } from "../oracle/audit/rescore.js";
import { auditFiles } from "../oracle/audit/run.js";
import { createLogger } from "../oracle/core/log.js";
import { loadUseLite } from "../oracle/models/index.js";
import { scoreFile } from "../oracle/scoring/io.js";
import { PAYING_PROFILE_PATH } from "../oracle/scoring/paying-profile.js";
import { defaultProfile, loadProfile, type Profile } from "../oracle/scoring/profile.js";

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
const ship = process.argv.includes("--ship");
const log = createLogger("validate");
const DATASETS = ["summeval", "evouna_nq"];

/** What `poq score --in IN --out OUT [--profile P]` does (the same library call), in-process. */
async function score(inPath: string, outPath: string, profile: Profile): Promise<void> {
  const encoder = await loadUseLite({ executionProviders: ["cpu"], logger: log });
  try {
    const s = await scoreFile({ inPath, outPath, profile, encoder, nli: null });
    for (const e of s.errors) process.stderr.write(`score: ${e.code}: ${e.message}\n`);
    log.info({ inPath, outPath, scored: s.scored, failed: s.failed, seconds: s.seconds, profile: s.profileHash }, "scored");
    if (s.failed > 0) throw new Error(`${s.failed} records of ${inPath} failed to score`);
  } finally {
    await encoder.close();
  }
}

await mkdir(scratch, { recursive: true });
const scored: string[] = [];
for (const name of DATASETS) {
  const input = path.join(data, `${name}.jsonl`);
  if (!existsSync(input)) throw new Error(`missing ${input} (see ../shared/data/README.md)`);
  const target = path.join(scratch, `${name}.scored.jsonl`);
  if (rescore || !existsSync(target)) {
    log.info({ input, target }, "scoring with the default profile");
    await score(input, target, defaultProfile());
  }
  scored.push(target);
}

// relative paths, so the committed report names no machine-specific directories
const res = await auditFiles({ inputs: scored.map((f) => path.relative(root, f)), outDir: out, baseProfile: defaultProfile(), resamples, seed: 1, folds: 5, logger: log });
log.info({ files: res.files }, "audit written");
if (ship) {
  await writeFile(PAYING_PROFILE_PATH, JSON.stringify(res.profile, null, 2) + "\n");
  log.info({ path: PAYING_PROFILE_PATH, hash: res.profile.hash }, "shipped as the paying profile");
}

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
  // the same records with their references withheld (ids suffixed): the reference-free mix
  const noRefs = lines.map((l) => {
    const o = JSON.parse(l) as { id: string; references: string[] };
    return JSON.stringify({ ...o, id: `${o.id}#noref`, references: [] });
  });
  await writeFile(sampleIn, [...lines, ...noRefs].join("\n") + "\n");
  await score(sampleIn, sampleOut, profile);
  const byId = new Map((await loadScoredFiles(scored)).records.map((r) => [r.id, r]));
  // every check record must be found in the audited files
  const rescored = (await loadScoredFiles([sampleOut])).records;
  let maxDiff = 0;
  let hashOk = true;
  let checkedWithRefs = 0;
  let checkedWithheld = 0;
  let withheldMaxDiff = 0;
  const { withReferencesWithheld } = await import("../oracle/audit/calibrate.js");
  for (const r of rescored) {
    if (r.profileHash !== profile.hash) hashOk = false;
    if (r.id.endsWith("#noref")) {
      // only tasks whose alignment is against the query can be predicted from the scored record (QA aligns against the references)
      const orig = byId.get(r.id.slice(0, -"#noref".length))!;
      if (!profile.tasks[orig.task]!.alignment.against.includes("query")) continue;
      const predicted = rescoreComposite(withReferencesWithheld([orig], profile)[0]!, profile).composite;
      withheldMaxDiff = Math.max(withheldMaxDiff, Math.abs(predicted - r.composite));
      checkedWithheld++;
      continue;
    }
    const predicted = rescoreComposite(byId.get(r.id)!, profile).composite;
    maxDiff = Math.max(maxDiff, Math.abs(predicted - r.composite));
    checkedWithRefs++;
  }
  const summary = {
    records: checkedWithRefs,
    maxAbsDiff: maxDiff,
    referencesWithheld: { records: checkedWithheld, maxAbsDiff: withheldMaxDiff },
    profileHash: profile.hash,
    recordsNameProfile: hashOk,
  };
  await writeFile(path.join(out, "profile-check.json"), JSON.stringify(summary, null, 2) + "\n");
  process.stdout.write(
    `profile check: ${checkedWithRefs} records re-scored with the calibrated profile; max |composite - audit's composite| = ${maxDiff}; ` +
      `references withheld: ${checkedWithheld} records, max diff ${withheldMaxDiff}; profile hash in records: ${hashOk ? "ok" : "MISMATCH"}\n`,
  );
  if (maxDiff > 1e-6 || withheldMaxDiff > 1e-6 || !hashOk) process.exitCode = 1;
}
