import type { AttackStrategy } from "./types.js";

/** Sabotage: scores its own node honestly and pushes every competitor down to `sabotageScore`. */
export const sabotage: AttackStrategy = {
  id: "sabotage",
  description: "each attacker scores its own node honestly and every competitor at the minimum",
  doesWork: true,
  target: "own",
  score: (ctx) => ctx.honest.map((s, j) => (ctx.targets.has(ctx.nodes[j]!) ? s : ctx.params.sabotageScore)),
};
