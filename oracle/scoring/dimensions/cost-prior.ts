/**
 * Cost-efficiency prior (dimension 2): quality-per-cost tendency of the serving model under a
 * serving budget. Cost of this output = input tokens x input price + output tokens x output
 * price (logged token counts in `usage`, else characters / charsPerToken); affordability =
 * budget / (budget + cost) (1 when free, 0.5 at the budget, falling beyond it). The score is
 * the geometric mean of the model's quality tendency (the model prior) and affordability.
 * A model with no price gets the documented cold-start affordability.
 */
import { readFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { z } from "zod";
import { InputError } from "../../core/errors.js";
import type { CostPrior, Price, Profile } from "../profile.js";
import { fmt, type DimensionResult } from "./types.js";

export interface CostInput {
  model: string;
  query: string;
  output: string;
  usage?: { inputTokens: number; outputTokens: number };
}

export function priceOf(cp: CostPrior, model: string): Price | undefined {
  return cp.prices[cp.aliases[model] ?? model] ?? cp.prices[model];
}

export function tokenCounts(cp: CostPrior, r: CostInput): { input: number; output: number; logged: boolean } {
  if (r.usage) return { input: r.usage.inputTokens, output: r.usage.outputTokens, logged: true };
  return { input: Math.ceil(r.query.length / cp.charsPerToken), output: Math.ceil(r.output.length / cp.charsPerToken), logged: false };
}

export function costPriorDimension(profile: Profile, r: CostInput, quality: number): DimensionResult & { costUsd: number | null } {
  const cp = profile.costPrior;
  const price = priceOf(cp, r.model);
  const t = tokenCounts(cp, r);
  if (price === undefined) {
    const score = Math.sqrt(quality * cp.coldStart);
    return {
      score,
      costUsd: null,
      explain: `no price for "${r.model}": cold-start affordability ${fmt(cp.coldStart)}; sqrt(quality ${fmt(quality)} x ${fmt(cp.coldStart)}) = ${fmt(score)}`,
    };
  }
  const cost = t.input * price.inputPerToken + t.output * price.outputPerToken;
  const afford = cp.budgetUsdPerOutput / (cp.budgetUsdPerOutput + cost);
  const score = Math.sqrt(quality * afford);
  return {
    score,
    costUsd: cost,
    explain: `cost $${cost.toExponential(2)} (${t.input} in + ${t.output} out tokens${t.logged ? "" : ", estimated"}) vs budget $${cp.budgetUsdPerOutput}: affordability ${fmt(afford)}; sqrt(quality ${fmt(quality)} x affordability) = ${fmt(score)}`,
  };
}

const PriceRowSchema = z.looseObject({
  model: z.string(),
  input_cost_per_token: z.number().finite().nonnegative().optional(),
  output_cost_per_token: z.number().finite().nonnegative().optional(),
});

/**
 * Reads a price table in the model_prices.json format (array of {model, input_cost_per_token,
 * output_cost_per_token}) and returns the prices of the requested models, for writing into a
 * profile's inline `costPrior.prices` (so the profile hash covers them). With `sha256`, the
 * file's digest must match.
 */
export async function readPriceTable(path: string, models?: readonly string[], sha256?: string): Promise<{ prices: Record<string, Price>; sha256: string }> {
  const bytes = await readFile(path);
  const digest = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== undefined && !digest.startsWith(sha256)) {
    throw new InputError(`price table ${path}: sha256 ${digest} does not match ${sha256}`, { field: "costPrior.priceTable.sha256", reason: "digest mismatch" });
  }
  const rows = z.array(PriceRowSchema).safeParse(JSON.parse(bytes.toString("utf8")));
  if (!rows.success) {
    const issue = rows.error.issues[0]!;
    throw new InputError(`price table ${path}: ${issue.path.join(".")}: ${issue.message}`, { field: issue.path.join("."), reason: issue.message });
  }
  const want = models ? new Set(models) : undefined;
  const prices: Record<string, Price> = {};
  for (const r of rows.data) {
    if (want && !want.has(r.model)) continue;
    if (r.input_cost_per_token === undefined && r.output_cost_per_token === undefined) continue;
    prices[r.model] = { inputPerToken: r.input_cost_per_token ?? 0, outputPerToken: r.output_cost_per_token ?? 0 };
  }
  return { prices, sha256: digest };
}
