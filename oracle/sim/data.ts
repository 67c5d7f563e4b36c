/**
 * Scored records (the output of `poq score`) grouped into simulated tasks: one `group`
 * (a question or an article) is one task, its records are the outputs of competing
 * inference nodes (a node is a `dataset:model` pair). Ground truth is `human.score`.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { DIMENSIONS } from "../scoring/profile.js";

const unit = z.number().finite().min(0).max(1);

/** The fields the simulator needs from a scored record (other fields are ignored). */
export const ScoredRecordSchema = z.object({
  id: z.string().min(1),
  task: z.string().min(1),
  dataset: z.string().min(1),
  group: z.string().min(1),
  model: z.string().min(1),
  human: z.object({ score: unit }),
  dimensions: z.object(Object.fromEntries(DIMENSIONS.map((d) => [d, unit])) as Record<(typeof DIMENSIONS)[number], typeof unit>),
  evaluators: z.record(z.string(), unit.nullable()),
  composite: unit,
  profileHash: z.string().min(1),
});
export type ScoredRecord = z.infer<typeof ScoredRecordSchema>;

/** One simulated task: the outputs of one group. */
export interface SimTask {
  key: string;
  task: string;
  dataset: string;
  records: ScoredRecord[];
}

/** Parses JSON Lines of scored records; every bad line is reported with its line and field. */
export function parseScoredJsonl(text: string, source: string): ScoredRecord[] {
  const out: ScoredRecord[] = [];
  const problems: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      problems.push(`${source}:${i + 1}: not JSON (${(err as Error).message})`);
      continue;
    }
    const parsed = ScoredRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === "string" ? ` record ${(raw as { id: string }).id}` : "";
      const issue = parsed.error.issues[0]!;
      problems.push(`${source}:${i + 1}${id}: field ${issue.path.join(".") || "(root)"}: ${issue.message}`);
      continue;
    }
    out.push(parsed.data);
  }
  if (problems.length > 0) {
    throw new InputError(
      `${problems.length} invalid scored record(s) in ${source}: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? "; ..." : ""}`,
      { field: "data.scored", reason: problems[0] },
    );
  }
  return out;
}

export async function loadScoredFiles(paths: readonly string[]): Promise<ScoredRecord[]> {
  const all: ScoredRecord[] = [];
  for (const p of paths) {
    let text: string;
    try {
      text = await readFile(p, "utf8");
    } catch (err) {
      throw new InputError(`cannot read scored records ${p}: ${(err as Error).message}`, { field: "data.scored", reason: "unreadable" });
    }
    all.push(...parseScoredJsonl(text, p));
  }
  if (all.length === 0) throw new InputError("no scored records in data.scored", { field: "data.scored", reason: "empty" });
  return all;
}

/** Node identity: the model of a given dataset (SummEval's M0 and EVOUNA's gpt4 never mix). */
export function nodeId(r: Pick<ScoredRecord, "dataset" | "model">): string {
  return `${r.dataset}:${r.model}`;
}

/**
 * Groups records into tasks with at least `minOutputs` outputs (a single output cannot be
 * ranked). Order is deterministic: by dataset then group id.
 */
export function groupTasks(records: readonly ScoredRecord[], minOutputs = 2): SimTask[] {
  const byKey = new Map<string, SimTask>();
  for (const r of records) {
    const key = `${r.dataset}:${r.group}`;
    let t = byKey.get(key);
    if (!t) {
      t = { key, task: r.task, dataset: r.dataset, records: [] };
      byKey.set(key, t);
    }
    t.records.push(r);
  }
  return [...byKey.values()]
    .filter((t) => t.records.length >= minOutputs)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((t) => ({ ...t, records: [...t.records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) }));
}
