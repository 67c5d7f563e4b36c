import { pino, type Logger } from "pino";

/**
 * The one logger factory. Structured JSON on stderr (stdout stays free for command output);
 * level from POQ_LOG_LEVEL (default "info", "silent" in tests); `dest` sends it elsewhere (a file).
 */
export function createLogger(name: string, level?: string, dest: pino.DestinationStream = pino.destination(2)): Logger {
  const defaultLevel = process.env.VITEST ? "silent" : "info";
  return pino({ name, level: level ?? process.env.POQ_LOG_LEVEL ?? defaultLevel }, dest);
}

export type { Logger };
