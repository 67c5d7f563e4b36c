import { pino, type Logger } from "pino";

/**
 * The one logger factory. Structured JSON on stderr (stdout stays free for command output);
 * level from POQ_LOG_LEVEL (default "info", "silent" in tests).
 */
export function createLogger(name: string, level?: string): Logger {
  const defaultLevel = process.env.VITEST ? "silent" : "info";
  return pino({ name, level: level ?? process.env.POQ_LOG_LEVEL ?? defaultLevel }, pino.destination(2));
}

export type { Logger };
