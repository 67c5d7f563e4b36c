/**
 * Constants, enums and governance parameters of the PoQ settlement rules. Every value here
 * mirrors `contracts/ProofOfQuality.sol` and its libraries exactly (see docs/contract.md).
 */

/** Basis points: 10000 = 1.0. Scores, trust and every fraction on chain use this scale. */
export const BPS = 10_000;

/** Initial trust of a newly registered evaluator (1.0 in basis points). */
export const INITIAL_TRUST = 10_000;

/** Largest committee the contract accepts. */
export const MAX_K = 32;

/** Most candidate outputs per task (15 x uint16 scores fit one storage word with metadata). */
export const MAX_OUTPUTS = 15;

/** Most evaluators that may ever register (bounds the sampling loop). */
export const MAX_EVALUATORS = 128;

/** Longest allowed span from task creation to its reveal deadline, in seconds. */
export const MAX_TASK_DURATION = 30 * 24 * 3600;

/** Aggregation rule; numeric values equal the Solidity `Aggregation.Rule` enum. */
export enum Rule {
  MEAN = 0,
  MEDIAN = 1,
  TRIMMED_MEAN = 2,
  TRUST_WEIGHTED_MEAN = 3,
  TRUST_WEIGHTED_MEDIAN = 4,
}

/** All rules, in enum order. */
export const RULES: readonly Rule[] = [
  Rule.MEAN,
  Rule.MEDIAN,
  Rule.TRIMMED_MEAN,
  Rule.TRUST_WEIGHTED_MEAN,
  Rule.TRUST_WEIGHTED_MEDIAN,
];

/** Rule names as used in benchmark rows and docs. */
export const RULE_NAMES: Record<Rule, string> = {
  [Rule.MEAN]: "MEAN",
  [Rule.MEDIAN]: "MEDIAN",
  [Rule.TRIMMED_MEAN]: "TRIMMED_MEAN",
  [Rule.TRUST_WEIGHTED_MEAN]: "TRUST_WEIGHTED_MEAN",
  [Rule.TRUST_WEIGHTED_MEDIAN]: "TRUST_WEIGHTED_MEDIAN",
};

/** Task family; numeric values equal the Solidity `ProofOfQuality.Family` enum. */
export enum Family {
  QA = 0,
  SUMMARIZATION = 1,
  OPEN = 2,
}

/** Task status; numeric values equal the Solidity `ProofOfQuality.TaskStatus` enum. */
export enum TaskStatus {
  NONE = 0,
  OPEN = 1,
  FINALIZED = 2,
}

/**
 * The parameters that settle one task. The contract snapshots them into the task when it
 * is created, so a later governance change never alters a running task.
 */
export interface SettlementParams {
  /** Trust learning rate lambda, bps (0..10000). */
  lambdaBps: number;
  /** Mean absolute deviation (bps) that maps to the maximal normalised deviation d = 1. */
  deviationScaleBps: number;
  /** Fraction trimmed from EACH side by TRIMMED_MEAN, bps (0..4500). */
  trimBps: number;
  /** Consensus quality at or below which an inference node earns nothing, bps (0..9900). */
  qualityFloorBps: number;
  /** Fraction of a non-revealer's stake (active + unbonding) slashed to the treasury, bps (0..5000). */
  slashBps: number;
  /** Multiplicative trust penalty for a non-revealer, bps (0..9000): w <- w*(1-p). */
  missPenaltyBps: number;
  /** Lower trust bound, bps (100..10000). */
  wMin: number;
  /** Upper trust bound, bps (10000..100000). */
  wMax: number;
}

/** Governance parameters: staking plus the settlement parameters new tasks snapshot. */
export interface GovernanceParams {
  /** Minimum active stake (token wei) to register and to be sampled. */
  minStake: bigint;
  /** Stake above this counts no more toward sampling weight (token wei, >= minStake). */
  stakeCap: bigint;
  /** Seconds between requesting unbonding and being able to withdraw (<= 30 days). */
  unbondingDelay: number;
  settlement: SettlementParams;
}

/** Default settlement parameters (also the contract's constructor defaults). */
export const DEFAULT_SETTLEMENT_PARAMS: Readonly<SettlementParams> = Object.freeze({
  lambdaBps: 2_000,
  deviationScaleBps: 2_000,
  trimBps: 2_000,
  qualityFloorBps: 5_000,
  slashBps: 1_000,
  missPenaltyBps: 2_000,
  wMin: 1_000,
  wMax: 30_000,
});

/** Default governance parameters (token has 18 decimals). */
export const DEFAULT_PARAMS: Readonly<GovernanceParams> = Object.freeze({
  minStake: 100n * 10n ** 18n,
  stakeCap: 10_000n * 10n ** 18n,
  unbondingDelay: 7 * 24 * 3600,
  settlement: DEFAULT_SETTLEMENT_PARAMS,
});

/** Inclusive bounds governance must respect; the contract reverts `ParamOutOfRange` outside them. */
export const PARAM_BOUNDS = Object.freeze({
  lambdaBps: [0, 10_000],
  deviationScaleBps: [100, 10_000],
  trimBps: [0, 4_500],
  qualityFloorBps: [0, 9_900],
  slashBps: [0, 5_000],
  missPenaltyBps: [0, 9_000],
  wMin: [100, 10_000],
  wMax: [10_000, 100_000],
  unbondingDelay: [0, 30 * 24 * 3600],
} as const);
