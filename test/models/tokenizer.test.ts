import { readFileSync } from "node:fs";
import { EmbeddingsModel } from "@energetic-ai/embeddings";
import { describe, expect, it } from "vitest";
import { UseTokenizer } from "../../oracle/models/use-lite/tokenizer.js";
import { readUseLiteSource } from "../../oracle/models/use-lite/weights.js";

const fixture = JSON.parse(readFileSync(new URL("../fixtures/models/sentences.json", import.meta.url), "utf8")) as { sentences: string[] };

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("USE-lite tokenizer port", async () => {
  const source = await readUseLiteSource();
  const ours = new UseTokenizer(source.vocabulary);
  // the original class, without loading the TF.js graph
  const original = new EmbeddingsModel({ vocabulary: source.vocabulary, model: undefined as never }).tokenizer;

  it("gives the same ids as @energetic-ai/embeddings on the varied fixture", () => {
    for (const s of fixture.sentences) expect(ours.encode(s), s).toEqual(original.encode(s));
  });

  it("gives the same ids on 600 random strings of vocabulary pieces, unicode and punctuation", () => {
    const rand = rng(42);
    const pieces = source.vocabulary.slice(6).map(([p]) => p.replace(/\u2581/g, " "));
    const extras = ["é", "ß", "日", "本", "🎉", "\u0301", "ﬁ", "①", "\t", "\n", "  ", ".", ",", "?!", "'", "\"", "-", "0", "9", "\u200b", "\u0000", "Ａ"];
    for (let n = 0; n < 600; n++) {
      let s = "";
      const len = 1 + Math.floor(rand() * 25);
      for (let i = 0; i < len; i++) {
        const r = rand();
        if (r < 0.6) s += pieces[Math.floor(rand() * pieces.length)];
        else if (r < 0.85) s += extras[Math.floor(rand() * extras.length)];
        else s += String.fromCodePoint(0x20 + Math.floor(rand() * 0x3000));
      }
      expect(ours.encode(s), JSON.stringify(s)).toEqual(original.encode(s));
    }
  });

  it("handles empty input, unknown characters and merges consecutive unknowns", () => {
    expect(ours.encode("")).toEqual([]);
    const ids = ours.encode("日本語");
    expect(ids).toEqual(original.encode("日本語"));
    expect(ids.filter((id) => id === 0).length).toBe(1); // three unknown code points, one id
  });

  it("tokenizes a 200 kB text (the original re-slices per position; this port is linear)", () => {
    const sentence = "The committee approved the budget after a long debate. ";
    expect(ours.encode(sentence.repeat(40))).toEqual(original.encode(sentence.repeat(40)));
    const ids = ours.encode(sentence.repeat(3600));
    const one = ours.encode(sentence.trim()).length;
    expect(ids.length).toBeGreaterThanOrEqual(3600 * (one - 1));
    expect(ids.length).toBeLessThanOrEqual(3600 * (one + 1));
  });

  it("maps ids back to pieces", () => {
    const ids = ours.encode("Hello world.");
    expect(ids.map((id) => ours.piece(id)).join("")).toBe("\u2581Hello\u2581world.");
  });
});
