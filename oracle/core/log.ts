import { pino, type Logger } from "pino";

/**
 * The one logger factory. Structured JSON on stderr (stdout stays free for command output);
 * level from POQ_LOG_LEVEL (default "info", "silent" in tests); `dest` sends it elsewhere (a file).
 */
export function createLogger(name: string, level?: string, dest: pino.DestinationStream = pino.destination(2)): Logger {
  const defaultLevel = process.env.VITEST ? "silent" : "info";
  return pino({ name, level: level ?? process.env.POQ_LOG_LEVEL ?? defaultLevel }, dest);
}

/** Batched destinations alive in this process (see flushLogs). */
const batched = new Set<{ flushSync(): void }>();

/** Writes out every line a batched destination still holds (before a fatal message, a kill). */
export function flushLogs(): void {
  for (const d of batched) d.flushSync();
}

/**
 * A destination that gathers the lines of a burst and writes them in one go, at most `delayMs`
 * after the first (or at 64 KiB). A busy worker logs in bursts (a mined multicall confirms up
 * to 16 commits at once, each a line); one write a line is one syscall each. The lines are
 * written out at exit (including exits after an uncaught error) and by flushLogs(); only a
 * process killed outright (SIGKILL) can lose the last `delayMs` of them.
 */
export function batchedDestination(fd = 2, delayMs = 50): pino.DestinationStream & { flushSync(): void } {
  const out = pino.destination({ dest: fd, sync: true });
  let buf = "";
  let timer: NodeJS.Timeout | undefined;
  const d = {
    write(line: string) {
      buf += line;
      if (buf.length >= 65_536) d.flushSync();
      else if (!timer) {
        timer = setTimeout(() => d.flushSync(), delayMs);
        timer.unref();
      }
    },
    flushSync() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (!buf) return;
      const b = buf;
      buf = "";
      out.write(b);
    },
  };
  batched.add(d);
  process.once("exit", () => d.flushSync());
  return d;
}

export type { Logger };
