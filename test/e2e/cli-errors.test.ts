import { describe, it, expect } from "vitest";
import { generatePrivateKey } from "viem/accounts";
import { runCli } from "../../oracle/ops/cli-runner.js";
import { defaultProfile, profileHash } from "../../oracle/scoring/profile.js";

/**
 * A fatal start-up error ends `poq worker` at once: one line naming the problem, no stack
 * trace, exit code 1, within seconds (a service manager restarts it; a wait loop stops), with
 * everything it had opened (Redis connections, the scoring thread, RPC clients) closed. Needs
 * Redis (REDIS_URL, default 127.0.0.1:6379), no chain.
 */
const noKeys = { POQ_PRIVATE_KEYS: undefined, POQ_KEYSTORES: undefined, POQ_KEYSTORE_PASSWORD: undefined, POQ_CONFIG: undefined, POQ_LOG_LEVEL: "error" };

async function fatalStart(env: Record<string, string | undefined>) {
  const t0 = Date.now();
  const r = await runCli(["worker"], { ...noKeys, ...env }, 30_000);
  return { ...r, ms: Date.now() - t0 };
}

function expectOneLine(r: { code: number | null; stderr: string; stdout: string; ms: number }, what: RegExp) {
  expect(r.code).toBe(1);
  expect(r.ms).toBeLessThan(15_000);
  expect(r.stderr).toMatch(what);
  expect(r.stderr.split("\n")).toHaveLength(2); // one line
  expect(r.stderr).not.toMatch(/\n\s+at |ErrorEvent|Error:/);
  expect(r.stdout).not.toMatch(/poq worker running/);
}

describe("poq worker: fatal start-up errors", () => {
  it("no key", async () => {
    expectOneLine(await fatalStart({}), /^poq: no evaluator key: set POQ_KEYSTORES .* or POQ_PRIVATE_KEYS/);
  }, 40_000);

  it("a malformed key", async () => {
    expectOneLine(await fatalStart({ POQ_PRIVATE_KEYS: "0x1234" }), /^poq: POQ_PRIVATE_KEYS\[0\]: not a 32-byte hex private key/);
  }, 40_000);

  it("an unreachable HTTP RPC", async () => {
    const r = await fatalStart({ POQ_PRIVATE_KEYS: generatePrivateKey(), POQ_RPC_URL: "http://127.0.0.1:9999" });
    expectOneLine(r, /^poq: connect to http:\/\/127\.0\.0\.1:9999: RPC unavailable .*ECONNREFUSED/);
  }, 40_000);

  it("an unreachable WebSocket RPC", async () => {
    const r = await fatalStart({ POQ_PRIVATE_KEYS: generatePrivateKey(), POQ_RPC_URL: "ws://127.0.0.1:9999" });
    expectOneLine(r, /^poq: connect to ws:\/\/127\.0\.0\.1:9999: RPC unavailable after \d+ attempts/);
  }, 40_000);
});

/** Mistakes any command can meet, caught without a chain: one line, no stack trace, no raw event dump. */
describe("CLI errors without a chain", () => {
  it("an unreachable WebSocket RPC: one line naming the URL, no ErrorEvent dump", async () => {
    const r = await runCli(["task", "show", "3"], { ...noKeys, POQ_RPC_URL: "ws://127.0.0.1:9999" }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^poq: connect to ws:\/\/127\.0\.0\.1:9999: RPC unavailable after \d+ attempts/);
    expect(r.stderr.split("\n")).toHaveLength(2);
    expect(r.stderr).not.toMatch(/ErrorEvent|\n\s+at /);
  }, 40_000);

  it("a task id that is not a number", async () => {
    const r = await runCli(["task", "show", "abc"], { ...noKeys, POQ_RPC_URL: "ws://127.0.0.1:9999" }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('poq: task id must be a number, got "abc"\n');
  }, 40_000);

  it("token balance without a key or --of asks whose balance, not for a transaction", async () => {
    const r = await runCli(["token", "balance"], { ...noKeys, POQ_RPC_URL: "http://127.0.0.1:9999" }, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^poq: whose balance\? pass --of <address>/);
    expect(r.stderr).not.toMatch(/sends a transaction/);
    expect(r.stderr.split("\n")).toHaveLength(2);
  }, 40_000);

  it("the default profile (by name or hash) is refused for tasks and evaluator registrations: not registered on chain because it is not for money", async () => {
    const hash = profileHash(defaultProfile());
    const runs = [
      ["task", "create", "--in", "test/fixtures/e2e/tasks.jsonl", "--profile", "default"],
      ["task", "create", "--in", "test/fixtures/e2e/tasks.jsonl", "--profile", hash],
      ["register", "evaluator", "--stake", "100", "--cost", "1", "--profile", "calibrated", "--profile", "default"],
    ];
    for (const args of runs) {
      const r = await runCli(args, { ...noKeys, POQ_RPC_URL: "http://127.0.0.1:9999" }, 30_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `poq: --profile: the default profile (${hash}, published uncalibrated weights) is not registered on chain because it is not for money (the contract reverts UnknownProfile); score offline with it (poq score --profile default) and name the calibrated profile on chain (the default of --profile)\n`,
      );
    }
  }, 120_000);

  it("--debug adds the stack trace", async () => {
    const r = await runCli(["task", "show", "abc", "--debug"], noKeys, 30_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^poq: task id must be a number, got "abc"\nInputError: .*\n\s+at /);
  }, 40_000);
});
