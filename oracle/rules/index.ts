/**
 * The TypeScript mirror of PoQ's on-chain settlement rules (aggregation, the largest deviation
 * from the revealers' weighted median, adaptive trust, payouts, the committee draw with its cost
 * filter and eligibility quorum, the registry's activation-keyed history and draw tree, trust cap per period
 * and slashing, the split of slashed stake) in the contracts' exact integer
 * arithmetic. `test/rules/differential.test.ts` runs thousands of random cases through this
 * module and through the deployed contract and requires identical results to the wei.
 *
 * Semantics are documented in docs/contract.md. Names exported here are stable.
 */
export {
  BPS,
  MAX_K,
  MIN_COMMITTEE,
  MAX_OUTPUTS,
  MAX_EVALUATORS,
  FINALIZE_GRACE,
  MIN_REVEALERS_FOR_DEVIATION,
  HONEST_MAX_DNORM,
  Rule,
  RULES,
  RULE_NAMES,
  Family,
  TaskStatus,
  DEFAULT_PARAMS,
  DEFAULT_SETTLEMENT_PARAMS,
  DEFAULT_STAKING_PARAMS,
  DEFAULT_TASK_PARAMS,
  DEFAULT_PROTOCOL_PARAMS,
  DEV_PROTOCOL_PARAMS,
  PARAM_BOUNDS,
  type SettlementParams,
  type GovernanceParams,
  type StakingParams,
  type TaskParams,
  type ProtocolParams,
} from "./constants.js";
export { aggregate, trimCount, isTrustWeighted, type Weight } from "./aggregate.js";
export {
  medianDeviations,
  leaveOneOutDeviations,
  normalisedDeviation,
  trustFactor,
  clipTrust,
  updateTrust,
  penaliseMiss,
} from "./trust.js";
export { settleTask, type MemberInput, type SettleInput, type SettleResult } from "./settle.js";
export {
  WEIGHT_SHIFT,
  registerEvaluator,
  addStake,
  setCost,
  setProfiles,
  requestUnbond,
  canWithdraw,
  withdrawUnbonded,
  syncEvaluator,
  canEvict,
  evictEvaluator,
  lockMember,
  unbondAtFor,
  drawWindow,
  trustPeriodOf,
  effectiveOf,
  evaluatorView,
  stateAt,
  latestState,
  writeState,
  restake,
  nextKey,
  trustBound,
  roundUp,
  gridCost,
  bucketOf,
  gridValue,
  PRICE_BUCKETS,
  EMPTY_STATE,
  samplingWeight,
  votingWeight,
  memberState,
  profileIdOf,
  eligibleStake,
  drawInputs,
  ALL_PROFILES,
  moveTrust,
  samplingTrust,
  slashEvaluator,
  applySettlement,
  splitSlash,
  protocolFeeFor,
  finalizeTask,
  type RegistryEvaluator,
  type StateEntry,
  type EvaluatorView,
  type RegistryView,
  type Exclude,
  type WriteParams,
  type RegistrySettlement,
  type FinalizeInput,
  type FinalizeResult,
} from "./registry.js";
export { sample, drawCommittee, drawWord, acceptWord, treeSample, TRIES_PER_MEMBER, EXTRA_TRIES } from "./sampling.js";
export { packScores, unpackScores } from "./packing.js";
