/**
 * Cost/quality curve of cheap-first evaluation (profile.cheapFirst, oracle/scoring/cheap-first.ts):
 * outputs/s against Pearson with human judgement, for the paying (calibrated) profile without
 * the switch and with it at several margins, on EVOUNA NQ (QA) and SummEval from
 * ../shared/data/dev. The fill values a skipped record takes (means of the encoder-based
 * evaluators, alignment and agreement) are estimated out-of-fold: grouped 2-fold split (whole
 * questions / articles), each fold scored with fills from the other fold's full-pipeline scores.
 * Every run starts with a fresh encoder (empty caches). Prints a table and writes JSON.
 *
 *   npx tsx scripts/bench-cheap-first.ts [--qa N] [--summ N] [--margins 0.3,0.2,0.1,0.05,0] [--json FILE] [--threads N]
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pearson } from "../oracle/audit/correlation.js";
import { groupedFolds } from "../oracle/audit/folds.js";
import { loadUseLite } from "../oracle/models/index.js";
import { ENCODER_EVALUATORS } from "../oracle/scoring/cheap-first.js";
import { scoreRecords } from "../oracle/scoring/engine.js";
import { resolveProfile } from "../oracle/scoring/paying-profile.js";
import { parseProfile, type Profile } from "../oracle/scoring/profile.js";
import type { ScoredRecord } from "../oracle/scoring/record.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.join(root, "../shared/data/dev");
const threads = Number(arg("threads") ?? 2);
const margins = (arg("margins") ?? "0.3,0.2,0.1,0.05,0").split(",").map(Number);
const FLOOR = 0.5;

type Rec = Record<string, unknown> & { id: string; task: string; group: string; human?: { score: number } };

function readJsonl(file: string, n: number): Rec[] {
  if (!existsSync(file)) throw new Error(`${file} is missing: this benchmark needs ../shared/data/dev`);
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).slice(0, n).map((l) => JSON.parse(l) as Rec);
}

async function score(records: Rec[], profile: Profile): Promise<{ records: ScoredRecord[]; seconds: number }> {
  const encoder = await loadUseLite({ intraOpThreads: threads });
  try {
    const t0 = performance.now();
    const res = await scoreRecords(records, { profile, encoder });
    const seconds = (performance.now() - t0) / 1000;
    return { records: res.map((r) => (r.ok ? r.record : (() => { throw r.error; })())), seconds };
  } finally {
    await encoder.close();
  }
}

/** Means of what a skipped record does not compute, over scored records (the other fold's). */
function fills(rows: ScoredRecord[]): Record<string, number> {
  const sum = new Map<string, [number, number]>();
  const add = (k: string, v: number) => {
    const e = sum.get(k) ?? [0, 0];
    sum.set(k, [e[0] + v, e[1] + 1]);
  };
  for (const r of rows) {
    for (const [id, v] of Object.entries(r.evaluators)) if (ENCODER_EVALUATORS.has(id)) add(id, v);
    add("dim.alignment", r.dimensions.alignment);
    add("dim.agreement", r.dimensions.agreement);
  }
  return Object.fromEntries([...sum].map(([k, [s, n]]) => [k, Math.round((s / n) * 1e6) / 1e6]));
}

const withCheapFirst = (p: Profile, margin: number, fill: Record<string, number>): Profile => {
  const doc = structuredClone(p) as Record<string, unknown>;
  delete doc.hash;
  doc.cheapFirst = { floor: FLOOR, margin, fill };
  return parseProfile(doc, "cheap-first profile");
};

interface Row {
  task: string;
  config: string;
  outputsPerSecond: number;
  skippedShare: number;
  pearson: number | null;
  decisionsChanged: number;
  paidShare: number;
  wrongPaid: number | null;
}

async function bench(task: string, records: Rec[], profile: Profile): Promise<Row[]> {
  const folds = groupedFolds(records.map((r) => ({ task: r.task, group: r.group })), 2, 14);
  const byFold = [0, 1].map((k) => records.filter((_, i) => folds[i] === k));
  const human = (rs: ScoredRecord[]) => rs.map((r) => (r as unknown as Rec).human!.score);
  const rows: Row[] = [];
  const full = await Promise.all([0].map(async () => [await score(byFold[0]!, profile), await score(byFold[1]!, profile)]));
  const fullRecs = [...full[0]![0]!.records, ...full[0]![1]!.records];
  const fullById = new Map(fullRecs.map((r) => [r.id, r.composite]));
  const summary = (config: string, rs: ScoredRecord[], seconds: number, skipped: number): Row => {
    const h = human(rs);
    const paid = rs.map((r) => r.composite >= FLOOR);
    const wrong = h.map((x) => x < 0.5);
    const nWrong = wrong.filter(Boolean).length;
    return {
      task,
      config,
      outputsPerSecond: Math.round((rs.length / seconds) * 10) / 10,
      skippedShare: Math.round((skipped / rs.length) * 1000) / 1000,
      pearson: (() => {
        const p = pearson(rs.map((r) => r.composite), h);
        return p === null ? null : Math.round(p * 1000) / 1000;
      })(),
      decisionsChanged: rs.filter((r) => (r.composite >= FLOOR) !== (fullById.get(r.id)! >= FLOOR)).length,
      paidShare: Math.round((paid.filter(Boolean).length / rs.length) * 1000) / 1000,
      wrongPaid: task === "qa" && nWrong > 0 ? Math.round((paid.filter((p, i) => p && wrong[i]).length / nWrong) * 1000) / 1000 : null,
    };
  };
  rows.push(summary("off (full pipeline)", fullRecs, full[0]![0]!.seconds + full[0]![1]!.seconds, 0));
  const fillFor = [fills(full[0]![1]!.records), fills(full[0]![0]!.records)]; // out-of-fold
  for (const m of margins) {
    const runs = [await score(byFold[0]!, withCheapFirst(profile, m, fillFor[0]!)), await score(byFold[1]!, withCheapFirst(profile, m, fillFor[1]!))];
    const rs = [...runs[0]!.records, ...runs[1]!.records];
    const skipped = rs.filter((r) => !Object.keys(r.evaluators).some((id) => ENCODER_EVALUATORS.has(id))).length;
    rows.push(summary(`margin ${m}`, rs, runs[0]!.seconds + runs[1]!.seconds, skipped));
    process.stderr.write(`${task} margin ${m}: done\n`);
  }
  return rows;
}

async function main(): Promise<void> {
  const profile = await resolveProfile(arg("profile") ?? "calibrated");
  const load0 = loadavg()[0]!;
  const qa = readJsonl(path.join(dataDir, "evouna_nq.jsonl"), Number(arg("qa") ?? 2000));
  const summ = readJsonl(path.join(dataDir, "summeval.jsonl"), Number(arg("summ") ?? 400));
  const rows = [...(qa.length ? await bench("qa", qa, profile) : []), ...(summ.length ? await bench("summarization", summ, profile) : [])];
  const load1 = loadavg()[0]!;
  const head = `${"task".padEnd(14)} ${"config".padEnd(20)} ${"outputs/s".padStart(9)} ${"skipped".padStart(8)} ${"Pearson".padStart(8)} ${"changed".padStart(8)} ${"paid".padStart(6)} ${"wrong paid".padStart(10)}`;
  const lines = rows.map(
    (r) =>
      `${r.task.padEnd(14)} ${r.config.padEnd(20)} ${r.outputsPerSecond.toFixed(1).padStart(9)} ${(100 * r.skippedShare).toFixed(1).padStart(7)}% ${String(r.pearson).padStart(8)} ${String(r.decisionsChanged).padStart(8)} ${(100 * r.paidShare).toFixed(1).padStart(5)}% ${r.wrongPaid === null ? "n/a".padStart(10) : `${(100 * r.wrongPaid).toFixed(1)}%`.padStart(10)}`,
  );
  process.stdout.write([head, ...lines, `load average ${load0.toFixed(2)} -> ${load1.toFixed(2)}; profile ${profile.name} ${profile.hash ?? ""}; floor ${FLOOR}`].join("\n") + "\n");
  const out = arg("json");
  if (out) await writeFile(out, JSON.stringify({ schema: "poq.bench-cheap-first/v1", profile: { name: profile.name, hash: profile.hash }, floor: FLOOR, threads, loadAverage: [load0, load1], records: { qa: qa.length, summarization: summ.length }, rows }, null, 2) + "\n");
}

await main();
