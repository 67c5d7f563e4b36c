import type { Logger } from "../core/log.js";

/** Per-token states of one text: one model-dim vector per token (all windows concatenated). */
export interface TokenStates {
  tokens: string[];
  states: Float32Array[];
}

export interface EncodeRequest {
  /** Texts whose embedding is wanted. */
  embed: string[];
  /** Texts whose token states are wanted (their embeddings come along into the cache). */
  states: string[];
}

export interface EncodeResult {
  /** One per `request.embed` text, in order. */
  embeddings: Float32Array[];
  /** One per `request.states` text, in order. */
  states: TokenStates[];
}

/** A sentence encoder: L2-normalised embeddings and per-token states. */
export interface SentenceEncoder {
  /** Model id + version/hash, used in scoring profiles. */
  readonly id: string;
  /** Embedding (and token-state) dimension. */
  readonly dim: number;
  /** L2-normalised embeddings; long texts are windowed and pooled; cached by content hash. */
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Per-token states (for BERTScore-style matching). */
  tokenStates(texts: string[]): Promise<TokenStates[]>;
  /**
   * Optional: `embed(request.embed)` and `tokenStates(request.states)` in one go, the texts
   * of both planned into one set of length-bucketed batches (fewer, fuller model runs).
   * Same results, bit for bit, as the two separate calls.
   */
  encode?(request: EncodeRequest): Promise<EncodeResult>;
  close(): Promise<void>;
}

export interface NliProbabilities {
  entailment: number;
  neutral: number;
  contradiction: number;
}

/** An NLI cross-encoder: premise/hypothesis pairs to label probabilities. */
export interface NliModel {
  readonly id: string;
  classify(pairs: Array<[premise: string, hypothesis: string]>): Promise<NliProbabilities[]>;
  close(): Promise<void>;
}

export type ExecutionProvider = "cuda" | "cpu";

export interface EncoderOptions {
  /** Tried in order; `cuda` falls back to `cpu` with a logged reason. Default ["cpu"]. */
  executionProviders?: ExecutionProvider[];
  /** onnxruntime intra-op threads (default 2). */
  intraOpThreads?: number;
  /** Let idle onnxruntime threads spin-wait (default false: kinder to a shared machine). */
  allowSpinning?: boolean;
  /** Sequences per forward pass (default 64). */
  batchSize?: number;
  /** Model build cache directory (default POQ_MODEL_CACHE or <project>/.cache/models). */
  cacheDir?: string;
  /** Bound on the embedding cache (entries; default 20000, 0 disables). */
  embeddingCacheSize?: number;
  logger?: Logger;
}

export interface BiEncoderOptions extends EncoderOptions {
  modelPath: string;
  tokenizerPath: string;
  /** Pooling of the token states (default "mean"). */
  pooling?: "mean" | "cls";
  /** Maximum tokens per window (default 512, or the tokenizer's truncation max_length). */
  maxLength?: number;
}

export interface CrossEncoderOptions extends EncoderOptions {
  modelPath: string;
  tokenizerPath: string;
  /** Label of each logit, in output order, e.g. ["contradiction","entailment","neutral"]. */
  labels: string[];
  maxLength?: number;
}
