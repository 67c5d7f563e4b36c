import { createPublicClient, http, webSocket, type PublicClient, type Transport } from "viem";

/**
 * A viem public client for an RPC URL: WebSocket for ws:// and wss:// (one long-lived
 * connection; on a local Hardhat node a call costs the caller about a fifth of the CPU of an
 * HTTP request, measured in docs/operations.md), HTTP otherwise. viem's own retries are off:
 * callers retry with their configured backoff (oracle/chain/tx.ts withRetry).
 */
export function rpcTransport(url: string, timeoutMs = 10_000): Transport {
  return /^wss?:\/\//i.test(url)
    ? webSocket(url, { retryCount: 0, timeout: timeoutMs, reconnect: { attempts: 1_000_000, delay: 500 } })
    : http(url, { retryCount: 0, timeout: timeoutMs });
}

export function createRpcClient(url: string, timeoutMs = 10_000): PublicClient {
  return createPublicClient({ transport: rpcTransport(url, timeoutMs) }) as PublicClient;
}

/**
 * Closes a client's WebSocket (its keep-alive timer and reconnect logic would keep the process
 * alive after a command is done); nothing to do for HTTP.
 */
export async function closeRpcClient(client: PublicClient): Promise<void> {
  const t = client.transport as { type?: string; getRpcClient?: () => Promise<{ close(): void }> };
  if (t.type !== "webSocket" || !t.getRpcClient) return;
  try {
    (await t.getRpcClient()).close();
  } catch {
    // the socket failed since it connected: nothing left to close
  }
}
