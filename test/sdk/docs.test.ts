/**
 * docs/sdk.md's example runs as printed: the block under "## Example" is saved where the doc
 * says (sdk/examples/, inside the package, so `@poq/sdk` resolves to the built package) and run
 * with tsx; its output must show a finalized task whose printed pays add up to the escrow.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { buildSdk, ROOT } from "./build.js";

const file = path.join(ROOT, "sdk/examples", `quickstart.doc-test-${process.pid}.ts`);

/** The first ```ts block after the "## Example" heading. */
function exampleBlock(): string {
  const doc = readFileSync(path.join(ROOT, "docs/sdk.md"), "utf8");
  const at = doc.indexOf("\n## Example");
  if (at < 0) throw new Error("docs/sdk.md has no '## Example' section");
  const m = /```ts\n([\s\S]*?)```/.exec(doc.slice(at));
  if (!m) throw new Error("docs/sdk.md: no ts block under '## Example'");
  return m[1]!;
}

beforeAll(() => buildSdk(), 180_000);
afterAll(() => {
  rmSync(file, { force: true });
  if (readdirSync(path.dirname(file)).length === 0) rmSync(path.dirname(file), { recursive: true });
});

describe("docs/sdk.md example", () => {
  it("runs and prints per-output and per-evaluator pay that add up to the task's escrow", () => {
    const code = exampleBlock();
    expect(code).toContain('from "@poq/sdk"');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, code);
    const out = execFileSync("npx", ["tsx", file], { cwd: ROOT, encoding: "utf8", timeout: 240_000, env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" } });
    const lines = out.trim().split("\n");
    const head = /^task 1: FINALIZED, consensus yes, refund ([\d.]+)$/.exec(lines[0]!);
    expect(head, out).not.toBeNull();
    const outputs = lines.filter((l) => l.startsWith("output ")).map((l) => /^output (\d) node (0x[0-9a-fA-F]{40}) consensus (\d+) pay ([\d.]+)$/.exec(l)!);
    const members = lines.filter((l) => l.startsWith("evaluator ")).map((l) => /^evaluator (0x[0-9a-fA-F]{40}) revealed pay ([\d.]+) slash 0 trust 5000 -> (\d+)$/.exec(l)!);
    expect(outputs).toHaveLength(2);
    expect(members).toHaveLength(3);
    for (const m of [...outputs, ...members]) expect(m, out).not.toBeNull();
    expect(outputs.map((o) => Number(o[3]))).toEqual([9_000, 1_000]); // the trust-weighted medians of the scores
    for (const m of members) expect(Number(m[3])).toBeGreaterThan(5_000); // everyone agreed: trust rose
    // node budget 100 + committee 3 x 2 = what the nodes, the evaluators and the refund got
    const sum = [...outputs.map((o) => o[4]!), ...members.map((m) => m[2]!), head![1]!].reduce((s, x) => s + parseEther(x), 0n);
    expect(sum).toBe(parseEther("106"));
    expect(lines.at(-1)).toBe(`${members[0]![1]} earned ${members[0]![2]} over 1 task(s), claimed 0`);
  });
});
