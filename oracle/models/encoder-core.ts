import { createLogger, type Logger } from "../core/log.js";
import { planBatches } from "./batching.js";
import { LruCache, sha256Hex } from "./cache.js";
import { splitSentences } from "./sentences.js";
import type { EncodeRequest, EncodeResult, SentenceEncoder, TokenStates } from "./types.js";

/** One model input: token ids (with any special tokens) and their display strings. */
export interface Window {
  ids: number[];
  tokens: string[];
}

export interface WindowOutput {
  /** L2-normalised window embedding. */
  embedding: Float32Array;
  /** One vector per token of the window (only when asked for). */
  states?: Float32Array[];
}

export interface CoreOptions {
  batchSize: number;
  maxTokensPerBatch?: number;
  embeddingCacheSize: number;
  /** Bound on cached token-state floats (default 8M floats = 32 MiB). */
  tokenStateCacheFloats?: number;
  logger?: Logger;
}

export const DEFAULT_BATCH_SIZE = 64;
export const DEFAULT_EMBEDDING_CACHE = 20_000;

/**
 * Shared machinery of every sentence encoder: windowing of long texts, length-bucketed
 * batching, pooling of windows, and bounded content-hash caches.
 *
 * Pooling of a text with several windows: the token-count-weighted mean of the window
 * embeddings, L2-normalised; token states: all windows' states concatenated in order.
 */
export abstract class WindowedEncoder implements SentenceEncoder {
  abstract readonly id: string;
  abstract readonly dim: number;
  protected readonly log: Logger;
  private readonly embCache: LruCache<string, Float32Array>;
  private readonly stateCache: LruCache<string, TokenStates>;

  constructor(protected readonly core: CoreOptions) {
    this.log = core.logger ?? createLogger("poq.models");
    this.embCache = new LruCache(core.embeddingCacheSize);
    this.stateCache = new LruCache(core.tokenStateCacheFloats ?? 8_000_000, (s) => s.states.length * this.dim + 1);
  }

  /** Splits one text into model windows (each within the model's position limit). */
  protected abstract windows(text: string): Window[];

  /** Runs one batch of windows through the model; token states only for windows flagged in `wantStates`. */
  protected abstract forward(batch: Window[], wantStates: readonly boolean[]): Promise<WindowOutput[]>;

  abstract close(): Promise<void>;

  /** Cache statistics (entries held). */
  cacheStats(): { embeddings: number; tokenStateTexts: number } {
    return { embeddings: this.embCache.size, tokenStateTexts: this.stateCache.size };
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return (await this.encode({ embed: texts, states: [] })).embeddings;
  }

  async tokenStates(texts: string[]): Promise<TokenStates[]> {
    return (await this.encode({ embed: [], states: texts })).states;
  }

  /**
   * Embeddings and token states in one pass: cache misses of both kinds are windowed and
   * planned into batches together (a text whose states are computed also yields its
   * embedding). Batching does not change results, so this gives the bits of the two calls.
   */
  async encode(request: EncodeRequest): Promise<EncodeResult> {
    const stateKeys = request.states.map((t) => sha256Hex(t));
    const embKeys = request.embed.map((t) => sha256Hex(t));
    // hits are held here: computing misses may evict them from the caches
    const states = new Map<string, TokenStates>();
    const embeddings = new Map<string, Float32Array>();
    const missing = new Map<string, { text: string; states: boolean }>();
    stateKeys.forEach((k, i) => {
      if (states.has(k) || missing.has(k)) return;
      const hit = this.stateCache.get(k);
      if (hit) states.set(k, hit);
      else missing.set(k, { text: request.states[i]!, states: true });
    });
    embKeys.forEach((k, i) => {
      if (embeddings.has(k) || missing.has(k)) return;
      const hit = this.embCache.get(k);
      if (hit) embeddings.set(k, hit);
      else missing.set(k, { text: request.embed[i]!, states: false });
    });
    if (missing.size > 0) {
      const list = [...missing.entries()];
      const results = await this.encodeTexts(
        list.map(([, m]) => m.text),
        list.map(([, m]) => m.states),
      );
      list.forEach(([k, m], i) => {
        const r = results[i]!;
        if (m.states) {
          states.set(k, r.tokenStates!);
          this.stateCache.set(k, r.tokenStates!);
        }
        embeddings.set(k, r.embedding);
        this.embCache.set(k, r.embedding);
      });
    }
    return { embeddings: embKeys.map((k) => embeddings.get(k)!), states: stateKeys.map((k) => states.get(k)!) };
  }

  private async encodeTexts(texts: string[], wantStates: readonly boolean[]): Promise<Array<{ embedding: Float32Array; tokenStates?: TokenStates }>> {
    const perText = texts.map((t) => this.windows(t));
    const flat: Array<{ text: number; window: Window }> = [];
    perText.forEach((ws, text) => ws.forEach((window) => flat.push({ text, window })));
    const outputs = new Array<WindowOutput>(flat.length);
    for (const batch of planBatches(flat.map((f) => f.window.ids.length), this.core.batchSize, this.core.maxTokensPerBatch)) {
      const res = await this.forward(
        batch.map((i) => flat[i]!.window),
        batch.map((i) => wantStates[flat[i]!.text]!),
      );
      batch.forEach((i, j) => {
        outputs[i] = res[j]!;
      });
    }
    const results: Array<{ embedding: Float32Array; tokenStates?: TokenStates }> = texts.map(() => ({ embedding: new Float32Array(0) }));
    let cursor = 0;
    perText.forEach((ws, t) => {
      const outs = outputs.slice(cursor, cursor + ws.length);
      cursor += ws.length;
      const embedding = outs.length === 1 ? outs[0]!.embedding : poolWindows(outs.map((o) => o.embedding), ws.map((w) => w.ids.length), this.dim);
      const r: { embedding: Float32Array; tokenStates?: TokenStates } = { embedding };
      if (wantStates[t]) {
        r.tokenStates = { tokens: ws.flatMap((w) => w.tokens), states: outs.flatMap((o) => o.states ?? []) };
      }
      results[t] = r;
    });
    return results;
  }
}

/** Token-count-weighted mean of window embeddings, L2-normalised. */
export function poolWindows(embeddings: Float32Array[], weights: number[], dim: number): Float32Array {
  const acc = new Float64Array(dim);
  embeddings.forEach((e, i) => {
    const w = Math.max(1, weights[i]!);
    for (let j = 0; j < dim; j++) acc[j]! += w * e[j]!;
  });
  return l2Normalize(acc);
}

export function l2Normalize(v: ArrayLike<number>): Float32Array {
  let sq = 0;
  for (let j = 0; j < v.length; j++) sq += v[j]! * v[j]!;
  const inv = 1 / Math.sqrt(Math.max(sq, 1e-12));
  const out = new Float32Array(v.length);
  for (let j = 0; j < v.length; j++) out[j] = v[j]! * inv;
  return out;
}

/**
 * Splits a long text into chunks of whole sentences whose token counts stay within
 * `maxTokens` (greedy packing in order); a sentence longer than the limit becomes its own
 * chunk (the caller cuts its ids into windows). Returns [text] when it already fits.
 */
export function packSentences(text: string, countTokens: (s: string) => number, maxTokens: number): string[] {
  if (countTokens(text) <= maxTokens) return [text];
  const chunks: string[] = [];
  let current: string[] = [];
  let currentTokens = 0;
  for (const sentence of splitSentences(text)) {
    const n = countTokens(sentence);
    if (current.length > 0 && currentTokens + n > maxTokens) {
      chunks.push(current.join(" "));
      current = [];
      currentTokens = 0;
    }
    current.push(sentence);
    currentTokens += n;
  }
  if (current.length > 0) chunks.push(current.join(" "));
  return chunks;
}
