/**
 * Live traffic as the worker exports it: the `poq_score_value` Prometheus histograms (one per
 * profile hash, task family and signal: the six dimensions and the composite, buckets of 0.05
 * on [0,1]), read from a worker's /metrics endpoint or a saved copy, and compared with the
 * calibration data binned the same way. Only the bucket counts travel, so the comparison is
 * on those bins: PSI over the buckets (empty ones merged into their neighbour) and the
 * Kolmogorov-Smirnov gap of the two distribution functions at the bucket bounds (a lower bound
 * of the exact statistic, which needs the raw values).
 */
import { InputError } from "../core/errors.js";

export interface LiveHistogram {
  profile: string;
  task: string;
  signal: string;
  /** Finite upper bounds, increasing. */
  le: number[];
  /** Cumulative counts at each bound, then the total (+Inf) last: length le.length + 1. */
  cumulative: number[];
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket\{([^}]*)\}\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The histograms named `metric` in a Prometheus text exposition, keyed `profile|task|signal`. */
export function parsePromHistograms(text: string, metric = "poq_score_value"): Map<string, LiveHistogram> {
  const acc = new Map<string, { labels: Record<string, string>; points: [number, number][] }>();
  for (const raw of text.split("\n")) {
    const m = LINE.exec(raw.trim());
    if (!m || m[1] !== metric) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2]!.matchAll(LABEL)) labels[l[1]!] = l[2]!;
    const le = labels.le === "+Inf" ? Infinity : Number(labels.le);
    const count = Number(m[3]);
    if (!Number.isFinite(count) || Number.isNaN(le)) throw new InputError(`metrics: unreadable bucket line "${raw.trim()}"`, { reason: "bad bucket" });
    const key = `${(labels.profile ?? "").toLowerCase()}|${labels.task ?? ""}|${labels.signal ?? ""}`;
    let e = acc.get(key);
    if (!e) acc.set(key, (e = { labels, points: [] }));
    e.points.push([le, count]);
  }
  const out = new Map<string, LiveHistogram>();
  for (const [key, { labels, points }] of acc) {
    points.sort((a, b) => a[0] - b[0]);
    const finite = points.filter(([le]) => Number.isFinite(le));
    const inf = points.find(([le]) => le === Infinity);
    out.set(key, {
      profile: (labels.profile ?? "").toLowerCase(),
      task: labels.task ?? "",
      signal: labels.signal ?? "",
      le: finite.map(([le]) => le),
      cumulative: [...finite.map(([, c]) => c), inf ? inf[1] : (finite.at(-1)?.[1] ?? 0)],
    });
  }
  return out;
}

/** Reads an exposition from an http(s) URL (a worker's /metrics) or a file. */
export async function readExposition(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    let res: Response;
    try {
      res = await fetch(source);
    } catch (err) {
      throw new InputError(`cannot reach ${source}: ${(err as Error).message}`, { reason: "unreachable" });
    }
    if (!res.ok) throw new InputError(`${source} answered HTTP ${res.status}`, { reason: "http error" });
    return res.text();
  }
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(source, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${source}: ${(err as Error).message}`, { reason: "unreadable" });
  }
}

/** Counts per bucket (not cumulative) of `values` at the histogram's bounds: le[i-1] < x <= le[i], the last bucket above le.at(-1). */
export function binAt(values: ArrayLike<number>, le: readonly number[]): number[] {
  const h = new Array<number>(le.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    let lo = 0;
    let hi = le.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (x <= le[mid]!) hi = mid;
      else lo = mid + 1;
    }
    h[lo]! += 1;
  }
  return h;
}

/** Per-bucket counts of a live histogram. */
export function bucketCounts(h: LiveHistogram): number[] {
  return h.cumulative.map((c, i) => c - (i > 0 ? h.cumulative[i - 1]! : 0));
}

/**
 * PSI of binned `recent` against binned `reference` (same bins). Buckets empty in the
 * reference are merged into the next non-empty one (the last into the previous), as the
 * decile PSI of drift.ts never has an empty reference bin.
 */
export function binnedPsi(reference: readonly number[], recent: readonly number[], eps = 1e-4): number | null {
  const nr = reference.reduce((a, b) => a + b, 0);
  const nq = recent.reduce((a, b) => a + b, 0);
  if (nr === 0 || nq === 0) return null;
  const p: number[] = [];
  const q: number[] = [];
  let cp = 0;
  let cq = 0;
  for (let i = 0; i < reference.length; i++) {
    cp += reference[i]!;
    cq += recent[i]!;
    if (cp > 0) {
      p.push(cp / nr);
      q.push(cq / nq);
      cp = 0;
      cq = 0;
    }
  }
  if (cq > 0) q[q.length - 1]! += cq / nq;
  return psiOfShares(p, q, eps);
}

/** Largest gap of the two empirical distribution functions at the bucket bounds. */
export function binnedKs(reference: readonly number[], recent: readonly number[]): number | null {
  const nr = reference.reduce((a, b) => a + b, 0);
  const nq = recent.reduce((a, b) => a + b, 0);
  if (nr === 0 || nq === 0) return null;
  let fr = 0;
  let fq = 0;
  let d = 0;
  for (let i = 0; i < reference.length; i++) {
    fr += reference[i]!;
    fq += recent[i]!;
    d = Math.max(d, Math.abs(fr / nr - fq / nq));
  }
  return d;
}

/** PSI of two distributions over the same bins (shares summing to 1); shares under `eps` count as `eps`. */
export function psiOfShares(p: ArrayLike<number>, q: ArrayLike<number>, eps: number): number {
  let s = 0;
  for (let k = 0; k < p.length; k++) {
    const a = Math.max(p[k]!, eps);
    const b = Math.max(q[k]!, eps);
    s += (b - a) * Math.log(b / a);
  }
  return s;
}
