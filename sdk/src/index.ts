/**
 * @poq/sdk: what a dApp needs from the PoQ settlement contracts.
 *   - ABIs (`proofOfQualityAbi`, ..., also as JSON at `@poq/sdk/abi/<Contract>.json`)
 *   - enums with their numeric values (Family, Rule, TaskStatus)
 *   - readers of per-output and per-evaluator pay, refunds, claims and trust history, from
 *     event logs (LogReader) or the PoQ indexer (IndexerReader), with the same types
 * docs/sdk.md has the guide and a runnable example.
 */
export { proofOfQualityAbi, evaluatorRegistryAbi, profileRegistryAbi } from "./abi.js";
export { Family, Rule, TaskStatus, ENUMS, BPS, familyName, ruleName, taskStatusName, type FamilyName, type RuleName, type TaskStatusName } from "./enums.js";
export { PoqSdkError, type PoqSdkErrorCode } from "./errors.js";
export { LogReader, type LogReaderOptions, type ReaderClient } from "./logs.js";
export { IndexerReader, MAX_PAGE_SIZE, type IndexerReaderOptions } from "./indexer.js";
export { createPayoutReader, type PayoutReaderOptions } from "./reader.js";
export { payoutsToJson, trustHistoryToJson, parsePayouts, parseTrustHistory, parseNext, mergePayouts, mergeTrustHistories, emptyPayouts, type PayoutsJson, type TrustHistoryJson } from "./wire.js";
export type {
  Payouts,
  OutputPay,
  EvaluatorTaskPay,
  Refund,
  Claim,
  TrustHistory,
  TrustPoint,
  PayoutSource,
  TaskSettlement,
  TaskOutputPay,
  TaskMemberPay,
} from "./types.js";
