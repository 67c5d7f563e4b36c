/**
 * Scoring throughput: the full pipeline (validation, encoder, every evaluator, six dimensions,
 * composite) on real records from ../shared/data/dev (EVOUNA NQ QA, SummEval summaries; a
 * deterministic synthetic stand-in when the data is missing), each task with a fresh encoder
 * (empty caches), plus per-stage / per-dimension figures and the embedding comparison of the
 * ONNX encoder against the TF.js runner of @energetic-ai/embeddings (oracle/models/bench.ts).
 * Targets: >= 150 outputs/s on QA, >= 20 outputs/s on summaries, peak RSS < 1.5 GB.
 *
 *   npm run bench:score -- [--json FILE] [--qa N] [--summ N] [--threads N] [--tfjs N] [--no-embed] [--profile NAME|FILE]
 *
 * `--profile`: "calibrated" (default: the paying profile, profiles/calibrated.json), "default"
 * or a profile JSON file.
 *
 * `--qa 0` or `--summ 0` skips that task (QA only: `--summ 0 --no-embed`).
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchEmbeddings } from "../oracle/models/bench.js";
import { loadUseLite } from "../oracle/models/index.js";
import { scoreRecords } from "../oracle/scoring/engine.js";
import { alignmentSentences } from "../oracle/scoring/evaluators/embedding.js";
import { resolveProfile } from "../oracle/scoring/paying-profile.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = path.join(root, "../shared/data/dev");
const threads = Number(arg("threads") ?? 2);
const nQa = Number(arg("qa") ?? 2000);
const nSumm = Number(arg("summ") ?? 320);
const tfjsSentences = Number(arg("tfjs") ?? 300);
const TARGETS = { qa: 150, summarization: 20, peakRssMb: 1536 };

type Rec = Record<string, unknown> & { query: string; output: string; references: string[]; group: string };

function readJsonl(file: string, n: number): Rec[] {
  const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim().length > 0);
  return lines.slice(0, n).map((l) => JSON.parse(l) as Rec);
}

/** Deterministic stand-in data with the shape of the dev sets (used only when they are missing). */
function synthetic(task: "qa" | "summarization", n: number): Rec[] {
  let s = 12345;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const vocab = "the of river city council library music history river season team player goal film star king queen war year court law bridge island".split(" ");
  const sentence = (k: number) => {
    const w = Array.from({ length: k }, () => vocab[Math.floor(rnd() * vocab.length)]!);
    return `${w[0]![0]!.toUpperCase()}${w.join(" ").slice(1)} ${1900 + Math.floor(rnd() * 120)}.`;
  };
  const out: Rec[] = [];
  const per = task === "qa" ? 5 : 16;
  for (let g = 0; out.length < n; g++) {
    const query = task === "qa" ? `who ${sentence(6).toLowerCase().replace(/\.$/, "")}` : Array.from({ length: 30 }, () => sentence(18)).join(" ");
    const references = task === "qa" ? [sentence(2).replace(/\.$/, "")] : Array.from({ length: 11 }, () => `${sentence(14)} ${sentence(12)}`);
    for (let m = 0; m < per && out.length < n; m++) {
      const output = task === "qa" ? (m % 2 ? references[0]! : `${sentence(12)} ${sentence(10)}`) : `${sentence(16)} ${sentence(14)} ${sentence(15)}`;
      out.push({ id: `syn-${task}:${g}:${m}`, task, dataset: "synthetic", group: `g${g}`, query, output, references, model: `m${m}` });
    }
  }
  return out;
}

function load(task: "qa" | "summarization", file: string, n: number): { records: Rec[]; source: string } {
  const p = path.join(dataDir, file);
  if (existsSync(p)) return { records: readJsonl(p, n), source: path.relative(root, p) };
  return { records: synthetic(task, n), source: "synthetic" };
}

const profile = await resolveProfile(arg("profile") ?? "calibrated");
const qa = load("qa", "evouna_nq.jsonl", nQa);
const summ = load("summarization", "summeval.jsonl", nSumm);

// stages that each dimension needs (the encoder pass is shared: semantic needs token states +
// embeddings, alignment the sentence embeddings; "encode" is the one-pass encoder call, the
// encode.* pair the two calls of an encoder without it)
const DIMENSION_STAGES: Record<string, string[]> = {
  modelPrior: ["dim.modelPrior"],
  costPrior: ["dim.modelPrior", "dim.costPrior"],
  structure: ["dim.structure"],
  semantic: ["encode", "encode.tokenStates", "encode.embed", "bertscore", "cosine", "dim.semantic"],
  alignment: ["encode", "encode.embed", "alignment.match", "alignment.cues", "nli", "dim.alignment"],
  agreement: ["encode", "encode.tokenStates", "encode.embed", "bertscore", "lexical", "cosine", "alignment.match", "dim.agreement"],
};

async function pipeline(name: string, records: Rec[]) {
  // warm-up (JIT, session) on a separate encoder, so the measured one starts with empty caches
  const warm = await loadUseLite({ intraOpThreads: threads });
  await scoreRecords(records.slice(0, 20), { profile, encoder: warm });
  await warm.close();
  const encoder = await loadUseLite({ intraOpThreads: threads });
  const timings: Record<string, number> = {};
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const results = await scoreRecords(records, { profile, encoder, timings, similarityThreads: threads });
  const sec = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await encoder.close();
  const failed = results.filter((r) => !r.ok).length;
  const perDimension: Record<string, { ms: number; outputsPerSec: number }> = {};
  for (const [d, stages] of Object.entries(DIMENSION_STAGES)) {
    const ms = stages.reduce((a, s) => a + (timings[s] ?? 0), 0);
    perDimension[d] = { ms: Math.round(ms), outputsPerSec: ms > 0 ? Math.round((records.length / ms) * 1000) : Infinity };
  }
  return {
    task: name,
    outputs: records.length,
    groups: new Set(records.map((r) => r.group)).size,
    failed,
    seconds: sec,
    outputsPerSec: records.length / sec,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    stagesMs: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    perDimension,
  };
}

const loadBefore = loadavg()[0]!;
let embed: Awaited<ReturnType<typeof benchEmbeddings>> | null = null;
if (!process.argv.includes("--no-embed")) {
  // sentences as the pipeline sees them: answers, gold answers, summary and reference sentences
  const sentences = [
    ...qa.records.flatMap((r) => [r.output.trim(), ...r.references]),
    ...summ.records.flatMap((r) => [...alignmentSentences(r.output), ...r.references.flatMap(alignmentSentences)]),
  ].filter((t) => t.length > 0);
  embed = await benchEmbeddings(sentences, { threads, tfjsSentences });
}
// --qa 0 / --summ 0 skip that task's pipeline (e.g. a QA-only run: --summ 0 --no-embed)
const qaRes = qa.records.length > 0 ? await pipeline("qa", qa.records) : null;
const summRes = summ.records.length > 0 ? await pipeline("summarization", summ.records) : null;
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const loadAfter = loadavg()[0]!;

const result = {
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? "", threads, loadavg1Before: loadBefore, loadavg1After: loadAfter, node: process.version },
  data: { qa: qa.source, summarization: summ.source },
  profile: profile.name,
  profileHash: (await import("../oracle/scoring/profile.js")).profileHash(profile),
  embed: embed && {
    onnxSentencesPerSec: embed.onnxSentencesPerSec,
    tfjsSentencesPerSec: embed.tfjsSentencesPerSec,
    parityMinCosine: embed.parityMinCosine,
    parityMaxAbsDiff: embed.parityMaxAbsDiff,
    speedup: embed.speedup,
    sentences: embed.sentences,
    tfjsSentences: embed.tfjsSentences,
    meanTokens: embed.meanTokens,
    modelId: embed.modelId,
  },
  pipeline: { qa: qaRes, summarization: summRes },
  peakRssMb,
  targets: TARGETS,
  pass: {
    qa: qaRes ? qaRes.outputsPerSec >= TARGETS.qa : null,
    summarization: summRes ? summRes.outputsPerSec >= TARGETS.summarization : null,
    peakRss: peakRssMb < TARGETS.peakRssMb,
    embedSpeedup10x: embed ? embed.speedup >= 10 : null,
  },
};

const f = (x: number, d = 1) => x.toFixed(d);
const rows: string[][] = [["measure", "value", "target"]];
if (embed) {
  rows.push(["embed ONNX sentences/s", f(embed.onnxSentencesPerSec), ""]);
  rows.push(["embed TF.js sentences/s", f(embed.tfjsSentencesPerSec), ""]);
  rows.push(["embed speed-up", `${f(embed.speedup)}x`, ">= 10x"]);
  rows.push(["embed parity min cosine", embed.parityMinCosine.toFixed(6), ">= 0.9999"]);
}
for (const r of [qaRes, summRes]) {
  if (!r) continue;
  rows.push([`${r.task} outputs/s (${r.outputs} outputs, ${r.groups} groups)`, f(r.outputsPerSec), `>= ${TARGETS[r.task as "qa" | "summarization"]}`]);
  for (const [d, v] of Object.entries(r.perDimension)) rows.push([`  ${r.task} ${d} alone, outputs/s`, String(v.outputsPerSec), ""]);
}
rows.push(["peak RSS MB", f(peakRssMb, 0), "< 1536"]);
const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
process.stdout.write(`${rows.map((r) => r.map((c, i) => c.padEnd(w[i]!)).join("  ")).join("\n")}\n`);
process.stdout.write(`load average ${f(loadBefore, 2)} -> ${f(loadAfter, 2)} on ${cpus().length} CPUs (figures are noisy when the machine is shared)\n`);
const jsonPath = arg("json");
if (jsonPath) await writeFile(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
