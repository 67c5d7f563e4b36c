/**
 * The scoring profiles shipped in profiles/*.json, with the hash each is registered under in
 * the on-chain ProfileRegistry. Deployments (ignition/modules/PoQ.ts, the dev chain's
 * deployLocalStack) register only the `payingProfiles()`: the calibrated one, what tasks pay
 * with by default (oracle/scoring/paying-profile.ts). The uncalibrated default profile is
 * never registered: it is not for money (a profile few evaluators serve would also be one a
 * requester's own evaluators could take over, docs/contract.md "Committee draw"); it stays
 * available by name for offline scoring (`poq score --profile default`).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { defaultProfile, parseProfile, profileHash } from "../scoring/profile.js";

/** The repository's profiles/ folder. */
export const PROFILES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../profiles");

export interface ShippedProfile {
  /** File name without .json (e.g. "calibrated"). */
  name: string;
  /** keccak256 of the profile's canonical JSON. */
  hash: Hex;
  /** Where to fetch it: the path in this repository. */
  uri: string;
}

/** Every profiles/*.json, sorted by name, with its hash (synchronous: Ignition modules need it). */
export function shippedProfiles(dir: string = PROFILES_DIR): ShippedProfile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const doc = parseProfile(JSON.parse(readFileSync(path.join(dir, f), "utf8")), f);
      return { name: f.slice(0, -5), hash: profileHash(doc), uri: `profiles/${f}` };
    });
}

let notForMoney: ReadonlySet<string> | undefined;

/** Hashes (lower case) of the profiles never registered on chain: the uncalibrated default (not for money). */
export function notForMoneyHashes(): ReadonlySet<string> {
  return (notForMoney ??= new Set([profileHash(defaultProfile()).toLowerCase()]));
}

/** Whether `hash` is a profile that is not for money (and so never registered on chain). */
export function isNotForMoney(hash: string): boolean {
  return notForMoneyHashes().has(hash.toLowerCase());
}

/** The shipped profiles meant for money, what deployments register: every shipped one but those not for money. */
export function payingProfiles(dir: string = PROFILES_DIR): ShippedProfile[] {
  return shippedProfiles(dir).filter((p) => !isNotForMoney(p.hash));
}
