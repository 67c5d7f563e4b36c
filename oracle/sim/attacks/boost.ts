import type { AttackStrategy } from "./types.js";

/** Boosting: scores honestly except the node it works for, which gets `boostScore`. */
export const boost: AttackStrategy = {
  id: "boost",
  description: "each attacker boosts its own node to the maximum, scores the rest honestly",
  doesWork: true,
  target: "own",
  score: (ctx) => ctx.honest.map((s, j) => (ctx.targets.has(ctx.nodes[j]!) ? ctx.params.boostScore : s)),
};
