/** Conversions between the mirror's parameter objects and the contracts' ABI tuples. */
import { DEFAULT_PARAMS, DEFAULT_STAKING_PARAMS, type GovernanceParams, type SettlementParams, type StakingParams } from "../rules/index.js";

/** SettlementParams as the ABI tuple viem expects/returns. */
export interface SettlementParamsTuple {
  lambdaBps: number;
  deviationScaleBps: number;
  trimBps: number;
  qualityFloorBps: number;
  slashBps: number;
  missPenaltyBps: number;
  wMin: number;
  wMax: number;
}

/** TaskParams as the ABI tuple. */
export interface TaskParamsTuple {
  minFeePerMember: bigint;
  taskFee: bigint;
  protocolFeeBps: number;
  minK: number;
  minEligibleBps: number;
  allowedRules: number;
  minCommitWindow: number;
  maxCommitWindow: number;
  minRevealWindow: number;
  maxRevealWindow: number;
}

/** ProofOfQuality's GovernanceParams as the ABI tuple. */
export interface GovernanceParamsTuple {
  tasks: TaskParamsTuple;
  settlement: SettlementParamsTuple;
}

/** EvaluatorRegistry's StakingParams as the ABI tuple. */
export type StakingParamsTuple = StakingParams;

/** Mirror parameters to ProofOfQuality's ABI tuple (identical field names; copies). */
export function toGovernanceTuple(p: GovernanceParams = DEFAULT_PARAMS): GovernanceParamsTuple {
  return { tasks: { ...p.tasks }, settlement: { ...p.settlement } };
}

/** Mirror staking parameters to the EvaluatorRegistry's ABI tuple (a copy). */
export function toStakingTuple(p: StakingParams = DEFAULT_STAKING_PARAMS): StakingParamsTuple {
  return { ...p };
}

/** ABI tuple to mirror settlement parameters. */
export function fromSettlementTuple(t: SettlementParamsTuple): SettlementParams {
  return { ...t };
}
