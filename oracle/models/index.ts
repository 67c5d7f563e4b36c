/**
 * The model layer: sentence encoders and NLI cross-encoders run by onnxruntime-node.
 * Scoring code depends only on this module's exports.
 */
export type {
  TokenStates,
  SentenceEncoder,
  EncodeRequest,
  EncodeResult,
  NliModel,
  NliProbabilities,
  EncoderOptions,
  BiEncoderOptions,
  CrossEncoderOptions,
  ExecutionProvider,
} from "./types.js";
export { loadUseLite } from "./use-lite/encoder.js";
export { loadOnnxBiEncoder, loadOnnxCrossEncoder } from "./hf/index.js";
export { splitSentences } from "./sentences.js";
