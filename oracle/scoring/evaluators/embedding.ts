/**
 * Embedding evaluators on the sentence encoder (cost tiers "embedding" and "token"):
 * USE cosine (output vs references / query), BERTScore-style greedy token matching on the
 * encoder's token states, and SummaC-style sentence alignment. Inputs are precomputed
 * L2-normalised vectors; these functions are pure arithmetic.
 */
import { splitSentences } from "../../models/index.js";
import { clip01 } from "../text.js";

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Baseline rescaling (x - b) / (1 - b), clipped to [0,1] (b = 0: just clipping). */
export function rescale(x: number, baseline: number): number {
  return clip01((x - baseline) / (1 - baseline));
}

/**
 * Unit-length copy of each token state (zero vectors stay zero). The copies share one new
 * buffer, in order (one allocation per text; `contiguousRows` can hand them to a GEMM as is).
 */
export function normalizeStates(states: readonly Float32Array[]): Float32Array[] {
  const total = states.reduce((a, v) => a + v.length, 0);
  const block = new Float32Array(total);
  const out = new Array<Float32Array>(states.length);
  let off = 0;
  for (let k = 0; k < states.length; k++) {
    const v = states[k]!;
    const o = block.subarray(off, off + v.length);
    off += v.length;
    out[k] = o;
    let n = 0;
    for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
    if (n === 0) continue;
    const inv = 1 / Math.sqrt(n);
    for (let i = 0; i < v.length; i++) o[i] = v[i]! * inv;
  }
  return out;
}

export interface BertScore {
  p: number;
  r: number;
  f1: number;
}

/**
 * BERTScore-style greedy matching (Zhang et al. 2020, without idf): precision = mean over
 * candidate tokens of the best cosine with a reference token, recall the other way round.
 * States must be unit length.
 */
export function bertScore(cand: readonly Float32Array[], ref: readonly Float32Array[]): BertScore {
  if (cand.length === 0 || ref.length === 0) return { p: 0, r: 0, f1: 0 };
  const rowMax = new Float64Array(cand.length).fill(-Infinity);
  const colMax = new Float64Array(ref.length).fill(-Infinity);
  for (let i = 0; i < cand.length; i++) {
    const c = cand[i]!;
    for (let j = 0; j < ref.length; j++) {
      const s = dot(c, ref[j]!);
      if (s > rowMax[i]!) rowMax[i] = s;
      if (s > colMax[j]!) colMax[j] = s;
    }
  }
  let p = 0;
  for (const v of rowMax) p += v;
  let r = 0;
  for (const v of colMax) r += v;
  p /= cand.length;
  r /= ref.length;
  const f1 = p + r <= 0 ? 0 : (2 * p * r) / (p + r);
  return { p, r, f1 };
}

/**
 * Sentences for alignment: the shared splitter, plus a split at a space-separated terminator
 * (" . ", pre-tokenised text such as CNN/DM, where lower-cased sentence starts would
 * otherwise hide the boundary).
 */
export function alignmentSentences(text: string): string[] {
  const out: string[] = [];
  for (const s of splitSentences(text)) {
    for (const part of s.split(/(?<=\s[.!?])\s+/u)) {
      const t = part.trim();
      if (t.length > 0) out.push(t);
    }
  }
  return out;
}

export interface Alignment {
  /** Mean (or max) over output sentences of the best cosine with a source sentence. */
  score: number;
  /** Per output sentence: index of its best source sentence and that cosine. */
  best: Array<{ source: number; cosine: number }>;
}

/** SummaC-style zero-shot alignment with embeddings: max over source sentences, mean over output sentences. */
export function sentenceAlignment(outputSentences: readonly Float32Array[], sourceSentences: readonly Float32Array[], pooling: "mean" | "max" = "mean"): Alignment {
  if (outputSentences.length === 0 || sourceSentences.length === 0) return { score: 0, best: [] };
  const best = outputSentences.map((o) => {
    let bi = 0;
    let bc = -Infinity;
    for (let j = 0; j < sourceSentences.length; j++) {
      const c = dot(o, sourceSentences[j]!);
      if (c > bc) {
        bc = c;
        bi = j;
      }
    }
    return { source: bi, cosine: bc };
  });
  if (pooling === "max") return { score: Math.max(...best.map((b) => b.cosine)), best };
  let s = 0;
  for (const b of best) s += b.cosine;
  return { score: s / best.length, best };
}
