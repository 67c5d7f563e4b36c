/** The attack registry: every strategy module by id ("none" = every evaluator honest). */
import { boost } from "./boost.js";
import { collude } from "./collude.js";
import { copy, copyPlaintext } from "./copy.js";
import { intermittent } from "./intermittent.js";
import { lazy } from "./lazy.js";
import { noise } from "./noise.js";
import { reverse } from "./reverse.js";
import { sabotage } from "./sabotage.js";
import { selfDeal } from "./self-deal.js";
import { shirk } from "./shirk.js";
import { shortWindow } from "./short-window.js";
import { whitewash } from "./whitewash.js";
import type { AttackStrategy } from "./types.js";

export * from "./types.js";

export const ATTACKS = ["none", "boost", "sabotage", "noise", "intermittent", "reverse", "collude", "lazy", "shirk", "copy", "copy-plaintext", "self-deal", "whitewash", "short-window"] as const;
export type AttackId = (typeof ATTACKS)[number];

const STRATEGIES: Record<Exclude<AttackId, "none">, AttackStrategy> = {
  boost,
  sabotage,
  noise,
  intermittent,
  reverse,
  collude,
  lazy,
  shirk,
  copy,
  "copy-plaintext": copyPlaintext,
  "self-deal": selfDeal,
  whitewash,
  "short-window": shortWindow,
};

/** The strategy of an attack, or null for "none". */
export function strategyOf(id: AttackId): AttackStrategy | null {
  return id === "none" ? null : STRATEGIES[id];
}
