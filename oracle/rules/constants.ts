/**
 * Constants, enums and governance parameters of the PoQ settlement rules. Every value here
 * mirrors `contracts/ProofOfQuality.sol` and its libraries exactly (see docs/contract.md).
 */

/** Basis points: 10000 = 1.0. Scores, trust and every fraction on chain use this scale. */
export const BPS = 10_000;

/** Largest committee the contract accepts. */
export const MAX_K = 32;

/** Smallest committee governance may allow (with two members both get the same deviation). */
export const MIN_COMMITTEE = 3;

/** Most candidate outputs per task (15 x uint16 scores fit one storage word with metadata). */
export const MAX_OUTPUTS = 15;

/** Most evaluators registered at once (bounds the sampling scan; an exit frees the place). */
export const MAX_EVALUATORS = 128;

/** A member's stake stays locked this long after its last reveal deadline (seconds). */
export const FINALIZE_GRACE = 24 * 3600;

/** Fewest revealers whose leave-one-out deviations move trust and pay. */
export const MIN_REVEALERS_FOR_DEVIATION = 3;

/** A revealer with normalised deviation <= this is honest: it shares the task's slashed stake. */
export const HONEST_MAX_DNORM = 5_000;

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

/** Task status; numeric values equal the Solidity `TaskStatus` enum (contracts/libraries/TaskTypes.sol). */
export enum TaskStatus {
  NONE = 0,
  /** created, committee not drawn yet (drawCommittee in a later block) */
  PENDING = 1,
  OPEN = 2,
  FINALIZED = 3,
  /** no committee could be filled at the draw: escrow refunded */
  CANCELLED = 4,
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

/** Staking parameters of the EvaluatorRegistry (`StakingParams` on chain). */
export interface StakingParams {
  /** Minimum active stake (token wei) to register and to be sampled. */
  minStake: bigint;
  /** Stake above this counts no more toward sampling or voting weight (>= minStake). */
  stakeCap: bigint;
  /** Seconds between requesting unbonding and being able to withdraw (>= activationDelay, <= 60 days). */
  unbondingDelay: number;
  /** Seconds before a stake, cost or profile change (registration included) counts for sampling (<= 30 days). */
  activationDelay: number;
  /** Trust of a new identity, bps (100..10000): below what established evaluators reach. */
  initialTrust: number;
  /** Most trust (bps) an evaluator may gain per trust period. */
  trustGainPerPeriod: number;
  /** Length of a trust period, seconds (1 hour..30 days). */
  trustPeriod: number;
  /** The highest cost per evaluation an evaluator may declare (token wei, > 0). */
  maxCost: bigint;
}

/** What a requester may choose, and what it must pay (`TaskParams` on chain). */
export interface TaskParams {
  /** Protocol minimum price per committee member (token wei, > 0). */
  minFeePerMember: bigint;
  /** Flat protocol fee per task (token wei). */
  taskFee: bigint;
  /** Protocol fee on the task's node + eval budgets, bps (0..2000). */
  protocolFeeBps: number;
  /** Smallest committee (3..32). */
  minK: number;
  /** Bit r set: `Rule` r may be chosen by a requester (1..31). */
  allowedRules: number;
  /**
   * Share (bps, 0..10000) of the weight of all evaluators serving a task's profile that must
   * accept its fee per member, else the draw cancels the task: a requester cannot price out
   * everyone but its own cheap evaluators.
   */
  minEligibleBps: number;
  /** Commit window bounds, seconds from the committee draw (>= 10 s, <= 7 days). */
  minCommitWindow: number;
  maxCommitWindow: number;
  /** Reveal window bounds, seconds after the commit deadline (>= 10 s, <= 7 days). */
  minRevealWindow: number;
  maxRevealWindow: number;
}

/** ProofOfQuality's governance parameters (`GovernanceParams` on chain). */
export interface GovernanceParams {
  tasks: TaskParams;
  /** Snapshotted into every new task. */
  settlement: SettlementParams;
}

/** Everything a deployment is configured with. */
export interface ProtocolParams {
  staking: StakingParams;
  governance: GovernanceParams;
}

/** Default settlement parameters. */
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

const TOKEN = 10n ** 18n;

/** Default staking parameters (token has 18 decimals). */
export const DEFAULT_STAKING_PARAMS: Readonly<StakingParams> = Object.freeze({
  minStake: 100n * TOKEN,
  stakeCap: 10_000n * TOKEN,
  unbondingDelay: 7 * 24 * 3600,
  activationDelay: 24 * 3600,
  initialTrust: 5_000,
  trustGainPerPeriod: 5_000,
  trustPeriod: 24 * 3600,
  maxCost: 10n * TOKEN,
});

/** Default task parameters. */
export const DEFAULT_TASK_PARAMS: Readonly<TaskParams> = Object.freeze({
  minFeePerMember: TOKEN / 10n,
  taskFee: TOKEN / 10n,
  protocolFeeBps: 200,
  minK: 3,
  minEligibleBps: 5_000,
  // the median rules only: with a MEAN or a TRIMMED_MEAN that trims nothing (k <= 4), one
  // drawn sybil scoring 0 moves the node's pay; the dev chain allows all five for experiments
  allowedRules: (1 << 1) | (1 << 4),
  minCommitWindow: 300,
  maxCommitWindow: 24 * 3600,
  minRevealWindow: 300,
  maxRevealWindow: 24 * 3600,
});

/** Default governance parameters of ProofOfQuality. */
export const DEFAULT_PARAMS: Readonly<GovernanceParams> = Object.freeze({
  tasks: DEFAULT_TASK_PARAMS,
  settlement: DEFAULT_SETTLEMENT_PARAMS,
});

/** Default parameters of a public deployment. */
export const DEFAULT_PROTOCOL_PARAMS: Readonly<ProtocolParams> = Object.freeze({
  staking: DEFAULT_STAKING_PARAMS,
  governance: DEFAULT_PARAMS,
});

/**
 * Parameters of the local development chain (31337), the demo and the tests: the same rules
 * with short clocks (activation 60 s, windows from 10 s) so a walkthrough does not wait a day.
 */
export const DEV_PROTOCOL_PARAMS: Readonly<ProtocolParams> = Object.freeze({
  staking: Object.freeze({ ...DEFAULT_STAKING_PARAMS, activationDelay: 60, unbondingDelay: 3600, trustPeriod: 3600 }),
  governance: Object.freeze({
    tasks: Object.freeze({ ...DEFAULT_TASK_PARAMS, minCommitWindow: 10, minRevealWindow: 10, allowedRules: 0b11111 }),
    settlement: DEFAULT_SETTLEMENT_PARAMS,
  }),
});

/** Inclusive bounds governance must respect; the contracts revert `ParamOutOfRange` outside them. */
export const PARAM_BOUNDS = Object.freeze({
  lambdaBps: [0, 10_000],
  deviationScaleBps: [100, 10_000],
  trimBps: [0, 4_500],
  qualityFloorBps: [0, 9_900],
  slashBps: [0, 5_000],
  missPenaltyBps: [0, 9_000],
  wMin: [100, 10_000],
  wMax: [10_001, 100_000],
  unbondingDelay: [60, 60 * 24 * 3600], // and >= activationDelay
  activationDelay: [60, 30 * 24 * 3600],
  initialTrust: [100, 10_000],
  trustGainPerPeriod: [1, 65_535],
  trustPeriod: [3600, 30 * 24 * 3600],
  protocolFeeBps: [0, 2_000],
  minK: [3, 32],
  minEligibleBps: [5_000, 10_000],
  allowedRules: [1, 31],
  window: [10, 7 * 24 * 3600],
} as const);
