/**
 * Starts the Ponder indexer as a child process (Ponder has no programmatic API) and waits
 * until it serves the chain's head: /ready (backfill done) and /status at `minBlock` or later
 * (on a dev chain /ready lags the head by 30 blocks). Used by `npm run explorer`, the demo,
 * the tests and the benchmark.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const ponderBin = path.resolve(here, "../node_modules/ponder/dist/esm/bin/ponder.js");

export interface IndexerOptions {
  rpcUrl: string;
  chainId: number;
  port: number;
  /** Database schema (one per chain instance). */
  schema: string;
  /** PostgreSQL connection string; PGlite when absent. */
  databaseUrl?: string;
  pgliteDir?: string;
  deploymentsDir?: string;
  /** Where to write the indexer's log (JSON lines; default: only the last lines, in memory). */
  logFile?: string;
  /** Ponder's log level (default POQ_INDEXER_LOG_LEVEL or "warn"). */
  logLevel?: "error" | "warn" | "info" | "debug";
}

export interface IndexerProcess {
  url: string;
  proc: ChildProcess;
  /** Last lines the process printed (for error messages). */
  tail: () => string;
  /** Waits until /ready answers 200 and /status reaches `minBlock` (default: 0). */
  waitSynced: (minBlock?: bigint, timeoutMs?: number) => Promise<void>;
  /** SIGINT (SIGTERM leaves the schema locked), then waits for the exit. */
  stop: () => Promise<void>;
}

export function startIndexer(o: IndexerOptions): IndexerProcess {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    POQ_RPC_URL: o.rpcUrl,
    POQ_CHAIN_ID: String(o.chainId),
    ...(o.deploymentsDir ? { POQ_DEPLOYMENTS_DIR: o.deploymentsDir } : {}),
    ...(o.pgliteDir ? { POQ_PGLITE_DIR: o.pgliteDir } : {}),
    DATABASE_URL: o.databaseUrl ?? "",
    DATABASE_PRIVATE_URL: "",
  };
  const args = [ponderBin, "start", "--root", here, "--port", String(o.port), "--hostname", "127.0.0.1", "--schema", o.schema, "--log-format", "json", "--log-level", o.logLevel ?? process.env.POQ_INDEXER_LOG_LEVEL ?? "warn"];
  const proc = spawn(process.execPath, args, { cwd: here, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const log = o.logFile ? createWriteStream(o.logFile, { flags: "a" }) : undefined;
  const keep = (b: Buffer) => {
    log?.write(b);
    for (const l of b.toString().split("\n")) if (l.trim()) lines.push(l);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  proc.stdout!.on("data", keep);
  proc.stderr!.on("data", keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) => proc.on("exit", (code) => ((exited = code), r())));
  const url = `http://127.0.0.1:${o.port}`;
  const tail = () => lines.join("\n");

  async function waitSynced(minBlock = 0n, timeoutMs = 180_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (exited !== undefined) throw new Error(`indexer exited with code ${exited}:\n${tail()}`);
      try {
        const ready = await fetch(`${url}/ready`);
        if (ready.status === 200) {
          const s = (await (await fetch(`${url}/status`)).json()) as Record<string, { block?: { number?: number } }>;
          const at = Object.values(s)[0]?.block?.number;
          if (at !== undefined && BigInt(at) >= minBlock) return;
        }
      } catch {
        /* not listening yet */
      }
      if (Date.now() > end) throw new Error(`indexer not synced to block ${minBlock} after ${timeoutMs} ms:\n${tail()}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  async function stop() {
    if (exited !== undefined) return;
    proc.kill("SIGINT");
    const t = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    await exit;
    clearTimeout(t);
    log?.end();
  }

  return { url, proc, tail, waitSynced, stop };
}
