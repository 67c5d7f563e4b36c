import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packSentences, poolWindows } from "../../oracle/models/encoder-core.js";
import { cosine } from "../../oracle/models/similarity.js";
import { loadUseLite, type UseLiteEncoder } from "../../oracle/models/use-lite/encoder.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/models/sentences.json", import.meta.url), "utf8")) as { sentences: string[] };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * "Batching does not change results": measured bit-identical (max abs diff 0) on the CPU
 * execution provider. Padded keys get exactly zero attention weight, every other op is per
 * token (onnxruntime's CPU GEMM gives a row the same bits whatever the row count), and the
 * pooling sums over a fixed 128-position axis, so neither the batch size nor the batch's
 * longest sentence changes a sentence's summation order.
 */
describe("USE-lite encoder: batching, windowing, caching", () => {
  let enc: UseLiteEncoder;
  let encNoCache: UseLiteEncoder;
  beforeAll(async () => {
    enc = await loadUseLite({ batchSize: 8 });
    encNoCache = await loadUseLite({ batchSize: 5, embeddingCacheSize: 0 });
  });
  afterAll(async () => {
    await enc?.close();
    await encNoCache?.close();
  });

  it("embeds L2-normalised 512-d vectors and names its model", async () => {
    const [v] = await enc.embed(["Hello world."]);
    expect(v).toBeInstanceOf(Float32Array);
    expect(v!.length).toBe(512);
    expect(enc.dim).toBe(512);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
    expect(enc.id).toMatch(/^use-lite@\d+:[0-9a-f]{12}$/);
    expect(enc.id.endsWith(":4c6db373cea2")).toBe(true); // sha256 of the pinned TF.js weights
    expect(enc.provider).toBe("cpu");
  });

  it("the same sentence alone and inside batches of different lengths gives bit-identical embeddings and token states", async () => {
    const target = "The Eiffel Tower was completed in 1889 and is 330 metres (1,083 ft) tall.";
    const alone = (await encNoCache.embed([target]))[0]!;
    const aloneStates = (await encNoCache.tokenStates([target]))[0]!;
    const contexts = [
      [target, "a"],
      ["a", "OK", target, "No."],
      [fixture.sentences[37]!, target, fixture.sentences[38]!],
      [...fixture.sentences.slice(0, 12), target],
      Array.from({ length: 7 }, (_, i) => `${"long filler words ".repeat(i * 5)} ${i}`).concat(target),
    ];
    let worst = 0;
    for (const batch of contexts) {
      const out = await encNoCache.embed(batch);
      const v = out[batch.indexOf(target)]!;
      worst = Math.max(worst, maxAbsDiff(v, alone));
      expect(cosine(v, alone)).toBeCloseTo(1, 6);
      const states = (await encNoCache.tokenStates(batch))[batch.indexOf(target)]!;
      expect(states.tokens).toEqual(aloneStates.tokens);
      states.states.forEach((s, t) => (worst = Math.max(worst, maxAbsDiff(s, aloneStates.states[t]!))));
    }
    expect(worst).toBe(0);
  });

  it("every fixture sentence: alone, in one batch, and in a reversed batch give the same bits", async () => {
    const s = fixture.sentences;
    const alone: Float32Array[] = [];
    for (const t of s) alone.push((await encNoCache.embed([t]))[0]!);
    const together = await encNoCache.embed(s);
    const reversed = (await encNoCache.embed([...s].reverse())).reverse();
    s.forEach((t, i) => {
      expect(maxAbsDiff(together[i]!, alone[i]!), t).toBe(0);
      expect(maxAbsDiff(reversed[i]!, alone[i]!), t).toBe(0);
    });
  });

  it("token states: one 512-d vector per token piece, zero-length for empty text", async () => {
    const [a, empty] = await enc.tokenStates(["Hello world.", ""]);
    expect(a!.tokens).toEqual(enc.tokenizer.encode("Hello world.").map((id) => enc.tokenizer.piece(id)));
    expect(a!.tokens.join("")).toBe("\u2581Hello\u2581world.");
    expect(a!.states).toHaveLength(a!.tokens.length);
    for (const s of a!.states) expect(s.length).toBe(512);
    expect(empty).toEqual({ tokens: [], states: [] });
    const [e] = await enc.embed([""]);
    expect(Number.isFinite(e![0]!)).toBe(true);
  });

  it("texts over 128 tokens are split at sentence boundaries and pooled; token states of all windows are concatenated", async () => {
    const sentences = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} talks about topic ${i % 4} in some detail.`);
    const text = sentences.join(" ");
    const total = enc.tokenizer.encode(text).length;
    expect(total).toBeGreaterThan(300);
    const [states] = await enc.tokenStates([text]);
    const perSentence = sentences.reduce((a, s) => a + enc.tokenizer.encode(s).length, 0);
    expect(states!.tokens.length).toBe(perSentence); // windows hold whole sentences
    expect(states!.states.length).toBe(states!.tokens.length);
    const [v] = await enc.embed([text]);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
    // = the token-weighted mean of the chunk embeddings, each chunk <= 128 tokens
    const chunks = packSentences(text, (t) => enc.tokenizer.encode(t).length, 128);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const c of chunks) expect(enc.tokenizer.encode(c).length).toBeLessThanOrEqual(128);
    const parts = await enc.embed(chunks);
    const expected = poolWindows(parts, chunks.map((c) => enc.tokenizer.encode(c).length), 512);
    expect(maxAbsDiff(v!, expected)).toBeLessThanOrEqual(1e-6); // float64 pooling in JS vs float32 inputs
    const sentenceMean = new Float32Array(512);
    for (const p of await enc.embed(sentences)) for (let j = 0; j < 512; j++) sentenceMean[j]! += p[j]!;
    expect(cosine(v!, sentenceMean)).toBeGreaterThan(0.7);
  });

  it("one sentence longer than 128 tokens is cut into 128-token windows", async () => {
    const text = Array.from({ length: 120 }, (_, i) => `w${i}`).join(" "); // no sentence boundary
    const n = enc.tokenizer.encode(text).length;
    expect(n).toBeGreaterThan(256);
    const [states] = await enc.tokenStates([text]);
    expect(states!.tokens.length).toBe(n);
    const [v] = await enc.embed([text]);
    expect(Math.hypot(...v!)).toBeCloseTo(1, 5);
  });

  it("caches by content hash: repeated texts are embedded once and return identical vectors", async () => {
    const before = enc.cacheStats().embeddings;
    const doc = "A source document shared by many outputs. It is long enough to matter.";
    const out = await enc.embed([doc, doc, "other", doc]);
    expect(enc.cacheStats().embeddings).toBe(before + 2);
    expect(out[0]).toBe(out[1]);
    expect(out[0]).toBe(out[3]);
    const again = await enc.embed([doc]);
    expect(again[0]).toBe(out[0]);
    expect(enc.cacheStats().embeddings).toBe(before + 2);
  });

  it("the embedding cache is bounded (LRU)", async () => {
    const small = await loadUseLite({ embeddingCacheSize: 3 });
    try {
      await small.embed(["one", "two", "three", "four", "five"]);
      expect(small.cacheStats().embeddings).toBe(3);
      // "five" is cached; computing four new texts evicts it mid-call, yet it is still returned
      const out = await small.embed(["five", "six", "seven", "eight", "nine", "five"]);
      expect(out.every((v) => v instanceof Float32Array && v.length === 512)).toBe(true);
      expect(out[0]).toBe(out[5]);
      const [again] = await small.embed(["five"]);
      expect(Array.from(again!)).toEqual(Array.from(out[0]!));
    } finally {
      await small.close();
    }
  });
});
