/**
 * Token-similarity matrices for the BERTScore-style evaluator, computed by onnxruntime (one
 * Gemm node, S = A x B^T) instead of a JavaScript triple loop: a summary against 11
 * references is ~35 M multiply-adds at 512 dimensions, which the runtime's vectorised GEMM
 * does in well under a millisecond. The graph is generated here (onnx-proto), never stored.
 */
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import type { BertScore } from "./embedding.js";

const { onnx } = onnxProto;

function gemmModelBytes(): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const vi = (name: string, dims: string[]): onnxProto.onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => ({ dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "poq-scoring",
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "token_similarity",
      node: [
        {
          opType: "Gemm",
          input: ["A", "B"],
          output: ["S"],
          attribute: [{ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
        },
      ],
      input: [vi("A", ["n", "d"]), vi("B", ["m", "d"])],
      output: [vi("S", ["n", "m"])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The rows as one [rows, d] matrix: a view of their shared buffer when they already lie there
 * back to back (what normalizeStates returns), otherwise a copy. Same values either way.
 */
export function stackRows(rows: readonly Float32Array[], d: number): Float32Array {
  const first = rows[0];
  if (first !== undefined && rows.every((v, i) => v.length === d && v.buffer === first.buffer && v.byteOffset === first.byteOffset + i * d * 4)) {
    return new Float32Array(first.buffer, first.byteOffset, rows.length * d);
  }
  const out = new Float32Array(rows.length * d);
  rows.forEach((v, i) => out.set(v, i * d));
  return out;
}

/**
 * Greedy matching on rows [row, row + n) of the similarity matrix `s` (m columns: the
 * references' tokens, reference after reference): P/R/F1 against each reference.
 */
function greedyMatch(s: Float32Array, row: number, n: number, m: number, refs: ReadonlyArray<readonly Float32Array[]>): BertScore[] {
  const res: BertScore[] = [];
  let off = 0;
  for (const r of refs) {
    const k = r.length;
    if (k === 0) {
      res.push({ p: 0, r: 0, f1: 0 });
      continue;
    }
    let p = 0;
    const colMax = new Float64Array(k).fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const base = (row + i) * m + off;
      let rm = -Infinity;
      for (let j = 0; j < k; j++) {
        const x = s[base + j]!;
        if (x > rm) rm = x;
        if (x > colMax[j]!) colMax[j] = x;
      }
      p += rm;
    }
    let rr = 0;
    for (const v of colMax) rr += v;
    p /= n;
    rr /= k;
    res.push({ p, r: rr, f1: p + rr <= 0 ? 0 : (2 * p * rr) / (p + rr) });
    off += k;
  }
  return res;
}

/** Greedy-matching BERTScore of one candidate against several references, via one GEMM. */
export class TokenSimilarity {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(threads = 2): Promise<TokenSimilarity> {
    const session = await ort.InferenceSession.create(gemmModelBytes(), {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      // No spinning: an idle pool thread that spins takes a core from the encoder's threads
      // (and from the worker's chain and queue traffic). Measured on QA: 95 -> 65 ms of CPU a
      // task and 30% more tasks a second; the kernels, and so the bits, are the same.
      extra: { session: { intra_op: { allow_spinning: "0" } } },
    });
    return new TokenSimilarity(session);
  }

  /** P/R/F1 of `cand` against each reference (all states unit length, same dimension). */
  async bertScores(cand: readonly Float32Array[], refs: ReadonlyArray<readonly Float32Array[]>): Promise<BertScore[]> {
    return (await this.bertScoresMany([cand], refs))[0]!;
  }

  /**
   * P/R/F1 of each candidate against the same references (e.g. the outputs of one question
   * against its gold answers): the references are stacked once, then one GEMM per candidate.
   * (Stacking several candidates into one GEMM is faster but not bit-identical: the runtime's
   * kernels round some products differently with the number of rows.)
   */
  async bertScoresMany(cands: ReadonlyArray<readonly Float32Array[]>, refs: ReadonlyArray<readonly Float32Array[]>): Promise<BertScore[][]> {
    const m = refs.reduce((s, r) => s + r.length, 0);
    const res: BertScore[][] = cands.map(() => refs.map(() => ({ p: 0, r: 0, f1: 0 })));
    if (m === 0) return res;
    let bt: ort.Tensor | null = null;
    for (const [i, cand] of cands.entries()) {
      const n = cand.length;
      if (n === 0) continue;
      const d = cand[0]!.length;
      bt ??= new ort.Tensor("float32", refs.length === 1 ? stackRows(refs[0]!, d) : stackRows(refs.flat(), d), [m, d]);
      const out = await this.session.run({ A: new ort.Tensor("float32", stackRows(cand, d), [n, d]), B: bt });
      res[i] = greedyMatch(out.S!.data as Float32Array, 0, n, m, refs);
    }
    return res;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
