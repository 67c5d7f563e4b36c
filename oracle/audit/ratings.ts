/**
 * Model ratings for the model prior, learned from human scores (training folds only):
 * the per-model mean human score (shrunk toward the task mean), written on the Elo scale so
 * that the scoring engine's prior, 1 / (1 + 10^((reference - rating) / 400)), gives back
 * exactly that mean; or Bradley-Terry ratings fitted from human-derived pairwise outcomes
 * within each group (the scoring engine's fitBradleyTerry).
 */
import { fitBradleyTerry, pairwiseFromScores } from "../scoring/bradley-terry.js";

export type RatingMethod = "mean" | "bradley-terry";

export interface RatingRow {
  model: string;
  group: string;
  human: number;
}

export interface ModelRatings {
  /** Elo-scale rating by model. */
  ratings: Record<string, number>;
  /** Per model: training rows and mean human score. */
  stats: Record<string, { n: number; meanHuman: number }>;
}

const round = (x: number, d = 6): number => Math.round(x * 10 ** d) / 10 ** d;

/** The Elo rating whose expected score against `reference` is p. */
export function eloFromProbability(p: number, reference: number): number {
  const q = Math.min(0.999, Math.max(0.001, p));
  return reference + 400 * Math.log10(q / (1 - q));
}

export function fitModelRatings(rows: readonly RatingRow[], reference: number, method: RatingMethod = "mean", shrinkage = 5): ModelRatings {
  const stats: Record<string, { n: number; meanHuman: number }> = {};
  let total = 0;
  for (const r of rows) {
    const s = (stats[r.model] ??= { n: 0, meanHuman: 0 });
    s.n += 1;
    s.meanHuman += r.human;
    total += r.human;
  }
  const mu = rows.length > 0 ? total / rows.length : 0.5;
  const ratings: Record<string, number> = {};
  for (const model of Object.keys(stats).sort()) {
    const s = stats[model]!;
    const shrunk = (s.meanHuman + shrinkage * mu) / (s.n + shrinkage);
    s.meanHuman = round(s.meanHuman / s.n);
    if (method === "mean") ratings[model] = round(eloFromProbability(shrunk, reference), 4);
  }
  if (method === "bradley-terry") {
    const bt = fitBradleyTerry(
      pairwiseFromScores(rows.map((r) => ({ group: r.group, model: r.model, score: r.human }))),
      { reference, priorGames: shrinkage },
    );
    for (const model of Object.keys(stats).sort()) ratings[model] = round(bt[model] ?? reference, 4);
  }
  return { ratings, stats };
}
