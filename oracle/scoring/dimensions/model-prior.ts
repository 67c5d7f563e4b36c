/**
 * Model prior (dimension 1): how good the serving model tends to be, from preference-derived
 * ratings (a Bradley-Terry/Elo table in the profile, e.g. fitted with fitBradleyTerry from
 * pairwise outcomes). The score is the Elo expected score against a reference-rated model:
 * 1 / (1 + 10^((reference - rating) / 400)). A model with no rating gets the profile's
 * documented cold-start value (default 0.5: "as good as the reference", i.e. no information).
 */
import { eloExpected } from "../bradley-terry.js";
import type { Profile } from "../profile.js";
import { fmt, type DimensionResult } from "./types.js";

export function modelRating(profile: Profile, model: string, task: string): number | undefined {
  const mp = profile.modelPrior;
  return mp.byTask[task]?.[model] ?? mp.ratings[model];
}

export function modelPriorDimension(profile: Profile, model: string, task: string): DimensionResult & { rated: boolean } {
  const mp = profile.modelPrior;
  const r = modelRating(profile, model, task);
  if (r === undefined) {
    return { score: mp.coldStart, rated: false, explain: `model "${model}" has no rating: cold-start prior ${fmt(mp.coldStart)}` };
  }
  const score = eloExpected(r, mp.reference);
  return {
    score,
    rated: true,
    explain: `model "${model}" rated ${fmt(r)} (Elo) vs reference ${fmt(mp.reference)}: expected score ${fmt(score)}`,
  };
}
