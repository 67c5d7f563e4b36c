/**
 * @poq/sdk installs like any npm package: built (npm run build:sdk), packed by `npm pack`,
 * installed from the tarball into an empty project, then imported from plain Node ESM (the
 * root's Node 22 through npx) and type-checked from a TypeScript consumer with tsc.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSdk, ROOT } from "./build.js";

const rootPkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
let dir: string;
let packed: { filename: string; files: { path: string }[] };

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: "utf8", timeout: 240_000, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, npm_config_fund: "false", npm_config_audit: "false", npm_config_update_notifier: "false" } });

beforeAll(() => {
  buildSdk();
  dir = mkdtempSync(path.join(tmpdir(), "poq-sdk-consumer-"));
  [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], path.join(ROOT, "sdk"))) as (typeof packed)[];
  // viem pinned to the root's version, so npm can take it from its cache
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: { viem: rootPkg.dependencies.viem } }, null, 2));
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, packed.filename)], dir);
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("@poq/sdk as an installed package", () => {
  it("packs the built JS, the .d.ts and the ABI JSON, and no sources", () => {
    const files = packed.files.map((f) => f.path).sort();
    for (const f of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts", "dist/logs.js", "dist/logs.d.ts", "abi/ProofOfQuality.json", "abi/EvaluatorRegistry.json", "abi/ProfileRegistry.json"]) expect(files).toContain(f);
    expect(files.filter((f) => f.startsWith("src/") || f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("imports from plain Node ESM: enums, readers, the ABI as JSON at its stable path", () => {
    writeFileSync(
      path.join(dir, "consumer.mjs"),
      `import { TaskStatus, Rule, Family, taskStatusName, proofOfQualityAbi, LogReader, IndexerReader, createPayoutReader, parsePayouts, payoutsToJson, PoqSdkError } from "@poq/sdk";
import poqJson from "@poq/sdk/abi/ProofOfQuality.json" with { type: "json" };
import { createPublicClient, http } from "viem";
const client = createPublicClient({ transport: http("http://127.0.0.1:1") });
const logs = createPayoutReader({ client, proofOfQuality: "0x5FbDB2315678afecb367f032d93F642f64180aa3" });
const idx = createPayoutReader({ client, proofOfQuality: "0x5FbDB2315678afecb367f032d93F642f64180aa3", indexerUrl: "http://127.0.0.1:1/" });
const wire = { address: "0x00000000000000000000000000000000000000aa", node: { earned: "5", outputs: [{ taskId: "1", output: 0, consensus: 7000, pay: "5" }] },
  evaluator: { earned: "0", slashed: "0", tasks: [] }, requester: { refunded: "0", refunds: [] }, claimed: "0", claims: [] };
let code;
try { new LogReader({ client, proofOfQuality: "nope" }); } catch (e) { code = e instanceof PoqSdkError && e.code; }
console.log(JSON.stringify({
  node: process.versions.node,
  finalized: TaskStatus.FINALIZED, twm: Rule.TRUST_WEIGHTED_MEDIAN, qa: Family.QA, name: taskStatusName(4),
  abiSame: JSON.stringify(poqJson) === JSON.stringify(proofOfQualityAbi),
  events: poqJson.filter((x) => x.type === "event").length,
  kinds: [logs instanceof LogReader, idx instanceof IndexerReader],
  roundTrip: JSON.stringify(payoutsToJson(parsePayouts(wire))) === JSON.stringify(wire),
  code,
}));
`,
    );
    const out = JSON.parse(run("npx", ["--no-install", "node", path.join(dir, "consumer.mjs")], ROOT)) as Record<string, unknown>;
    expect(Number(String(out.node).split(".")[0])).toBeGreaterThanOrEqual(22);
    expect(out).toMatchObject({ finalized: 3, twm: 4, qa: 0, name: "CANCELLED", abiSame: true, kinds: [true, true], roundTrip: true, code: "E_INPUT" });
    expect(out.events).toBeGreaterThan(10);
  });

  it("installs from the repository path too (npm links the folder) and imports the same", () => {
    const linked = mkdtempSync(path.join(tmpdir(), "poq-sdk-path-"));
    try {
      writeFileSync(path.join(linked, "package.json"), JSON.stringify({ name: "consumer-path", private: true, type: "module", dependencies: { viem: rootPkg.dependencies.viem } }));
      run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(ROOT, "sdk")], linked);
      writeFileSync(path.join(linked, "consumer.mjs"), readFileSync(path.join(dir, "consumer.mjs"), "utf8"));
      const out = JSON.parse(run("npx", ["--no-install", "node", path.join(linked, "consumer.mjs")], ROOT)) as Record<string, unknown>;
      expect(out).toMatchObject({ finalized: 3, name: "CANCELLED", abiSame: true, kinds: [true, true], roundTrip: true, code: "E_INPUT" });
    } finally {
      rmSync(linked, { recursive: true, force: true });
    }
  });

  it("type-checks a TypeScript consumer against the shipped .d.ts (bigint amounts, typed ABIs)", () => {
    writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, skipLibCheck: true, lib: ["ES2023", "DOM"], types: [] }, include: ["consumer.ts"] }),
    );
    writeFileSync(
      path.join(dir, "consumer.ts"),
      `import { createPublicClient, http, type Address } from "viem";
import { LogReader, IndexerReader, TaskStatus, proofOfQualityAbi, type PayoutSource, type Payouts, type TrustHistory, type TaskSettlement } from "@poq/sdk";
const client = createPublicClient({ transport: http("http://127.0.0.1:1") });
const logs = new LogReader({ client, proofOfQuality: "0x5FbDB2315678afecb367f032d93F642f64180aa3", fromBlock: 0n });
const sources: PayoutSource[] = [logs, new IndexerReader({ url: "http://127.0.0.1:42069" })];
export async function earned(a: Address): Promise<bigint> {
  const p: Payouts = await sources[0]!.payouts(a);
  const h: TrustHistory = await sources[1]!.trustHistory(a);
  const t: TaskSettlement = await logs.task(1n);
  const out: bigint = p.node.earned + p.evaluator.earned + t.outputs.reduce((s, o) => s + o.pay, 0n);
  const trust: number | undefined = h.history.at(-1)?.trustAfter;
  // @ts-expect-error amounts are bigint, not number
  const wrong: number = p.claimed;
  void trust; void wrong;
  return out;
}
const finalized: 3 = TaskStatus.FINALIZED;
// the ABI is typed: viem infers event names from it
const settled = proofOfQualityAbi.find((x) => x.type === "event" && x.name === "EvaluatorSettled");
void finalized; void settled;
`,
    );
    run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
    // and a consumer that gets a type wrong fails
    writeFileSync(path.join(dir, "consumer.ts"), `import { TaskStatus } from "@poq/sdk";\nconst s: "finalized" = TaskStatus.FINALIZED;\nvoid s;\n`);
    let diagnostics = "";
    try {
      run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], dir);
    } catch (err) {
      diagnostics = String((err as { stdout?: string }).stdout);
    }
    expect(diagnostics).toMatch(/consumer\.ts\(2,7\): error TS2322: Type '3' is not assignable to type '"finalized"'/);
  });
});
