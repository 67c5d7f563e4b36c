/**
 * `npm run explorer`: the indexer and the web explorer against the configured chain
 * (POQ_RPC_URL, default http://127.0.0.1:8545; contracts from deployments/<chainId>.json;
 * PostgreSQL when DATABASE_URL is set, PGlite under .poq/indexer/ otherwise). Prints the URL
 * once the indexer has caught up with the chain's head; Ctrl-C stops it.
 */
import { Command } from "commander";
import { serveExplorer } from "../indexer/serve.js";

const opts = new Command("explorer")
  .option("--rpc <url>", "JSON-RPC URL of the chain", process.env.POQ_RPC_URL ?? "http://127.0.0.1:8545")
  .option("--port <n>", "HTTP port (127.0.0.1)", process.env.POQ_EXPLORER_PORT ?? "42069")
  .option("--deployments <dir>", "folder holding <chainId>.json", process.env.POQ_DEPLOYMENTS_DIR)
  .parse()
  .opts<{ rpc: string; port: string; deployments?: string }>();

const t0 = Date.now();
process.stdout.write(`explorer: indexing the chain at ${opts.rpc} ...\n`);
serveExplorer({ rpcUrl: opts.rpc, port: Number(opts.port), deploymentsDir: opts.deployments, databaseUrl: process.env.DATABASE_URL || undefined }).then(
  (ix) => {
    process.stdout.write(`explorer: ${ix.url}/  (chain ${ix.chainId}, caught up in ${((Date.now() - t0) / 1000).toFixed(1)} s; JSON: /payouts/:address /trust/:address /tasks/:id, GraphQL: /graphql, SQL: /sql/db)\nCtrl-C to stop\n`);
    const stop = () => void ix.stop().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    ix.proc.on("exit", (code) => {
      process.stderr.write(`explorer: the indexer exited (code ${code}):\n${ix.tail()}\n`);
      process.exit(1);
    });
  },
  (err) => {
    process.stderr.write(`explorer: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
