import { readFile } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { PoqError, errorMessage } from "../../core/errors.js";

export interface HfTokenizer {
  tokenizer: Tokenizer;
  /** truncation.max_length of tokenizer.json, when set. */
  maxLength?: number;
  /** Special-token ids put before / after the content of a single sequence. */
  prefix: { ids: number[]; tokens: string[] };
  suffix: { ids: number[]; tokens: string[] };
  /** sha256 input: the raw tokenizer.json bytes. */
  raw: Buffer;
}

/**
 * Loads a HuggingFace `tokenizer.json` (and `tokenizer_config.json` next to it when present)
 * with @huggingface/tokenizers, and finds the special tokens its post-processor wraps a
 * single sequence in (e.g. [CLS] ... [SEP]) so long texts can be windowed.
 */
export async function loadHfTokenizer(tokenizerPath: string): Promise<HfTokenizer> {
  let raw: Buffer;
  let json: Record<string, unknown>;
  try {
    raw = await readFile(tokenizerPath);
    json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new PoqError("E_MODEL_FILE", `cannot read tokenizer ${tokenizerPath}: ${errorMessage(err)}`, { path: tokenizerPath });
  }
  let config: Record<string, unknown> = {};
  try {
    config = JSON.parse(await readFile(path.join(path.dirname(tokenizerPath), "tokenizer_config.json"), "utf8")) as Record<string, unknown>;
  } catch {
    // optional
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (err) {
    throw new PoqError("E_MODEL_FILE", `unsupported tokenizer ${tokenizerPath}: ${errorMessage(err)}`, { path: tokenizerPath });
  }
  const truncation = json.truncation as { max_length?: number } | null | undefined;
  const probe = "hello";
  const full = tokenizer.encode(probe);
  const content = tokenizer.encode(probe, { add_special_tokens: false });
  let p = 0;
  for (; p + content.ids.length <= full.ids.length; p++) {
    if (content.ids.every((id: number, i: number) => full.ids[p + i] === id)) break;
  }
  if (p + content.ids.length > full.ids.length) p = 0;
  const end = p + content.ids.length;
  return {
    tokenizer,
    maxLength: truncation?.max_length,
    prefix: { ids: full.ids.slice(0, p), tokens: full.tokens.slice(0, p) },
    suffix: { ids: full.ids.slice(end), tokens: full.tokens.slice(end) },
    raw,
  };
}
