/** Stable codes of the SDK's errors. */
export type PoqSdkErrorCode =
  /** The indexer answered with a non-2xx status, or could not be reached. */
  | "E_INDEXER_HTTP"
  /** The indexer's JSON does not have the documented shape (docs/sdk.md). */
  | "E_INDEXER_SHAPE"
  /** A caller's argument is invalid (address, task id, block range). */
  | "E_INPUT"
  /** The chain has no such task. */
  | "E_UNKNOWN_TASK";

/** Every error the SDK throws on purpose: a stable `code`, a one-line message naming what and where. */
export class PoqSdkError extends Error {
  override readonly name = "PoqSdkError";
  constructor(
    readonly code: PoqSdkErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
