import { readFileSync } from "node:fs";
import { mkdir, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { keccak256, toBytes, type Hex } from "viem";
import { PoqError } from "../core/errors.js";
import type { ContentConfig } from "../config/schema.js";

/** The on-chain commitment to a text: keccak256 of its UTF-8 bytes. */
export function contentHash(text: string): Hex {
  return keccak256(toBytes(text));
}

/** A content-addressed store of task texts (queries and candidate outputs), keyed by contentHash. */
export interface ContentStore {
  /** The stored text, or undefined when the store has nothing under that key. */
  get(hash: Hex): Promise<string | undefined>;
  /** Stores `text`; returns its hash. */
  put(text: string): Promise<Hex>;
  readonly describe: string;
  /** Optional: true when `text`, as returned by get(hash), is known to hash to `hash` (a cache that checked it). */
  isVerified?(hash: Hex, text: string): boolean;
}

export class ContentError extends PoqError {
  constructor(code: "E_CONTENT_MISSING" | "E_CONTENT_MISMATCH" | "E_CONTENT_FETCH", message: string, details: Record<string, unknown>) {
    super(code, message, details);
    this.name = "ContentError";
  }
}

const HASH_RE = /^0x[0-9a-f]{64}$/;

function checkKey(hash: Hex): string {
  const h = hash.toLowerCase();
  if (!HASH_RE.test(h)) throw new ContentError("E_CONTENT_FETCH", `not a content hash: ${hash}`, { hash });
  return h;
}

/** A local directory: one `<hash>.txt` file a text. */
export class DirContentStore implements ContentStore {
  constructor(readonly dir: string) {}
  get describe() {
    return `dir:${this.dir}`;
  }
  private file(hash: Hex) {
    return path.join(this.dir, `${checkKey(hash).slice(2)}.txt`);
  }
  async get(hash: Hex) {
    try {
      // Synchronous on purpose: a text is a small local file, and fs/promises' readFile costs
      // ~10x the CPU of readFileSync (open, fstat, read, close each a promise and a thread-pool
      // hop): a worker reads every query and output of every task it evaluates.
      return readFileSync(this.file(hash), "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw new ContentError("E_CONTENT_FETCH", `reading ${this.file(hash)}: ${(err as Error).message}`, { hash });
    }
  }
  async put(text: string) {
    const h = contentHash(text);
    await mkdir(this.dir, { recursive: true });
    const f = this.file(h);
    const tmp = `${f}.${process.pid}.tmp`;
    await writeFile(tmp, text, "utf8");
    await rename(tmp, f);
    return h;
  }
}

/** An HTTP endpoint: GET/PUT `<base>/<hash>` (see content/server.ts for a matching server). */
export class HttpContentStore implements ContentStore {
  constructor(readonly base: string, private timeoutMs = 10_000) {}
  get describe() {
    return `http:${this.base}`;
  }
  private url(hash: Hex) {
    return `${this.base.replace(/\/$/, "")}/${checkKey(hash)}`;
  }
  async get(hash: Hex) {
    let res: Response;
    try {
      res = await fetch(this.url(hash), { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new ContentError("E_CONTENT_FETCH", `GET ${this.url(hash)}: ${(err as Error).message}`, { hash });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) throw new ContentError("E_CONTENT_FETCH", `GET ${this.url(hash)}: HTTP ${res.status}`, { hash, status: res.status });
    return new TextDecoder("utf-8", { fatal: false }).decode(await res.arrayBuffer());
  }
  async put(text: string) {
    const h = contentHash(text);
    const res = await fetch(this.url(h), { method: "PUT", body: text, headers: { "content-type": "text/plain; charset=utf-8" }, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new ContentError("E_CONTENT_FETCH", `PUT ${this.url(h)}: HTTP ${res.status}`, { hash: h, status: res.status });
    return h;
  }
}

export function createContentStore(cfg: ContentConfig): ContentStore {
  return cfg.kind === "dir" ? new DirContentStore(cfg.dir) : new HttpContentStore(cfg.url, cfg.timeoutMs);
}

/**
 * Fetches a text and checks it against its on-chain hash. A missing text or one whose hash
 * differs is refused with a ContentError naming the hash (the worker records it on the job).
 */
export async function fetchVerified(store: ContentStore, hash: Hex, what: string): Promise<string> {
  const text = await store.get(hash);
  if (text === undefined) throw new ContentError("E_CONTENT_MISSING", `${what}: no text for ${hash} in ${store.describe}`, { hash, what });
  if (store.isVerified?.(hash, text)) return text;
  const actual = contentHash(text);
  if (actual.toLowerCase() !== hash.toLowerCase())
    throw new ContentError("E_CONTENT_MISMATCH", `${what}: text from ${store.describe} hashes to ${actual}, on-chain hash is ${hash}; refused`, { hash, actual, what });
  return text;
}
