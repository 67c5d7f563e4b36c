/**
 * Scored records as the audit reads them (the output of `poq score`, issue 3 format),
 * validated at the edge with zod. Records without a human score are reported and skipped,
 * never silently dropped; texts are kept only as far as the cost prior needs them.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { DIMENSIONS, type DimensionScores } from "../scoring/profile.js";
import { jsonLineErrorText } from "../core/json-error.js";

const unitScore = z.number().finite().min(0).max(1);

const DimensionsSchema = z.looseObject(
  Object.fromEntries(DIMENSIONS.map((d) => [d, unitScore])) as Record<(typeof DIMENSIONS)[number], typeof unitScore>,
);

export const ScoredRecordSchema = z.looseObject({
  id: z.string().min(1),
  task: z.string().min(1),
  group: z.string().min(1),
  model: z.string().min(1),
  query: z.string().default(""),
  output: z.string().default(""),
  references: z.array(z.string()).default([]),
  usage: z.strictObject({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() }).optional(),
  human: z.looseObject({ score: unitScore.nullable().optional() }).nullable().optional(),
  dimensions: DimensionsSchema,
  evaluators: z.record(z.string(), unitScore),
  composite: unitScore,
  profileHash: z.string().optional(),
});

/** What the audit keeps of one scored record. */
export interface AuditRecord {
  id: string;
  task: string;
  group: string;
  model: string;
  /** Characters of query and output and the logged usage: what the cost prior needs. */
  query: string;
  output: string;
  hasReferences: boolean;
  usage?: { inputTokens: number; outputTokens: number };
  human: number;
  dimensions: DimensionScores;
  evaluators: Record<string, number>;
  composite: number;
  profileHash?: string;
  /** Source file and 1-based line. */
  source: string;
  line: number;
}

export interface SkippedRecord {
  id: string | null;
  source: string;
  line: number;
  reason: string;
}

export interface LoadedRecords {
  records: AuditRecord[];
  /** Records without human.score: reported and skipped (unless kept as unlabelled). */
  skipped: SkippedRecord[];
}

/**
 * Validates one parsed JSON line; a record without a human score is returned as skipped (with
 * the reason), or kept with human = NaN when `keepUnlabelled` (drift needs no labels).
 */
export function toAuditRecord(raw: unknown, source: string, line: number, keepUnlabelled = false): AuditRecord | SkippedRecord {
  const parsed = ScoredRecordSchema.safeParse(raw);
  const id = raw && typeof raw === "object" && typeof (raw as { id?: unknown }).id === "string" ? (raw as { id: string }).id : null;
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(record)";
    throw new InputError(`${source}:${line}: record ${id ?? "(no id)"}: ${field}: ${issue.message}`, {
      recordId: id ?? undefined,
      line,
      field,
      reason: issue.message,
    });
  }
  const r = parsed.data;
  const score = r.human?.score;
  if ((score === undefined || score === null) && !keepUnlabelled) {
    return { id: r.id, source, line, reason: r.human == null ? "no human field" : "human.score missing or null" };
  }
  const dimensions = {} as DimensionScores;
  for (const d of DIMENSIONS) dimensions[d] = r.dimensions[d];
  return {
    id: r.id,
    task: r.task,
    group: r.group,
    model: r.model,
    query: r.query,
    output: r.output,
    hasReferences: r.references.some((t) => t.trim().length > 0),
    usage: r.usage,
    human: score ?? Number.NaN,
    dimensions,
    evaluators: r.evaluators,
    composite: r.composite,
    profileHash: r.profileHash,
    source,
    line,
  };
}

function isSkipped(x: AuditRecord | SkippedRecord): x is SkippedRecord {
  return (x as SkippedRecord).reason !== undefined;
}

/** Parses JSONL text already in memory (tests, small inputs). */
export function parseScoredJsonl(text: string, source = "(memory)"): LoadedRecords {
  const out: LoadedRecords = { records: [], skipped: [] };
  text.split("\n").forEach((l, i) => addLine(out, l, source, i + 1));
  return out;
}

function addLine(out: LoadedRecords, text: string, source: string, line: number, keepUnlabelled = false): void {
  if (text.trim().length === 0) return;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${source}:${line}: not valid JSON: ${jsonLineErrorText(err)}`, { line, field: "(line)", reason: "invalid JSON" });
  }
  const r = toAuditRecord(value, source, line, keepUnlabelled);
  if (isSkipped(r)) out.skipped.push(r);
  else out.records.push(r);
}

/**
 * Reads one or more scored JSONL files (streamed line by line). Ids must be unique across them.
 * With `keepUnlabelled`, records without a human score are kept (human = NaN), not skipped.
 */
export async function loadScoredFiles(paths: readonly string[], opts: { keepUnlabelled?: boolean } = {}): Promise<LoadedRecords> {
  const out: LoadedRecords = { records: [], skipped: [] };
  for (const path of paths) {
    const stream = createReadStream(path, { encoding: "utf8" });
    const done = new Promise<void>((_, reject) => stream.on("error", reject));
    const rl = createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    try {
      await Promise.race([
        (async () => {
          for await (const text of rl) addLine(out, text, path, ++line, opts.keepUnlabelled);
        })(),
        done,
      ]);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`cannot read ${path}: ${(err as Error).message}`, { reason: "unreadable" });
    }
  }
  const seen = new Map<string, AuditRecord>();
  for (const r of out.records) {
    const prev = seen.get(r.id);
    if (prev) {
      throw new InputError(`duplicate record id ${r.id} (${prev.source}:${prev.line} and ${r.source}:${r.line})`, {
        recordId: r.id,
        line: r.line,
        field: "id",
        reason: "duplicate id",
      });
    }
    seen.set(r.id, r);
  }
  return out;
}
