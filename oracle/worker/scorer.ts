import { createHash } from "node:crypto";
import type { Hex } from "viem";
import { PoqError } from "../core/errors.js";
import { Scorer } from "../scoring/engine.js";
import { profileHash, type Profile } from "../scoring/profile.js";
import type { SentenceEncoder } from "../models/index.js";
import type { ScoreInput, TaskScorer } from "./types.js";

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
  constructor(profiles: Profile[], encoder: SentenceEncoder) {
    for (const p of profiles) this.scorers.set(profileHash(p).toLowerCase(), new Scorer({ profile: p, encoder }));
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
    for (const r of res) if (r.ok) out[idx[r.index]!] = r.record.composite;
    return out;
  }
}
