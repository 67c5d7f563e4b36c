/**
 * The degenerate-text gate (issue 14): an output that is a loop rather than language
 * (stutter, repeated sentences, phrase loop, fragments) has its composite capped by the task's
 * `degenerateCap` (0 in the calibrated profile: not paid); ordinary text, short answers and
 * repeated numbers are left alone. The engine and the audit's rescoring agree bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../oracle/audit/records.js";
import { rescoreComposite } from "../../oracle/audit/rescore.js";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { computeComposite } from "../../oracle/scoring/composite.js";
import { scoreRecords } from "../../oracle/scoring/engine.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";
import { DIMENSIONS, parseProfile, type Profile } from "../../oracle/scoring/profile.js";
import { degenerateReason } from "../../oracle/scoring/text.js";

describe("degenerateReason", () => {
  it("names loops", () => {
    expect(degenerateReason("ocean ocean ocean ocean ocean")).toMatch(/^stutter/);
    expect(degenerateReason("The red planet planet planet planet")).toMatch(/^stutter/);
    expect(degenerateReason("seagrass seagrass carbon carbon forests forests")).toMatch(/^stutter/);
    expect(degenerateReason("The council voted on Tuesday. The council voted on Tuesday. The council voted on Tuesday.")).toMatch(/^repeated sentences/);
    expect(degenerateReason("and then the and then the and then the and then the")).toMatch(/^phrase loop/);
    // a string of one- and two-word fragments is not a sentence, let alone a summary
    expect(degenerateReason("Trains. Weekend. Night. March.")).toMatch(/^fragments/);
  });

  it("leaves language, short answers and repeated numbers alone", () => {
    for (const t of [
      "Mars",
      "Jane Austen",
      "2008-12-12 00:00:00",
      "100 100 100 100",
      "Plants absorb carbon dioxide from the air and use sunlight to turn it into sugars, releasing oxygen.",
      "Yes. No.",
      "Paris. It is the capital of France. Yes.",
      "The Mona Lisa was painted by Leonardo da Vinci. Leonardo da Vinci also painted The Last Supper.",
      "He had had enough of it, that that was clear.",
    ])
      expect(degenerateReason(t), t).toBeNull();
  });
});

describe("the gate in the composite", () => {
  let encoder: SentenceEncoder;
  let paying: Profile;
  beforeAll(async () => {
    encoder = await loadUseLite({ intraOpThreads: 1 });
    paying = await payingProfile();
  });
  afterAll(async () => {
    await encoder?.close();
  });

  it("the calibrated profile caps degenerate outputs at 0 on every task, and only those", async () => {
    for (const t of Object.values(paying.tasks)) expect(t.degenerateCap).toBe(0);
    const source = "The city council of Riverton voted on Tuesday to convert the old railway depot into a public library. The building will be renovated over two years.";
    const recs = [
      { id: "loop", task: "summarization", query: source, output: "council council library library depot depot", references: ["The council will turn the depot into a library."] },
      { id: "fine", task: "summarization", query: source, output: "Riverton's council voted to turn the old railway depot into a public library.", references: ["The council will turn the depot into a library."] },
      { id: "qa-loop", task: "qa", query: "What is the largest ocean on Earth?", output: "ocean ocean ocean ocean ocean", references: ["the Pacific Ocean"] },
    ].map((r) => ({ ...r, dataset: "t", group: "g", model: "m" }));
    const res = await scoreRecords(recs, { profile: paying, encoder });
    const [loop, fine, qaLoop] = res.map((r) => {
      if (!r.ok) throw r.error;
      return r;
    });
    expect(loop!.record.composite).toBe(0);
    expect(loop!.explain.composite).toMatch(/degenerate text \(stutter/);
    expect(qaLoop!.record.composite).toBe(0);
    expect(fine!.record.composite).toBeGreaterThan(0.5);
    // the audit rescoring of the scored records gives the engine's composite, bit for bit
    for (const r of [loop!, fine!, qaLoop!]) {
      const rec = r.record;
      const audit: AuditRecord = { ...rec, hasReferences: rec.references.length > 0, human: 0, source: "t", line: 1 } as unknown as AuditRecord;
      expect(rescoreComposite(audit, paying).composite).toBe(rec.composite);
      // without the degenerate context the cap does not apply (it is a property of the text, not the dimensions)
      if (r === loop) expect(computeComposite(rec.dimensions, paying, rec.task, { model: rec.model, hasReferences: true })).toBeGreaterThan(0);
    }
  });

  it("a profile without degenerateCap is unchanged (the default profile)", () => {
    const doc = structuredClone(paying) as Record<string, any>;
    delete doc.hash;
    for (const t of Object.values(doc.tasks) as Array<Record<string, unknown>>) delete t.degenerateCap;
    const off = parseProfile(doc);
    const dims = Object.fromEntries(DIMENSIONS.map((d) => [d, 0.9])) as Record<(typeof DIMENSIONS)[number], number>;
    const ctx = { model: "gpt4", hasReferences: true, degenerate: true };
    expect(computeComposite(dims, off, "qa", ctx)).toBe(computeComposite(dims, off, "qa", { ...ctx, degenerate: false }));
    expect(computeComposite(dims, paying, "qa", ctx)).toBe(0);
  });
});
