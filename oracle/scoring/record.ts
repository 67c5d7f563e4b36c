/**
 * The input record schema (../shared/data/README.md) and the scored record, validated at the
 * edge with zod; plus the per-record checks zod cannot express (size limits, control
 * characters, unknown task, empty output).
 */
import { z } from "zod";
import type { DimensionScores, Profile } from "./profile.js";
import { RecordError } from "./errors.js";
import { CONTROL_CHAR_RE, distinctReferences, normalizeC1, utf8Length } from "./text.js";
import { jsonLineErrorText } from "../core/json-error.js";

/** A raw reference list may hold this many times `limits.maxReferences` entries (duplicates included). */
export const RAW_REFERENCES_FACTOR = 8;

export const HumanSchema = z.looseObject({
  score: z.number().finite().min(0).max(1),
  raw: z.unknown().optional(),
});

export const UsageSchema = z.strictObject({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

/** One candidate output to score. Unknown extra keys are kept and written back unchanged. */
export const InputRecordSchema = z.looseObject({
  id: z.string().min(1),
  task: z.string().min(1),
  dataset: z.string(),
  group: z.string(),
  query: z.string(),
  output: z.string(),
  references: z.array(z.string()),
  model: z.string().min(1),
  /** Optional for scoring; the audit needs it. */
  human: HumanSchema.optional(),
  /** Optional logged token counts for the cost prior (else estimated from characters). */
  usage: UsageSchema.optional(),
});
export type InputRecord = z.infer<typeof InputRecordSchema>;

export type EvaluatorScores = Record<string, number>;

export type ScoredRecord = InputRecord & {
  dimensions: DimensionScores;
  evaluators: EvaluatorScores;
  composite: number;
  profileHash: `0x${string}`;
};

const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function idOf(raw: unknown): string | null {
  if (raw && typeof raw === "object" && !Array.isArray(raw)) {
    const id = (raw as Record<string, unknown>).id;
    if (typeof id === "string" && id.length > 0) return id;
  }
  return null;
}

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/**
 * Validates one parsed JSON value as a record for `profile`; throws RecordError naming the field.
 * Texts come back with C1 control characters normalised (normalizeC1: NEL -> line feed, the
 * others dropped); C0 controls (other than tab, LF, CR), DEL and unpaired surrogates are refused.
 * References: at most `limits.maxReferences` distinct ones (distinctReferences) out of at most
 * RAW_REFERENCES_FACTOR x that many entries, and at most `limits.maxQueryBytes` in total, so a
 * record's reference work is bounded like its query's.
 */
export function validateRecord(raw: unknown, profile: Profile, line: number): InputRecord {
  const recordId = idOf(raw);
  const fail = (field: string, reason: string): never => {
    throw new RecordError({ recordId, line, field, reason });
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) fail("(record)", `expected a JSON object, got ${typeName(raw)}`);
  const parsed = InputRecordSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.join(".") || "(record)";
    const value = issue.path.reduce<unknown>((v, k) => (v && typeof v === "object" ? (v as Record<string, unknown>)[k as string] : undefined), raw);
    const reason =
      value === undefined && issue.code === "invalid_type" ? "missing" : `${issue.message}${value === undefined ? "" : ` (got ${typeName(value)})`}`;
    fail(field, reason);
  }
  const data = parsed.data!;
  const rec: InputRecord = { ...data, output: normalizeC1(data.output), query: normalizeC1(data.query), references: data.references.map(normalizeC1) };
  if (!(rec.task in profile.tasks)) {
    fail("task", `unknown task "${rec.task}" (known: ${Object.keys(profile.tasks).join(", ")})`);
  }
  const texts: Array<[string, string]> = [
    ["output", rec.output],
    ["query", rec.query],
    ...rec.references.map((r, i) => [`references.${i}`, r] as [string, string]),
  ];
  for (const [field, text] of texts) {
    if (LONE_SURROGATE_RE.test(text)) fail(field, "contains an unpaired UTF-16 surrogate (not valid Unicode text)");
    const m = CONTROL_CHAR_RE.exec(text);
    if (m) fail(field, `contains control character U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} at offset ${m.index}`);
  }
  if (rec.output.trim().length === 0) fail("output", "empty output");
  const outBytes = utf8Length(rec.output);
  if (outBytes > profile.limits.maxOutputBytes) fail("output", `too large: ${outBytes} bytes (limit ${profile.limits.maxOutputBytes})`);
  const qBytes = utf8Length(rec.query);
  if (qBytes > profile.limits.maxQueryBytes) fail("query", `too large: ${qBytes} bytes (limit ${profile.limits.maxQueryBytes})`);
  const maxRaw = RAW_REFERENCES_FACTOR * profile.limits.maxReferences;
  if (rec.references.length > maxRaw) {
    fail("references", `too many references: ${rec.references.length} entries (limit ${maxRaw}, i.e. ${RAW_REFERENCES_FACTOR} x ${profile.limits.maxReferences} distinct)`);
  }
  let total = 0;
  for (const [i, r] of rec.references.entries()) {
    const b = utf8Length(r);
    if (b > profile.limits.maxQueryBytes) fail(`references.${i}`, `too large: ${b} bytes (limit ${profile.limits.maxQueryBytes})`);
    total += b;
  }
  if (total > profile.limits.maxQueryBytes) fail("references", `too large in total: ${total} bytes (limit ${profile.limits.maxQueryBytes})`);
  const distinct = distinctReferences(rec.references).length;
  if (distinct > profile.limits.maxReferences) {
    fail("references", `too many distinct references: ${distinct} (limit ${profile.limits.maxReferences})`);
  }
  return rec;
}

export interface JsonlLine {
  /** 1-based line number. */
  line: number;
  /** The parsed JSON value, or the error that stopped decoding/parsing it. */
  value?: unknown;
  error?: RecordError;
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Offset of the first byte that is not part of a well-formed UTF-8 sequence, or -1. */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (c >= 0xc2 && c <= 0xdf) [need, min] = [1, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [need, min] = [2, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let cp = c & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** A best-effort id from an undecodable line, so the error can still name the record. */
function sniffId(bytes: Uint8Array): string | null {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const m = /"id"\s*:\s*"((?:[^"\\]|\\.){1,200})"/.exec(text);
  return m ? m[1]! : null;
}

/**
 * Splits JSON Lines bytes into lines and decodes each separately (strict UTF-8, then JSON),
 * so one bad line is one error and the rest still parse. Blank lines are skipped.
 */
export function parseJsonl(bytes: Uint8Array): JsonlLine[] {
  const out: JsonlLine[] = [];
  let start = 0;
  let lineNo = 0;
  const n = bytes.length;
  while (start <= n) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = n;
    lineNo++;
    let slice = bytes.subarray(start, end);
    if (slice.length > 0 && slice[slice.length - 1] === 0x0d) slice = slice.subarray(0, slice.length - 1);
    if (lineNo === 1 && slice[0] === 0xef && slice[1] === 0xbb && slice[2] === 0xbf) slice = slice.subarray(3);
    start = end + 1;
    let blank = true;
    for (const b of slice) {
      if (b !== 0x20 && b !== 0x09) {
        blank = false;
        break;
      }
    }
    if (blank) {
      if (end === n) break;
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(slice);
    } catch {
      const bad = firstInvalidUtf8(slice);
      out.push({ line: lineNo, error: new RecordError({ recordId: sniffId(slice), line: lineNo, field: "(line)", reason: `invalid UTF-8 near byte ${bad}` }) });
      if (end === n) break;
      continue;
    }
    try {
      out.push({ line: lineNo, value: JSON.parse(text) });
    } catch (err) {
      out.push({ line: lineNo, error: new RecordError({ recordId: sniffId(slice), line: lineNo, field: "(line)", reason: `invalid JSON: ${jsonLineErrorText(err)}` }) });
    }
    if (end === n) break;
  }
  return out;
}
