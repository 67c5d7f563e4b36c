import type { Hex } from "viem";
import { InputError } from "../core/errors.js";
import type { ScoreInput, TaskScorer } from "./types.js";

/**
 * Dishonest evaluator strategies for the demo, the tests and the benchmark. Each wraps the
 * honest scorer, so a dishonest operator runs exactly the same worker code.
 *  - honest:   the engine's scores;
 *  - random:   uniform random scores (a lazy evaluator that does not run the model);
 *  - inverse:  1 - honest (an adversary pushing bad outputs up and good ones down);
 *  - constant: 0.9 for everything (a rubber stamp);
 *  - offline:  never answers (its jobs fail; it neither commits nor reveals).
 */
export const STRATEGIES = ["honest", "random", "inverse", "constant", "offline"] as const;
export type Strategy = (typeof STRATEGIES)[number];

export function parseStrategy(s: string): Strategy {
  if (!(STRATEGIES as readonly string[]).includes(s)) throw new InputError(`unknown strategy "${s}" (known: ${STRATEGIES.join(", ")})`, { field: "strategy", reason: "unknown" });
  return s as Strategy;
}

export class StrategyScorer implements TaskScorer {
  constructor(private inner: TaskScorer, readonly strategy: Strategy, private rng: () => number = Math.random) {}
  knows(h: Hex) {
    return this.inner.knows(h);
  }
  async score(h: Hex, input: ScoreInput): Promise<number[]> {
    switch (this.strategy) {
      case "honest":
        return this.inner.score(h, input);
      case "inverse":
        return (await this.inner.score(h, input)).map((x) => 1 - x);
      case "random":
        return input.outputs.map(() => this.rng());
      case "constant":
        return input.outputs.map(() => 0.9);
      case "offline":
        throw new InputError("offline evaluator (demo strategy) does not score", { reason: "offline" });
    }
  }
}
