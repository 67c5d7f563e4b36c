import type { AttackStrategy } from "./types.js";

/**
 * Shirk: abstains on every task (commits and reveals an empty score list) without running any
 * scorer, the way a member that cannot score a task does. Abstaining is never slashed; when the
 * others score, an abstainer is judged as the largest deviation (no fee, trust falls), so
 * shirking should earn nothing and fade out of the committees.
 */
export const shirk: AttackStrategy = {
  id: "shirk",
  description: "abstains on every task (empty score list), no work done",
  doesWork: false,
  target: "none",
  score: () => [],
};
