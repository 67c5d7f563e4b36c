import { z } from "zod";
import { ContentError } from "./store.js";

/**
 * The text a task's on-chain `queryHash` commits to: a canonical JSON document holding the
 * query (question, or source document for summarization) and optional references, so the
 * hash binds everything an evaluator scores against. Outputs are plain texts.
 */
export const QueryDocSchema = z
  .object({
    v: z.literal(1),
    task: z.enum(["qa", "summarization", "open"]),
    query: z.string(),
    references: z.array(z.string()).default([]),
  })
  .strict();
export type QueryDoc = z.infer<typeof QueryDocSchema>;

/** Deterministic encoding (fixed key order, no whitespace). */
export function encodeQueryDoc(d: Omit<QueryDoc, "v"> & { references?: string[] }): string {
  return JSON.stringify({ v: 1, task: d.task, query: d.query, references: d.references ?? [] });
}

export function decodeQueryDoc(text: string, hash: string): QueryDoc {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ContentError("E_CONTENT_MISMATCH", `query ${hash}: not a PoQ query document (invalid JSON)`, { hash });
  }
  const r = QueryDocSchema.safeParse(raw);
  if (!r.success) throw new ContentError("E_CONTENT_MISMATCH", `query ${hash}: not a PoQ query document: ${r.error.issues[0]?.path.join(".")} ${r.error.issues[0]?.message}`, { hash });
  return r.data;
}

export const FAMILY_NAMES = ["qa", "summarization", "open"] as const;
