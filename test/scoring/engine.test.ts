/**
 * End-to-end tests of the scoring engine with the REAL USE-lite ONNX encoder (built into the
 * git-ignored model cache on first use) on small hand-written fixtures.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUseLite, type SentenceEncoder } from "../../oracle/models/index.js";
import { computeComposite } from "../../oracle/scoring/composite.js";
import { scoreRecords, type ScoreResult } from "../../oracle/scoring/engine.js";
import { bertScore, normalizeStates } from "../../oracle/scoring/evaluators/embedding.js";
import { TokenSimilarity } from "../../oracle/scoring/evaluators/similarity.js";
import { defaultProfile, DIMENSIONS, profileHash } from "../../oracle/scoring/profile.js";
import type { ScoredRecord } from "../../oracle/scoring/record.js";

const fixtures = path.join(import.meta.dirname, "../fixtures/scoring");
const readJsonl = (f: string): Array<Record<string, unknown>> =>
  readFileSync(path.join(fixtures, f), "utf8").trim().split("\n").map((l) => JSON.parse(l));

let encoder: SentenceEncoder;
const profile = defaultProfile();

beforeAll(async () => {
  encoder = await loadUseLite({ intraOpThreads: 1 });
});
afterAll(async () => {
  await encoder?.close();
});

function okRecords(results: ScoreResult[]): ScoredRecord[] {
  return results.map((r) => {
    if (!r.ok) throw new Error(r.error.message);
    return r.record;
  });
}
const byId = (rs: ScoredRecord[]) => Object.fromEntries(rs.map((r) => [r.id, r]));

describe("scoring engine with the real encoder", () => {
  it("scores QA records: all six dimensions and every evaluator in [0,1], composite = computeComposite", async () => {
    const input = readJsonl("qa.jsonl");
    const recs = okRecords(await scoreRecords(input, { profile, encoder }));
    expect(recs).toHaveLength(input.length);
    for (const r of recs) {
      expect(Object.keys(r.dimensions)).toEqual([...DIMENSIONS]);
      for (const v of [...Object.values(r.dimensions), ...Object.values(r.evaluators), r.composite]) {
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThanOrEqual(1);
      }
      expect(r.profileHash).toBe(profileHash(profile));
      expect(r.composite).toBeCloseTo(computeComposite(r.dimensions, profile, r.task), 5);
      expect(r.evaluators).toHaveProperty("squad.containment");
      expect(r.evaluators).toHaveProperty("bertscore.f1");
      expect(r.evaluators).toHaveProperty("use.cosine.ref");
      expect(r.human).toEqual(input.find((x) => x.id === r.id)!.human); // input fields kept
    }
  });

  it("orders right answers above wrong ones on the QA fixture", async () => {
    const recs = byId(okRecords(await scoreRecords(readJsonl("qa.jsonl"), { profile, encoder })));
    const good = recs["fx-qa:q1:good"]!;
    const wrong = recs["fx-qa:q1:wrong"]!;
    expect(good.evaluators["squad.containment"]).toBe(1);
    expect(wrong.evaluators["squad.containment"]).toBe(0);
    expect(good.dimensions.semantic).toBeGreaterThan(wrong.dimensions.semantic);
    expect(good.composite).toBeGreaterThan(wrong.composite);
    expect(recs["fx-qa:q3:good"]!.composite).toBeGreaterThan(recs["fx-qa:q3:wrong"]!.composite);
    // a runaway loop is caught by structure, a refusal by the format check
    expect(recs["fx-qa:q2:loop"]!.dimensions.structure).toBeLessThan(0.5);
    expect(recs["fx-qa:q1:refusal"]!.dimensions.structure).toBeLessThan(recs["fx-qa:q1:good"]!.dimensions.structure);
    // a wrong year is a number cue against the references
    expect(recs["fx-qa:q2:wrong"]!.dimensions.alignment).toBeLessThan(recs["fx-qa:q2:good"]!.dimensions.alignment);
    // model prior: gpt4 is rated above chatgpt, fid is unrated (cold start)
    expect(good.dimensions.modelPrior).toBeGreaterThan(wrong.dimensions.modelPrior);
    expect(recs["fx-qa:q1:short"]!.dimensions.modelPrior).toBe(profile.modelPrior.coldStart);
  });

  it("summaries: faithful above unfaithful and off-topic on source alignment, semantic and composite", async () => {
    const results = await scoreRecords(readJsonl("summarization.jsonl"), { profile, encoder });
    const recs = byId(okRecords(results));
    const faithful = recs["fx-sum:riverton:faithful"]!;
    const unfaithful = recs["fx-sum:riverton:unfaithful"]!;
    const offtopic = recs["fx-sum:riverton:offtopic"]!;
    expect(faithful.evaluators["summac.align"]).toBeGreaterThan(offtopic.evaluators["summac.align"]!);
    expect(faithful.dimensions.alignment).toBeGreaterThan(unfaithful.dimensions.alignment);
    expect(faithful.dimensions.semantic).toBeGreaterThan(offtopic.dimensions.semantic);
    expect(faithful.composite).toBeGreaterThan(offtopic.composite);
    expect(faithful.composite).toBeGreaterThan(unfaithful.composite);
    // the unfaithful summary invents a number and a person: cues named in the explanation
    const ex = results.find((r) => r.ok && r.record.id === "fx-sum:riverton:unfaithful")!;
    expect(ex.ok && ex.explain.alignment).toMatch(/numbers 40|entities/);
  });

  it("reference-free records use the query (open task)", async () => {
    const [r] = okRecords(await scoreRecords(readJsonl("open.jsonl"), { profile, encoder }));
    expect(r!.evaluators["use.cosine.query"]).toBeGreaterThan(0);
    expect(r!.evaluators).not.toHaveProperty("rouge1.f");
    expect(r!.dimensions.semantic).toBe(r!.evaluators["use.cosine.query"]);
  });

  it("is deterministic and independent of chunking and record order", async () => {
    const input = [...readJsonl("qa.jsonl"), ...readJsonl("summarization.jsonl"), ...readJsonl("open.jsonl")];
    const a = okRecords(await scoreRecords(input, { profile, encoder }));
    const fresh = await loadUseLite({ intraOpThreads: 1 });
    try {
      const b = okRecords(await scoreRecords(input, { profile, encoder: fresh, chunkSize: 3 }));
      const c = okRecords(await scoreRecords([...input].reverse(), { profile, encoder: fresh, chunkSize: 5 })).reverse();
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(JSON.stringify(c)).toBe(JSON.stringify(a));
    } finally {
      await fresh.close();
    }
  });

  it("an encoder without the one-pass encode() (two calls: tokenStates, then embed) gives the same records", async () => {
    const input = [...readJsonl("qa.jsonl"), ...readJsonl("summarization.jsonl"), ...readJsonl("open.jsonl")];
    const fresh = await loadUseLite({ intraOpThreads: 1 });
    const calls = { encode: 0, embed: 0, tokenStates: 0 };
    const twoCalls: SentenceEncoder = {
      id: fresh.id,
      dim: fresh.dim,
      embed: (t) => (calls.embed++, fresh.embed(t)),
      tokenStates: (t) => (calls.tokenStates++, fresh.tokenStates(t)),
      close: () => fresh.close(),
    };
    try {
      const onePass = await loadUseLite({ intraOpThreads: 1 });
      const spy = onePass.encode.bind(onePass);
      onePass.encode = (r) => (calls.encode++, spy(r));
      const a = okRecords(await scoreRecords(input, { profile, encoder: onePass }));
      await onePass.close();
      const b = okRecords(await scoreRecords(input, { profile, encoder: twoCalls }));
      expect(calls.encode).toBeGreaterThan(0);
      expect(calls.embed).toBeGreaterThan(0);
      expect(calls.tokenStates).toBeGreaterThan(0);
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    } finally {
      await fresh.close();
    }
  });

  it("the GEMM BERTScore matches the plain greedy-matching loop", async () => {
    const [cand, r1, r2] = await encoder.tokenStates(["Neil Armstrong landed on the Moon in 1969.", "1969", "July 20, 1969"]);
    const c = normalizeStates(cand!.states);
    const refs = [normalizeStates(r1!.states), normalizeStates(r2!.states)];
    const sim = await TokenSimilarity.create(1);
    try {
      const fast = await sim.bertScores(c, refs);
      refs.forEach((r, i) => {
        const slow = bertScore(c, r);
        expect(fast[i]!.p).toBeCloseTo(slow.p, 5);
        expect(fast[i]!.r).toBeCloseTo(slow.r, 5);
        expect(fast[i]!.f1).toBeCloseTo(slow.f1, 5);
      });
    } finally {
      await sim.close();
    }
  });

  it("refuses an encoder the profile was not made for", async () => {
    const p = structuredClone(profile);
    p.models.encoder = "some-other-encoder@1";
    await expect(scoreRecords(readJsonl("open.jsonl"), { profile: p, encoder })).rejects.toThrow(/made for encoder "some-other-encoder@1"/);
  });
});
