import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { PoqError } from "../core/errors.js";
import { Scorer } from "../scoring/engine.js";
import { profileHash, type Profile } from "../scoring/profile.js";
import type { NliModel, SentenceEncoder } from "../models/index.js";
import { NliModels, type NliLoadOptions } from "../scoring/nli-model.js";
import type { ScoredSignals } from "../ops/metrics.js";
import type { ScoreInput, TaskScorer } from "./types.js";

/** Receives the scores of each task an engine computed (profile hash, task family, one row per scored output). */
export type ScoreObserver = (profileHash: Hex, task: string, rows: ScoredSignals[]) => void;

/**
 * The scoring engine behind the worker: one engine Scorer per known profile (keyed by the
 * profile's keccak256 hash, the value a task names on chain). Refuses unknown profiles.
 * An output the engine rejects (empty, control characters, too large) scores 0: an output
 * that is not a usable answer has no quality.
 *
 * Scoring is deterministic, so identical requests in flight at the same time (the k keys a
 * process holds all evaluating one task) share one computation: without that, concurrent
 * jobs would each miss the encoder's cache and do the same work k times.
 */
export class EngineTaskScorer implements TaskScorer {
  private scorers = new Map<string, Scorer>();
  private inflight = new Map<string, Promise<number[]>>();
  private nliModels?: NliModels;
  /**
   * `nli` maps a profile's hash to the NLI model its `models.nli` names (the engine refuses a
   * profile naming one without it); `EngineTaskScorer.load` loads them.
   */
  /**
   * Called once per computed request (not per caller sharing it) with the scores of its
   * scored outputs: the worker feeds these to its score-distribution histograms.
   */
  onScored?: ScoreObserver;

  constructor(profiles: Profile[], encoder: SentenceEncoder, nli: ReadonlyMap<string, NliModel> = new Map()) {
    for (const p of profiles) {
      const h = profileHash(p).toLowerCase();
      this.scorers.set(h, new Scorer({ profile: p, encoder, nli: nli.get(h) ?? null }));
    }
  }

  /** A scorer for these profiles with the NLI models they name loaded (one session per distinct model). */
  static async load(profiles: Profile[], encoder: SentenceEncoder, opts: NliLoadOptions = {}): Promise<EngineTaskScorer> {
    const models = new NliModels(opts);
    const nli = new Map<string, NliModel>();
    try {
      for (const p of profiles) {
        const m = await models.for(p);
        if (m) nli.set(profileHash(p).toLowerCase(), m);
      }
    } catch (err) {
      await models.close();
      throw err;
    }
    const s = new EngineTaskScorer(profiles, encoder, nli);
    s.nliModels = models;
    return s;
  }

  /** Releases the engines' sessions and the NLI models `load` opened (the encoder belongs to the caller). */
  async close(): Promise<void> {
    for (const s of this.scorers.values()) await s.close();
    await this.nliModels?.close();
  }
  get hashes(): Hex[] {
    return [...this.scorers.keys()] as Hex[];
  }
  knows(h: Hex): boolean {
    return this.scorers.has(h.toLowerCase());
  }
  /** Requests being computed right now (shared by identical concurrent requests). */
  get inFlight(): number {
    return this.inflight.size;
  }

  async score(h: Hex, input: ScoreInput): Promise<number[]> {
    const key = createHash("sha256").update(JSON.stringify([h.toLowerCase(), input])).digest("hex");
    let p = this.inflight.get(key);
    if (!p) {
      p = this.compute(h, input).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return [...(await p)];
  }

  private async compute(h: Hex, input: ScoreInput): Promise<number[]> {
    const s = this.scorers.get(h.toLowerCase());
    if (!s) throw new PoqError("E_UNKNOWN_PROFILE", `unknown scoring profile ${h}`);
    const idx: number[] = [];
    const records = [];
    for (const [j, o] of input.outputs.entries()) {
      if (o.text === undefined) continue;
      idx.push(j);
      records.push({
        id: `task-${input.taskId}:${j}`,
        task: input.family,
        dataset: "poq",
        group: `task-${input.taskId}`,
        query: input.query,
        output: o.text,
        references: input.references,
        model: o.model || "unknown",
      });
    }
    const out = new Array<number>(input.outputs.length).fill(0);
    const res = await s.score(records);
    const rows: ScoredSignals[] = [];
    for (const r of res) {
      if (!r.ok) continue;
      out[idx[r.index]!] = r.record.composite;
      rows.push({ dimensions: r.record.dimensions, composite: r.record.composite });
    }
    if (rows.length > 0) this.onScored?.(h, input.family, rows);
    return out;
  }
}
