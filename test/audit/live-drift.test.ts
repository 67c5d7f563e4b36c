/**
 * Live drift (issue 14, item 8): the worker's poq_score_value histograms (every dimension and
 * the composite it computed, per profile and task) and `poq drift --live`, which compares
 * them with the calibration data binned at the same buckets.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { liveDriftReport } from "../../oracle/audit/drift.js";
import { binAt, binnedKs, binnedPsi, bucketCounts, parsePromHistograms } from "../../oracle/audit/live.js";
import { parseScoredJsonl } from "../../oracle/audit/records.js";
import { rescoreComposite } from "../../oracle/audit/rescore.js";
import { syntheticScoredRecords, toJsonl } from "../../oracle/audit/synthetic.js";
import { runDriftCli } from "../../oracle/cli/commands/drift.js";
import { SCORE_BUCKETS, startMetricsServer, WorkerMetrics } from "../../oracle/ops/metrics.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";
import { DIMENSIONS, defaultProfile, profileHash } from "../../oracle/scoring/profile.js";
import { ThreadTaskScorer } from "../../oracle/worker/scoring-thread.js";

const base = defaultProfile();
const hash = profileHash(base);

describe("poq_score_value histograms", () => {
  it("count every observed dimension and composite in 0.05 buckets, and parse back to the same counts", async () => {
    const m = new WorkerMetrics();
    const rows = [0.02, 0.05, 0.051, 0.5, 0.999, 1].map((v) => ({ dimensions: Object.fromEntries(DIMENSIONS.map((d) => [d, v])), composite: 1 - v }));
    m.observeScores(hash.toUpperCase().replace("0X", "0x"), "qa", rows);
    const h = parsePromHistograms(await m.registry.metrics());
    expect(h.size).toBe(7);
    const sem = h.get(`${hash}|qa|semantic`)!;
    expect(sem.le).toEqual([...SCORE_BUCKETS]);
    expect(bucketCounts(sem)).toEqual(binAt([0.02, 0.05, 0.051, 0.5, 0.999, 1], SCORE_BUCKETS));
    expect(bucketCounts(sem).slice(0, 3)).toEqual([2, 1, 0]); // 0.05 is in the first bucket (le), 0.051 in the second
    expect(sem.cumulative.at(-1)).toBe(6);
    expect(bucketCounts(h.get(`${hash}|qa|composite`)!)[0]).toBe(2); // 1 - 0.999 and 1 - 1
  });

  it("binned PSI and KS: zero for the same counts, large for a shifted distribution", () => {
    expect(binnedPsi([5, 10, 5, 0], [50, 100, 50, 0])).toBeCloseTo(0, 12);
    expect(binnedKs([5, 10, 5, 0], [50, 100, 50, 0])).toBe(0);
    expect(binnedPsi([10, 10, 0, 0], [0, 0, 10, 10])!).toBeGreaterThan(1);
    expect(binnedKs([10, 10, 0, 0], [0, 0, 10, 10])).toBe(1);
    // an empty reference bin is merged into the next one (no division by eps)
    expect(binnedPsi([0, 10, 10], [5, 5, 10])).toBeCloseTo(0, 12);
    expect(binnedPsi([], [1])).toBeNull();
  });

  it("the worker's scoring thread observes each computed task: one count per output and signal", async () => {
    const profile = await payingProfile();
    const h = profileHash(profile) as Hex;
    const m = new WorkerMetrics();
    const t = await new ThreadTaskScorer({ profiles: [profile], encoder: { intraOpThreads: 1 } }, undefined, m).start();
    try {
      const input = {
        taskId: "7",
        family: "qa" as const,
        query: "what is the capital of australia",
        references: ["Canberra"],
        outputs: [
          { text: "Canberra.", model: "gpt4" },
          { text: "Sydney", model: "chatgpt" },
          { text: undefined, model: "gpt4" }, // refused output: not scored, not observed
        ],
      };
      const scores = await t.score(h, input);
      const hist = parsePromHistograms(await m.registry.metrics());
      for (const signal of [...DIMENSIONS, "composite"]) expect(hist.get(`${h.toLowerCase()}|qa|${signal}`)!.cumulative.at(-1), signal).toBe(2);
      const comp = bucketCounts(hist.get(`${h.toLowerCase()}|qa|composite`)!);
      expect(comp).toEqual(binAt(scores.slice(0, 2), SCORE_BUCKETS));
    } finally {
      await t.close();
    }
  }, 120_000);
});

describe("poq drift --live", () => {
  const refDocs = syntheticScoredRecords(base, { records: 800, seed: 31 });
  const ref = parseScoredJsonl(toJsonl(refDocs), "ref").records;
  const liveDocs = parseScoredJsonl(toJsonl(syntheticScoredRecords(base, { records: 800, seed: 32 })), "live").records;
  /** A worker that scored `records` (as the profile computes them), optionally with structure collapsed. */
  const worker = (shift: number) => {
    const m = new WorkerMetrics();
    for (const r of liveDocs) {
      const s = rescoreComposite(r, base);
      const dims = { ...s.dimensions, structure: Math.max(0, s.dimensions.structure - shift) };
      m.observeScores(hash, r.task, [{ dimensions: dims, composite: s.composite }]);
    }
    return m;
  };

  it("keeps the profile when live traffic looks like the calibration data, flags a collapsed dimension", async () => {
    const stable = liveDriftReport({ reference: { files: ["ref"], records: ref }, live: { source: "m", histograms: parsePromHistograms(await worker(0).registry.metrics()) }, profile: base });
    expect(Object.keys(stable.tasks).length).toBeGreaterThan(0);
    for (const t of Object.values(stable.tasks)) expect(t.driftedDimensions).toEqual([]);
    expect(stable.recommendedProfile).toBe("current");
    expect(stable.recent.records).toBe(liveDocs.length);
    const moved = liveDriftReport({ reference: { files: ["ref"], records: ref }, live: { source: "m", histograms: parsePromHistograms(await worker(0.4).registry.metrics()) }, profile: base });
    expect(moved.tasks.qa!.driftedDimensions).toEqual(["structure"]);
    expect(moved.recommendedProfile).toBe("reduced");
    // another profile's histograms are not this profile's traffic
    const other = liveDriftReport({ reference: { files: ["ref"], records: ref }, live: { source: "m", histograms: parsePromHistograms(await worker(0.4).registry.metrics()) }, profile: await payingProfile() });
    expect(other.recent.records).toBe(0);
  });

  it("the CLI reads a worker's /metrics endpoint (or a saved copy) and exits 2 on drift", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-live-"));
    await writeFile(path.join(dir, "ref.jsonl"), toJsonl(refDocs));
    const m = worker(0.4);
    const srv = await startMetricsServer(m.registry, 0);
    try {
      const code = await runDriftCli({ reference: [path.join(dir, "ref.jsonl")], live: srv.url, out: dir, json: true, failOnDrift: true });
      expect(code).toBe(2);
      const rep = JSON.parse(await readFile(path.join(dir, "drift.json"), "utf8"));
      expect(rep.recent.files).toEqual([srv.url]);
      expect(rep.tasks.qa.driftedDimensions).toContain("structure");
    } finally {
      await srv.close();
    }
    await writeFile(path.join(dir, "metrics.txt"), await worker(0).registry.metrics());
    expect(await runDriftCli({ reference: [path.join(dir, "ref.jsonl")], live: path.join(dir, "metrics.txt"), json: true, failOnDrift: true })).toBe(0);
    await expect(runDriftCli({ reference: [path.join(dir, "ref.jsonl")], json: true })).rejects.toThrow(/either --recent .* or --live/);
    await expect(runDriftCli({ reference: [path.join(dir, "ref.jsonl")], live: path.join(dir, "metrics.txt"), profile: "calibrated", json: true })).rejects.toThrow(/live 0 scores under profile/);
  });
});
