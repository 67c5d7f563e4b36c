/** Conversions between the mirror's parameter objects and the contract's ABI tuples. */
import { DEFAULT_PARAMS, type GovernanceParams, type SettlementParams } from "../rules/index.js";

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

/** GovernanceParams as the ABI tuple viem expects/returns. */
export interface GovernanceParamsTuple {
  minStake: bigint;
  stakeCap: bigint;
  unbondingDelay: number;
  settlement: SettlementParamsTuple;
}

/** Mirror parameters to the ABI tuple (identical field names; copies). */
export function toGovernanceTuple(p: GovernanceParams = DEFAULT_PARAMS): GovernanceParamsTuple {
  return { minStake: p.minStake, stakeCap: p.stakeCap, unbondingDelay: p.unbondingDelay, settlement: { ...p.settlement } };
}

/** ABI tuple to mirror settlement parameters. */
export function fromSettlementTuple(t: SettlementParamsTuple): SettlementParams {
  return { ...t };
}
