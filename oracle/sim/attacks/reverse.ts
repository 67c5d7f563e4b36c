import type { AttackStrategy } from "./types.js";

/** Reversed directionality: 1 - honest score (good outputs look bad and vice versa). */
export const reverse: AttackStrategy = {
  id: "reverse",
  description: "reports 1 - honest score",
  doesWork: true,
  target: "none",
  score: (ctx) => ctx.honest.map((s) => 1 - s),
};
