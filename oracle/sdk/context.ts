import type { PublicClient } from "viem";
import { closeRpcClient, createRpcClient } from "../chain/client.js";
import { loadConfig, type PoqConfig } from "../config/index.js";
import { loadAccounts, promptHidden } from "../chain/keys.js";
import { resolvePoq } from "../chain/contract.js";
import { withRetry, TxSender } from "../chain/tx.js";
import { MemoryNonceCoordinator } from "../chain/nonce.js";
import { InputError } from "../core/errors.js";
import { createLogger } from "../core/log.js";
import { PoqActions, PoqReader } from "./index.js";

/** What the requester/dApp CLI commands share: config, a reader, and (when needed) a signer. */
export interface CliContext {
  cfg: PoqConfig;
  client: PublicClient;
  reader: PoqReader;
}

/** Clients opened by `cliContext`, closed by `closeCliContexts` when the command is done. */
const opened = new Set<PublicClient>();

export async function cliContext(configFile?: string): Promise<CliContext> {
  const cfg = loadConfig({ file: configFile });
  const client = createRpcClient(cfg.rpcUrl);
  const chainId = await withRetry(() => client.getChainId(), cfg.tx, `connect to ${cfg.rpcUrl}`);
  opened.add(client); // connected: close it when the command ends (closing a socket never opened would open one)
  const poq = await resolvePoq(chainId, cfg.contract);
  return { cfg, client, reader: new PoqReader(client, poq.address, undefined, BigInt(poq.startBlock ?? 0)) };
}

/** Closes every connection `cliContext` opened (a WebSocket would keep the process alive). */
export async function closeCliContexts(): Promise<void> {
  const all = [...opened];
  opened.clear();
  await Promise.all(all.map(closeRpcClient));
}

/** The first key of the configured key sources signs (keystore or POQ_PRIVATE_KEYS). */
export async function cliSigner(ctx: CliContext): Promise<PoqActions> {
  const accounts = await loadAccounts(ctx.cfg.keys, process.env, process.stdin.isTTY ? promptHidden : undefined);
  if (!accounts[0]) throw new InputError("this command sends a transaction: set POQ_KEYSTORES (+ POQ_KEYSTORE_PASSWORD) or POQ_PRIVATE_KEYS", { field: "keys", reason: "missing" });
  return new PoqActions(ctx.reader, new TxSender(ctx.client, accounts[0], new MemoryNonceCoordinator(), ctx.cfg.tx, createLogger("poq.cli", ctx.cfg.logLevel)));
}

/** Prints rows as an aligned text table (first column left-aligned). */
export function formatTable(head: string[], rows: (string | number | bigint)[][]): string {
  const all = [head, ...rows.map((r) => r.map(String))];
  const w = head.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  return [line(all[0]!), w.map((n) => "-".repeat(n)).join("  "), ...all.slice(1).map(line)].join("\n") + "\n";
}

/** A chain timestamp (seconds) as "YYYY-MM-DD hh:mm:ss" in UTC. */
export function formatUtc(ts: bigint): string {
  return new Date(Number(ts) * 1000).toISOString().replace("T", " ").slice(0, 19);
}

/** JSON with bigints as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x), 2) + "\n";
}
