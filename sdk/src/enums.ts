/**
 * The settlement contracts' enums with their numeric (ABI) values, and name lookups. The
 * values are the Solidity declaration order (contracts/ProofOfQuality.sol `Family`,
 * `TaskStatus`; contracts/libraries/Aggregation.sol `Rule`); docs/contract.md, "Enums",
 * lists them and test/sdk/enums.test.ts checks both against the Solidity source.
 */

/** What kind of query a task's outputs answer (`TaskSpec.family`). */
export const Family = { QA: 0, SUMMARIZATION: 1, OPEN: 2 } as const;
export type Family = (typeof Family)[keyof typeof Family];
export type FamilyName = keyof typeof Family;

/** Per-output consensus rule of a task (`TaskSpec.rule`). */
export const Rule = { MEAN: 0, MEDIAN: 1, TRIMMED_MEAN: 2, TRUST_WEIGHTED_MEAN: 3, TRUST_WEIGHTED_MEDIAN: 4 } as const;
export type Rule = (typeof Rule)[keyof typeof Rule];
export type RuleName = keyof typeof Rule;

/**
 * Task lifecycle (`getTask(taskId).status`): PENDING (created, committee not drawn) -> OPEN
 * (drawn) -> FINALIZED, or PENDING -> CANCELLED (no committee could be filled; escrow
 * refunded). NONE: no such task.
 */
export const TaskStatus = { NONE: 0, PENDING: 1, OPEN: 2, FINALIZED: 3, CANCELLED: 4 } as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];
export type TaskStatusName = keyof typeof TaskStatus;

/** Every enum the SDK exports, by its Solidity name. */
export const ENUMS = { Family, Rule, TaskStatus } as const;

/** Basis points: 10000 = 1.0 (scores, consensus, trust and every fraction on chain). */
export const BPS = 10_000;

function nameOf<T extends Record<string, number>>(e: T, enumName: string, value: number | bigint): keyof T & string {
  const n = Number(value);
  const hit = Object.entries(e).find(([, v]) => v === n);
  if (!hit) throw new RangeError(`${enumName}: no member has value ${String(value)} (known: ${Object.entries(e).map(([k, v]) => `${k}=${v}`).join(", ")})`);
  return hit[0] as keyof T & string;
}

/** The name of a Family value (RangeError for an unknown value). */
export const familyName = (value: number | bigint): FamilyName => nameOf(Family, "Family", value);
/** The name of a Rule value (RangeError for an unknown value). */
export const ruleName = (value: number | bigint): RuleName => nameOf(Rule, "Rule", value);
/** The name of a TaskStatus value (RangeError for an unknown value). */
export const taskStatusName = (value: number | bigint): TaskStatusName => nameOf(TaskStatus, "TaskStatus", value);
