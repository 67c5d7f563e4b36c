import type { AttackStrategy } from "./types.js";

/**
 * Intermittent manipulation: the group behaves honestly to keep its trust and, in a fraction
 * `intermittentProb` of rounds (one shared coin per round), boosts its common target.
 */
export const intermittent: AttackStrategy = {
  id: "intermittent",
  description: "honest most of the time; in a random share of rounds the group boosts its common target",
  doesWork: true,
  target: "shared",
  score: (ctx) =>
    ctx.groupActive
      ? ctx.groupHonest.map((s, j) => (ctx.targets.has(ctx.nodes[j]!) ? ctx.params.boostScore : s))
      : [...ctx.honest],
};
