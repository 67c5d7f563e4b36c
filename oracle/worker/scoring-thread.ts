import { Worker, parentPort, workerData } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import type { Hex } from "viem";
import type { Logger } from "pino";
import { PoqError } from "../core/errors.js";
import { loadUseLite, type EncoderOptions } from "../models/index.js";
import { profileHash, type Profile } from "../scoring/profile.js";
import type { ScoredSignals, WorkerMetrics } from "../ops/metrics.js";
import { EngineTaskScorer } from "./scorer.js";
import type { ScoreInput, TaskScorer } from "./types.js";

interface Init {
  profiles: Profile[];
  encoder: Omit<EncoderOptions, "logger">;
}
type Request = { id: number; profileHash: Hex; input: ScoreInput };
type Observed = { observed: { profileHash: Hex; task: string; rows: ScoredSignals[] } };
type Reply = { ready: true } | { fatal: string } | Observed | { id: number; scores: number[] } | { id: number; error: { message: string; code?: string } };

/**
 * The scoring engine on its own thread. onnxruntime-node runs inference synchronously on the
 * calling thread, so a worker that scores on its main thread stalls its RPC, Redis and queue
 * traffic for the length of every forward pass; here the main thread keeps serving the chain
 * and the queue while the scoring thread computes. Same engine, same profiles, same bits.
 */
export class ThreadTaskScorer implements TaskScorer {
  private readonly hashes: Set<string>;
  private worker?: Worker;
  private ready?: Promise<void>;
  private nextId = 1;
  private pending = new Map<number, { resolve: (s: number[]) => void; reject: (e: unknown) => void }>();
  private closed = false;

  /**
   * `metrics`: where the scores the thread computes are observed (poq_score_value, the live
   * distribution `poq drift --live` reads); none, no observation.
   */
  constructor(
    private readonly init: Init,
    private readonly log?: Logger,
    private readonly metrics?: Pick<WorkerMetrics, "observeScores">,
  ) {
    this.hashes = new Set(init.profiles.map((p) => profileHash(p).toLowerCase()));
  }

  /** Starts the thread and waits until its encoder is loaded. */
  async start(): Promise<this> {
    await this.ensure();
    return this;
  }

  knows(h: Hex): boolean {
    return this.hashes.has(h.toLowerCase());
  }

  async score(h: Hex, input: ScoreInput): Promise<number[]> {
    if (!this.knows(h)) throw new PoqError("E_UNKNOWN_PROFILE", `unknown scoring profile ${h}`);
    await this.ensure();
    const id = this.nextId++;
    return new Promise<number[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker!.postMessage({ id, profileHash: h, input } satisfies Request);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    this.ready = undefined;
    if (w) await w.terminate();
  }

  /** (Re)starts the thread when there is none: a crashed thread fails its pending requests, the next one starts afresh. */
  private ensure(): Promise<void> {
    if (this.closed) return Promise.reject(new PoqError("E_SCORER_CLOSED", "the scoring thread was closed"));
    if (this.ready) return this.ready;
    const entry = fileURLToPath(new URL("./scoring-thread-entry.mjs", import.meta.url));
    const w = new Worker(entry, { workerData: this.init satisfies Init });
    this.worker = w;
    this.ready = new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        if (this.worker === w) {
          this.worker = undefined;
          this.ready = undefined;
        }
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        reject(err);
      };
      w.on("message", (m: Reply) => {
        if ("ready" in m) return resolve();
        if ("observed" in m) return this.metrics?.observeScores(m.observed.profileHash, m.observed.task, m.observed.rows);
        if ("fatal" in m) return fail(new PoqError("E_SCORER_THREAD", `scoring thread failed to start: ${m.fatal}`));
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ("scores" in m) p.resolve(m.scores);
        else p.reject(new PoqError(m.error.code ?? "E_SCORING", m.error.message));
      });
      w.on("error", (err) => {
        this.log?.error({ err: err.message }, "scoring thread crashed; it restarts on the next request");
        fail(err);
      });
      w.on("exit", (code) => {
        if (!this.closed && code !== 0) fail(new PoqError("E_SCORER_THREAD", `scoring thread exited with code ${code}`));
      });
    });
    // A failed start must not leave an unhandled rejection when nobody awaits it.
    this.ready.catch(() => undefined);
    return this.ready;
  }
}

/** The tasks warmUp scores: one small task a family. */
const WARM_UP: ScoreInput[] = (["qa", "summarization", "open"] as const).map((family) => ({
  taskId: `warm-up-${family}`,
  family,
  query: "Which river flows through Paris?",
  references: ["The Seine flows through Paris."],
  outputs: [
    { text: "The Seine.", model: "warm-up" },
    { text: "Paris lies on the river Seine, which flows into the English Channel.", model: "warm-up" },
  ],
}));

/**
 * Scores a small task of each family under each profile before the thread reports ready:
 * the first real task would otherwise pay for the engine's cold start (code compiled on
 * first use, each session's first inference), about a second on a small VM, and a worker is
 * ready when it can score at speed. Results are discarded and not observed; the engine is
 * deterministic, so nothing scored later depends on them. A family a profile cannot score is
 * skipped (its real tasks get the engine's own error).
 */
async function warmUp(scorer: EngineTaskScorer): Promise<void> {
  for (const h of scorer.hashes) for (const input of WARM_UP) await scorer.score(h, input).catch(() => undefined);
}

/** Body of the scoring thread (run by scoring-thread-entry.mjs). */
export async function runScoringThread(): Promise<void> {
  const port = parentPort!;
  const init = workerData as Init;
  let scorer: EngineTaskScorer;
  try {
    // The NLI models the profiles name load here, with the encoder: a profile naming one the
    // thread cannot load fails the start, like a missing encoder (never scored without it).
    scorer = await EngineTaskScorer.load(init.profiles, await loadUseLite(init.encoder), { executionProviders: init.encoder.executionProviders, intraOpThreads: init.encoder.intraOpThreads });
  } catch (err) {
    port.postMessage({ fatal: (err as Error).message } satisfies Reply);
    return;
  }
  await warmUp(scorer);
  scorer.onScored = (profileHash, task, rows) => port.postMessage({ observed: { profileHash, task, rows } } satisfies Reply);
  port.on("message", (m: Request) => {
    scorer.score(m.profileHash, m.input).then(
      (scores) => port.postMessage({ id: m.id, scores } satisfies Reply),
      (err: Error & { code?: string }) => port.postMessage({ id: m.id, error: { message: err.message, code: err.code } } satisfies Reply),
    );
  });
  port.postMessage({ ready: true } satisfies Reply);
}
