import { readFile } from "node:fs/promises";
import path from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { PoqError, errorMessage } from "../../core/errors.js";

export interface HfEncoding {
  ids: number[];
  tokens: string[];
  typeIds: number[];
}

export interface HfTokenizer {
  tokenizer: Tokenizer;
  /**
   * Encodes a text (or pair). Ids the library leaves undefined (its WordLevel model does not
   * apply `unk_token`) become the unknown token's id.
   */
  encode(text: string, opts?: { pair?: string; specialTokens?: boolean }): HfEncoding;
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
  const unkToken = (json.model as { unk_token?: unknown } | undefined)?.unk_token;
  const unkId = typeof unkToken === "string" ? tokenizer.token_to_id(unkToken) : undefined;
  const encode = (text: string, opts: { pair?: string; specialTokens?: boolean } = {}): HfEncoding => {
    const enc = tokenizer.encode(text, {
      text_pair: opts.pair ?? null,
      add_special_tokens: opts.specialTokens ?? true,
      return_token_type_ids: true,
    });
    const ids = enc.ids.map((id: number | undefined, i: number) => {
      if (typeof id === "number" && Number.isInteger(id)) return id;
      if (unkId === undefined) {
        throw new PoqError("E_MODEL_FILE", `tokenizer ${tokenizerPath} has no id for "${enc.tokens[i]}" and no unk_token`, { path: tokenizerPath });
      }
      return unkId;
    });
    const tokens = enc.tokens.map((t: string, i: number) => (ids[i] === unkId && typeof unkToken === "string" ? unkToken : t));
    return { ids, tokens, typeIds: enc.token_type_ids ?? ids.map(() => 0) };
  };
  const probe = "hello";
  const full = encode(probe);
  const content = encode(probe, { specialTokens: false });
  let p = 0;
  for (; p + content.ids.length <= full.ids.length; p++) {
    if (content.ids.every((id: number, i: number) => full.ids[p + i] === id)) break;
  }
  if (p + content.ids.length > full.ids.length) p = 0;
  const end = p + content.ids.length;
  return {
    tokenizer,
    encode,
    maxLength: truncation?.max_length,
    prefix: { ids: full.ids.slice(0, p), tokens: full.tokens.slice(0, p) },
    suffix: { ids: full.ids.slice(end), tokens: full.tokens.slice(end) },
    raw,
  };
}
