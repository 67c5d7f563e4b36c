import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CachedContentStore, DirContentStore, contentHash, fetchVerified } from "../../oracle/content/index.js";
import { rpcTransport } from "../../oracle/chain/client.js";

/** Counts reads that reach the directory. */
function countingDir() {
  const dir = mkdtempSync(path.join(tmpdir(), "poq-cache-"));
  const inner = new DirContentStore(dir);
  const reads = { n: 0 };
  const get = inner.get.bind(inner);
  inner.get = async (h) => {
    reads.n++;
    return get(h);
  };
  return { dir, inner, reads };
}

describe("CachedContentStore", () => {
  it("serves a verified text from memory after the first read", async () => {
    const { inner, reads } = countingDir();
    const h = await inner.put("the answer is 42");
    const c = new CachedContentStore(inner);
    for (let i = 0; i < 5; i++) expect(await fetchVerified(c, h, "output")).toBe("the answer is 42");
    expect(reads.n).toBe(1);
    expect(c.size).toBe(1);
  });

  it("shares one read among concurrent gets of a hash (the k evaluators of a task), and knows which texts it checked", async () => {
    const { inner, reads } = countingDir();
    const h = await inner.put("one text, five readers");
    const c = new CachedContentStore(inner);
    const texts = await Promise.all(Array.from({ length: 5 }, () => fetchVerified(c, h, "output")));
    expect(texts).toEqual(Array(5).fill("one text, five readers"));
    expect(reads.n).toBe(1);
    expect(c.isVerified(h, texts[0]!)).toBe(true);
    expect(c.isVerified(h, "another text")).toBe(false);
    expect(c.isVerified(contentHash("another text"), "another text")).toBe(false); // never read through this cache
  });

  it("never caches a text that does not match its hash, nor a missing one: each read sees the store again", async () => {
    const { dir, inner, reads } = countingDir();
    const h = contentHash("the real text");
    writeFileSync(path.join(dir, `${h.slice(2)}.txt`), "a tampered text");
    const c = new CachedContentStore(inner);
    for (let i = 0; i < 2; i++) await expect(fetchVerified(c, h, "output 0")).rejects.toMatchObject({ code: "E_CONTENT_MISMATCH" });
    const missing = contentHash("never stored");
    await expect(fetchVerified(c, missing, "query")).rejects.toMatchObject({ code: "E_CONTENT_MISSING" });
    expect(reads.n).toBe(3);
    expect(c.size).toBe(0);
    // fixed on disk: the next read gets the right text
    writeFileSync(path.join(dir, `${h.slice(2)}.txt`), "the real text");
    expect(await fetchVerified(c, h, "output 0")).toBe("the real text");
  });

  it("stays within its character bound, evicting the least recently used text", async () => {
    const { inner, reads } = countingDir();
    const c = new CachedContentStore(inner, 25);
    const [a, b, d] = await Promise.all(["aaaaaaaaaa", "bbbbbbbbbb", "dddddddddd"].map((t) => inner.put(t)));
    await c.get(a!);
    await c.get(b!);
    await c.get(a!); // a is now the most recent
    await c.get(d!); // 30 chars > 25: b goes
    expect(c.size).toBe(2);
    const before = reads.n;
    await c.get(a!);
    await c.get(d!);
    expect(reads.n).toBe(before);
    await c.get(b!);
    expect(reads.n).toBe(before + 1);
  });
});

describe("rpcTransport", () => {
  it("uses a WebSocket for ws:// and wss:// URLs and HTTP otherwise", () => {
    expect(rpcTransport("ws://127.0.0.1:8545")({}).config.type).toBe("webSocket");
    expect(rpcTransport("WSS://rpc.example.org/v1")({}).config.type).toBe("webSocket");
    expect(rpcTransport("http://127.0.0.1:8545")({}).config.type).toBe("http");
  });
});
