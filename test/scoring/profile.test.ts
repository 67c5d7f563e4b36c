import { readFileSync } from "node:fs";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  defaultProfile,
  DEFAULT_WEIGHTS,
  loadProfile,
  parseProfile,
  profileHash,
  ProfileSchema,
  withHash,
} from "../../oracle/scoring/profile.js";
import { computeComposite, explainComposite, normalCdf, normalizeValue } from "../../oracle/scoring/composite.js";

const dims = { modelPrior: 0.5, costPrior: 0.4, structure: 1, semantic: 0.8, alignment: 0.6, agreement: 0.9 };

describe("profile", () => {
  it("default profile carries the published weights exactly", () => {
    const p = defaultProfile();
    expect(p.weights).toEqual({ modelPrior: 0.15, costPrior: 0.1, structure: 0.2, semantic: 0.25, alignment: 0.15, agreement: 0.15 });
    expect(DEFAULT_WEIGHTS).toEqual(p.weights);
    expect(ProfileSchema.safeParse(p).success).toBe(true);
  });

  it("profiles/default.json is the default profile with its hash", async () => {
    const file = path.join(import.meta.dirname, "../../profiles/default.json");
    const loaded = await loadProfile(file);
    expect(loaded).toEqual(withHash(defaultProfile()));
    expect(loaded.hash).toBe(profileHash(defaultProfile()));
  });

  it("canonical JSON sorts keys and drops whitespace; hash ignores key order", () => {
    expect(canonicalJson({ b: [1, { d: 2, c: "x" }], a: null })).toBe('{"a":null,"b":[1,{"c":"x","d":2}]}');
    const p = defaultProfile();
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reverseKeys) : v && typeof v === "object"
        ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reverseKeys(x)])) : v;
    const reordered = reverseKeys(p) as typeof p;
    expect(Object.keys(reordered)[0]).not.toBe(Object.keys(p)[0]);
    expect(profileHash(reordered)).toBe(profileHash(p));
    expect(profileHash(p)).toMatch(/^0x[0-9a-f]{64}$/);
  });

  it("any change of content changes the hash", () => {
    const p = defaultProfile();
    const q = structuredClone(p);
    q.weights.semantic = 0.26;
    expect(profileHash(q)).not.toBe(profileHash(p));
  });

  it("rejects a tampered hash, unknown evaluators, negative weights and unknown keys, naming the field", () => {
    const p = withHash(defaultProfile());
    expect(() => parseProfile({ ...p, name: "changed" })).toThrow(/hash/);
    const bad = structuredClone(defaultProfile()) as any;
    bad.tasks.qa.semantic.withReferences = [{ id: "nope", weight: 1 }];
    expect(() => parseProfile(bad)).toThrow(/unknown evaluator "nope"/);
    const neg = structuredClone(defaultProfile()) as any;
    neg.weights.structure = -0.1;
    expect(() => parseProfile(neg)).toThrow(/weights\.structure/);
    const extra = { ...defaultProfile(), surprise: 1 };
    expect(() => parseProfile(extra)).toThrow(/surprise|Unrecognized/);
  });

  it("rejects a task whose every dimension is gated off", () => {
    const p = structuredClone(defaultProfile()) as any;
    for (const d of Object.keys(p.weights)) p.tasks.qa.gates[d] = { metric: "pearson", reliability: 0.01, threshold: 0.1 };
    expect(() => parseProfile(p)).toThrow(/no dimension/);
  });

  it("loadProfile reports unreadable and malformed files", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "poq-prof-"));
    writeFileSync(path.join(dir, "bad.json"), "{not json");
    await expect(loadProfile(path.join(dir, "bad.json"))).rejects.toThrow(/not valid JSON/);
    await expect(loadProfile(path.join(dir, "missing.json"))).rejects.toThrow(/cannot read/);
  });
});

describe("computeComposite", () => {
  it("is the weighted mean under the default profile", () => {
    const p = defaultProfile();
    const expected = 0.15 * 0.5 + 0.1 * 0.4 + 0.2 * 1 + 0.25 * 0.8 + 0.15 * 0.6 + 0.15 * 0.9;
    expect(computeComposite(dims, p, "qa")).toBeCloseTo(expected, 12);
  });

  it("uses task-wise weights, renormalises over open gates, and applies normalisation", () => {
    const p = structuredClone(defaultProfile());
    p.tasks.qa.weights = { modelPrior: 0, costPrior: 0, structure: 0, semantic: 1, alignment: 1, agreement: 0 };
    expect(computeComposite(dims, p, "qa")).toBeCloseTo(0.7, 12);
    p.tasks.qa.gates.alignment = { metric: "pearson", reliability: 0.05, threshold: 0.1 };
    const b = explainComposite(dims, p, "qa");
    expect(b.gatedOff).toEqual(["alignment"]);
    expect(b.composite).toBeCloseTo(0.8, 12);
    p.tasks.qa.normalization.semantic = { method: "minmax", lo: 0.6, hi: 1.0 };
    expect(computeComposite(dims, p, "qa")).toBeCloseTo(0.5, 12);
    // summarization still uses the default weights
    expect(computeComposite(dims, p, "summarization")).toBeCloseTo(computeComposite(dims, defaultProfile(), "summarization"), 12);
  });

  it("clips to [0,1] and throws on unknown task", () => {
    expect(normalizeValue(1.7, undefined)).toBe(1);
    expect(normalizeValue(-3, { method: "minmax", lo: 0, hi: 1 })).toBe(0);
    expect(normalizeValue(0.5, { method: "zscore", mean: 0.5, std: 0.1 })).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(() => computeComposite(dims, defaultProfile(), "poetry")).toThrow(/unknown task "poetry"/);
  });
});

describe("encoder pinning", () => {
  it("matches exact ids, versions and families only", async () => {
    const { encoderMatches } = await import("../../oracle/scoring/engine.js");
    expect(encoderMatches("use-lite@5:4c6db373cea2", "use-lite@5:4c6db373cea2")).toBe(true);
    expect(encoderMatches("use-lite@5:4c6db373cea2", "use-lite@5:000000000000")).toBe(false);
    expect(encoderMatches("use-lite@5", "use-lite@5:4c6db373cea2")).toBe(true);
    expect(encoderMatches("use-lite@5", "use-lite@50:4c6db373cea2")).toBe(false);
    expect(encoderMatches("use-lite", "use-lite@6:abc")).toBe(true);
    expect(encoderMatches("use-lite", "use-lite-v2@1:abc")).toBe(false);
    expect(encoderMatches("use-lite", "minilm@1:abc")).toBe(false);
  });
});
