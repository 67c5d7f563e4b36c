import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runNode } from "../../oracle/ops/cli-runner.js";

/**
 * The README's main job, `npm run demo`, one round: every task settles through BullMQ, the
 * honest evaluators gain trust and the dishonest ones lose it, the output is the demo's own
 * lines (the workers' log goes to its file and is summarised).
 */
describe("npm run demo", () => {
  it("one round settles all nine tasks; honest evaluators gain trust, dishonest ones lose it; worker warnings stay in the log file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-demo-test-"));
    const json = path.join(dir, "demo.json");
    const logFile = path.join(dir, "demo.log");
    // The demo gives up by itself after 170 s; the kill is for a demo that hangs past that.
    const run = await runNode(["--import", "tsx", "scripts/demo.ts", "--rounds", "1", "--json", json, "--log", logFile], { POQ_LOG_LEVEL: "warn" }, 200_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/"level":/);
    expect(run.stdout).toMatch(/^PoQ demo: in-process Hardhat network; jobs through BullMQ on Redis/);
    expect(run.stdout).toMatch(/\nround 1: 9 tasks settled \(ids 1\.\.9\)/);
    expect(run.stdout).toMatch(/\nworker log: .*demo\.log, \d+ warnings and errors/);
    expect(run.stdout).toMatch(/\ndone: 9 tasks settled in /);

    const r = JSON.parse(readFileSync(json, "utf8")) as { mode: string; tasks: { consensus: number[] }[]; trust: Record<string, number[]> };
    expect(r.mode).toBe("bullmq");
    expect(r.tasks).toHaveLength(9);
    for (const t of r.tasks) expect(t.consensus).toHaveLength(4);
    const final = (prefix: string) => Object.entries(r.trust).filter(([k]) => k.includes(prefix)).map(([, h]) => h.at(-1)!);
    const honest = final("honest");
    const dishonest = [...final("random"), ...final("inverse"), ...final("constant"), ...final("offline")];
    expect(honest).toHaveLength(5);
    expect(dishonest).toHaveLength(4);
    // Committees are sampled (5 of 9 a task), so one evaluator may sit a round out at 10000.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const t of honest) expect(t).toBeGreaterThanOrEqual(10_000);
    for (const t of dishonest) expect(t).toBeLessThanOrEqual(10_000);
    expect(mean(honest)).toBeGreaterThan(11_000);
    expect(mean(dishonest)).toBeLessThan(9_000);
    const log = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: number });
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((l) => l.level >= 40)).toBe(true); // POQ_LOG_LEVEL default warn
  }, 240_000);
});
