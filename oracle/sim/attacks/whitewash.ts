import { clip01, type AttackStrategy } from "./types.js";

/**
 * Whitewashing: a careless evaluator (honest score plus Gaussian noise, as `noise`) whose trust
 * falls below `washBelow` exits (requests unbonding of all its stake) and registers again under
 * a new identity with new stake. The new identity starts at the protocol's `initialTrust`,
 * counts for sampling only after the activation delay, and sits below the established honest
 * members. The engine handles exits and registrations; this module scores.
 */
export const whitewash: AttackStrategy = {
  id: "whitewash",
  description: "low-trust (noisy) evaluator that exits and re-registers with a fresh identity",
  doesWork: true,
  target: "none",
  kind: "whitewash",
  score: (ctx) => ctx.honest.map((s) => clip01(s + ctx.params.noiseSd * ctx.rng.normal())),
};
