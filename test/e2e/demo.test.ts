import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runNode } from "../../oracle/ops/cli-runner.js";
import { profileHash } from "../../oracle/scoring/profile.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";

/**
 * The README's main job, `npm run demo`, one round: every task settles through BullMQ, paid
 * under the calibrated profile; the honest evaluators end above the trust new identities start
 * at and above the dishonest ones, which lose trust; --json writes one row per output of the
 * round with its verdict, consensus and pay; the output is the demo's own lines (the workers'
 * log goes to its file and is summarised).
 */
describe("npm run demo", () => {
  it("one round finalizes all nine tasks (settled, or void without an agreeing majority); honest evaluators never lose trust, dishonest ones never gain it; settled tasks pay exactly the correct outputs; worker warnings stay in the log file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-demo-test-"));
    const json = path.join(dir, "demo.json");
    const logFile = path.join(dir, "demo.log");
    // The demo gives up by itself after 170 s; the kill is for a demo that hangs past that.
    const run = await runNode(["--import", "tsx", "scripts/demo.ts", "--rounds", "1", "--json", json, "--log", logFile], { POQ_LOG_LEVEL: "warn" }, 200_000);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/"level":/);
    expect(run.stdout).toMatch(/^PoQ demo: in-process Hardhat network; jobs through BullMQ on Redis/);
    expect(run.stdout).toMatch(/\nadvanced chain time \d+ s: registrations count for sampling after the registry's 60 s activation delay\n/);
    expect(run.stdout).toMatch(/\nround 1: 9 tasks settled \(ids 1\.\.9\)/);
    expect(run.stdout).toMatch(/\nworker log: .*demo\.log, \d+ warnings and errors/);
    expect(run.stdout).toMatch(/\ndone: 9 tasks settled in /);
    // The payout tables say their unit.
    expect(run.stdout).toMatch(/\nPayouts, in POQT \(the settlement token, whole tokens\):\n\s+evaluator\s+assigned\s+revealed\s+missed\s+earned \(POQT\)\s+slashed \(POQT\)/);
    expect(run.stdout).toMatch(/\n\s+inference node\s+lifetime \(POQT\)\s+claimable \(POQT\)/);

    const r = JSON.parse(readFileSync(json, "utf8")) as {
      mode: string;
      profileHash: string;
      initialTrust: number;
      tasks: { taskId: string; status: string; consensus: number[] }[];
      trust: Record<string, number[]>;
      outputs: { task: string; taskId: string; node: string; verdict: string; consensusBps: number | null; paid: number }[];
    };
    expect(r.mode).toBe("bullmq");
    expect(r.profileHash).toBe(profileHash(await payingProfile()));
    expect(r.tasks).toHaveLength(9);
    for (const t of r.tasks) {
      expect(t.status).toBe("finalized");
      // 4 outputs, or none when the task is void (no weighted majority of its revealers agreed:
      // a round-1 committee whose revealers are mostly the dishonest evaluators)
      expect([0, 4]).toContain(t.consensus.length);
    }

    // Trust: everyone starts at the registry's initial trust (5000); rises are capped per trust period.
    for (const h of Object.values(r.trust)) expect(h[0]).toBe(r.initialTrust);
    const final = (prefix: string) => Object.entries(r.trust).filter(([k]) => k.includes(prefix)).map(([, h]) => h.at(-1)!);
    const honest = final("honest");
    const dishonest = [...final("random"), ...final("inverse"), ...final("constant"), ...final("offline")];
    expect(honest).toHaveLength(5);
    expect(dishonest).toHaveLength(4);
    // Committees are sampled (5 of 9 a task, from block hashes), so an evaluator may sit the round
    // out. A task settles only when revealers holding more than half of the revealed weight agree
    // (the honest ones do: one engine, one profile); in round 1 every weight is equal, so a
    // committee whose revealers are at most half honest is void: nobody's trust moves, no node is
    // paid. Honest evaluators therefore never lose trust, dishonest ones never gain it.
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    for (const t of honest) expect(t).toBeGreaterThanOrEqual(r.initialTrust);
    for (const t of dishonest) expect(t).toBeLessThanOrEqual(r.initialTrust);
    const settled = r.tasks.filter((t) => t.consensus.length === 4).length;
    if (settled > 0) expect(mean(honest)).toBeGreaterThan(mean(dishonest));
    // One row per output of the round, with its verdict from examples/demo-tasks.jsonl.
    expect(r.outputs).toHaveLength(36);
    for (const o of r.outputs) {
      expect(["correct", "wrong", "gibberish"]).toContain(o.verdict);
      if (o.consensusBps !== null) expect(o.consensusBps).toBeGreaterThanOrEqual(0); // null: a void task
      expect(o.paid).toBeGreaterThanOrEqual(0);
    }
    // Settled tasks pay exactly the correct outputs; void ones pay nobody.
    const voidTasks = new Set(r.tasks.filter((t) => t.consensus.length === 0).map((t) => t.taskId));
    for (const o of r.outputs) {
      if (voidTasks.has(o.taskId)) expect(o.paid, `${o.task} ${o.node}`).toBe(0);
      else expect(o.paid > 0, `${o.task} ${o.node}`).toBe(o.verdict === "correct");
    }
    const log = readFileSync(logFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { level: number });
    expect(log.length).toBeGreaterThan(0);
    expect(log.every((l) => l.level >= 40)).toBe(true); // POQ_LOG_LEVEL default warn
  }, 240_000);

  it("the default three rounds: once trust has been learnt (rounds a trust period apart), every wrong or gibberish output of the final round gets nothing and every correct one is paid", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-demo-test-"));
    const json = path.join(dir, "demo.json");
    const run = await runNode(["--import", "tsx", "scripts/demo.ts", "--json", json, "--log", path.join(dir, "demo.log")], { POQ_LOG_LEVEL: "warn" }, 200_000);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\n {2}advanced chain time \d+ s to the next trust period: round 1's trust counts for round 2's draws and votes\n/);
    const r = JSON.parse(readFileSync(json, "utf8")) as { outputs: { task: string; node: string; verdict: string; consensusBps: number; paid: number }[] };
    expect(r.outputs).toHaveLength(36);
    const wrongly = r.outputs.filter((o) => (o.verdict === "correct") !== o.paid > 0);
    expect(wrongly, JSON.stringify(wrongly)).toEqual([]);
    for (const o of r.outputs) if (o.verdict !== "correct") expect(o.consensusBps, `${o.task} ${o.node}`).toBeLessThanOrEqual(5_000);
  }, 240_000);
});
