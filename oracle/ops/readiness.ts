/** One dependency of a ready worker: resolves when it answers, rejects (or times out) when not. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ReadinessReport {
  ready: boolean;
  /** "ok", or why the dependency is not answering. */
  checks: Record<string, string>;
}

/**
 * Runs every check at once, each bounded by `timeoutMs`. Ready when all answer: the worker's
 * `/readyz` (chain RPC, Redis, the scoring thread).
 */
export async function checkReadiness(checks: Record<string, ReadinessCheck>, timeoutMs = 5_000): Promise<ReadinessReport> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, string]> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, "ok"];
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        return [name, msg.split("\n").find((l) => l.trim())?.trim() || "failed"];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const report = Object.fromEntries(entries);
  return { ready: entries.every(([, v]) => v === "ok"), checks: report };
}
