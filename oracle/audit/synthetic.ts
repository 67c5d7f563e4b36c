/**
 * Synthetic scored records with a known structure, for tests and the audit benchmark (never
 * for validation: that uses real human-rated data). Each output has a latent quality (model
 * skill + group difficulty + noise); the human score is a noisy reading of it (binary for QA,
 * a 1-5 Likert mean for summaries); evaluators read it with different noise; the semantic,
 * agreement and prior dimensions and the composite are derived with the scoring engine's own
 * functions under the given profile, so they are exactly what `poq score` would write.
 */
import { computeComposite } from "../scoring/composite.js";
import { DIMENSIONS, profileHash, type DimensionScores, type Profile } from "../scoring/profile.js";
import type { AuditRecord } from "./records.js";
import { rescoreDimensions, round6 } from "./rescore.js";
import { Rng } from "./rng.js";

export interface SyntheticOptions {
  records: number;
  /** Share of QA records (the rest are summaries). */
  qaShare?: number;
  /** Outputs per group (QA); summaries use twice as many. */
  perGroup?: number;
  seed?: number;
  /** Share of records without a human score. */
  unlabelledShare?: number;
}

const QA_MODELS: Array<[string, number]> = [["fid", -0.2], ["gpt35", -0.3], ["chatgpt", 0.1], ["gpt4", 0.5], ["newbing", 0.4]];
const SUM_MODELS: Array<[string, number]> = Array.from({ length: 10 }, (_, i) => [`M${i}`, (i - 4.5) / 6] as [string, number]);

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * `words` one-letter words separated by spaces (the length the cost prior reads), drawn by an
 * LCG seeded from `key` with no letter twice in a row: text with the shape of language for the
 * degenerate-text gate (no stutter, distinct trigrams), without touching the main RNG stream.
 */
function syntheticText(words: number, key: string): string {
  let s = 0;
  for (const ch of key) s = (Math.imul(s, 31) + ch.charCodeAt(0)) >>> 0;
  const out: string[] = [];
  let prev = -1;
  while (out.length < words) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const c = (s >>> 16) % 26;
    if (c === prev) continue;
    out.push(String.fromCharCode(97 + c));
    prev = c;
  }
  return out.join(" ");
}

/** Scored records as JSON objects (the `poq score` output format), in a fixed order. */
export function syntheticScoredRecords(profile: Profile, opts: SyntheticOptions): Array<Record<string, unknown>> {
  const rng = new Rng(opts.seed ?? 1);
  const qaShare = opts.qaShare ?? 0.7;
  const per = opts.perGroup ?? 5;
  const hash = profileHash(profile);
  const out: Array<Record<string, unknown>> = [];
  let g = 0;
  while (out.length < opts.records) {
    const qa = rng.float() < qaShare;
    const task = qa ? "qa" : "summarization";
    const models = qa ? QA_MODELS : SUM_MODELS;
    const group = `${task}-g${g++}`;
    const difficulty = rng.normal() * 0.6;
    for (const [model, skill] of models.slice(0, qa ? per : 2 * per)) {
      if (out.length >= opts.records) break;
      const q = skill + difficulty + rng.normal() * 0.7;
      const human = qa
        ? q + rng.normal() * 0.3 > 0
          ? 1
          : 0
        : (() => {
            let s = 0;
            for (let k = 0; k < 4; k++) s += Math.min(5, Math.max(1, Math.round(3 + q * 1.2 + rng.normal() * 0.8)));
            return (s / 4 - 1) / 4;
          })();
      const e = (gain: number, noise: number) => round6(clip01(sigmoid(gain * q + rng.normal() * noise)));
      const evaluators: Record<string, number> = {
        "use.cosine.ref": e(1.2, 1.2),
        "use.cosine.query": e(0.2, 1.0),
        "bertscore.f1": e(1.0, 1.0),
        "rouge1.f": e(0.8, 1.0),
        "rouge2.f": e(0.6, 1.2),
        "rougeL.f": e(0.8, 1.1),
        "summac.align": e(0.3, 1.0),
      };
      if (qa) {
        evaluators["squad.f1"] = e(1.5, 1.0);
        evaluators["squad.em"] = q + rng.normal() * 0.8 > 0.6 ? 1 : 0;
        evaluators["squad.containment"] = q + rng.normal() * 0.5 > 0 ? 1 : 0;
        evaluators["squad.recall"] = e(1.8, 0.9);
      }
      const words = Math.max(1, Math.round((qa ? 12 : 60) * Math.exp(rng.normal() * 0.4)));
      const rec = {
        id: `${group}:${model}`,
        task,
        dataset: qa ? "synthetic_qa" : "synthetic_sum",
        group,
        query: "q ".repeat(qa ? 10 : 60).trim(),
        output: syntheticText(words, `${group}:${model}`),
        references: ["reference"],
        model,
        human: { score: human, raw: {} } as { score: number | null; raw: object },
        dimensions: {} as DimensionScores,
        evaluators,
        composite: 0,
        profileHash: hash,
      };
      const audit: AuditRecord = {
        id: rec.id,
        task,
        group,
        model,
        query: rec.query,
        output: rec.output,
        hasReferences: true,
        human,
        dimensions: { modelPrior: 0, costPrior: 0, structure: 0, semantic: 0, alignment: 0, agreement: 0 },
        evaluators,
        composite: 0,
        source: "synthetic",
        line: out.length + 1,
      };
      const dims = rescoreDimensions(audit, profile);
      dims.structure = round6(clip01(0.8 + 0.05 * q + rng.normal() * 0.1));
      dims.alignment = round6(clip01(sigmoid(0.3 * q + rng.normal() * 0.8)));
      for (const d of DIMENSIONS) rec.dimensions[d] = dims[d];
      rec.composite = round6(computeComposite(dims, profile, task));
      if ((opts.unlabelledShare ?? 0) > 0 && rng.float() < opts.unlabelledShare!) rec.human = { score: null, raw: {} };
      out.push(rec);
    }
  }
  return out;
}

export function toJsonl(records: ReadonlyArray<Record<string, unknown>>): string {
  return records.map((r) => JSON.stringify(r)).join("\n") + "\n";
}
