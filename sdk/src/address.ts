import { getAddress, isAddress, type Address } from "viem";
import { PoqSdkError } from "./errors.js";

/** A caller's address, checksummed; PoqSdkError E_INPUT naming `what` when it is not one. */
export function checkAddress(value: string, what = "address"): Address {
  if (typeof value !== "string" || !isAddress(value, { strict: false })) {
    throw new PoqSdkError("E_INPUT", `${what}: not a 20-byte hex address: ${JSON.stringify(value)}`, { field: what });
  }
  return getAddress(value);
}
