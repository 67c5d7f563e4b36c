/**
 * The allocation-light paths around the onnxruntime run give the same bits as the plain
 * ones they replaced: int64 packing through a 32-bit view, one copy per window of the token
 * states, and the states of a real encoder pass.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRows, padBatch } from "../../oracle/models/batching.js";
import { loadUseLite, type UseLiteEncoder } from "../../oracle/models/use-lite/encoder.js";

/** The original packing: one BigInt per token. */
function padBatchPlain(rows: ReadonlyArray<readonly number[]>, minWidth = 1) {
  const width = Math.max(minWidth, ...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => {
    for (let i = 0; i < r.length; i++) {
      ids[b * width + i] = BigInt(r[i]!);
      mask[b * width + i] = 1n;
    }
  });
  return { ids, mask, width };
}

describe("padBatch", () => {
  it("gives the same int64 ids, mask and width as one BigInt per token", () => {
    const rows = [[5, 0, 7999, 2 ** 31 - 1], [], [1], [-1, -(2 ** 31), 2 ** 31, 2 ** 40, -(2 ** 40)], [3, 3, 3, 3, 3, 3]];
    for (const minWidth of [1, 8]) {
      const fast = padBatch(rows, minWidth);
      const plain = padBatchPlain(rows, minWidth);
      expect(fast.width).toBe(plain.width);
      expect([...fast.ids]).toEqual([...plain.ids]);
      expect([...fast.mask]).toEqual([...plain.mask]);
    }
    expect(padBatch([[2 ** 40]]).ids[0]).toBe(2n ** 40n);
    expect(padBatch([[-(2 ** 40)]]).ids[0]).toBe(-(2n ** 40n));
  });

  it("rejects a non-integer id like BigInt does", () => {
    expect(() => padBatch([[1.5]])).toThrow(RangeError);
  });
});

describe("copyRows", () => {
  it("returns one view per row over a single copy, equal to per-row slices", () => {
    const data = Float32Array.from({ length: 6 * 4 }, (_, i) => i * 0.25 - 3);
    const rows = copyRows(data, 2, 3, 4);
    expect(rows).toHaveLength(3);
    rows.forEach((r, t) => {
      expect([...r]).toEqual([...data.slice((2 + t) * 4, (3 + t) * 4)]);
      expect(r.buffer).toBe(rows[0]!.buffer);
      expect(r.buffer).not.toBe(data.buffer);
    });
    data.fill(0); // a copy: later writes to the runtime's output do not show through
    expect(rows[0]![0]).toBe(2 * 4 * 0.25 - 3);
    expect(copyRows(data, 0, 0, 4)).toEqual([]);
  });
});

const fixture = JSON.parse(readFileSync(new URL("../fixtures/models/sentences.json", import.meta.url), "utf8")) as { sentences: string[] };
const hex = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex");

describe("USE-lite token states through the fast paths", () => {
  let enc: UseLiteEncoder;
  beforeAll(async () => {
    enc = await loadUseLite({ intraOpThreads: 1, embeddingCacheSize: 0 });
  });
  afterAll(async () => {
    await enc?.close();
  });

  it("every token state equals the matching row of the graph's own token_states output", async () => {
    const ort = await import("onnxruntime-node");
    const texts = ["Wilhelm Röntgen", "The first Nobel Prize in Physics was awarded in 1901 to Wilhelm Röntgen for his discovery of X-rays.", "1969"];
    const states = await enc.tokenStates(texts);
    const session = await ort.InferenceSession.create(enc.modelPath, { intraOpNumThreads: 1 });
    try {
      for (const [k, text] of texts.entries()) {
        const ids = enc.tokenizer.encode(text);
        const { ids: idData, mask, width } = padBatchPlain([ids]);
        const out = await session.run({
          input_ids: new ort.Tensor("int64", idData, [1, width]),
          attention_mask: new ort.Tensor("int64", mask, [1, width]),
        });
        const raw = out.token_states!.data as Float32Array;
        expect(states[k]!.states).toHaveLength(ids.length);
        states[k]!.states.forEach((v, t) => expect(Buffer.from(v.buffer, v.byteOffset, v.byteLength).equals(Buffer.from(raw.buffer, raw.byteOffset + t * 512 * 4, 512 * 4))).toBe(true));
      }
    } finally {
      await session.release();
    }
  });

  it("encode() gives the bits of separate embed() and tokenStates() calls, one pass for both", async () => {
    const long = fixture.sentences.join(" "); // > 128 tokens: windowed and pooled
    const states = [fixture.sentences[3]!, long, "", fixture.sentences[3]!, "1969"];
    const embed = [...fixture.sentences.slice(0, 20), long, "", "1969", fixture.sentences[5]!];
    const sep = await loadUseLite({ intraOpThreads: 1, batchSize: 7 });
    const one = await loadUseLite({ intraOpThreads: 1, batchSize: 7 });
    try {
      const st = await sep.tokenStates(states);
      const em = await sep.embed(embed);
      const r = await one.encode({ embed, states });
      expect(r.embeddings.map(hex)).toEqual(em.map(hex));
      expect(r.states.map((s) => s.tokens)).toEqual(st.map((s) => s.tokens));
      expect(r.states.map((s) => s.states.map(hex))).toEqual(st.map((s) => s.states.map(hex)));
      expect(r.states[2]!.states).toEqual([]);
      // a text asked for states also lands in the embedding cache: no model run for it later
      const stats = one.cacheStats();
      expect(stats.tokenStateTexts).toBe(4);
      expect(stats.embeddings).toBe(new Set([...states, ...embed]).size);
      const again = await one.encode({ embed: [long, "1969"], states: ["1969"] });
      expect(hex(again.embeddings[0]!)).toBe(hex(em[20]!));
      expect(again.states[0]).toBe(r.states[4]); // the cached object
      expect(await one.encode({ embed: [], states: [] })).toEqual({ embeddings: [], states: [] });
    } finally {
      await sep.close();
      await one.close();
    }
  });
});
