import {
  BaseError,
  ContractFunctionRevertedError,
  HttpRequestError,
  TimeoutError,
  RpcRequestError,
  WebSocketRequestError,
  decodeErrorResult,
  formatEther,
  parseAbi,
  type Abi,
  type Hex,
} from "viem";
import { PoqError } from "../core/errors.js";

/** A transaction or call reverted; `errorName` is the contract's custom error, decoded from the ABI. */
export class RevertError extends PoqError {
  readonly errorName: string;
  readonly errorArgs: readonly unknown[];
  constructor(functionName: string, errorName: string, errorArgs: readonly unknown[] = []) {
    super("E_REVERT", `${functionName} reverted: ${describeRevert(errorName, errorArgs)}`, { functionName, errorName });
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

/** OpenZeppelin 5's IERC20Errors: a token call inside a contract call reverts with these. */
export const tokenErrorsAbi = parseAbi([
  "error ERC20InsufficientBalance(address sender, uint256 balance, uint256 needed)",
  "error ERC20InvalidSender(address sender)",
  "error ERC20InvalidReceiver(address receiver)",
  "error ERC20InsufficientAllowance(address spender, uint256 allowance, uint256 needed)",
  "error ERC20InvalidApprover(address approver)",
  "error ERC20InvalidSpender(address spender)",
]);

/** The raw revert data carried somewhere in a viem error, if any. */
function rawRevertData(err: BaseError): Hex | undefined {
  const hit = err.walk((e) => {
    const d = (e as { raw?: unknown; data?: unknown }).raw ?? (e as { data?: unknown }).data;
    return typeof d === "string" && /^0x[0-9a-fA-F]{8}/.test(d);
  }) as { raw?: Hex; data?: Hex } | null;
  const d = hit?.raw ?? hit?.data;
  return typeof d === "string" ? d : undefined;
}

/**
 * The arguments of known custom errors that are token amounts (wei), by error name: printed in
 * whole tokens, like every amount the CLI takes.
 */
const tokenAmountArgs: Record<string, readonly number[]> = {
  ERC20InsufficientBalance: [1, 2],
  ERC20InsufficientAllowance: [1, 2],
  StakeBelowMinimum: [0, 1],
  InsufficientStake: [0, 1],
  CostAboveMaximum: [0, 1],
  FeeBelowMinimum: [0, 1],
  InsufficientTreasury: [0, 1],
};

/** A decoded revert for people: `Name(arg, ...)` with token amounts in tokens (`100 tokens`). */
export function describeRevert(errorName: string, args: readonly unknown[]): string {
  const amounts = tokenAmountArgs[errorName] ?? [];
  const shown = args.map((a, i) => (amounts.includes(i) && typeof a === "bigint" ? `${formatEther(a)} tokens` : String(a)));
  return `${errorName}(${shown.join(", ")})`;
}

/** Returns the decoded revert (custom error name and args) inside a viem error, if any. */
export function decodeRevert(err: unknown, abi?: Abi): { errorName: string; args: readonly unknown[] } | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
  if (reverted) {
    if (reverted.data?.errorName) return { errorName: reverted.data.errorName, args: reverted.data.args ?? [] };
    if (reverted.signature) {
      // Not in the contract's ABI: the token's own custom errors (OpenZeppelin's IERC20Errors).
      const raw = rawRevertData(err);
      if (raw) {
        try {
          const d = decodeErrorResult({ abi: tokenErrorsAbi, data: raw });
          return { errorName: d.errorName, args: (d.args ?? []) as readonly unknown[] };
        } catch {
          /* not a token error either */
        }
      }
      return { errorName: `unknown error ${reverted.signature}`, args: [] };
    }
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
