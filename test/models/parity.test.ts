import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosine } from "../../oracle/models/similarity.js";
import { loadUseLite, type UseLiteEncoder } from "../../oracle/models/use-lite/encoder.js";
import { loadTfjsUseLite, type TfjsUseLite } from "../../oracle/models/use-lite/tfjs.js";
import { USE_LITE_MAX_POSITIONS } from "../../oracle/models/use-lite/convert.js";
import { padBatch } from "../../oracle/models/batching.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/models/sentences.json", import.meta.url), "utf8")) as { sentences: string[] };
const PARITY_MIN_COSINE = 0.9999;

/**
 * The ONNX rebuild against the original TF.js runner of @energetic-ai/embeddings, on the
 * varied fixture (short, long, punctuation, unicode, numbers, code, whitespace).
 */
describe("USE-lite ONNX vs TF.js parity", () => {
  let tfjs: TfjsUseLite;
  let encoder: UseLiteEncoder;
  let reference: Float32Array[];
  let plainCache: string;

  beforeAll(async () => {
    [tfjs, encoder] = await Promise.all([loadTfjsUseLite(), loadUseLite({ batchSize: 16 })]);
    plainCache = await mkdtemp(path.join(os.tmpdir(), "poq-plain-")); // keeps the shared cache to one build
    reference = await tfjs.embed(fixture.sentences);
  });
  afterAll(async () => {
    await encoder?.close();
    await rm(plainCache, { recursive: true, force: true });
  });

  it("uses exactly the TF.js token ids", () => {
    for (const s of fixture.sentences) expect(encoder.tokenizer.encode(s)).toEqual(tfjs.encodeIds(s));
  });

  it(`embed(): min cosine >= ${PARITY_MIN_COSINE} and max abs diff < 1e-5 on every fixture sentence`, async () => {
    const ours = await encoder.embed(fixture.sentences);
    let minCos = 1;
    let maxAbs = 0;
    fixture.sentences.forEach((s, i) => {
      const c = cosine(ours[i]!, reference[i]!);
      minCos = Math.min(minCos, c);
      for (let j = 0; j < 512; j++) maxAbs = Math.max(maxAbs, Math.abs(ours[i]![j]! - reference[i]![j]!));
      expect(c, s).toBeGreaterThanOrEqual(PARITY_MIN_COSINE);
    });
    expect(minCos).toBeGreaterThanOrEqual(PARITY_MIN_COSINE);
    expect(maxAbs).toBeLessThan(1e-5); // measured about 7e-7
  });

  it("the graph itself matches TF.js on one mixed-length batch, including a 128-token input", async () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i} and more text`).join(" "); // > 128 tokens
    const texts = [fixture.sentences[3]!, long, fixture.sentences[19]!];
    const ids = texts.map((t) => encoder.tokenizer.encode(t).slice(0, USE_LITE_MAX_POSITIONS));
    expect(encoder.tokenizer.encode(long).length).toBeGreaterThan(USE_LITE_MAX_POSITIONS);
    const session = await ort.InferenceSession.create(encoder.modelPath, { intraOpNumThreads: 1 });
    const { ids: idData, mask, width } = padBatch(ids);
    const out = await session.run({
      input_ids: new ort.Tensor("int64", idData, [texts.length, width]),
      attention_mask: new ort.Tensor("int64", mask, [texts.length, width]),
    });
    await session.release();
    const emb = out.embedding!.data as Float32Array;
    const ref = await tfjs.embed(texts); // TF.js clips to the first 128 positions itself
    texts.forEach((t, b) => expect(cosine(emb.subarray(b * 512, (b + 1) * 512), ref[b]!), t.slice(0, 30)).toBeGreaterThanOrEqual(PARITY_MIN_COSINE));
    expect(out.token_states!.dims).toEqual([3, USE_LITE_MAX_POSITIONS, 512]);
  });

  it("the plain-ops variant (no contrib Attention) matches TF.js too", async () => {
    const plain = await loadUseLite({ attention: "plain", cacheDir: plainCache });
    try {
      expect(plain.id).toBe(`${encoder.id}-plain`);
      const ours = await plain.embed(fixture.sentences);
      fixture.sentences.forEach((s, i) => expect(cosine(ours[i]!, reference[i]!), s).toBeGreaterThanOrEqual(PARITY_MIN_COSINE));
    } finally {
      await plain.close();
    }
  });

  it("semantic sanity: paraphrases are closer than unrelated sentences", async () => {
    const [a, b, c] = await encoder.embed(["The cat sat on the mat.", "A cat was sitting on the mat.", "Quarterly revenue rose by twelve percent."]);
    expect(cosine(a!, b!)).toBeGreaterThan(cosine(a!, c!) + 0.3);
  });
});
