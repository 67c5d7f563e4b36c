/**
 * `poq score --in FILE.jsonl --out FILE.jsonl [--profile FILE]`: scores logged outputs with
 * the scoring engine. Bad records are reported one line each on stderr (record id, line,
 * field, reason), the rest are still scored; exit code 1 when any record failed.
 */
import type { Command } from "commander";
import { createReadStream, existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import cliProgress from "cli-progress";
import { InputError } from "../../core/errors.js";
import { createLogger } from "../../core/log.js";
import { loadUseLite, type ExecutionProvider, type NliModel, type SentenceEncoder } from "../../models/index.js";
import { scoreFile } from "../../scoring/io.js";
import { loadProfileNli } from "../../scoring/nli-model.js";
import { resolveProfile } from "../../scoring/paying-profile.js";
import { defaultProfile, type Profile } from "../../scoring/profile.js";

interface ScoreCliOptions {
  in: string;
  out: string;
  profile?: string;
  errors?: string;
  explain?: boolean;
  providers: string;
  threads: string;
  batchSize: string;
  progress?: boolean;
  queue?: boolean;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InputError(`${flag} must be a positive integer, got "${v}"`, { field: flag, reason: "not a positive integer" });
  return n;
}

/** A file's path with links resolved (the file need not exist yet: then its folder's). */
function canonical(file: string): string {
  const abs = path.resolve(file);
  if (existsSync(abs)) return realpathSync(abs);
  const dir = path.dirname(abs);
  return path.join(existsSync(dir) ? realpathSync(dir) : dir, path.basename(abs));
}

/** --in, --out and --errors name three different files: writing one would destroy another. */
function checkDistinctFiles(o: Pick<ScoreCliOptions, "in" | "out" | "errors">): void {
  const files: [string, string | undefined][] = [["--in", o.in], ["--out", o.out], ["--errors", o.errors]];
  const seen = new Map<string, string>();
  for (const [flag, file] of files) {
    if (file === undefined) continue;
    const key = canonical(file);
    const other = seen.get(key);
    if (other) throw new InputError(`${flag} ${file} is the same file as ${other}: ${flag === "--in" || other === "--in" ? "it would overwrite the input" : "one would overwrite the other"}; choose another path`, { field: flag.slice(2), reason: "same file" });
    seen.set(key, flag);
  }
}

/**
 * Record ids are unique in an input file: scores are keyed by id downstream, so a second
 * record with the same id would silently stand for the first. Refused before any scoring, with
 * both line numbers. Lines that are not JSON objects with an id are left to the scorer, which
 * reports them one line each.
 */
async function checkUniqueIds(file: string): Promise<void> {
  if (!existsSync(file)) return; // the scorer says the file is missing
  const first = new Map<string, number>();
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    line++;
    if (!text.trim()) continue;
    let id: unknown;
    try {
      id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    } catch {
      continue;
    }
    if (typeof id !== "string" && typeof id !== "number") continue;
    const key = String(id);
    const at = first.get(key);
    if (at !== undefined) throw new InputError(`${file}: record id "${key}" appears twice, on line ${at} and line ${line}: ids must be unique`, { recordId: key, line, field: "id", reason: "duplicate" });
    first.set(key, line);
  }
}

export async function runScore(o: ScoreCliOptions): Promise<number> {
  checkDistinctFiles(o);
  await checkUniqueIds(o.in);
  const log = createLogger("score");
  const profile = o.profile ? await resolveProfile(o.profile) : defaultProfile();
  const providers = o.providers.split(",").map((s) => s.trim()) as ExecutionProvider[];
  for (const p of providers) {
    if (p !== "cpu" && p !== "cuda") throw new InputError(`--providers: unknown execution provider "${p}" (cpu, cuda)`, { field: "--providers", reason: "unknown provider" });
  }
  const encoder = await loadUseLite({
    executionProviders: providers,
    intraOpThreads: positiveInt(o.threads, "--threads"),
    batchSize: positiveInt(o.batchSize, "--batch-size"),
    logger: log,
  });
  let nli: NliModel | null = null;
  const bar =
    o.progress !== false && process.stderr.isTTY
      ? new cliProgress.SingleBar({ format: "scoring [{bar}] {percentage}% {value}/{total} records | {eta}s left", stream: process.stderr }, cliProgress.Presets.shades_classic)
      : null;
  try {
    // The profile's NLI model, loaded as the queue workers and the chain worker load it.
    if (!o.queue) nli = await loadProfileNli(profile, { executionProviders: providers });
    let started = false;
    const onProgress = (done: number, total: number): void => {
      if (!bar) return;
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    };
    const summary = o.queue
      ? await scoreQueued(o, profile, encoder, onProgress)
      : await scoreFile({ inPath: o.in, outPath: o.out, errorsPath: o.errors, explain: o.explain, profile, encoder, nli, onProgress });
    bar?.stop();
    for (const e of summary.errors) process.stderr.write(`poq score: ${e.code}: ${e.message}\n`);
    process.stderr.write(
      `poq score: scored ${summary.scored} of ${summary.total} records (${summary.failed} failed) in ${summary.seconds.toFixed(1)} s -> ${o.out}; profile ${profile.name} ${summary.profileHash}${o.errors ? `; errors in ${o.errors}` : ""}\n`,
    );
    return summary.failed > 0 ? 1 : 0;
  } finally {
    bar?.stop();
    await encoder.close();
    await nli?.close();
  }
}

/**
 * `--queue`: split the file into BullMQ chunk jobs on REDIS_URL; this process scores chunks
 * too, and every `poq worker` on the same Redis helps. Output order equals input order.
 */
async function scoreQueued(o: ScoreCliOptions, profile: Profile, encoder: SentenceEncoder, onProgress: (done: number, total: number) => void) {
  if (o.explain) throw new InputError("--explain is not supported with --queue", { field: "--explain", reason: "not supported in queue mode" });
  const { scoreFileQueued } = await import("../../queue/score-chunk.js");
  const { redisConnection, requireRedis } = await import("../../queue/redis.js");
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  await requireRedis(url);
  const redis = redisConnection(url);
  try {
    return await scoreFileQueued({ inPath: o.in, outPath: o.out, errorsPath: o.errors, profile, connection: redis, prefix: process.env.POQ_REDIS_PREFIX ?? "poq", localEncoder: encoder, onProgress });
  } finally {
    redis.disconnect();
  }
}

export function register(program: Command): void {
  program
    .command("score")
    .description("score JSON Lines records (id, task, dataset, group, query, output, references, model) under a scoring profile")
    .requiredOption("--in <file>", "input JSON Lines file")
    .requiredOption("--out <file>", "output JSON Lines file (input fields + dimensions, evaluators, composite, profileHash)")
    .option("--profile <name|file>", "scoring profile: \"calibrated\" (the paying one), \"default\" (published weights, not for money) or a JSON file (default: default)")
    .option("--errors <file>", "also write the per-record errors as JSON Lines")
    .option("--explain", "add per-dimension explanations to each output record")
    .option("--providers <list>", "onnxruntime execution providers in order, e.g. cuda,cpu", "cpu")
    .option("--threads <n>", "onnxruntime intra-op threads", "2")
    .option("--batch-size <n>", "sequences per encoder forward pass", "64")
    .option("--no-progress", "no progress bar even on a terminal")
    .option("--queue", "split into BullMQ jobs on REDIS_URL (default redis://127.0.0.1:6379); any `poq worker` on that Redis helps")
    .action(async (opts: ScoreCliOptions) => {
      const code = await runScore(opts);
      if (code !== 0) process.exitCode = code;
    });
}
