import { clip01, type AttackStrategy } from "./types.js";

/** Noise injection: the honest score plus Gaussian noise (sd `noiseSd`), clipped to [0,1]. */
export const noise: AttackStrategy = {
  id: "noise",
  description: "honest score plus Gaussian noise, clipped to [0,1]",
  doesWork: true,
  target: "none",
  score: (ctx) => ctx.honest.map((s) => clip01(s + ctx.params.noiseSd * ctx.rng.normal())),
};
