/**
 * The SDK's enums and ABIs are the contracts': enum values against the Solidity declarations,
 * oracle/rules and the final "Enums" table of docs/contract.md; the ABI JSON files and the
 * `as const` ABIs against what scripts/export-sdk-abi.ts renders from the generated ABIs.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ENUMS, Family, Rule, TaskStatus, familyName, ruleName, taskStatusName, proofOfQualityAbi, evaluatorRegistryAbi, profileRegistryAbi } from "../../sdk/src/index.js";
import * as rules from "../../oracle/rules/index.js";
import { renderSdkAbiFiles, staleSdkAbiFiles } from "../../scripts/export-sdk-abi.js";
import { proofOfQualityAbi as oracleAbi } from "../../oracle/contract/abi.js";

const root = path.resolve(import.meta.dirname, "../..");
const read = (rel: string) => readFileSync(path.join(root, rel), "utf8");

/** `enum Name { A, B, C }` of a Solidity file, as { A: 0, B: 1, C: 2 }. */
function solidityEnum(file: string, name: string): Record<string, number> {
  const m = new RegExp(`enum\\s+${name}\\s*\\{([^}]*)\\}`).exec(read(file));
  if (!m) throw new Error(`${file}: no enum ${name}`);
  const names = m[1]!.replace(/\/\/[^\n]*/g, "").split(",").map((s) => s.trim()).filter(Boolean);
  return Object.fromEntries(names.map((n, i) => [n, i]));
}

describe("enums", () => {
  it("equal the Solidity declarations, in order", () => {
    expect({ ...Family }).toEqual(solidityEnum("contracts/libraries/TaskTypes.sol", "Family"));
    expect({ ...TaskStatus }).toEqual(solidityEnum("contracts/libraries/TaskTypes.sol", "TaskStatus"));
    expect({ ...Rule }).toEqual(solidityEnum("contracts/libraries/Aggregation.sol", "Rule"));
  });

  it("equal oracle/rules' enums", () => {
    for (const [name, e] of Object.entries(ENUMS)) {
      const mirror = (rules as unknown as Record<string, Record<string, unknown>>)[name]!;
      for (const [k, v] of Object.entries(e)) expect(mirror[k], `${name}.${k}`).toBe(v);
    }
  });

  it("are the table of docs/contract.md's final section, Enums", () => {
    const doc = read("docs/contract.md");
    const last = doc.slice(doc.lastIndexOf("\n## "));
    expect(last.startsWith("\n## Enums\n")).toBe(true);
    const rows = [...last.matchAll(/^\| `(\w+)` \| `(\w+)` \| (\d+) \|/gm)].map((m) => [m[1], m[2], Number(m[3])]);
    const expected = Object.entries(ENUMS).flatMap(([e, vals]) => Object.entries(vals).map(([k, v]) => [e, k, v]));
    expect(rows).toEqual(expected);
  });

  it("map values back to names, and refuse unknown values", () => {
    expect(taskStatusName(3)).toBe("FINALIZED");
    expect(ruleName(4n)).toBe("TRUST_WEIGHTED_MEDIAN");
    expect(familyName(Family.SUMMARIZATION)).toBe("SUMMARIZATION");
    expect(() => taskStatusName(5)).toThrow(/TaskStatus: no member has value 5/);
  });
});

describe("ABIs", () => {
  it("sdk/abi/*.json and sdk/src/abi.ts are current (run npx tsx scripts/export-sdk-abi.ts when this fails)", async () => {
    expect(await staleSdkAbiFiles()).toEqual([]);
  });

  it("the JSON files are the contracts' ABIs and the `as const` exports the same", () => {
    const files = renderSdkAbiFiles();
    expect([...files.keys()].sort()).toEqual(["sdk/abi/EvaluatorRegistry.json", "sdk/abi/ProfileRegistry.json", "sdk/abi/ProofOfQuality.json", "sdk/src/abi.ts"]);
    expect(JSON.parse(read("sdk/abi/ProofOfQuality.json"))).toEqual(oracleAbi);
    expect(JSON.parse(read("sdk/abi/EvaluatorRegistry.json"))).toEqual(evaluatorRegistryAbi);
    expect(JSON.parse(read("sdk/abi/ProfileRegistry.json"))).toEqual(profileRegistryAbi);
    expect(proofOfQualityAbi).toEqual(oracleAbi);
    // every event the readers use is in it
    const events = new Set<string>(proofOfQualityAbi.filter((x) => x.type === "event").map((x) => x.name));
    for (const e of ["TaskCreated", "TaskCancelled", "TaskFinalized", "OutputSettled", "EvaluatorSettled", "Claimed"]) expect(events.has(e), e).toBe(true);
  });
});
