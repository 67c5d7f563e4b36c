/**
 * Cheap-first evaluation (profile.cheapFirst, issue 14 item 7): the encoder runs only for
 * records whose pay decision the cheap parts (priors, structure, lexical evaluators) leave
 * open; a skipped record keeps the decision the full pipeline would have made.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { cheapFirst, ENCODER_EVALUATORS } from "../../oracle/scoring/cheap-first.js";
import { computeComposite } from "../../oracle/scoring/composite.js";
import { costPriorDimension } from "../../oracle/scoring/dimensions/cost-prior.js";
import { modelPriorDimension } from "../../oracle/scoring/dimensions/model-prior.js";
import { structureDimension } from "../../oracle/scoring/dimensions/structure.js";
import { scoreRecords, type ScoreResult } from "../../oracle/scoring/engine.js";
import { resolveTaskConfig } from "../../oracle/scoring/mix.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";
import { parseProfile, profileHash, type Profile } from "../../oracle/scoring/profile.js";
import type { ScoredRecord } from "../../oracle/scoring/record.js";
import { degenerateReason } from "../../oracle/scoring/text.js";

const fixture = (f: string) => readFileSync(`test/fixtures/scoring/${f}`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
const base = { dataset: "fixture", model: "gpt4" };
/** Fixtures plus outputs a cheap pass can settle: the gold answer, nonsense, a repetition, a summary without references. */
const RECORDS: Record<string, unknown>[] = [
  ...fixture("qa.jsonl"),
  ...fixture("summarization.jsonl"),
  ...fixture("open.jsonl"),
  { ...base, id: "x1", task: "qa", group: "g", query: "what is the capital of australia", output: "Canberra is the capital of Australia.", references: ["Canberra"] },
  { ...base, id: "x2", task: "qa", group: "g", query: "what is the capital of australia", output: "ocean ocean ocean ocean ocean", references: ["Canberra"] },
  { ...base, id: "x3", task: "qa", group: "g", query: "what is the capital of australia", output: "Sydney.", references: ["Canberra"], model: "newbing" },
  { ...base, id: "x4", task: "summarization", group: "s", query: "The council met on Monday. It approved the new library budget of two million.", output: "The council approved the library budget.", references: [] },
];

let encoder: SentenceEncoder;
let paying: Profile;
let cheap: Profile;
let full: ScoreResult[];

const ok = (r: ScoreResult): ScoredRecord => {
  if (!r.ok) throw r.error;
  return r.record;
};

beforeAll(async () => {
  encoder = await loadUseLite({ intraOpThreads: 1 });
  paying = await payingProfile();
  const doc = structuredClone(paying) as Record<string, unknown>;
  delete doc.hash;
  doc.cheapFirst = { floor: 0.5, margin: 0, fill: {} };
  cheap = parseProfile(doc);
  full = await scoreRecords(RECORDS, { profile: paying, encoder });
});
afterAll(async () => {
  await encoder?.close();
});

describe("cheap-first", () => {
  it("is off unless the profile switches it on: the calibrated profile's hash is unchanged, the switch changes the hash", () => {
    expect(paying.cheapFirst).toBeUndefined();
    expect(profileHash(paying)).toBe(paying.hash);
    expect(profileHash(cheap)).not.toBe(profileHash(paying));
  });

  it("bounds the full composite from the cheap parts alone (every record, every task)", () => {
    for (const r of full.map(ok)) {
      const cfg = cheap.tasks[r.task]!;
      const hasReferences = r.references.some((x) => x.trim().length > 0);
      const ctx = { model: r.model, hasReferences, degenerate: degenerateReason(r.output) !== null };
      const lexical = Object.fromEntries(Object.entries(r.evaluators).filter(([id]) => !ENCODER_EVALUATORS.has(id)));
      const modelPrior = modelPriorDimension(cheap, r.model, r.task);
      const b = cheapFirst({
        profile: cheap,
        task: r.task,
        ctx,
        mixCfg: resolveTaskConfig(cheap, r.task, ctx)!.cfg,
        cfg,
        lexical,
        hasReferences,
        modelPrior,
        costPrior: costPriorDimension(cheap, r, modelPrior.score),
        structure: structureDimension(r.output, r.query, cfg.structure, r.task),
      });
      expect(b.lo, r.id).toBeLessThanOrEqual(r.composite);
      expect(b.hi, r.id).toBeGreaterThanOrEqual(r.composite);
      expect(b.lo).toBeLessThanOrEqual(b.composite);
      expect(b.composite).toBeLessThanOrEqual(b.hi);
    }
  });

  it("skips the encoder only where the pay decision is settled, and never changes a decision", async () => {
    const res = (await scoreRecords(RECORDS, { profile: cheap, encoder })).map(ok);
    const skipped = res.filter((r) => !Object.keys(r.evaluators).some((id) => ENCODER_EVALUATORS.has(id)));
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.length).toBeLessThan(res.length);
    res.forEach((r, i) => {
      const f = ok(full[i]!);
      expect(r.composite >= 0.5, r.id).toBe(f.composite >= 0.5);
      // the composite is still the profile's composite of the record's dimensions
      expect(computeComposite(r.dimensions, cheap, r.task, { model: r.model, hasReferences: r.references.length > 0, degenerate: degenerateReason(r.output) !== null })).toBeCloseTo(r.composite, 6);
      if (!skipped.includes(r)) expect(r.composite, r.id).toBe(f.composite); // an encoded record scores as without the switch
    });
    // gibberish and a wrong answer by an unrated model are settled without the encoder
    expect(skipped.map((r) => r.id)).toEqual(expect.arrayContaining(["x2"]));
  }, 60_000);

  it("does not encode the texts of skipped records", async () => {
    const seen: string[] = [];
    const counting: SentenceEncoder = {
      id: encoder.id,
      dim: encoder.dim,
      embed: (t) => (seen.push(...t), encoder.embed(t)),
      tokenStates: (t) => (seen.push(...t), encoder.tokenStates(t)),
      close: async () => undefined,
    } as SentenceEncoder;
    const x2 = RECORDS.find((r) => r.id === "x2")!;
    const res = await scoreRecords([x2], { profile: cheap, encoder: counting });
    expect(ok(res[0]!).composite).toBeLessThan(0.5);
    expect(seen).toEqual([]);
    expect(res[0]!.ok && res[0]!.explain.composite).toMatch(/cheap-first: the encoder was skipped/);
  });

  it("a margin makes it skip less", async () => {
    const wide = parseProfile({ ...structuredClone(cheap), hash: undefined, cheapFirst: { floor: 0.5, margin: 0.3, fill: {} } });
    const a = (await scoreRecords(RECORDS, { profile: cheap, encoder })).map(ok).filter((r) => !Object.keys(r.evaluators).some((id) => ENCODER_EVALUATORS.has(id))).length;
    const b = (await scoreRecords(RECORDS, { profile: wide, encoder })).map(ok).filter((r) => !Object.keys(r.evaluators).some((id) => ENCODER_EVALUATORS.has(id))).length;
    expect(b).toBeLessThanOrEqual(a);
  }, 60_000);
});
