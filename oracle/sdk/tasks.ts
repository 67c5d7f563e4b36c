import { readFileSync } from "node:fs";
import { z } from "zod";
import { isAddress, zeroAddress, type Address, type Hex } from "viem";
import { InputError } from "../core/errors.js";
import { encodeQueryDoc } from "../content/task-doc.js";
import type { ContentStore } from "../content/store.js";
import { FAMILIES, RULES, type TaskSpecInput } from "./index.js";
import { jsonLineErrorText } from "../core/json-error.js";

/** What a human said of an output, when the file says (demo and evaluation data; never sent on chain). */
export const VERDICTS = ["correct", "wrong", "gibberish"] as const;
export type Verdict = (typeof VERDICTS)[number];

/**
 * The requester's task file: JSON Lines, one task a line:
 *   {"id": "qa-1", "task": "qa"|"summarization"|"open", "query": "...", "references": ["..."],
 *    "outputs": [{"node": "0x..." | "<name>", "text": "...", "verdict"?: "correct"|"wrong"|"gibberish"}, ...]}
 * `node` is an inference node address, or a name resolved through the `nodes` map. `verdict`
 * (optional) labels an output for the demo's report; task creation ignores it.
 */
export const TaskLineSchema = z
  .object({
    id: z.string().min(1),
    task: z.enum(FAMILIES),
    query: z.string().min(1),
    references: z.array(z.string()).default([]),
    outputs: z
      .array(z.object({ node: z.string().min(1), text: z.string(), verdict: z.enum(VERDICTS).optional() }).strict())
      .min(1)
      .max(15),
  })
  .strict();
export type TaskLine = z.infer<typeof TaskLineSchema>;

/** Parses a task file; every problem names its line and field. */
export function parseTaskFile(text: string, file = "tasks"): TaskLine[] {
  const out: TaskLine[] = [];
  const problems: string[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      problems.push(`${file}:${i + 1}: invalid JSON (${jsonLineErrorText(err)})`);
      return;
    }
    const r = TaskLineSchema.safeParse(v);
    if (!r.success) {
      const iss = r.error.issues[0]!;
      const id = (v as { id?: unknown })?.id;
      problems.push(`${file}:${i + 1}${typeof id === "string" ? ` (${id})` : ""}: field ${iss.path.join(".") || "(record)"}: ${iss.message}`);
      return;
    }
    out.push(r.data);
  });
  if (problems.length) throw new InputError(`malformed task file ${file}:\n  ${problems.join("\n  ")}`, { field: "tasks", reason: problems[0] });
  if (!out.length) throw new InputError(`task file ${file} holds no tasks`, { field: "tasks", reason: "empty" });
  return out;
}

export function readTaskFile(file: string): TaskLine[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`cannot read task file ${file}: ${(err as Error).message}`, { field: "in", reason: "unreadable" });
  }
  return parseTaskFile(text, file);
}

export interface SpecParams {
  rule: (typeof RULES)[number];
  k: number;
  /** Seconds from the committee draw to the commit deadline, and from it to the reveal deadline. */
  commitWindow: number;
  revealWindow: number;
  nodeBudget: bigint;
  /** Committee budget: fee per member = evalBudget / k. */
  evalBudget: bigint;
  profileHash: Hex;
  /** Where refunds go (default: the requester). */
  refundTo?: Address;
  nodes?: Record<string, Address>;
}

/** Puts a task's texts in the content store and returns the on-chain spec. */
export async function prepareTask(line: TaskLine, content: ContentStore, p: SpecParams): Promise<TaskSpecInput> {
  const queryHash = await content.put(encodeQueryDoc({ task: line.task, query: line.query, references: line.references }));
  const nodes: Address[] = [];
  const outputHashes: Hex[] = [];
  for (const [j, o] of line.outputs.entries()) {
    const addr = isAddress(o.node) ? (o.node as Address) : p.nodes?.[o.node];
    if (!addr) throw new InputError(`task ${line.id}: output ${j} names node "${o.node}", which is neither an address nor a known node name`, { recordId: line.id, field: `outputs.${j}.node`, reason: "unknown node" });
    nodes.push(addr);
    outputHashes.push(await content.put(o.text));
  }
  return {
    family: FAMILIES.indexOf(line.task),
    rule: RULES.indexOf(p.rule),
    k: p.k,
    commitWindow: p.commitWindow,
    revealWindow: p.revealWindow,
    nodeBudget: p.nodeBudget,
    evalBudget: p.evalBudget,
    queryHash,
    profileHash: p.profileHash,
    refundTo: p.refundTo ?? zeroAddress,
    nodes,
    outputHashes,
  };
}
