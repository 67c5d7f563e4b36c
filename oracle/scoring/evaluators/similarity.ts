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

/** Greedy-matching BERTScore of one candidate against several references, via one GEMM. */
export class TokenSimilarity {
  private constructor(private readonly session: ort.InferenceSession) {}

  static async create(threads = 2): Promise<TokenSimilarity> {
    const session = await ort.InferenceSession.create(gemmModelBytes(), {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
    });
    return new TokenSimilarity(session);
  }

  /** P/R/F1 of `cand` against each reference (all states unit length, same dimension). */
  async bertScores(cand: readonly Float32Array[], refs: ReadonlyArray<readonly Float32Array[]>): Promise<BertScore[]> {
    const n = cand.length;
    const m = refs.reduce((s, r) => s + r.length, 0);
    if (n === 0 || m === 0) return refs.map(() => ({ p: 0, r: 0, f1: 0 }));
    const d = cand[0]!.length;
    const a = new Float32Array(n * d);
    cand.forEach((v, i) => a.set(v, i * d));
    const b = new Float32Array(m * d);
    let row = 0;
    for (const r of refs) for (const v of r) b.set(v, row++ * d);
    const out = await this.session.run({ A: new ort.Tensor("float32", a, [n, d]), B: new ort.Tensor("float32", b, [m, d]) });
    const s = out.S!.data as Float32Array;
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
        const base = i * m + off;
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

  async close(): Promise<void> {
    await this.session.release();
  }
}
