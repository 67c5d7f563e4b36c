import { readFileSync, existsSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { configSchema, type PoqConfig } from "./schema.js";

/**
 * Configuration = JSON file (optional) overlaid by environment variables, validated by zod.
 * Every problem is reported with its field path and reason in one InputError.
 *
 * Environment: POQ_CONFIG (file), POQ_RPC_URL, POQ_CONTRACT, REDIS_URL, POQ_REDIS_PREFIX,
 * POQ_CONTENT_DIR, POQ_CONTENT_URL, POQ_WORKER_CONCURRENCY, POQ_SCORING_THREADS, POQ_CONFIRMATIONS,
 * POQ_POLL_INTERVAL_MS, POQ_TX_BATCH_MAX_CALLS, POQ_TX_BATCH_LINGER_MS, POQ_TX_LEARN_GAS, POQ_METRICS_PORT,
 * POQ_KEYSTORES (comma-separated), POQ_PROFILES (comma-separated), POQ_LOG_LEVEL.
 */
export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Applied last (e.g. CLI flags). Deep-merged. */
  overrides?: Record<string, unknown>;
}

/** Keys that must never appear in a config file: keys belong in a keystore or the environment. */
const FORBIDDEN_KEYS = /^(private_?key|privateKeys?|secret|mnemonic|password)$/i;

function findForbidden(value: unknown, path: string[] = []): string | undefined {
  if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (FORBIDDEN_KEYS.test(k)) return [...path, k].join(".");
      const inner = findForbidden(v, [...path, k]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === "object" && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = isObj(v) && isObj(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

function int(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new InputError(`${name} must be an integer, got "${raw}"`, { field: name, reason: "not an integer" });
  return n;
}

function bool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new InputError(`${name} must be true or false, got "${raw}"`, { field: name, reason: "not a boolean" });
}

function list(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  return raw.split(",").map((s) => s.trim()).filter(Boolean);
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const content = env.POQ_CONTENT_URL
    ? { kind: "http", url: env.POQ_CONTENT_URL }
    : env.POQ_CONTENT_DIR
      ? { kind: "dir", dir: env.POQ_CONTENT_DIR }
      : undefined;
  return {
    rpcUrl: env.POQ_RPC_URL || undefined,
    contract: env.POQ_CONTRACT || undefined,
    redis: { url: env.REDIS_URL || undefined, prefix: env.POQ_REDIS_PREFIX || undefined },
    content,
    keys: { keystores: list(env, "POQ_KEYSTORES") },
    profiles: list(env, "POQ_PROFILES"),
    worker: {
      concurrency: int(env, "POQ_WORKER_CONCURRENCY"),
      scoringThreads: int(env, "POQ_SCORING_THREADS"),
      confirmations: int(env, "POQ_CONFIRMATIONS"),
      pollIntervalMs: int(env, "POQ_POLL_INTERVAL_MS"),
    },
    tx: { batchMaxCalls: int(env, "POQ_TX_BATCH_MAX_CALLS"), batchLingerMs: int(env, "POQ_TX_BATCH_LINGER_MS"), learnGas: bool(env, "POQ_TX_LEARN_GAS") },
    metrics: { port: int(env, "POQ_METRICS_PORT") },
    logLevel: env.POQ_LOG_LEVEL || undefined,
  };
}

function prune(v: unknown): unknown {
  if (!isObj(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const p = prune(x);
    if (p === undefined) continue;
    if (isObj(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}

export function loadConfig(opts: LoadConfigOptions = {}): PoqConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.POQ_CONFIG;
  let fileValue: Record<string, unknown> = {};
  if (file) {
    if (!existsSync(file)) throw new InputError(`config file not found: ${file}`, { field: "config", reason: "missing file" });
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw new InputError(`config file ${file} is not valid JSON: ${(err as Error).message}`, { field: "config", reason: "invalid JSON" });
    }
    if (!isObj(parsed)) throw new InputError(`config file ${file} must hold a JSON object`, { field: "config", reason: "not an object" });
    const bad = findForbidden(parsed);
    if (bad)
      throw new InputError(
        `config file ${file} contains "${bad}": secrets never go in a config file; use an encrypted keystore (npx poq keys new|import) or the environment`,
        { field: bad, reason: "secret in config file" },
      );
    fileValue = parsed;
  }
  const merged = deepMerge(deepMerge(fileValue, prune(fromEnv(env)) as Record<string, unknown>), (prune(opts.overrides ?? {}) as Record<string, unknown>) ?? {});
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new InputError(`invalid configuration${file ? ` (${file})` : ""}:\n  ${lines.join("\n  ")}`, {
      field: result.error.issues[0]?.path.join("."),
      reason: result.error.issues[0]?.message,
    });
  }
  return result.data;
}
