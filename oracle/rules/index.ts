/**
 * The TypeScript mirror of PoQ's on-chain settlement rules (aggregation, the largest deviation
 * from the revealers' weighted median, adaptive trust, payouts, the committee draw with its cost
 * filter and eligibility quorum, the registry's delayed effective state, trust cap per period
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
  lockMember,
  pendAt,
  trustPeriodOf,
  effectiveOf,
  materialize,
  samplingWeight,
  votingWeight,
  memberState,
  candidates,
  ALL_PROFILES,
  moveTrust,
  samplingTrust,
  slashEvaluator,
  applySettlement,
  splitSlash,
  protocolFeeFor,
  finalizeTask,
  type RegistryEvaluator,
  type RegistrySettlement,
  type FinalizeInput,
  type FinalizeResult,
} from "./registry.js";
export { sample, drawCommittee, drawWord } from "./sampling.js";
export { packScores, unpackScores } from "./packing.js";
