import type { Logger } from "pino";

const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

/**
 * Graceful shutdown: on SIGTERM, SIGINT or SIGHUP (the terminal it ran in closed) run `stop` once (close workers so active jobs finish
 * or are handed back, close Redis and servers), then exit. A second signal exits at once.
 */
export function onShutdown(stop: () => Promise<void>, log?: Logger, timeoutMs = 30_000): () => void {
  let stopping = false;
  const handler = (sig: NodeJS.Signals) => {
    if (stopping) {
      log?.warn({ sig }, "second signal, exiting now");
      process.exit(130);
    }
    stopping = true;
    log?.info({ sig }, "shutting down: finishing active jobs");
    const t = setTimeout(() => {
      log?.error("shutdown timed out");
      process.exit(1);
    }, timeoutMs);
    t.unref();
    stop()
      .then(() => {
        log?.info("stopped");
        process.exit(0);
      })
      .catch((err) => {
        log?.error({ err: (err as Error).message }, "error while stopping");
        process.exit(1);
      });
  };
  for (const sig of SIGNALS) process.on(sig, handler);
  return () => {
    for (const sig of SIGNALS) process.off(sig, handler);
  };
}
