import { describe, expect, it } from "vitest";
import { eloExpected, fitBradleyTerry, pairwiseFromScores } from "../../oracle/scoring/bradley-terry.js";
import { cuesFor, indexSource } from "../../oracle/scoring/cues.js";
import { agreementDimension } from "../../oracle/scoring/dimensions/agreement.js";
import { alignmentDimension } from "../../oracle/scoring/dimensions/alignment.js";
import { costPriorDimension, readPriceTable } from "../../oracle/scoring/dimensions/cost-prior.js";
import { modelPriorDimension } from "../../oracle/scoring/dimensions/model-prior.js";
import { semanticDimension } from "../../oracle/scoring/dimensions/semantic.js";
import { structureDimension } from "../../oracle/scoring/dimensions/structure.js";
import { defaultProfile } from "../../oracle/scoring/profile.js";
import path from "node:path";

const p = defaultProfile();
const qa = p.tasks.qa!;
const summ = p.tasks.summarization!;

describe("structure", () => {
  it("a clean answer in range scores 1", () => {
    const r = structureDimension("The first Nobel Prize in Physics went to Wilhelm Röntgen.", "who got the first nobel prize", qa.structure, "qa");
    expect(r.score).toBe(1);
    expect(r.explain).toMatch(/structure 1/);
  });

  it("penalises runaway repetition, junk characters, truncation and refusals, and says why", () => {
    const loop = "the the the the the the the the the the the the end.";
    const rep = structureDimension(loop, "q", qa.structure, "qa");
    expect(rep.score).toBeLessThan(0.5);
    expect(rep.explain).toMatch(/degeneration/);
    const junk = structureDimension("Paris \uFFFD\uFFFD\uFFFD\uE000", "q", qa.structure, "qa");
    expect(junk.parts.junk).toBeLessThan(0.5);
    const cut = structureDimension("The capital of France has been Paris since the tenth century and it remains the", "q", qa.structure, "qa");
    expect(cut.parts.unfinished).toBeLessThan(1);
    const refusal = structureDimension("I'm sorry, I cannot answer that question.", "q", qa.structure, "qa");
    expect(refusal.parts.format).toBeLessThan(1);
    expect(refusal.explain).toMatch(/format/);
  });

  it("penalises length outside the task range and a summary that copies the whole source", () => {
    const short = structureDimension("Too short.", "source text", summ.structure, "summarization");
    expect(short.parts.length).toBeCloseTo(2 / 15, 12);
    const source = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ") + ".";
    const copy = structureDimension(source, source, summ.structure, "summarization");
    expect(copy.parts.format).toBeLessThan(1);
  });
});

describe("model prior", () => {
  it("maps Elo ratings through the logistic and gives unrated models the cold start", () => {
    const gpt4 = modelPriorDimension(p, "gpt4", "qa");
    expect(gpt4.score).toBeCloseTo(eloExpected(1210, 1150), 12);
    expect(gpt4.score).toBeGreaterThan(0.5);
    const chat = modelPriorDimension(p, "chatgpt", "qa");
    expect(chat.score).toBeLessThan(gpt4.score);
    const unknown = modelPriorDimension(p, "M11", "summarization");
    expect(unknown.score).toBe(p.modelPrior.coldStart);
    expect(unknown.explain).toMatch(/cold-start/);
  });

  it("task-specific ratings take precedence", () => {
    const q = structuredClone(p);
    q.modelPrior.byTask = { summarization: { M11: 900 } };
    expect(modelPriorDimension(q, "M11", "summarization").score).toBeCloseTo(eloExpected(900, 1150), 12);
    expect(modelPriorDimension(q, "M11", "qa").score).toBe(q.modelPrior.coldStart);
  });
});

describe("Bradley-Terry", () => {
  it("recovers the order of simulated strengths and is symmetric for ties", () => {
    const truth: Record<string, number> = { a: 1300, b: 1150, c: 1000 };
    const outcomes = [];
    // deterministic expected-value outcomes: fractional results are allowed
    for (let k = 0; k < 50; k++) {
      for (const [x, y] of [["a", "b"], ["b", "c"], ["a", "c"]] as const) {
        outcomes.push({ a: x, b: y, result: eloExpected(truth[x]!, truth[y]!) });
      }
    }
    const fit = fitBradleyTerry(outcomes, { reference: 1000, priorGames: 0.01 });
    expect(fit.a! - fit.b!).toBeCloseTo(150, 0);
    expect(fit.b! - fit.c!).toBeCloseTo(150, 0);
    const ties = fitBradleyTerry([{ a: "x", b: "y", result: 0.5 }], { reference: 1000 });
    expect(ties.x).toBeCloseTo(1000, 6);
    expect(ties.y).toBeCloseTo(1000, 6);
  });

  it("keeps an always-winning model finite thanks to the prior games", () => {
    const fit = fitBradleyTerry([{ a: "w", b: "l", result: 1 }, { a: "w", b: "l", result: 1 }]);
    expect(Number.isFinite(fit.w)).toBe(true);
    expect(fit.w!).toBeGreaterThan(fit.l!);
  });

  it("derives pairwise outcomes within groups only", () => {
    const rows = [
      { group: "g1", model: "a", score: 1 },
      { group: "g1", model: "b", score: 0 },
      { group: "g2", model: "a", score: 0.5 },
      { group: "g2", model: "b", score: 0.5 },
    ];
    expect(pairwiseFromScores(rows)).toEqual([
      { a: "a", b: "b", result: 1 },
      { a: "a", b: "b", result: 0.5 },
    ]);
  });
});

describe("cost prior", () => {
  it("uses logged token counts and prices, and the cold start for unpriced models", () => {
    const r = { model: "gpt4", query: "q", output: "o", usage: { inputTokens: 100, outputTokens: 200 } };
    const c = costPriorDimension(p, r, 0.6);
    const cost = 100 * 3e-5 + 200 * 6e-5;
    expect(c.costUsd).toBeCloseTo(cost, 15);
    expect(c.score).toBeCloseTo(Math.sqrt(0.6 * (0.01 / (0.01 + cost))), 12);
    const cheap = costPriorDimension(p, { ...r, model: "chatgpt" }, 0.6);
    expect(cheap.score).toBeGreaterThan(c.score);
    const none = costPriorDimension(p, { ...r, model: "fid" }, 0.5);
    expect(none.costUsd).toBeNull();
    expect(none.score).toBeCloseTo(Math.sqrt(0.5 * p.costPrior.coldStart), 12);
  });

  it("reads a price table in the model_prices.json format", async () => {
    const t = await readPriceTable(path.join(import.meta.dirname, "../fixtures/scoring/prices.json"), ["m-a", "m-c"]);
    expect(t.prices).toEqual({ "m-a": { inputPerToken: 1e-6, outputPerToken: 2e-6 }, "m-c": { inputPerToken: 0, outputPerToken: 5e-6 } });
    expect(t.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(readPriceTable(path.join(import.meta.dirname, "../fixtures/scoring/prices.json"), undefined, "deadbeef")).rejects.toThrow(/sha256/);
  });
});

describe("semantic, agreement, alignment", () => {
  it("semantic is the weighted mean of the configured evaluators, reference-free without references", () => {
    const s = semanticDimension(qa.semantic, { "use.cosine.ref": 0.8, "bertscore.r": 0.4, "use.cosine.query": 0.1 }, true);
    const expected = qa.semantic.withReferences.reduce((acc, r) => acc + r.weight * ({ "use.cosine.ref": 0.8, "bertscore.r": 0.4 } as Record<string, number>)[r.id]!, 0) /
      qa.semantic.withReferences.reduce((acc, r) => acc + r.weight, 0);
    expect(s.score).toBeCloseTo(expected, 12);
    expect(semanticDimension(qa.semantic, { "use.cosine.query": 0.3 }, false).score).toBeCloseTo(0.3, 12);
  });

  it("agreement is 1 - 2 sd over the pool, 0.5 when undefined", () => {
    expect(agreementDimension(["x", "y"], { x: 0.5, y: 0.5 }).score).toBe(1);
    expect(agreementDimension(["x", "y"], { x: 0, y: 1 }).score).toBe(0);
    expect(agreementDimension(["x", "y"], { x: 0.4 }).score).toBe(0.5);
  });

  it("contradiction cues: negation flips, unseen numbers and entities", () => {
    const src = indexSource(["The bridge opened in 1932 in Sydney.", "It was not painted red."]);
    const c1 = cuesFor("The bridge opened in 1935 in Sydney.", "The bridge opened in 1932 in Sydney.", src);
    expect(c1.numbers).toEqual(["1935"]);
    expect(c1.negation).toBe(false);
    const c2 = cuesFor("The bridge did not open in 1932.", "The bridge opened in 1932 in Sydney.", src);
    expect(c2.negation).toBe(true);
    const c3 = cuesFor("The bridge opened in Melbourne.", "The bridge opened in 1932 in Sydney.", src);
    expect(c3.entities).toEqual(["Melbourne"]);
    const none = cuesFor("The bridge opened in 1932 in Sydney.", "The bridge opened in 1932 in Sydney.", src);
    expect(none).toEqual({ negation: false, numbers: [], entities: [] });
    const dim = alignmentDimension(summ.alignment, { embeddingAlignment: 0.8, cues: [c1, none] });
    expect(dim.score).toBeCloseTo(0.8 * (1 - summ.alignment.cuePenalty * 0.5), 12);
    expect(dim.explain).toMatch(/numbers 1935/);
    const withNli = alignmentDimension(summ.alignment, { embeddingAlignment: 0.8, cues: [none], nli: 0.2 });
    expect(withNli.score).toBeCloseTo((1 - summ.alignment.nliWeight) * 0.8 + summ.alignment.nliWeight * 0.2, 12);
  });
});
