/**
 * Attack strategies: what a malicious committee member submits for one task. Each strategy
 * is a small pure module; randomness comes only from the `rng` it is handed, so runs are
 * reproducible by seed.
 */
import type { Rng } from "../rng.js";

export interface AttackParams {
  /** Score an attacker gives the node it boosts. */
  boostScore: number;
  /** Score a saboteur gives competitors. */
  sabotageScore: number;
  /** Whether colluders also push competitors down to `sabotageScore`. */
  colludeSabotage: boolean;
  /** Standard deviation of the noise injected by `noise`. */
  noiseSd: number;
  /** Probability that an intermittent group attacks in a given round. */
  intermittentProb: number;
  /** Constant score of a lazy evaluator. */
  lazyScore: number;
  /**
   * What a copier does under commit-reveal, where it sees only commitment hashes of this task:
   * "previous" copies the previous task's published consensus, "silent" does not commit (a non-revealer; abstaining is the `shirk` attack).
   */
  copyMode: "previous" | "silent";
  /** Self-dealing: the attacker's own tasks per round (besides the honest requesters' task). */
  selfDealTasksPerRound: number;
  /** Self-dealing: what the sybils do in the attacker's own tasks. */
  selfDealMode: "stiff" | "farm";
  /** Whitewashing: an identity whose trust (bps) falls below this re-registers (0: the protocol's initialTrust). */
  washBelow: number;
  /** Short-window griefing: honest members' largest response latency (seconds) for a commit and for a reveal. */
  honestLatencySeconds: number;
}

export const DEFAULT_ATTACK_PARAMS: Readonly<AttackParams> = Object.freeze({
  boostScore: 1,
  sabotageScore: 0,
  colludeSabotage: false,
  noiseSd: 0.25,
  intermittentProb: 0.3,
  lazyScore: 0.5,
  copyMode: "previous",
  selfDealTasksPerRound: 1,
  selfDealMode: "stiff",
  washBelow: 0,
  honestLatencySeconds: 120,
});

/** Everything an attacker may use when it scores one task (floats in [0,1]). */
export interface AttackContext {
  round: number;
  /** Node index of each output of this task. */
  nodes: readonly number[];
  /** What this evaluator would submit if it were honest (its own signal). */
  honest: readonly number[];
  /** The honest view shared by a colluding group (the same vector for every member). */
  groupHonest: readonly number[];
  /** Nodes this attacker works for (boosts / protects). */
  targets: ReadonlySet<number>;
  /** Whether the group attacks this round (intermittent strategies; one coin per round and group). */
  groupActive: boolean;
  /** Per-evaluator random stream. */
  rng: Rng;
  /** Consensus of the previous finalized task as published on chain (floats), null before the first. */
  previousConsensus: readonly number[] | null;
  /**
   * Scores already visible to this attacker for the current task. Empty under commit-reveal
   * (commitments are hashes); filled only in the counterfactual "plaintext" protocol.
   */
  visibleScores: ReadonlyArray<readonly number[]>;
  params: AttackParams;
}

export interface AttackStrategy {
  id: string;
  description: string;
  /** Whether the attacker actually runs a scorer (pays the evaluation cost). */
  doesWork: boolean;
  /**
   * Which node(s) an attacker works for: "shared" = one common target for the whole group
   * (collusion), "own" = each attacker its own node (independent operators), "none".
   */
  target: "shared" | "own" | "none";
  /**
   * Scenario-level behaviour the engine runs besides scoring: "self-deal" (the attackers are a
   * requester's sybils; it also creates its own tasks), "whitewash" (low-trust identities
   * re-register), "short-window" (a requester uses minimum windows; no malicious evaluator).
   */
  kind?: "self-deal" | "whitewash" | "short-window";
  /** Scores in [0,1], one per output; an empty list to abstain; null to not commit at all. */
  score(ctx: AttackContext): number[] | null;
}

export const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
