import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  RpcRequestError,
  WebSocketRequestError,
  decodeErrorResult,
  type Abi,
  type Hex,
} from "viem";
import { PoqError } from "../core/errors.js";

/** A transaction or call reverted; `errorName` is the contract's custom error, decoded from the ABI. */
export class RevertError extends PoqError {
  readonly errorName: string;
  readonly errorArgs: readonly unknown[];
  constructor(functionName: string, errorName: string, errorArgs: readonly unknown[] = []) {
    super("E_REVERT", `${functionName} reverted: ${errorName}(${errorArgs.map(String).join(", ")})`, { functionName, errorName });
    this.name = "RevertError";
    this.errorName = errorName;
    this.errorArgs = errorArgs;
  }
}

/** The RPC endpoint could not be reached or answered with a transport-level failure. */
export class RpcUnavailableError extends PoqError {
  constructor(message: string, cause?: unknown) {
    super("E_RPC", message, undefined, { cause });
    this.name = "RpcUnavailableError";
  }
}

/** Returns the decoded revert (custom error name and args) inside a viem error, if any. */
export function decodeRevert(err: unknown, abi?: Abi): { errorName: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (reverted) {
    if (reverted.data?.errorName) return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    if (reverted.signature) return { errorName: `unknown error ${reverted.signature}`, args: [] };
    if (reverted.reason) return { errorName: reverted.reason, args: [] };
  }
  // Raw revert data in an RPC error (e.g. from eth_estimateGas on some nodes).
  const withData = err.walk((e) => typeof (e as { data?: unknown }).data === "string") as { data?: Hex } | null;
  if (abi && withData?.data && /^0x[0-9a-fA-F]{8}/.test(withData.data)) {
    try {
      const d = decodeErrorResult({ abi, data: withData.data });
      return { errorName: d.errorName, args: (d.args ?? []) as readonly unknown[] };
    } catch {
      /* not an error of this ABI */
    }
  }
  return undefined;
}

/** True for failures worth retrying: transport errors, timeouts, connection refusals, rate limits. */
export function isTransient(err: unknown): boolean {
  if (err instanceof RpcUnavailableError) return true;
  if (err instanceof BaseError) {
    const hit = err.walk(
      (e) => e instanceof HttpRequestError || e instanceof TimeoutError || e instanceof WebSocketRequestError || (e instanceof RpcRequestError && [-32005, 429].includes(e.code)),
    );
    if (hit) return true;
  }
  const msg = err instanceof Error ? `${err.message} ${(err as { code?: string }).code ?? ""}` : String(err);
  return /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|fetch failed|network|rate limit/i.test(msg);
}
