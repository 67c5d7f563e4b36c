import type { AttackStrategy } from "./types.js";

/**
 * Short-window griefing: a requester creates a share (the attacker ratio) of the tasks with the
 * shortest windows the protocol allows (`minCommitWindow`, `minRevealWindow`), hoping honest
 * members miss them and get slashed. No evaluator is malicious: honest members answer with a
 * latency uniform in [0, honestLatencySeconds] for the commit and again for the reveal, and miss
 * only when that latency exceeds the window. The engine handles it; nothing is scored here.
 */
export const shortWindow: AttackStrategy = {
  id: "short-window",
  description: "requester uses the protocol's minimum commit/reveal windows to make honest members miss",
  doesWork: true,
  target: "none",
  kind: "short-window",
  score: (ctx) => [...ctx.honest],
};
