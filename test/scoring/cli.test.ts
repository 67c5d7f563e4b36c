/**
 * `poq score` end to end in a child process (real encoder): bad records reported one line
 * each on stderr with id/line/field/reason, good ones written, exit code 1; a custom
 * --profile (task weights + gates, as the audit writes) is used and named by its hash.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { computeComposite } from "../../oracle/scoring/composite.js";
import { defaultProfile, loadProfile, profileHash, withHash } from "../../oracle/scoring/profile.js";

const run = promisify(execFile);
const root = path.join(import.meta.dirname, "../..");
const fixtures = path.join(root, "test/fixtures/scoring");

async function poq(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [path.join(root, "bin/poq.mjs"), ...args], {
      cwd: root,
      env: { ...process.env, POQ_LOG_LEVEL: "silent", VITEST: "" },
      maxBuffer: 16 << 20,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("poq score", () => {
  it("scores good records, reports bad ones and exits non-zero", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-score-"));
    const good = readFileSync(path.join(fixtures, "qa.jsonl"), "utf8").trim().split("\n");
    const first = JSON.parse(good[0]!);
    const lines = [
      good[0]!,
      JSON.stringify({ ...first, id: "bad-missing", output: undefined }),
      JSON.stringify({ ...first, id: "bad-ctrl", output: "a\u0001b" }),
      good[1]!,
    ];
    const input = path.join(dir, "in.jsonl");
    writeFileSync(input, lines.join("\n") + "\n");
    const out = path.join(dir, "out.jsonl");
    const errors = path.join(dir, "errors.jsonl");
    const r = await poq(["score", "--in", input, "--out", out, "--errors", errors, "--explain"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/record bad-missing \(line 2\): output: missing/);
    expect(r.stderr).toMatch(/record bad-ctrl \(line 3\): output: contains control character U\+0001/);
    expect(r.stderr).toMatch(/scored 2 of 4 records \(2 failed\)/);
    const scored = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(scored.map((s) => s.id)).toEqual([first.id, JSON.parse(good[1]!).id]);
    expect(scored[0].profileHash).toBe(profileHash(defaultProfile()));
    expect(Object.keys(scored[0].dimensions)).toEqual(["modelPrior", "costPrior", "structure", "semantic", "alignment", "agreement"]);
    expect(scored[0].explain.semantic).toMatch(/semantic/);
    const errs = readFileSync(errors, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(errs.map((e) => [e.recordId, e.line, e.field])).toEqual([
      ["bad-missing", 2, "output"],
      ["bad-ctrl", 3, "output"],
    ]);
  });

  it("uses a calibrated-style --profile (task weights, normalisation, gates) and exits 0 on clean input", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-score-"));
    const p = structuredClone(defaultProfile());
    p.name = "calibrated-test";
    p.tasks.qa!.weights = { modelPrior: 0, costPrior: 0, structure: 0.2, semantic: 0.5, alignment: 0.3, agreement: 0 };
    p.tasks.qa!.semantic.withReferences = [{ id: "squad.recall", weight: 2 }, { id: "bertscore.r", weight: 1 }];
    p.tasks.qa!.normalization.semantic = { method: "minmax", lo: 0.1, hi: 0.9 };
    p.tasks.qa!.gates.alignment = { metric: "pearson", reliability: 0.02, threshold: 0.1, n: 100 };
    const file = path.join(dir, "profile.calibrated.json");
    writeFileSync(file, JSON.stringify(withHash(p), null, 2));
    const loaded = await loadProfile(file);
    const out = path.join(dir, "out.jsonl");
    const r = await poq(["score", "--in", path.join(fixtures, "qa.jsonl"), "--out", out, "--profile", file]);
    expect(r.stderr).toMatch(/scored 9 of 9 records \(0 failed\)/);
    expect(r.code).toBe(0);
    const scored = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    for (const s of scored) {
      expect(s.profileHash).toBe(loaded.hash);
      expect(s.composite).toBeCloseTo(computeComposite(s.dimensions, loaded, "qa"), 5);
    }
    // alignment is gated off: changing it must not move the composite
    const s0 = scored[0];
    expect(computeComposite({ ...s0.dimensions, alignment: 0 }, loaded, "qa")).toBeCloseTo(computeComposite(s0.dimensions, loaded, "qa"), 12);
  });

  it("fails cleanly on a bad profile file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-score-"));
    const file = path.join(dir, "p.json");
    writeFileSync(file, JSON.stringify({ ...defaultProfile(), weights: { semantic: 1 } }));
    const r = await poq(["score", "--in", path.join(fixtures, "qa.jsonl"), "--out", path.join(dir, "o.jsonl"), "--profile", file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid profile at weights\.modelPrior/);
  });

  it("refuses --out (or --errors) naming its input, leaving the input as it was", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-score-"));
    const input = path.join(dir, "in.jsonl");
    const text = readFileSync(path.join(fixtures, "qa.jsonl"), "utf8");
    writeFileSync(input, text);
    const same = await poq(["score", "--in", input, "--out", path.join(dir, ".", "in.jsonl")]);
    expect(same.code).toBe(1);
    expect(same.stderr).toBe(`poq: --out ${path.join(dir, ".", "in.jsonl")} is the same file as --in: it would overwrite the input; choose another path\n`);
    const errs = await poq(["score", "--in", input, "--out", path.join(dir, "o.jsonl"), "--errors", input]);
    expect(errs.code).toBe(1);
    expect(errs.stderr).toMatch(/^poq: --errors .* is the same file as --in: it would overwrite the input/);
    expect(readFileSync(input, "utf8")).toBe(text);
    expect(existsSync(path.join(dir, "o.jsonl"))).toBe(false);
  });

  it("refuses duplicate record ids with both line numbers, before scoring anything", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-score-"));
    const good = readFileSync(path.join(fixtures, "qa.jsonl"), "utf8").trim().split("\n");
    const input = path.join(dir, "in.jsonl");
    writeFileSync(input, [good[0]!, good[1]!, "", good[2]!, good[0]!].join("\n") + "\n");
    const out = path.join(dir, "out.jsonl");
    const r = await poq(["score", "--in", input, "--out", out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`poq: ${input}: record id "${JSON.parse(good[0]!).id}" appears twice, on line 1 and line 5: ids must be unique\n`);
    expect(existsSync(out)).toBe(false);
  });
});
