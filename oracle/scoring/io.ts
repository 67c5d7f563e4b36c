/**
 * File-level scoring: JSON Lines bytes in (each line decoded separately: invalid UTF-8 or
 * JSON on one line is one record error), scored JSON Lines out, errors listed with record id,
 * line, field and reason.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { InputError } from "../core/errors.js";
import { scoreRecords, type ScoreOptions, type ScoreResult } from "./engine.js";
import type { RecordError } from "./errors.js";
import { profileHash } from "./profile.js";
import { parseJsonl } from "./record.js";

export interface ScoreFileOptions extends Omit<ScoreOptions, "lines"> {
  inPath: string;
  outPath: string;
  /** Also write the errors as JSON Lines here. */
  errorsPath?: string;
  /** Add each record's per-dimension explanations under `explain`. */
  explain?: boolean;
  /** Called with each record error as soon as it is known. */
  onError?: (e: RecordError) => void;
}

export interface ScoreFileSummary {
  total: number;
  scored: number;
  failed: number;
  errors: RecordError[];
  profileHash: string;
  seconds: number;
}

/** Parses JSONL bytes and scores every line that decodes; results are in line order. */
export async function scoreJsonlBytes(bytes: Uint8Array, opts: Omit<ScoreOptions, "lines">): Promise<Array<ScoreResult & { line: number }>> {
  const lines = parseJsonl(bytes);
  const good = lines.filter((l) => l.error === undefined);
  const scored = await scoreRecords(
    good.map((l) => l.value),
    { ...opts, lines: good.map((l) => l.line) },
  );
  const out: Array<ScoreResult & { line: number }> = [];
  let g = 0;
  for (const l of lines) {
    if (l.error) out.push({ ok: false, index: -1, error: l.error, line: l.line });
    else out.push({ ...scored[g++]!, line: l.line });
  }
  return out;
}

/** The bytes of an input file, or an InputError naming it. */
export async function readInputFile(inPath: string): Promise<Uint8Array> {
  try {
    return await readFile(inPath);
  } catch (err) {
    throw new InputError(`cannot read ${inPath}: ${(err as Error).message}`, { reason: "unreadable input" });
  }
}

export async function scoreFile(opts: ScoreFileOptions): Promise<ScoreFileSummary> {
  const t0 = performance.now();
  const bytes = await readInputFile(opts.inPath);
  const results = await scoreJsonlBytes(bytes, opts);
  const lines: string[] = [];
  const errors: RecordError[] = [];
  for (const r of results) {
    if (r.ok) {
      lines.push(JSON.stringify(opts.explain ? { ...r.record, explain: r.explain } : r.record));
    } else {
      errors.push(r.error);
      opts.onError?.(r.error);
    }
  }
  const tmp = `${opts.outPath}.tmp-${process.pid}`;
  await writeFile(tmp, lines.length > 0 ? `${lines.join("\n")}\n` : "");
  await rename(tmp, opts.outPath);
  if (opts.errorsPath) {
    await writeFile(opts.errorsPath, errors.map((e) => JSON.stringify(e.toJSON())).join("\n") + (errors.length ? "\n" : ""));
  }
  return {
    total: results.length,
    scored: results.length - errors.length,
    failed: errors.length,
    errors,
    profileHash: profileHash(opts.profile),
    seconds: (performance.now() - t0) / 1000,
  };
}
