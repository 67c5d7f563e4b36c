import type { Address, PublicClient } from "viem";
import { withRetry } from "../chain/tx.js";
import type { TxConfig } from "../config/schema.js";

/**
 * The Redis namespace of one deployment's worker state (queues, records, cursor, nonces):
 * `<prefix>:<chain id>:<genesis block hash, 8 hex digits>:<contract address>`.
 *
 * A local chain restarted from genesis gets a new genesis hash (its first block carries the
 * start time) but the same contract address, and task ids start at 1 again. Keyed by chain id
 * and contract alone, its workers would find the old run's cursor ahead of the new chain's
 * head and the old run's records under the new task ids, and act on nothing.
 */
export async function deploymentNamespace(client: PublicClient, prefix: string, chainId: number, contract: Address, tx?: Pick<TxConfig, "maxRetries" | "backoffMs">): Promise<string> {
  const genesis = await withRetry(() => client.getBlock({ blockNumber: 0n }), tx ?? { maxRetries: 3, backoffMs: 200 }, "genesis block");
  return `${prefix}:${chainId}:${genesis.hash!.slice(2, 10)}:${contract.toLowerCase()}`;
}
