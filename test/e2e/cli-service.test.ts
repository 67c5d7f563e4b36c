import { describe, it, expect } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort, root, runCli, uniquePrefix, waitFor } from "./harness.js";
import { processAlive } from "../../oracle/ops/pid-file.js";

/**
 * `poq worker` as a service, and the CLI's help and input checks, through the real command.
 * Needs Redis (REDIS_URL, default 127.0.0.1:6379), no chain.
 */
const dir = mkdtempSync(path.join(tmpdir(), "poq-service-"));
const noKeys = { POQ_PRIVATE_KEYS: undefined, POQ_KEYSTORES: undefined, POQ_KEYSTORE_PASSWORD: undefined, POQ_CONFIG: undefined };

describe("a worker started with npx", () => {
  it("`npx poq worker &` then `kill $!` stops it gracefully (pid file removed); /healthz and /readyz answer while it runs", async () => {
    const pidFile = path.join(dir, "worker.pid");
    const port = await freePort();
    // As an operator's shell would run it: npx (npm on whatever Node is first on PATH) -> sh -> node.
    const npx = spawn("npx", ["poq", "worker", "--no-chain", "--no-batch", "--pid-file", pidFile, "--metrics-port", String(port)], {
      cwd: root,
      env: { ...process.env, ...noKeys, VITEST: "", POQ_LOG_LEVEL: "info", POQ_REDIS_PREFIX: uniquePrefix(), ONNXRUNTIME_NODE_INSTALL: "skip" } as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    npx.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    npx.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const npxExit = new Promise<void>((r) => npx.on("exit", () => r()));
    try {
      await waitFor("worker running", async () => /poq worker running/.test(out), 90_000, 200);
      expect(err).not.toMatch(/EBADENGINE/); // npm checks engines against its own Node; poq brings Node 22
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      expect(pid).not.toBe(npx.pid); // the worker is npx's grandchild
      expect(processAlive(pid)).toBe(true);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true, checks: { redis: "ok" } }); // --no-chain: no chain, no scoring thread
      // A second worker naming the same pid file refuses to start.
      const twice = await runCli(["worker", "--no-chain", "--no-batch", "--pid-file", pidFile], noKeys, 60_000);
      expect(twice.code).toBe(1);
      expect(twice.stderr).toBe(`poq: --pid-file ${pidFile} names process ${pid}, which is running: stop it first (kill ${pid}) or use another pid file\n`);

      npx.kill("SIGTERM"); // `kill $!`
      await npxExit;
      await waitFor("worker process gone", async () => !processAlive(pid), 30_000, 100);
      expect(existsSync(pidFile)).toBe(false); // removed by its exit: a graceful stop, not a kill
      await waitFor("shutdown logged", async () => /"msg":"stopped"/.test(err), 5_000, 100);
      expect(err).toMatch(/"sig":"SIGTERM".*"msg":"shutting down: finishing active jobs"/);
    } finally {
      if (existsSync(pidFile)) {
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        if (processAlive(pid)) process.kill(pid, "SIGKILL");
      }
      npx.kill("SIGKILL");
    }
  }, 150_000);
});

describe("CLI help and input checks", () => {
  it("--help lists the environment variables, marks required options and says what --config holds", async () => {
    const top = await runCli(["--help"], noKeys, 60_000);
    expect(top.code).toBe(0);
    for (const v of ["POQ_RPC_URL", "POQ_PRIVATE_KEYS", "POQ_KEYSTORES", "POQ_KEYSTORE_PASSWORD", "POQ_CONTRACT", "REDIS_URL", "POQ_CONFIG", "POQ_LOG_LEVEL", "POQ_METRICS_PORT"])
      expect(top.stdout).toMatch(new RegExp(`\\n  ${v}\\s`));
    const create = await runCli(["task", "create", "--help"], noKeys, 60_000);
    expect(create.stdout).toMatch(/--in <file>\s+task file: [^]*?\(required\)/);
    expect(create.stdout).not.toMatch(/--k <n>[^\n]*\(required\)/);
    expect(create.stdout).toMatch(/--config <file>\s+JSON config file \(else \$POQ_CONFIG\): rpcUrl,/);
    expect(create.stdout).toMatch(/docs\/config\.schema\.json/);
    expect(create.stdout).toMatch(/\n  POQ_RPC_URL /);
  }, 90_000);

  it("task create refuses an output with empty text, as poq score does, before connecting", async () => {
    const f = path.join(dir, "empty.jsonl");
    writeFileSync(f, `${JSON.stringify({ id: "a", task: "qa", query: "q?", outputs: [{ node: "n0", text: "fine" }, { node: "n1", text: "  " }] })}\n`);
    const r = await runCli(["task", "create", "--in", f], { ...noKeys, POQ_RPC_URL: "http://127.0.0.1:9" }, 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`poq: ${f}: task a: outputs.1 (node n1): empty output (an output must have text, as for poq score)\n`);
  }, 90_000);

  it("a malformed JSONL line is reported with its line number only (task create and score)", async () => {
    const f = path.join(dir, "bad.jsonl");
    writeFileSync(f, `${JSON.stringify({ id: "a", task: "qa", query: "q?", outputs: [{ node: "n0", text: "x" }] })}\n{"id": "b", oops}\n`);
    const t = await runCli(["task", "create", "--in", f], noKeys, 60_000);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(new RegExp(`${f.replace(/[.]/g, "\\.")}:2: invalid JSON \\(.* at column 13\\)`));
    expect(t.stderr).not.toMatch(/line 1/);
    const s = await runCli(["score", "--in", f, "--out", path.join(dir, "bad-out.jsonl")], noKeys, 60_000);
    expect(s.stderr).toMatch(/record b \(line 2\): \(line\): invalid JSON: .* at column 13/);
    expect(s.stderr).not.toMatch(/line 1 /);
  }, 120_000);
});
