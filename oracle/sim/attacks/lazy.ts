import type { AttackStrategy } from "./types.js";

/** Lazy: the same constant score for every output, without running any scorer. */
export const lazy: AttackStrategy = {
  id: "lazy",
  description: "constant score for every output, no work done",
  doesWork: false,
  target: "none",
  score: (ctx) => ctx.nodes.map(() => ctx.params.lazyScore),
};
