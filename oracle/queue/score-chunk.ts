import type { SentenceEncoder } from "../models/index.js";
import { Scorer } from "../scoring/engine.js";
import { parseProfile, profileHash } from "../scoring/profile.js";
import type { ChunkProcessor, BatchRecordError } from "./batch.js";

/**
 * The chunk processor batch workers run: the scoring engine under the batch's profile.
 * Output lines are the scored records as JSON, exactly what the single-process run writes;
 * per-record problems are reported with line, record id, field and reason.
 */
export function engineChunkProcessor(encoder: SentenceEncoder): ChunkProcessor {
  const scorers = new Map<string, Scorer>();
  return async (lines, firstLine, profileDoc) => {
    const profile = parseProfile(profileDoc, "batch profile");
    const h = profileHash(profile);
    let scorer = scorers.get(h);
    if (!scorer) scorers.set(h, (scorer = new Scorer({ profile, encoder })));
    const errors: BatchRecordError[] = [];
    const values: unknown[] = [];
    const lineNos: number[] = [];
    for (const [i, l] of lines.entries()) {
      if (!l.trim()) continue;
      try {
        values.push(JSON.parse(l));
        lineNos.push(firstLine + i);
      } catch (err) {
        errors.push({ line: firstLine + i, recordId: null, field: "(record)", reason: `invalid JSON: ${(err as Error).message}` });
      }
    }
    const out: string[] = [];
    const results = await scorer.score(values);
    for (const r of results) {
      if (r.ok) out.push(JSON.stringify(r.record));
      else {
        const d = (r.error.details ?? {}) as { recordId?: string | null; field?: string; reason?: string };
        errors.push({ line: lineNos[r.index]!, recordId: d.recordId ?? null, field: d.field ?? "(record)", reason: d.reason ?? r.error.message });
      }
    }
    errors.sort((a, b) => a.line - b.line);
    return { lines: out, errors };
  };
}
