import { isAddress, parseEther, type Address, type Hex } from "viem";
import { InputError } from "../core/errors.js";
import { isNotForMoney } from "../contract/shipped-profiles.js";

/** Checks an address flag; an error names the flag. */
export function addressArg(flag: string, v: string): Address {
  if (!isAddress(v)) throw new InputError(`${flag}: not an address: ${v}`, { field: flag.replace(/^--/, ""), reason: "malformed" });
  return v;
}

/** A token amount in whole tokens ("100", "0.5") as wei; more than zero unless `allowZero`. */
export function tokensArg(flag: string, v: string, o: { allowZero?: boolean } = {}): bigint {
  let wei: bigint;
  try {
    wei = parseEther(v);
  } catch {
    throw new InputError(`${flag}: not a token amount: "${v}"`, { field: flag.replace(/^--/, ""), reason: "malformed" });
  }
  if (wei < 0n || (wei === 0n && !o.allowZero)) throw new InputError(`${flag}: must be ${o.allowZero ? "zero or more" : "more than zero"}, got "${v}"`, { field: flag.replace(/^--/, ""), reason: "range" });
  return wei;
}

/** A task id (a non-negative integer); an error names the argument. */
export function taskIdArg(v: string, what = "task id"): bigint {
  if (!/^\d+$/.test(v.trim())) throw new InputError(`${what} must be a number, got "${v}"`, { field: "task", reason: "malformed" });
  return BigInt(v.trim());
}

/**
 * Refuses a profile that is not for money (the uncalibrated default profile) for on-chain use
 * (`task create`, `register evaluator`): deployments never register it, so the contract would
 * revert UnknownProfile. One line that says why and what to use instead.
 */
export function onChainProfileArg(flag: string, hash: Hex): Hex {
  if (isNotForMoney(hash))
    throw new InputError(
      `${flag}: the default profile (${hash}, published uncalibrated weights) is not registered on chain because it is not for money (the contract reverts UnknownProfile); score offline with it (poq score --profile default) and name the calibrated profile on chain (the default of ${flag})`,
      { field: flag.replace(/^--/, ""), reason: "not for money" },
    );
  return hash;
}
