/**
 * Real data is accepted (issue 14, item 6): C1 control characters from mis-decoded
 * Windows-1252 text are normalised deterministically (U+0085 NEXT LINE -> line feed, the
 * others dropped), long TriviaQA-style alias lists are accepted with their duplicates
 * removed, and what is truly bad is still refused.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultProfile } from "../../oracle/scoring/profile.js";
import { RAW_REFERENCES_FACTOR, validateRecord } from "../../oracle/scoring/record.js";
import { distinctReferences, normalizeC1, referenceKey } from "../../oracle/scoring/text.js";

const fixtures = path.join(import.meta.dirname, "../fixtures/scoring");
const [aliasRec, c1Rec] = readFileSync(path.join(fixtures, "real-data.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as Record<string, unknown> & { references: string[]; output: string; query: string });
const profile = defaultProfile();

describe("C1 control characters", () => {
  it("NEL becomes a line feed, the other C1 controls are dropped, everything else is unchanged", () => {
    expect(normalizeC1("a\u0085b")).toBe("a\nb");
    expect(normalizeC1("\u0080x\u0093y\u009f")).toBe("xy");
    const clean = "plain text, é, ü, “quotes”";
    expect(normalizeC1(clean)).toBe(clean);
  });

  it("a record with C1 controls in output, query and references is accepted and normalised", () => {
    const rec = validateRecord(c1Rec, profile, 1);
    expect(rec.output).toBe("The council approved a budget of 3 million euros.\nResidents welcomed it.");
    expect(rec.query).toBe("The council met on Monday.\nIt approved the budget of 3 million euros. Residents welcomed it.");
    expect(rec.references[0]).toBe("The council approved the budget.\nResidents were happy.");
    // deterministic: the same input, the same text
    expect(validateRecord(c1Rec, profile, 1)).toEqual(rec);
  });

  it("C0 controls and DEL are still refused; an output of C1 controls only is empty", () => {
    expect(() => validateRecord({ ...c1Rec, output: "bell\u0007" }, profile, 1)).toThrow(/control character U\+0007/);
    expect(() => validateRecord({ ...c1Rec, output: "del\u007f" }, profile, 1)).toThrow(/control character U\+007F/);
    expect(() => validateRecord({ ...c1Rec, output: "\u0080\u0081 " }, profile, 1)).toThrow(/empty output/);
  });
});

describe("long reference lists", () => {
  it("a 185-alias TriviaQA-style list is accepted; duplicates under NFKC/case/space are scored once", () => {
    expect(aliasRec.references).toHaveLength(185);
    const rec = validateRecord(aliasRec, profile, 1);
    expect(rec.references).toHaveLength(185); // the record keeps what the user sent
    const distinct = distinctReferences(rec.references);
    // "Leonardo da Vinci", "leonardo da vinci" and "LEONARDO DA VINCI" are one reference
    expect(distinct.filter((r) => referenceKey(r) === "leonardo da vinci")).toEqual(["Leonardo da Vinci"]);
    expect(distinct.length).toBeLessThan(185);
    expect(distinct.length).toBeLessThanOrEqual(profile.limits.maxReferences);
  });

  it("distinctReferences trims, drops empty entries, keeps the first spelling and the input order", () => {
    expect(distinctReferences(["  Paris ", "", "paris", "PARIS", "Lyon", " \t", "lyon  "])).toEqual(["Paris", "Lyon"]);
  });

  it("still refuses what is truly bad: too many distinct references, too many entries, too many bytes", () => {
    const max = profile.limits.maxReferences;
    const distinct = Array.from({ length: max + 1 }, (_, i) => `answer ${i}`);
    expect(() => validateRecord({ ...aliasRec, references: distinct }, profile, 1)).toThrow(/too many distinct references: 257 \(limit 256\)/);
    const dupes = Array.from({ length: RAW_REFERENCES_FACTOR * max + 1 }, () => "same");
    expect(() => validateRecord({ ...aliasRec, references: dupes }, profile, 1)).toThrow(/too many references: 2049 entries/);
    const big = Array.from({ length: 3 }, (_, i) => `${i} ${"x".repeat(400_000)}`);
    expect(() => validateRecord({ ...aliasRec, references: big }, profile, 1)).toThrow(/too large in total: 1200006 bytes/);
  });
});
