import type { AttackStrategy } from "./types.js";

/**
 * Colluding group: every member submits the same vector, the group's shared honest view with
 * the common target at `boostScore` (and, with `colludeSabotage`, every competitor at
 * `sabotageScore`). Identical vectors agree perfectly with each other, which is what makes a
 * cartel dangerous for leave-one-out deviation.
 */
export const collude: AttackStrategy = {
  id: "collude",
  description: "all attackers submit one identical vector boosting a common target",
  doesWork: true,
  target: "shared",
  score: (ctx) =>
    ctx.groupHonest.map((s, j) =>
      ctx.targets.has(ctx.nodes[j]!) ? ctx.params.boostScore : ctx.params.colludeSabotage ? ctx.params.sabotageScore : s,
    ),
};
