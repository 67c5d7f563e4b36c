import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { PoqError, errorMessage } from "../../core/errors.js";
import { Mutex, copyRows, planBatches } from "../batching.js";
import { sha256Hex } from "../cache.js";
import { DEFAULT_BATCH_SIZE, DEFAULT_EMBEDDING_CACHE, WindowedEncoder, l2Normalize, packSentences, type Window, type WindowOutput } from "../encoder-core.js";
import { openSession } from "../session.js";
import type { BiEncoderOptions, CrossEncoderOptions, ExecutionProvider, NliModel, NliProbabilities, SentenceEncoder } from "../types.js";
import { loadHfTokenizer, type HfTokenizer } from "./tokenizer.js";

const DEFAULT_MAX_LENGTH = 512;
const ID_INPUTS = ["input_ids", "attention_mask", "token_type_ids"] as const;

/** Feeds for the model's declared inputs (int64 or int32, as the model asks). */
function makeFeeds(session: ort.InferenceSession, rows: Array<{ ids: number[]; typeIds?: number[] }>): { feeds: Record<string, ort.Tensor>; width: number; mask: Uint8Array } {
  const width = Math.max(1, ...rows.map((r) => r.ids.length));
  const n = rows.length * width;
  const ids = new Float64Array(n);
  const mask = new Uint8Array(n);
  const types = new Float64Array(n);
  rows.forEach((r, b) => {
    r.ids.forEach((id, t) => {
      ids[b * width + t] = id;
      mask[b * width + t] = 1;
      types[b * width + t] = r.typeIds?.[t] ?? 0;
    });
  });
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of session.inputMetadata) {
    const source = meta.name === "input_ids" ? ids : meta.name === "attention_mask" ? mask : meta.name === "token_type_ids" ? types : undefined;
    if (!source) {
      throw new PoqError("E_MODEL_FORMAT", `model input "${meta.name}" is not one of ${ID_INPUTS.join(", ")}`, { input: meta.name });
    }
    const type = meta.isTensor ? meta.type : "int64";
    const dims = [rows.length, width];
    if (type === "int32") feeds[meta.name] = new ort.Tensor("int32", Int32Array.from(source), dims);
    else if (type === "int64") feeds[meta.name] = new ort.Tensor("int64", BigInt64Array.from(source, (v) => BigInt(v)), dims);
    else if (type === "float32") feeds[meta.name] = new ort.Tensor("float32", Float32Array.from(source), dims);
    else throw new PoqError("E_MODEL_FORMAT", `model input "${meta.name}" has unsupported type ${type}`, { input: meta.name });
  }
  return { feeds, width, mask };
}

async function modelId(kind: string, modelPath: string, tok: HfTokenizer, extra: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(modelPath);
  } catch (err) {
    throw new PoqError("E_MODEL_FILE", `cannot read model ${modelPath}: ${errorMessage(err)}`, { path: modelPath });
  }
  const hash = sha256Hex(Buffer.concat([bytes, tok.raw, Buffer.from(extra)]));
  return `${kind}:${path.basename(modelPath, ".onnx")}:${hash.slice(0, 12)}`;
}

class OnnxBiEncoder extends WindowedEncoder {
  private readonly mutex = new Mutex();
  dim: number;

  constructor(
    readonly id: string,
    readonly provider: ExecutionProvider,
    private readonly session: ort.InferenceSession,
    private readonly tok: HfTokenizer,
    private readonly output: string,
    private readonly pooling: "mean" | "cls",
    private readonly maxLength: number,
    dim: number,
    opts: BiEncoderOptions,
  ) {
    super({ batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, embeddingCacheSize: opts.embeddingCacheSize ?? DEFAULT_EMBEDDING_CACHE, logger: opts.logger });
    this.dim = dim;
  }

  protected windows(text: string): Window[] {
    const t = this.tok;
    const room = Math.max(1, this.maxLength - t.prefix.ids.length - t.suffix.ids.length);
    const out: Window[] = [];
    for (const chunk of packSentences(text, (s) => t.encode(s, { specialTokens: false }).ids.length, room)) {
      const enc = t.encode(chunk, { specialTokens: false });
      for (let start = 0; start < Math.max(1, enc.ids.length); start += room) {
        out.push({
          ids: [...t.prefix.ids, ...enc.ids.slice(start, start + room), ...t.suffix.ids],
          tokens: [...t.prefix.tokens, ...enc.tokens.slice(start, start + room), ...t.suffix.tokens],
        });
      }
    }
    return out;
  }

  protected forward(batch: Window[], wantStates: readonly boolean[]): Promise<WindowOutput[]> {
    return this.mutex.run(async () => {
      const { feeds, width, mask } = makeFeeds(this.session, batch);
      const out = (await this.session.run(feeds, [this.output]))[this.output]!;
      const data = out.data as Float32Array;
      const H = this.dim;
      if (out.dims.length === 2) {
        if (wantStates.some(Boolean)) throw new PoqError("E_UNSUPPORTED", `model ${this.id} outputs pooled embeddings only; no token states`);
        return batch.map((_, b) => ({ embedding: l2Normalize(data.subarray(b * H, (b + 1) * H)) }));
      }
      return batch.map((w, b) => {
        const acc = new Float64Array(H);
        if (this.pooling === "cls") {
          for (let j = 0; j < H; j++) acc[j] = data[b * width * H + j]!;
        } else {
          let count = 0;
          for (let t = 0; t < width; t++) {
            if (!mask[b * width + t]) continue;
            count++;
            const base = (b * width + t) * H;
            for (let j = 0; j < H; j++) acc[j]! += data[base + j]!;
          }
          for (let j = 0; j < H; j++) acc[j]! /= Math.max(1, count);
        }
        const r: WindowOutput = { embedding: l2Normalize(acc) };
        if (wantStates[b]) r.states = copyRows(data, b * width, w.ids.length, H);
        return r;
      });
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(() => this.session.release());
  }
}

/**
 * Any ONNX bi-encoder with a HuggingFace tokenizer.json: inputs among input_ids,
 * attention_mask, token_type_ids; output `last_hidden_state` / `token_embeddings` [B,T,H]
 * (pooled here: masked mean or the first token), or a pooled [B,H] output (then no token
 * states). Embeddings are L2-normalised; long texts are windowed like USE-lite.
 */
export async function loadOnnxBiEncoder(opts: BiEncoderOptions): Promise<SentenceEncoder & { readonly provider: ExecutionProvider }> {
  const tok = await loadHfTokenizer(opts.tokenizerPath);
  const pooling = opts.pooling ?? "mean";
  const id = await modelId("onnx-bi", opts.modelPath, tok, pooling);
  const { session, provider } = await openSession(opts.modelPath, opts);
  const names = session.outputNames;
  const output = ["last_hidden_state", "token_embeddings", "sentence_embedding"].find((n) => names.includes(n)) ?? names[0]!;
  const meta = session.outputMetadata.find((m) => m.name === output);
  const last = meta && meta.isTensor ? meta.shape[meta.shape.length - 1] : undefined;
  let dim = typeof last === "number" ? last : 0;
  const maxLength = opts.maxLength ?? tok.maxLength ?? DEFAULT_MAX_LENGTH;
  const enc = new OnnxBiEncoder(id, provider, session, tok, output, pooling, maxLength, dim, opts);
  if (dim === 0) {
    // symbolic hidden size: find it with one probe run
    const probe = await session.run(makeFeeds(session, [{ ids: [...tok.prefix.ids, ...tok.suffix.ids] }]).feeds, [output]);
    dim = probe[output]!.dims[probe[output]!.dims.length - 1]!;
    enc.dim = dim;
  }
  return enc;
}

class OnnxCrossEncoder implements NliModel {
  private readonly mutex = new Mutex();

  constructor(
    readonly id: string,
    readonly provider: ExecutionProvider,
    private readonly session: ort.InferenceSession,
    private readonly tok: HfTokenizer,
    private readonly labelIndex: { entailment: number; neutral: number; contradiction: number },
    private readonly numLabels: number,
    private readonly maxLength: number,
    private readonly batchSize: number,
  ) {}

  /** Encodes a pair; a pair over maxLength has its premise cut by words until it fits. */
  private encodePair(premise: string, hypothesis: string): { ids: number[]; typeIds: number[] } {
    const t = this.tok;
    let enc = t.encode(premise, { pair: hypothesis });
    if (enc.ids.length > this.maxLength) {
      const words = premise.split(/\s+/u);
      let lo = 0;
      let hi = words.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (t.encode(words.slice(0, mid).join(" "), { pair: hypothesis }).ids.length <= this.maxLength) lo = mid;
        else hi = mid - 1;
      }
      enc = t.encode(words.slice(0, lo).join(" "), { pair: hypothesis });
      if (enc.ids.length > this.maxLength) {
        enc = { ...enc, ids: enc.ids.slice(0, this.maxLength), typeIds: enc.typeIds.slice(0, this.maxLength) }; // hypothesis alone too long
      }
    }
    return { ids: enc.ids, typeIds: enc.typeIds };
  }

  async classify(pairs: Array<[premise: string, hypothesis: string]>): Promise<NliProbabilities[]> {
    const encoded = pairs.map(([p, h]) => this.encodePair(p, h));
    const out = new Array<NliProbabilities>(pairs.length);
    for (const batch of planBatches(encoded.map((e) => e.ids.length), this.batchSize)) {
      const logits = await this.mutex.run(async () => {
        const { feeds } = makeFeeds(this.session, batch.map((i) => encoded[i]!));
        const res = await this.session.run(feeds);
        const first = res[this.session.outputNames[0]!]!;
        if (first.dims.length !== 2 || first.dims[1] !== this.numLabels) {
          throw new PoqError("E_MODEL_FORMAT", `cross-encoder output has shape [${first.dims.join(", ")}], expected [batch, ${this.numLabels}]`);
        }
        return first.data as Float32Array;
      });
      batch.forEach((i, b) => {
        const row = Array.from(logits.subarray(b * this.numLabels, (b + 1) * this.numLabels));
        const max = Math.max(...row);
        const exps = row.map((v) => Math.exp(v - max));
        const sum = exps.reduce((a, v) => a + v, 0);
        const p = (k: number) => (k < 0 ? 0 : exps[k]! / sum);
        out[i] = { entailment: p(this.labelIndex.entailment), neutral: p(this.labelIndex.neutral), contradiction: p(this.labelIndex.contradiction) };
      });
    }
    return out;
  }

  async close(): Promise<void> {
    await this.mutex.run(() => this.session.release());
  }
}

/**
 * Any ONNX NLI cross-encoder with a HuggingFace tokenizer.json. `labels` names each logit
 * in output order (e.g. ["contradiction", "entailment", "neutral"]); labels starting with
 * "entail" and "contradict" are required, "neutral" is optional (0 when absent). The
 * probabilities are the softmax over all logits.
 */
export async function loadOnnxCrossEncoder(opts: CrossEncoderOptions): Promise<NliModel & { readonly provider: ExecutionProvider }> {
  const find = (prefix: string) => opts.labels.findIndex((l) => l.toLowerCase().startsWith(prefix));
  const labelIndex = { entailment: find("entail"), neutral: find("neutral"), contradiction: find("contradict") };
  if (labelIndex.entailment < 0 || labelIndex.contradiction < 0) {
    throw new PoqError("E_CONFIG", `labels must include entailment and contradiction, got [${opts.labels.join(", ")}]`, { field: "labels" });
  }
  const tok = await loadHfTokenizer(opts.tokenizerPath);
  const id = await modelId("onnx-nli", opts.modelPath, tok, opts.labels.join(","));
  const { session, provider } = await openSession(opts.modelPath, opts);
  const maxLength = opts.maxLength ?? tok.maxLength ?? DEFAULT_MAX_LENGTH;
  return new OnnxCrossEncoder(id, provider, session, tok, labelIndex, opts.labels.length, maxLength, opts.batchSize ?? DEFAULT_BATCH_SIZE);
}
