/**
 * Deployment address files: deployments/<chainId>.json, written by scripts/deploy.ts and read
 * by the oracle (watchers, CLI) to find the contracts.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getAddress, isAddress, type Address } from "viem";
import { z } from "zod";
import { PoqError } from "../core/errors.js";

const address = z
  .string()
  .refine((s) => isAddress(s, { strict: false }), { message: "not a 20-byte hex address" })
  .transform((s) => getAddress(s) as Address);

/** Schema of deployments/<chainId>.json. */
export const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  proofOfQuality: address,
  /** EvaluatorRegistry: evaluators' stake, trust, cost, served profiles. */
  registry: address,
  /** ProfileRegistry: the scoring profiles tasks may name. */
  profiles: address,
  /** TimelockController holding the governance roles (absent on test stacks). */
  timelock: address.optional(),
  token: address,
  /** Block to start scanning events from (the deployment block or an earlier one). */
  blockNumber: z.number().int().nonnegative(),
  randomness: address.optional(),
  libraries: z.record(z.string(), address).optional(),
  deployedAt: z.string().optional(),
});

export type Deployment = z.infer<typeof deploymentSchema>;

/** The repository's deployments/ folder. */
export const DEFAULT_DEPLOYMENTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../deployments");

/** Path of the file for `chainId`. */
export function deploymentPath(chainId: number, dir: string = DEFAULT_DEPLOYMENTS_DIR): string {
  return path.join(dir, `${chainId}.json`);
}

/** Validates parsed JSON; throws PoqError E_DEPLOYMENT naming the field and reason. */
export function parseDeployment(json: unknown, source = "deployment"): Deployment {
  const r = deploymentSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join(".") || "(root)";
    throw new PoqError("E_DEPLOYMENT", `${source}: invalid field ${field}: ${issue.message}`, { field, reason: issue.message });
  }
  return r.data;
}

/** Reads and validates deployments/<chainId>.json (E_DEPLOYMENT_MISSING when absent). */
export async function loadDeployment(chainId: number, dir: string = DEFAULT_DEPLOYMENTS_DIR): Promise<Deployment> {
  const file = deploymentPath(chainId, dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new PoqError("E_DEPLOYMENT_MISSING", `no deployment for chain ${chainId} at ${file}: run the deploy script first`, { chainId, file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PoqError("E_DEPLOYMENT", `${file}: not JSON`, { file }, { cause: err });
  }
  const d = parseDeployment(json, file);
  if (d.chainId !== chainId) {
    throw new PoqError("E_DEPLOYMENT", `${file}: chainId ${d.chainId} does not match the file name`, { field: "chainId" });
  }
  return d;
}

/** Validates and writes deployments/<chainId>.json; returns the path. */
export async function writeDeployment(d: Deployment, dir: string = DEFAULT_DEPLOYMENTS_DIR): Promise<string> {
  const valid = parseDeployment(d);
  await mkdir(dir, { recursive: true });
  const file = deploymentPath(valid.chainId, dir);
  await writeFile(file, `${JSON.stringify(valid, null, 2)}\n`);
  return file;
}
