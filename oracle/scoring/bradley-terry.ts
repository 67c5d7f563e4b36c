/**
 * Bradley-Terry ratings from pairwise outcomes, on the Elo scale, fitted by the MM algorithm
 * (Hunter 2004). Each model also plays `priorGames` virtual games (half won, half lost)
 * against a virtual player of the reference rating, which keeps ratings finite for models
 * that always win or always lose and shrinks sparse models toward the reference.
 */
export interface PairOutcome {
  a: string;
  b: string;
  /** 1 = a won, 0 = b won, 0.5 = tie. */
  result: number;
}

export interface BradleyTerryOptions {
  reference?: number;
  priorGames?: number;
  iterations?: number;
  tolerance?: number;
}

export function fitBradleyTerry(outcomes: readonly PairOutcome[], opts: BradleyTerryOptions = {}): Record<string, number> {
  const reference = opts.reference ?? 1000;
  const prior = opts.priorGames ?? 1;
  const iterations = opts.iterations ?? 1000;
  const tol = opts.tolerance ?? 1e-10;
  const names = [...new Set(outcomes.flatMap((o) => [o.a, o.b]))].sort();
  const idx = new Map(names.map((n, i) => [n, i]));
  const k = names.length;
  const wins = new Float64Array(k);
  // games[i][j] = number of games between i and j
  const games = new Map<number, Map<number, number>>();
  const addGame = (i: number, j: number) => {
    let gi = games.get(i);
    if (!gi) games.set(i, (gi = new Map()));
    gi.set(j, (gi.get(j) ?? 0) + 1);
  };
  for (const o of outcomes) {
    if (o.a === o.b) continue;
    const i = idx.get(o.a)!;
    const j = idx.get(o.b)!;
    wins[i] += o.result;
    wins[j] += 1 - o.result;
    addGame(i, j);
    addGame(j, i);
  }
  const p = new Float64Array(k).fill(1);
  for (let it = 0; it < iterations; it++) {
    let change = 0;
    const next = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let denom = prior / (p[i]! + 1); // virtual games against the reference (strength 1)
      for (const [j, n] of games.get(i) ?? []) denom += n / (p[i]! + p[j]!);
      const w = wins[i]! + prior / 2;
      next[i] = w / denom;
    }
    for (let i = 0; i < k; i++) {
      change = Math.max(change, Math.abs(Math.log(next[i]!) - Math.log(p[i]!)));
      p[i] = next[i]!;
    }
    if (change < tol) break;
  }
  const out: Record<string, number> = {};
  for (let i = 0; i < k; i++) out[names[i]!] = reference + (400 * Math.log(p[i]!)) / Math.LN10;
  return out;
}

/**
 * Pairwise outcomes from per-group scores: within each group, every pair of models with
 * scores is one game (higher score wins, equal = tie). Used to fit ratings from human scores
 * (on training folds only) or from any other per-output quality signal.
 */
export function pairwiseFromScores(rows: ReadonlyArray<{ group: string; model: string; score: number }>): PairOutcome[] {
  const byGroup = new Map<string, Array<{ model: string; score: number }>>();
  for (const r of rows) {
    let g = byGroup.get(r.group);
    if (!g) byGroup.set(r.group, (g = []));
    g.push(r);
  }
  const out: PairOutcome[] = [];
  for (const g of [...byGroup.keys()].sort()) {
    const items = byGroup.get(g)!;
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const x = items[i]!;
        const y = items[j]!;
        if (x.model === y.model) continue;
        out.push({ a: x.model, b: y.model, result: x.score > y.score ? 1 : x.score < y.score ? 0 : 0.5 });
      }
    }
  }
  return out;
}

/** Expected score of a `rating` player against a `reference` player (Elo logistic). */
export function eloExpected(rating: number, reference: number): number {
  return 1 / (1 + 10 ** ((reference - rating) / 400));
}
