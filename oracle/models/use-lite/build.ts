import { readFile, readdir, unlink } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger, type Logger } from "../../core/log.js";
import { fileExists, modelCacheDir, sha256Hex, writeFileAtomic } from "../cache.js";
import { CONVERTER_VERSION, convertUseLite, type AttentionImpl } from "./convert.js";
import { readUseLiteSource, type UseLiteSource } from "./weights.js";

export interface BuiltUseLite {
  /** Path of the ONNX file in the cache. */
  modelPath: string;
  /** Cache key: sha256 of (source weights hash, converter version, converter source hash, variant). */
  key: string;
  source: UseLiteSource;
  /** True when this call wrote the file (false: a cached build was reused). */
  built: boolean;
  buildMs: number;
}

/**
 * Returns the cached ONNX build of USE-lite, converting the TF.js weights first when the
 * cache has no file for the current (weights hash, converter version, variant). Reads only
 * local files; never downloads.
 */
export async function ensureUseLiteModel(opts: { cacheDir?: string; attention?: AttentionImpl; force?: boolean; logger?: Logger } = {}): Promise<BuiltUseLite> {
  const log = opts.logger ?? createLogger("poq.models");
  const attention = opts.attention ?? "fused";
  const source = await readUseLiteSource();
  const key = sha256Hex(`${source.sha256}\n${CONVERTER_VERSION}\n${await converterSourceHash()}\n${attention}`);
  const modelPath = path.join(modelCacheDir(opts.cacheDir), `use-lite-${key.slice(0, 16)}.onnx`);
  if (!opts.force && (await fileExists(modelPath))) {
    return { modelPath, key, source, built: false, buildMs: 0 };
  }
  const t0 = performance.now();
  const bytes = convertUseLite(source, { attention });
  await writeFileAtomic(modelPath, bytes);
  const buildMs = performance.now() - t0;
  log.info({ modelPath, bytes: bytes.length, ms: Math.round(buildMs) }, "built USE-lite ONNX model");
  await pruneStaleBuilds(path.dirname(modelPath), path.basename(modelPath), log);
  return { modelPath, key, source, built: true, buildMs };
}

/** sha256 of a built file (for reports). */
export async function fileSha256(p: string): Promise<string> {
  return sha256Hex(await readFile(p));
}

let converterHash: Promise<string> | undefined;

/**
 * sha256 of the converter's own source files, so any edit to the conversion rebuilds the
 * cached model even when CONVERTER_VERSION was not bumped.
 */
function converterSourceHash(): Promise<string> {
  converterHash ??= (async () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const files = [path.join(here, "convert.ts"), path.join(here, "..", "onnx", "graph.ts")];
    const parts: Buffer[] = [];
    for (const f of files) {
      try {
        parts.push(await readFile(f));
      } catch {
        parts.push(Buffer.from(`missing:${path.basename(f)}`)); // e.g. a compiled build without sources
      }
    }
    return sha256Hex(Buffer.concat(parts));
  })();
  return converterHash;
}

/** Removes other USE-lite builds from the cache directory (28 MB each; rebuilt on demand). */
async function pruneStaleBuilds(dir: string, keep: string, log: Logger): Promise<void> {
  for (const f of await readdir(dir).catch(() => [] as string[])) {
    if (f === keep || !/^use-lite-[0-9a-f]{16}\.onnx$/.test(f)) continue;
    try {
      await unlink(path.join(dir, f));
      log.debug({ file: f }, "removed stale USE-lite build");
    } catch {
      // another process may have removed it first
    }
  }
}
