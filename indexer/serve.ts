/**
 * Starts the indexer (and with it the explorer's pages) for a chain reached at `rpcUrl`: one
 * database schema, and one PGlite folder, per chain instance (chain id + genesis hash prefix),
 * so a dev chain restarted from genesis never reads the previous one's data.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createPublicClient, http } from "viem";
import { startIndexer, type IndexerProcess } from "./launch.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface ServeOptions {
  rpcUrl: string;
  port: number;
  deploymentsDir?: string;
  databaseUrl?: string;
  logFile?: string;
}

export async function serveExplorer(o: ServeOptions): Promise<IndexerProcess & { chainId: number }> {
  const client = createPublicClient({ transport: http(o.rpcUrl, { retryCount: 1 }) });
  let chainId: number;
  try {
    chainId = await client.getChainId();
  } catch (err) {
    throw new Error(`no chain answering at ${o.rpcUrl} (${(err as Error).message.split("\n")[0]})`);
  }
  const genesis = await client.getBlock({ blockNumber: 0n });
  const instance = `${chainId}_${genesis.hash!.slice(2, 10)}`;
  const ix = startIndexer({
    rpcUrl: o.rpcUrl,
    chainId,
    port: o.port,
    schema: `poq_${instance}`,
    databaseUrl: o.databaseUrl,
    pgliteDir: path.join(root, ".poq", "indexer", instance),
    deploymentsDir: o.deploymentsDir,
    logFile: o.logFile,
  });
  await ix.waitSynced(await client.getBlockNumber());
  return { ...ix, chainId };
}
