import { describe, it, expect, afterEach } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { Registry } from "prom-client";
import { startMetricsServer } from "../../oracle/ops/metrics.js";
import { checkReadiness } from "../../oracle/ops/readiness.js";
import { claimPidFile, processAlive } from "../../oracle/ops/pid-file.js";
import { followLauncher } from "../../oracle/ops/launcher.js";
import { schemaText, shippedSchemas } from "../../oracle/config/json-schema.js";
import { jsonLineErrorText } from "../../oracle/core/json-error.js";

/** The pieces that make `poq worker` a service: probes, the pid file, following its launcher, shipped schemas. */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe("health and readiness endpoints", () => {
  it("/healthz answers while the process is up; /readyz is 200 when every check answers, else 503 naming which does not", async () => {
    let redisUp = true;
    const srv = await startMetricsServer(new Registry(), 0, "127.0.0.1", {
      ready: () =>
        checkReadiness(
          {
            chain: async () => 1n,
            redis: async () => {
              if (!redisUp) throw new Error("connect ECONNREFUSED 127.0.0.1:6379\nmore");
              return "PONG";
            },
            scoring: () => new Promise(() => undefined), // never answers
          },
          200,
        ),
    });
    closers.push(srv.close);
    const health = await fetch(`${srv.base}/healthz`);
    expect(health.status).toBe(200);
    let r = await fetch(`${srv.base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ ready: false, checks: { chain: "ok", redis: "ok", scoring: "no answer within 200 ms" } });
    redisUp = false;
    r = await fetch(`${srv.base}/readyz`);
    expect(((await r.json()) as { checks: { redis: string } }).checks.redis).toBe("connect ECONNREFUSED 127.0.0.1:6379");
    expect((await fetch(`${srv.base}/metrics`)).status).toBe(200);
    expect((await fetch(`${srv.base}/nothing`)).status).toBe(404);
  });

  it("all answering: 200 and ready true", async () => {
    const srv = await startMetricsServer(new Registry(), 0, "127.0.0.1", { ready: () => checkReadiness({ chain: async () => 1, redis: async () => "PONG" }) });
    closers.push(srv.close);
    const r = await fetch(`${srv.base}/readyz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ ready: true, checks: { chain: "ok", redis: "ok" } });
  });

  it("a port in use is an error, not a hang", async () => {
    const a = await startMetricsServer(new Registry(), 0);
    closers.push(a.close);
    const port = Number(new URL(a.base).port);
    await expect(startMetricsServer(new Registry(), port)).rejects.toThrow(/EADDRINUSE/);
  });
});

describe("pid file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "poq-pid-"));

  it("is written with this pid, replaces a stale one, and is removed on release", () => {
    const f = path.join(dir, "a.pid");
    writeFileSync(f, "999999999\n"); // no such process
    expect(processAlive(999_999_999)).toBe(false);
    const claim = claimPidFile(f);
    expect(readFileSync(f, "utf8")).toBe(`${process.pid}\n`);
    claim.release();
    expect(existsSync(f)).toBe(false);
  });

  it("refuses a file naming a running process, and leaves it alone", async () => {
    const f = path.join(dir, "b.pid");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"], { stdio: "ignore" });
    closers.push(async () => void other.kill("SIGKILL"));
    writeFileSync(f, `${other.pid}\n`);
    expect(() => claimPidFile(f)).toThrow(`--pid-file ${f} names process ${other.pid}, which is running: stop it first (kill ${other.pid}) or use another pid file`);
    expect(readFileSync(f, "utf8")).toBe(`${other.pid}\n`);
  });
});

describe("following the launcher", () => {
  it("does nothing unless started by npm or the poq launcher", () => {
    let lost = 0;
    const stop = followLauncher({ env: {}, intervalMs: 1, onLost: () => lost++ });
    stop();
    expect(lost).toBe(0);
  });
});

describe("shipped JSON Schemas", () => {
  it("docs/config.schema.json and docs/record.schema.json are the zod schemas' (regenerate: npx tsx scripts/export-schemas.ts)", () => {
    for (const [file, schema] of Object.entries(shippedSchemas())) expect(readFileSync(file, "utf8"), file).toBe(schemaText(schema));
  });
});

describe("JSON Lines parse errors", () => {
  it("name the column, not the parser's own line 1", () => {
    let err: unknown;
    try {
      JSON.parse("{not json");
    } catch (e) {
      err = e;
    }
    expect(jsonLineErrorText(err)).not.toMatch(/line \d/);
    expect(jsonLineErrorText(err)).toMatch(/column 2/);
  });
});
