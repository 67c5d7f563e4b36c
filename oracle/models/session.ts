import * as ort from "onnxruntime-node";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { PoqError, errorMessage } from "../core/errors.js";
import { createLogger, type Logger } from "../core/log.js";
import type { ExecutionProvider } from "./types.js";

export interface SessionConfig {
  executionProviders?: ExecutionProvider[];
  intraOpThreads?: number;
  /** Let idle intra-op threads spin (default false: better on a shared machine). */
  allowSpinning?: boolean;
  logger?: Logger;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The execution provider the session was created with. */
  provider: ExecutionProvider;
  /** Why earlier providers were skipped (empty when the first one worked). */
  fallbacks: Array<{ provider: ExecutionProvider; reason: string }>;
}

export const DEFAULT_INTRA_OP_THREADS = 2;

/**
 * Creates an onnxruntime-node session, trying the configured execution providers in order
 * (default: cpu). A provider that fails at session creation (e.g. `cuda` without its
 * libraries) is logged with the reason and the next one is tried; `cpu` is always the last
 * resort, so asking for ["cuda"] on a machine without CUDA still yields a CPU session.
 */
export async function openSession(model: string | Uint8Array, config: SessionConfig = {}): Promise<OpenedSession> {
  const log = config.logger ?? createLogger("poq.models");
  const requested = config.executionProviders?.length ? [...config.executionProviders] : ["cpu" as const];
  if (!requested.includes("cpu")) requested.push("cpu");
  const threads = config.intraOpThreads ?? DEFAULT_INTRA_OP_THREADS;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new PoqError("E_CONFIG", `intraOpThreads must be a positive integer, got ${threads}`, { field: "intraOpThreads" });
  }
  const fallbacks: OpenedSession["fallbacks"] = [];
  for (const provider of requested) {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [provider],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
      extra: { session: { intra_op: { allow_spinning: config.allowSpinning ? "1" : "0" } } },
    };
    const missing = missingProviderLibrary(provider);
    if (missing) {
      // Known before asking onnxruntime, which would print its own error line to stderr.
      fallbacks.push({ provider, reason: missing });
      continue;
    }
    try {
      const session =
        typeof model === "string" ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
      if (fallbacks.length > 0) {
        // One warning: e.g. "CUDA unavailable, using CPU", the reasons in the fields.
        log.warn({ provider, fallbacks, reason: fallbacks[0]!.reason }, `${fallbacks.map((f) => f.provider.toUpperCase()).join(", ")} unavailable, using ${provider.toUpperCase()}`);
      } else {
        log.debug({ provider, threads }, "onnx session created");
      }
      return { session, provider, fallbacks };
    } catch (err) {
      const reason = errorMessage(err).split("\n")[0]!.slice(0, 500);
      fallbacks.push({ provider, reason });
      if (provider === "cpu") break;
    }
  }
  throw new PoqError("E_MODEL_SESSION", `could not create an onnxruntime session: ${fallbacks.map((f) => `${f.provider}: ${f.reason}`).join("; ")}`, {
    fallbacks,
  });
}

/**
 * Why a GPU provider cannot load, when that shows without onnxruntime: onnxruntime-node ships
 * its CUDA provider libraries only when its install script fetched them (skipped with
 * ONNXRUNTIME_NODE_INSTALL=skip). Undefined: try it.
 */
function missingProviderLibrary(provider: ExecutionProvider): string | undefined {
  if (provider !== "cuda") return undefined;
  let dir: string;
  try {
    const pkg = createRequire(import.meta.url).resolve("onnxruntime-node/package.json");
    dir = path.join(path.dirname(pkg), "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return undefined;
  }
  const lib = process.platform === "win32" ? "onnxruntime_providers_shared.dll" : "libonnxruntime_providers_shared.so";
  return existsSync(path.join(dir, lib)) ? undefined : `onnxruntime-node has no CUDA provider libraries (${lib} not in ${dir})`;
}
