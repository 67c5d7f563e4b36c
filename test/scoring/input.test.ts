/**
 * Bad input: every kind of broken record gives a RecordError naming record id, line, field
 * and reason, while the good records of the same file are still scored (real encoder).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { scoreJsonlBytes } from "../../oracle/scoring/io.js";
import { defaultProfile } from "../../oracle/scoring/profile.js";
import { firstInvalidUtf8, parseJsonl, validateRecord } from "../../oracle/scoring/record.js";
import { RecordError } from "../../oracle/scoring/errors.js";

const fixtures = path.join(import.meta.dirname, "../fixtures/scoring");
const good = JSON.parse(readFileSync(path.join(fixtures, "qa.jsonl"), "utf8").split("\n")[0]!) as Record<string, unknown>;
const profile = defaultProfile();
const enc = new TextEncoder();

function line(obj: unknown): Uint8Array {
  return enc.encode(JSON.stringify(obj));
}
function join(parts: Uint8Array[]): Uint8Array {
  const nl = enc.encode("\n");
  const out: number[] = [];
  parts.forEach((p) => out.push(...p, ...nl));
  return Uint8Array.from(out);
}

describe("record validation (no encoder)", () => {
  const cases: Array<[string, unknown, string, RegExp]> = [
    ["missing output", { ...good, output: undefined }, "output", /missing/],
    ["mistyped references", { ...good, references: "Leonardo" }, "references", /array/],
    ["mistyped reference element", { ...good, references: ["a", 3] }, "references.1", /string/],
    ["unknown task", { ...good, task: "poetry" }, "task", /unknown task "poetry"/],
    ["empty output", { ...good, output: "  \n " }, "output", /empty output/],
    ["1 MB output", { ...good, output: "word ".repeat(210_000) }, "output", /too large: 1050000 bytes/],
    ["control character", { ...good, output: "bell\u0007here" }, "output", /control character U\+0007 at offset 4/],
    ["lone surrogate", { ...good, query: "bad \ud800 text" }, "query", /surrogate/],
    ["not an object", [1, 2], "(record)", /expected a JSON object, got array/],
    ["out-of-range human score", { ...good, human: { score: 2 } }, "human.score", /2|<=|1/],
  ];
  for (const [name, rec, field, reason] of cases) {
    it(`rejects ${name} naming the field`, () => {
      try {
        validateRecord(rec, profile, 7);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(RecordError);
        const e = err as RecordError;
        expect(e.field).toBe(field);
        expect(e.reason).toMatch(reason);
        expect(e.line).toBe(7);
        if (!Array.isArray(rec)) expect(e.recordId).toBe(good.id);
        expect(e.message).toContain(`line 7`);
      }
    });
  }

  it("accepts a good record and keeps extra fields", () => {
    const r = validateRecord({ ...good, extra: { a: 1 } }, profile, 1);
    expect((r as Record<string, unknown>).extra).toEqual({ a: 1 });
  });

  it("finds invalid UTF-8 per line and keeps the other lines", () => {
    expect(firstInvalidUtf8(enc.encode("héllo ✓ 😀"))).toBe(-1);
    expect(firstInvalidUtf8(Uint8Array.from([0x61, 0xc3, 0x28]))).toBe(1); // bad continuation
    expect(firstInvalidUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe(0); // encoded surrogate
    expect(firstInvalidUtf8(Uint8Array.from([0xc0, 0xaf]))).toBe(0); // overlong
    const broken = line({ ...good, id: "bad-utf8", output: "caf\u00e9" });
    const i = broken.indexOf(0xc3);
    broken[i] = 0xff;
    const parsed = parseJsonl(join([line(good), broken, enc.encode("{not json"), enc.encode(""), line(good)]));
    expect(parsed.map((p) => p.line)).toEqual([1, 2, 3, 5]);
    expect(parsed[1]!.error!.reason).toMatch(/invalid UTF-8/);
    expect(parsed[1]!.error!.recordId).toBe("bad-utf8");
    expect(parsed[2]!.error!.reason).toMatch(/invalid JSON/);
    expect(parsed[3]!.value).toEqual(good);
  });
});

describe("a file with bad records is still scored (real encoder)", () => {
  let encoder: SentenceEncoder;
  beforeAll(async () => {
    encoder = await loadUseLite({ intraOpThreads: 1 });
  });
  afterAll(async () => {
    await encoder?.close();
  });

  it("scores the good lines and reports each bad one", async () => {
    const badUtf8 = line({ ...good, id: "r-utf8", output: "caf\u00e9" });
    badUtf8[badUtf8.indexOf(0xc3)] = 0xfe;
    const bytes = join([
      line({ ...good, id: "r-ok-1" }),
      line({ ...good, id: "r-empty", output: "" }),
      badUtf8,
      line({ ...good, id: "r-task", task: "haiku" }),
      line({ ...good, id: "r-ok-2", output: "Leonardo da Vinci painted it." }),
    ]);
    const res = await scoreJsonlBytes(bytes, { profile, encoder });
    expect(res.map((r) => r.ok)).toEqual([true, false, false, false, true]);
    const errs = res.filter((r) => !r.ok).map((r) => (r.ok ? null : r.error.toJSON()));
    expect(errs).toEqual([
      expect.objectContaining({ recordId: "r-empty", line: 2, field: "output", reason: "empty output" }),
      expect.objectContaining({ recordId: "r-utf8", line: 3, field: "(line)" }),
      expect.objectContaining({ recordId: "r-task", line: 4, field: "task" }),
    ]);
    const ok = res.filter((r) => r.ok).map((r) => (r.ok ? r.record.id : ""));
    expect(ok).toEqual(["r-ok-1", "r-ok-2"]);
  });
});
