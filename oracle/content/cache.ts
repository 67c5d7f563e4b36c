import type { Hex } from "viem";
import { contentHash, type ContentStore } from "./store.js";

/**
 * A bounded in-memory cache in front of a content store. Texts are addressed by their hash,
 * so a text that hashes to its key can never go stale: only such texts are cached. A text
 * that does not match (a tampered file) or is missing is fetched again every time, so the
 * caller's check still sees it and refuses it.
 *
 * Why: the k evaluator keys a process holds read the same query and outputs of a task, at
 * the same moment; each read from a directory store is four file syscalls, from an HTTP store
 * a request, and each check a keccak of the text.
 */
export class CachedContentStore implements ContentStore {
  private texts = new Map<string, string>();
  private chars = 0;
  /** Reads on their way from the inner store: concurrent gets of one hash share one read. */
  private inFlight = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly inner: ContentStore,
    /** Bound on the cached characters (default 32M, about 64 MiB). */
    private readonly maxChars = 32_000_000,
  ) {}

  get describe(): string {
    return this.inner.describe;
  }

  /** Texts held. */
  get size(): number {
    return this.texts.size;
  }

  async get(hash: Hex): Promise<string | undefined> {
    const key = hash.toLowerCase();
    const hit = this.texts.get(key);
    if (hit !== undefined) {
      // refresh recency (Map keeps insertion order)
      this.texts.delete(key);
      this.texts.set(key, hit);
      return hit;
    }
    let read = this.inFlight.get(key);
    if (!read) {
      read = this.inner.get(hash).then((text) => {
        if (text !== undefined && text.length <= this.maxChars && contentHash(text).toLowerCase() === key) this.remember(key, text);
        return text;
      });
      this.inFlight.set(key, read);
      void read.then(
        () => this.inFlight.delete(key),
        () => this.inFlight.delete(key),
      );
    }
    return read;
  }

  /** True when `text` is the text this cache checked against `hash` (the caller need not hash it again). */
  isVerified(hash: Hex, text: string): boolean {
    return this.texts.get(hash.toLowerCase()) === text;
  }

  async put(text: string): Promise<Hex> {
    const h = await this.inner.put(text);
    if (text.length <= this.maxChars) this.remember(h.toLowerCase(), text);
    return h;
  }

  private remember(key: string, text: string): void {
    if (this.texts.has(key)) return;
    this.texts.set(key, text);
    this.chars += text.length;
    while (this.chars > this.maxChars) {
      const [oldest, t] = this.texts.entries().next().value!;
      this.texts.delete(oldest);
      this.chars -= t.length;
    }
  }
}
