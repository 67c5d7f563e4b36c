/**
 * The TypeScript mirror of PoQ's on-chain settlement rules (aggregation, leave-one-out
 * deviation, adaptive trust, payouts, committee sampling) in the contract's exact integer
 * arithmetic. `test/rules/differential.test.ts` runs thousands of random cases through this
 * module and through the deployed contract and requires identical results to the wei.
 *
 * Semantics are documented in docs/contract.md. Names exported here are stable.
 */
export {
  BPS,
  INITIAL_TRUST,
  MAX_K,
  MAX_OUTPUTS,
  MAX_EVALUATORS,
  MAX_TASK_DURATION,
  Rule,
  RULES,
  RULE_NAMES,
  Family,
  TaskStatus,
  DEFAULT_PARAMS,
  DEFAULT_SETTLEMENT_PARAMS,
  PARAM_BOUNDS,
  type SettlementParams,
  type GovernanceParams,
} from "./constants.js";
export { aggregate, trimCount, isTrustWeighted } from "./aggregate.js";
export {
  leaveOneOutDeviations,
  normalisedDeviation,
  trustFactor,
  clipTrust,
  updateTrust,
  penaliseMiss,
} from "./trust.js";
export { settleTask, type MemberInput, type SettleInput, type SettleResult } from "./settle.js";
export {
  sampleCommittee,
  samplingWeight,
  eligibleCandidates,
  drawWord,
  MAX_OPEN_TASKS,
  type Candidate,
  type EvaluatorRecord,
} from "./sampling.js";
export { packScores, unpackScores } from "./packing.js";
