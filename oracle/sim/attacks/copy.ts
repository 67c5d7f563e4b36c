import { median } from "../metrics.js";
import type { AttackStrategy } from "./types.js";

/**
 * Copying under commit-reveal (what the contract enforces). During the commit phase a copier
 * sees only commitment hashes, so it cannot copy this task's scores. With copyMode "previous"
 * it copies the previous task's published consensus position by position (a different task
 * with different outputs; before any task is finalized it has nothing and does not commit);
 * with "silent" it does not commit at all (and, when sampled, is a non-revealer).
 */
export const copy: AttackStrategy = {
  id: "copy",
  description: "copier under commit-reveal: only the previous task's consensus is visible",
  doesWork: false,
  target: "none",
  score: (ctx) => {
    if (ctx.params.copyMode === "silent") return null;
    const prev = ctx.previousConsensus;
    if (prev === null || prev.length === 0) return null;
    return ctx.nodes.map((_, j) => prev[j % prev.length]!);
  },
};

/**
 * COUNTERFACTUAL, not the contract: a protocol without commit-reveal, where scores are public
 * as soon as they are submitted. The copier waits for the honest members and submits the
 * median of their scores for this very task (if none is visible, it does not commit). Shown
 * only to measure what commit-reveal prevents.
 */
export const copyPlaintext: AttackStrategy = {
  id: "copy-plaintext",
  description: "COUNTERFACTUAL copier without commit-reveal: median of the honest scores of this task",
  doesWork: false,
  target: "none",
  score: (ctx) => {
    if (ctx.visibleScores.length === 0) return null;
    return ctx.nodes.map((_, j) => median(ctx.visibleScores.map((v) => v[j]!)));
  },
};
