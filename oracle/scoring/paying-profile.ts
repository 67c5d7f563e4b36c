/**
 * The profile that pays: the calibrated profile shipped in `profiles/calibrated.json`
 * (written by `poq audit`, measured in docs/validation). Requesters, workers, the demo and
 * the deployment's profile registry default to it. `defaultProfile()` (the published,
 * uncalibrated weights) stays available by name and is documented as not for money.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { defaultProfile, loadProfile, type Profile } from "./profile.js";

/** Absolute path of the calibrated profile shipped with the repository. */
export const PAYING_PROFILE_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../profiles/calibrated.json");

/** Loads the calibrated profile that tasks pay with by default. */
export async function payingProfile(): Promise<Profile> {
  return loadProfile(PAYING_PROFILE_PATH);
}

/** Profiles known by name: "calibrated" (pays; profiles/calibrated.json) and "default" (published weights, not for money). */
export const PROFILE_NAMES = ["calibrated", "default"] as const;

/**
 * A profile by name ("calibrated", "default") or from a JSON file path: what `--profile`
 * accepts in the CLI.
 */
export async function resolveProfile(nameOrPath: string): Promise<Profile> {
  if (nameOrPath === "calibrated") return payingProfile();
  if (nameOrPath === "default") return defaultProfile();
  return loadProfile(nameOrPath);
}
