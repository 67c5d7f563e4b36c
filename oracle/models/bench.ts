import type { Logger } from "../core/log.js";
import { cosine } from "./similarity.js";
import { loadUseLite } from "./use-lite/encoder.js";
import { USE_LITE_MAX_POSITIONS, type AttentionImpl } from "./use-lite/convert.js";
import { loadTfjsUseLite } from "./use-lite/tfjs.js";

export interface BenchEmbeddingsOptions {
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
  batchSize?: number;
  /** Sentences given to the (slow) TF.js runner; the first N unique sentences (default 400). */
  tfjsSentences?: number;
  /** Timed ONNX passes over all sentences; the best is reported (default 3). */
  repeats?: number;
  attention?: AttentionImpl;
  cacheDir?: string;
  logger?: Logger;
}

export interface BenchEmbeddingsResult {
  /** Unique sentences embedded per second by the ONNX encoder (best pass, no embedding cache). */
  onnxSentencesPerSec: number;
  /** The same for the TF.js runner of @energetic-ai/embeddings (on `tfjsSentences`). */
  tfjsSentencesPerSec: number;
  /** Min cosine between ONNX and TF.js embeddings over the TF.js sentences (<= 128 tokens). */
  parityMinCosine: number;
  /** Largest absolute difference of any embedding component over the same sentences. */
  parityMaxAbsDiff: number;
  speedup: number;
  sentences: number;
  tfjsSentences: number;
  paritySentences: number;
  meanTokens: number;
  threads: number;
  batchSize: number;
  provider: string;
  modelId: string;
  /** CPU-seconds (user+system) of this process per 1000 sentences during the best ONNX pass. */
  onnxCpuSecPer1k: number;
  /** The same for the TF.js pass. */
  tfjsCpuSecPer1k: number;
  /** tfjsCpuSecPer1k / onnxCpuSecPer1k: the speed-up in CPU time, less sensitive to a busy machine. */
  cpuSpeedup: number;
}

/**
 * Embeds the same sentences with the ONNX USE-lite encoder and with the TF.js runner of
 * @energetic-ai/embeddings, and compares speed and outputs. The ONNX encoder runs without
 * its embedding cache, so every pass really computes every sentence.
 */
export async function benchEmbeddings(sentences: string[], opts: BenchEmbeddingsOptions = {}): Promise<BenchEmbeddingsResult> {
  const unique = [...new Set(sentences)];
  if (unique.length === 0) throw new RangeError("benchEmbeddings needs at least one sentence");
  const threads = opts.threads ?? 2;
  const batchSize = opts.batchSize ?? 64;
  const repeats = opts.repeats ?? 3;
  const encoder = await loadUseLite({
    intraOpThreads: threads,
    batchSize,
    embeddingCacheSize: 0,
    attention: opts.attention,
    cacheDir: opts.cacheDir,
    logger: opts.logger,
  });
  try {
    const tokens = unique.map((s) => encoder.tokenizer.encode(s).length);
    await encoder.embed(unique.slice(0, Math.min(unique.length, 2 * batchSize))); // warm-up
    let best = Number.POSITIVE_INFINITY;
    let bestCpu = 0;
    for (let r = 0; r < repeats; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await encoder.embed(unique);
      const dt = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      if (dt < best) {
        best = dt;
        bestCpu = (cpu.user + cpu.system) / 1e6;
      }
    }
    const tfjs = await loadTfjsUseLite();
    const tfjsSet = unique.slice(0, Math.min(unique.length, opts.tfjsSentences ?? 400));
    await tfjs.embed(tfjsSet.slice(0, 8)); // warm-up
    const tfCpu0 = process.cpuUsage();
    const t0 = performance.now();
    const ref: Float32Array[] = [];
    for (let i = 0; i < tfjsSet.length; i += batchSize) ref.push(...(await tfjs.embed(tfjsSet.slice(i, i + batchSize))));
    const tfjsSec = (performance.now() - t0) / 1000;
    const tfCpu = process.cpuUsage(tfCpu0);
    const tfjsCpuSecPer1k = ((tfCpu.user + tfCpu.system) / 1e6 / tfjsSet.length) * 1000;
    const ours = await encoder.embed(tfjsSet);
    let minCos = 1;
    let maxAbs = 0;
    let parityCount = 0;
    tfjsSet.forEach((s, i) => {
      if (tokens[unique.indexOf(s)]! > USE_LITE_MAX_POSITIONS) return; // TF.js truncates, we window
      parityCount++;
      minCos = Math.min(minCos, cosine(ours[i]!, ref[i]!));
      for (let j = 0; j < ref[i]!.length; j++) maxAbs = Math.max(maxAbs, Math.abs(ours[i]![j]! - ref[i]![j]!));
    });
    const onnxSentencesPerSec = unique.length / best;
    const tfjsSentencesPerSec = tfjsSet.length / tfjsSec;
    return {
      onnxSentencesPerSec,
      tfjsSentencesPerSec,
      parityMinCosine: minCos,
      parityMaxAbsDiff: maxAbs,
      speedup: onnxSentencesPerSec / tfjsSentencesPerSec,
      sentences: unique.length,
      tfjsSentences: tfjsSet.length,
      paritySentences: parityCount,
      meanTokens: tokens.reduce((a, b) => a + b, 0) / tokens.length,
      threads,
      batchSize,
      provider: encoder.provider,
      modelId: encoder.id,
      onnxCpuSecPer1k: (bestCpu / unique.length) * 1000,
      tfjsCpuSecPer1k,
      cpuSpeedup: tfjsCpuSecPer1k / ((bestCpu / unique.length) * 1000),
    };
  } finally {
    await encoder.close();
  }
}
