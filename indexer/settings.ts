/**
 * Where the indexer finds its chain: deployments/<chainId>.json read synchronously (Ponder
 * evaluates its config once, at start) and validated with the oracle's deployment schema.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { deploymentPath, parseDeployment, type Deployment } from "../oracle/contract/deployments.js";

export interface IndexerSettings {
  deployment: Deployment;
  rpcUrl: string;
  databaseUrl?: string;
  pgliteDir: string;
  pollingMs: number;
  disableCache: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export function loadIndexerSettings(env: NodeJS.ProcessEnv): IndexerSettings {
  const chainId = Number(env.POQ_CHAIN_ID ?? 31337);
  if (!Number.isInteger(chainId) || chainId <= 0) throw new Error(`POQ_CHAIN_ID must be a positive integer, got "${env.POQ_CHAIN_ID}"`);
  const dir = env.POQ_DEPLOYMENTS_DIR ?? path.resolve(here, "../deployments");
  const file = deploymentPath(chainId, dir);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new Error(`indexer: no deployment for chain ${chainId} at ${file} (run the deploy script, or set POQ_CHAIN_ID / POQ_DEPLOYMENTS_DIR)`);
  }
  const deployment = parseDeployment(JSON.parse(text), file);
  if (deployment.chainId !== chainId) throw new Error(`indexer: ${file} is for chain ${deployment.chainId}, not ${chainId}`);
  return {
    deployment,
    rpcUrl: env.POQ_RPC_URL ?? "http://127.0.0.1:8545",
    databaseUrl: env.DATABASE_URL || undefined,
    pgliteDir: env.POQ_PGLITE_DIR ?? path.join(here, ".ponder", "pglite"),
    pollingMs: Number(env.POQ_POLLING_MS ?? 200),
    disableCache: chainId === 31337 || chainId === 1337,
  };
}
