import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOnnxBiEncoder, loadOnnxCrossEncoder, type SentenceEncoder } from "../../oracle/models/index.js";
import { HIDDEN, NLI_LABELS, SEGMENT_B_LOGITS, VOCAB, nliTokenLogits, tinyBiEncoderModel, tinyCrossEncoderModel, tinyTokenizerJson, tokenVector } from "./tiny-models.js";

function normalize(v: number[]): number[] {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function meanPooled(ids: number[]): number[] {
  const acc = new Array<number>(HIDDEN).fill(0);
  for (const id of ids) tokenVector(id).forEach((x, j) => (acc[j]! += x));
  return acc.map((x) => x / ids.length);
}

function softmax(v: number[]): number[] {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function close(actual: ArrayLike<number>, expected: number[], digits = 5): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((x, i) => expect(actual[i]!).toBeCloseTo(x, digits));
}

describe("generic ONNX models with a HuggingFace tokenizer.json (tiny generated models)", () => {
  let dir: string;
  let biPath: string;
  let nliPath: string;
  let tokPath: string;
  let tokShortPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "poq-hf-"));
    biPath = path.join(dir, "bi.onnx");
    nliPath = path.join(dir, "nli.onnx");
    tokPath = path.join(dir, "tokenizer.json");
    await mkdir(path.join(dir, "short"));
    tokShortPath = path.join(dir, "short", "tokenizer.json");
    await writeFile(biPath, tinyBiEncoderModel());
    await writeFile(nliPath, tinyCrossEncoderModel());
    await writeFile(tokPath, JSON.stringify(tinyTokenizerJson()));
    await writeFile(tokShortPath, JSON.stringify(tinyTokenizerJson(6))); // [CLS] + 4 tokens + [SEP]
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("bi-encoder", () => {
    let mean: SentenceEncoder;
    let cls: SentenceEncoder;
    beforeAll(async () => {
      mean = await loadOnnxBiEncoder({ modelPath: biPath, tokenizerPath: tokPath, batchSize: 2 });
      cls = await loadOnnxBiEncoder({ modelPath: biPath, tokenizerPath: tokPath, pooling: "cls" });
    });
    afterAll(async () => {
      await mean.close();
      await cls.close();
    });

    it("mean-pools the token states over the attention mask and L2-normalises", async () => {
      const [a, b, c] = await mean.embed(["The cat sat.", "dog", "the DOG ran"]);
      const { "[CLS]": CLS, "[SEP]": SEP, the, cat, sat, dog, ran } = VOCAB as Record<string, number>;
      close(a!, normalize(meanPooled([CLS!, the!, cat!, sat!, VOCAB["."]!, SEP!])));
      close(b!, normalize(meanPooled([CLS!, dog!, SEP!])));
      close(c!, normalize(meanPooled([CLS!, the!, dog!, ran!, SEP!])));
      expect(mean.dim).toBe(HIDDEN);
      expect(mean.id).toMatch(/^onnx-bi:bi:[0-9a-f]{12}$/);
    });

    it("CLS pooling takes the first token", async () => {
      const [a] = await cls.embed(["the cat"]);
      close(a!, normalize(tokenVector(VOCAB["[CLS]"]!)));
      expect(cls.id).not.toBe(mean.id);
    });

    it("returns token states with the tokenizer's tokens, unknown words mapped to [UNK]", async () => {
      const [s] = await mean.tokenStates(["the zebra sat"]);
      expect(s!.tokens).toEqual(["[CLS]", "the", "[UNK]", "sat", "[SEP]"]);
      s!.states.forEach((v, t) => close(v, tokenVector([2, 4, 1, 6, 3][t]!)));
    });

    it("gives the same result alone and inside a padded batch", async () => {
      const fresh = async (texts: string[]) => {
        const enc = await loadOnnxBiEncoder({ modelPath: biPath, tokenizerPath: tokPath, embeddingCacheSize: 0 });
        try {
          return await enc.embed(texts);
        } finally {
          await enc.close();
        }
      };
      const [alone] = await fresh(["dog"]);
      const inBatch = await fresh(["the cat sat on the dog . yes no maybe", "dog", "cat"]);
      expect(Array.from(inBatch[1]!)).toEqual(Array.from(alone!));
    });

    it("windows texts longer than the tokenizer's max_length and pools windows by token count", async () => {
      const enc = await loadOnnxBiEncoder({ modelPath: biPath, tokenizerPath: tokShortPath });
      try {
        const [states] = await enc.tokenStates(["the cat sat . the dog ran ."]);
        // two sentences of 4 content tokens each: two windows, each wrapped in [CLS] ... [SEP]
        expect(states!.tokens).toEqual(["[CLS]", "the", "cat", "sat", ".", "[SEP]", "[CLS]", "the", "dog", "ran", ".", "[SEP]"]);
        const [v] = await enc.embed(["the cat sat . the dog ran ."]);
        const w1 = normalize(meanPooled([2, 4, 5, 6, 8, 3]));
        const w2 = normalize(meanPooled([2, 4, 7, 12, 8, 3]));
        close(v!, normalize(w1.map((x, j) => 6 * x + 6 * w2[j]!)));
      } finally {
        await enc.close();
      }
    });

    it("reports missing files clearly", async () => {
      await expect(loadOnnxBiEncoder({ modelPath: path.join(dir, "missing.onnx"), tokenizerPath: tokPath })).rejects.toMatchObject({ code: "E_MODEL_FILE" });
      await expect(loadOnnxBiEncoder({ modelPath: biPath, tokenizerPath: path.join(dir, "missing.json") })).rejects.toMatchObject({ code: "E_MODEL_FILE" });
    });
  });

  describe("NLI cross-encoder", () => {
    it("returns softmax probabilities mapped from the configured label order (int32 and int64 inputs)", async () => {
      const nli = await loadOnnxCrossEncoder({ modelPath: nliPath, tokenizerPath: tokPath, labels: NLI_LABELS });
      try {
        const pairs: Array<[string, string]> = [
          ["the cat sat .", "yes"],
          ["the dog ran", "no no"],
          ["maybe the cat", "the dog"],
        ];
        const out = await nli.classify(pairs);
        const expected = (premise: number[], hypothesis: number[]) => {
          const logits = [0, 0, 0];
          for (const id of premise) nliTokenLogits(id).forEach((x, j) => (logits[j]! += x));
          for (const id of hypothesis) nliTokenLogits(id).forEach((x, j) => (logits[j]! += x + SEGMENT_B_LOGITS[j]!));
          const p = softmax(logits);
          return { contradiction: p[0]!, entailment: p[1]!, neutral: p[2]! };
        };
        const e0 = expected([2, 4, 5, 6, 8, 3], [9, 3]);
        const e1 = expected([2, 4, 7, 12, 3], [10, 10, 3]);
        const e2 = expected([2, 11, 4, 5, 3], [4, 7, 3]);
        for (const [got, want] of [[out[0]!, e0], [out[1]!, e1], [out[2]!, e2]] as const) {
          expect(got.entailment).toBeCloseTo(want.entailment, 6);
          expect(got.neutral).toBeCloseTo(want.neutral, 6);
          expect(got.contradiction).toBeCloseTo(want.contradiction, 6);
          expect(got.entailment + got.neutral + got.contradiction).toBeCloseTo(1, 6);
        }
        expect(out[0]!.entailment).toBeGreaterThan(0.6);
        expect(out[1]!.contradiction).toBeGreaterThan(0.9);
        expect(nli.id).toMatch(/^onnx-nli:nli:[0-9a-f]{12}$/);
      } finally {
        await nli.close();
      }
    });

    it("cuts an over-long premise to the tokenizer's max_length", async () => {
      const nli = await loadOnnxCrossEncoder({ modelPath: nliPath, tokenizerPath: tokShortPath, labels: NLI_LABELS });
      try {
        // premise "no no no no no" would add 10 to contradiction; only what fits in 6 tokens counts:
        // [CLS] no no [SEP] yes [SEP] -> contradiction 4, entailment 2 + 0, neutral 0.5 * 2
        const [p] = await nli.classify([["no no no no no", "yes"]]);
        const want = softmax([4, 2, 1]);
        expect(p!.contradiction).toBeCloseTo(want[0]!, 6);
        expect(p!.entailment).toBeCloseTo(want[1]!, 6);
        expect(p!.neutral).toBeCloseTo(want[2]!, 6);
      } finally {
        await nli.close();
      }
    });

    it("requires entailment and contradiction labels", async () => {
      await expect(loadOnnxCrossEncoder({ modelPath: nliPath, tokenizerPath: tokPath, labels: ["a", "b", "c"] })).rejects.toMatchObject({ code: "E_CONFIG" });
    });

    it("rejects a label list that does not match the model's logits", async () => {
      const nli = await loadOnnxCrossEncoder({ modelPath: nliPath, tokenizerPath: tokPath, labels: ["contradiction", "entailment"] });
      try {
        await expect(nli.classify([["the cat", "yes"]])).rejects.toMatchObject({ code: "E_MODEL_FORMAT" });
      } finally {
        await nli.close();
      }
    });
  });
});
