import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { RedisNonceCoordinator, MemoryNonceCoordinator } from "../../oracle/chain/nonce.js";
import { RedisCursorStore, BlockScanner, MemoryCursorStore } from "../../oracle/chain/cursor.js";
import { DirContentStore, HttpContentStore, fetchVerified, contentHash, startContentServer } from "../../oracle/content/index.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix, url: redisUrl } = testRedis((u) => new Redis(u, { maxRetriesPerRequest: 2 }));

describe("nonce coordination", () => {
  it("hands out unique consecutive nonces to concurrent senders sharing a key in Redis", async () => {
    // Two coordinators = two processes sharing one Redis. The "node" only counts what it was given.
    const a = new RedisNonceCoordinator(redis, prefix);
    const redis2 = new Redis(redisUrl);
    const b = new RedisNonceCoordinator(redis2, prefix);
    let pool = 0;
    const got: number[] = [];
    const pending = async () => pool;
    const send = async (n: number) => {
      await new Promise((r) => setTimeout(r, Math.random() * 5));
      got.push(n);
      pool = n + 1;
      return n;
    };
    await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).withNonce("0xAbC", pending, send)));
    expect([...got].sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    redis2.disconnect();
  });
  it("forgets a handed-out nonce after a failed send", async () => {
    const m = new MemoryNonceCoordinator();
    await m.withNonce("0x1", async () => 0, async (n) => n);
    await expect(m.withNonce("0x1", async () => 1, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await m.withNonce("0x1", async () => 1, async (n) => n)).toBe(1);
  });
});

describe("content store", () => {
  it("stores by keccak256 and refuses texts that do not match their hash", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-content-"));
    const store = new DirContentStore(dir);
    const h = await store.put("Paris is the capital of France.");
    expect(h).toBe(contentHash("Paris is the capital of France."));
    expect(await fetchVerified(store, h, "output 0")).toBe("Paris is the capital of France.");
    writeFileSync(path.join(dir, `${h.slice(2)}.txt`), "tampered");
    await expect(fetchVerified(store, h, "output 0")).rejects.toMatchObject({ code: "E_CONTENT_MISMATCH" });
    await expect(fetchVerified(store, contentHash("absent"), "query")).rejects.toMatchObject({ code: "E_CONTENT_MISSING" });
  });
  it("works over HTTP", async () => {
    const backing = new DirContentStore(mkdtempSync(path.join(tmpdir(), "poq-content-")));
    const srv = await startContentServer(backing);
    try {
      const http = new HttpContentStore(srv.url);
      const h = await http.put("héllo wörld");
      expect(await fetchVerified(http, h, "q")).toBe("héllo wörld");
      expect(await http.get(contentHash("nothing"))).toBeUndefined();
    } finally {
      await srv.close();
    }
  });
});

describe("block scanner", () => {
  it("persists the cursor, keeps a confirmation depth and re-scans a reorg window", async () => {
    let head = 10n;
    const client = { getBlockNumber: async () => head } as never;
    const ranges: [bigint, bigint][] = [];
    const cursor = new RedisCursorStore(redis, `${prefix}:cursor`);
    const mk = () => new BlockScanner({ client, cursor, confirmations: 2, reorgWindow: 3, startBlock: 0n, maxRange: 5n, onRange: async (a, b) => void ranges.push([a, b]) });
    expect(await mk().poll()).toBe(8n);
    expect(ranges).toEqual([[0n, 4n], [5n, 8n]]);
    expect(await cursor.get()).toBe(8n);
    head = 12n;
    ranges.length = 0;
    await mk().poll(); // a fresh scanner (restart) resumes from the stored cursor minus the window
    expect(ranges).toEqual([[6n, 10n]]);
    await cursor.set(3n); // never moves back
    expect(await cursor.get()).toBe(10n);
  });
  it("does not advance the cursor when the handler fails", async () => {
    const cursor = new MemoryCursorStore();
    const s = new BlockScanner({ client: { getBlockNumber: async () => 5n } as never, cursor, confirmations: 0, reorgWindow: 0, startBlock: 0n, onRange: async () => Promise.reject(new Error("rpc down")) });
    await expect(s.poll()).rejects.toThrow("rpc down");
    expect(await cursor.get()).toBeUndefined();
  });
});
