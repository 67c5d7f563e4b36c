import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadConfig } from "../../oracle/config/index.js";

const dir = mkdtempSync(path.join(tmpdir(), "poq-cfg-"));
function file(name: string, body: unknown): string {
  const f = path.join(dir, name);
  writeFileSync(f, typeof body === "string" ? body : JSON.stringify(body));
  return f;
}

describe("config", () => {
  it("defaults, file and environment overlay in that order", () => {
    const f = file("a.json", { rpcUrl: "http://10.0.0.1:8545", worker: { concurrency: 3, confirmations: 5 } });
    const c = loadConfig({ file: f, env: { POQ_CONFIRMATIONS: "1", REDIS_URL: "redis://h:1" } });
    expect(c.rpcUrl).toBe("http://10.0.0.1:8545");
    expect(c.worker.concurrency).toBe(3);
    expect(c.worker.confirmations).toBe(1);
    expect(c.redis.url).toBe("redis://h:1");
    expect(c.redis.prefix).toBe("poq");
    expect(c.content).toEqual({ kind: "dir", dir: ".poq/content" });
  });
  it("names every invalid field", () => {
    const f = file("b.json", { rpcUrl: "not a url", worker: { concurrency: 0 }, contract: "0x12" });
    expect(() => loadConfig({ file: f, env: {} })).toThrow(/rpcUrl[\s\S]*|contract|worker\.concurrency/);
    try {
      loadConfig({ file: f, env: {} });
    } catch (e) {
      const m = (e as Error).message;
      expect(m).toContain("rpcUrl");
      expect(m).toContain("worker.concurrency");
      expect(m).toContain("contract");
    }
  });
  it("rejects unknown keys and secrets in a config file", () => {
    expect(() => loadConfig({ file: file("c.json", { rpcURL: "http://x" }), env: {} })).toThrow(/rpcURL|Unrecognized/i);
    expect(() => loadConfig({ file: file("d.json", { keys: { privateKey: "0xabc" } }), env: {} })).toThrow(/keys\.privateKey.*secrets never go in a config file/);
  });
  it("reports bad JSON, missing files and bad env integers", () => {
    expect(() => loadConfig({ file: file("e.json", "{oops"), env: {} })).toThrow(/not valid JSON/);
    expect(() => loadConfig({ file: path.join(dir, "nope.json"), env: {} })).toThrow(/not found/);
    expect(() => loadConfig({ env: { POQ_WORKER_CONCURRENCY: "four" } })).toThrow(/POQ_WORKER_CONCURRENCY must be an integer/);
  });
  it("reads the transaction batching knobs from the environment and validates them", () => {
    expect(loadConfig({ env: {} }).tx).toMatchObject({ batchMaxCalls: 16, batchLingerMs: 100 });
    const c = loadConfig({ env: { POQ_TX_BATCH_MAX_CALLS: "1", POQ_TX_BATCH_LINGER_MS: "0", POQ_RPC_URL: "ws://127.0.0.1:8545" } });
    expect(c.tx).toMatchObject({ batchMaxCalls: 1, batchLingerMs: 0 });
    expect(c.rpcUrl).toBe("ws://127.0.0.1:8545");
    expect(() => loadConfig({ env: { POQ_TX_BATCH_MAX_CALLS: "0" } })).toThrow(/batchMaxCalls/);
    expect(loadConfig({ env: {} }).tx.learnGas).toBe(true);
    expect(loadConfig({ env: { POQ_TX_LEARN_GAS: "false" } }).tx.learnGas).toBe(false);
    expect(() => loadConfig({ env: { POQ_TX_LEARN_GAS: "sometimes" } })).toThrow(/POQ_TX_LEARN_GAS must be true or false/);
  });
  it("selects an HTTP content store from the environment", () => {
    const c = loadConfig({ env: { POQ_CONTENT_URL: "http://127.0.0.1:9999/c" } });
    expect(c.content).toMatchObject({ kind: "http", url: "http://127.0.0.1:9999/c" });
  });
});
