/**
 * The group bootstrap of many signal columns, in-process or split over worker threads.
 * Every chunk regenerates the same resamples from the scope's seed, so the result does not
 * depend on the number of threads (a test checks this).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { groupBootstrap, type BootstrapIntervals, type BootstrapOptions } from "./bootstrap.js";
import { PairedSignal, type Correlations } from "./correlation.js";

export interface ColumnsTask {
  columns: Float64Array[];
  y: Float64Array;
  groupIndex: Int32Array;
  groupCount: number;
  options: BootstrapOptions;
}

export interface ColumnResult {
  n: number;
  point: Correlations;
  intervals: BootstrapIntervals;
}

/** Point estimates and intervals of every column (in this thread). */
export function runColumns(task: ColumnsTask): ColumnResult[] {
  const signals = task.columns.map((c) => new PairedSignal(c, task.y, task.groupIndex, task.groupCount));
  const intervals = groupBootstrap(task.groupCount, signals, task.options);
  return signals.map((s, k) => ({ n: s.n, point: s.point(), intervals: intervals[k]! }));
}

interface Pending {
  resolve: (r: ColumnResult[]) => void;
  reject: (e: Error) => void;
}

/** A small pool of bootstrap workers (created lazily, closed by the caller). */
export class BootstrapPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private next = 0;

  /** Why the pool fell back to in-process work, if it did. */
  failure: string | null = null;

  constructor(public threads: number) {}

  static defaultThreads(): number {
    return Math.max(1, Math.min(4, availableParallelism()));
  }

  private worker(): Worker {
    if (this.workers.length < this.threads) {
      const w = new Worker(new URL("./bootstrap-worker.mjs", import.meta.url));
      w.on("message", (msg: { id: number; results?: ColumnResult[]; error?: string }) => {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(`bootstrap worker: ${msg.error}`));
        else p.resolve(msg.results!);
      });
      w.on("error", (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
      this.workers.push(w);
      return w;
    }
    return this.workers[this.next++ % this.workers.length]!;
  }

  private submit(task: ColumnsTask): Promise<ColumnResult[]> {
    const id = this.nextId++;
    const w = this.worker();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ id, task });
    });
  }

  /** Splits the columns into one chunk per thread (balanced by finite values) and joins the results. */
  async run(task: ColumnsTask): Promise<ColumnResult[]> {
    if (this.threads <= 1 || task.columns.length < 2) return runColumns(task);
    const k = Math.min(this.threads, task.columns.length);
    const chunks: number[][] = Array.from({ length: k }, () => []);
    const load = new Array<number>(k).fill(0);
    const sizes = task.columns.map((c) => c.reduce((a, v) => a + (Number.isFinite(v) ? 1 : 0), 0));
    const order = sizes.map((_, i) => i).sort((a, b) => sizes[b]! - sizes[a]! || a - b);
    for (const i of order) {
      let j = 0;
      for (let t = 1; t < k; t++) if (load[t]! < load[j]!) j = t;
      chunks[j]!.push(i);
      load[j]! += sizes[i]!;
    }
    let parts: ColumnResult[][];
    try {
      parts = await Promise.all(chunks.map((idx) => this.submit({ ...task, columns: idx.map((i) => task.columns[i]!) })));
    } catch (err) {
      // A worker that cannot start (or dies) must not cost the audit: same results in-process.
      this.failure = err instanceof Error ? err.message : String(err);
      await this.close();
      this.threads = 1;
      return runColumns(task);
    }
    const out = new Array<ColumnResult>(task.columns.length);
    chunks.forEach((idx, j) => idx.forEach((i, m) => (out[i] = parts[j]![m]!)));
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}
