/**
 * The scoring profiles shipped in profiles/*.json, with the hash each is registered under in
 * the on-chain ProfileRegistry. Deployments register all of them; the calibrated one is what
 * tasks pay with by default (oracle/scoring/paying-profile.ts), the uncalibrated default is
 * registered for comparison only and documented as not for money.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import { parseProfile, profileHash } from "../scoring/profile.js";

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
