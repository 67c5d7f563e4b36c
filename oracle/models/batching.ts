/**
 * Length-bucketed batching with dynamic padding: items are sorted by length (stable) and cut
 * into batches of at most `batchSize` items and `maxTokens` padded tokens; each batch is
 * padded only to its own longest item. A batch of at least `minBatch` items is also closed
 * when adding the next (longer) item would make its padded size exceed its real token count
 * by more than `maxPadding` (default 5%). Padding never changes a result (padded keys are
 * masked out and pooling runs over a fixed axis), so any grouping gives the same bits.
 */
export function planBatches(
  lengths: readonly number[],
  batchSize: number,
  maxTokens = Number.POSITIVE_INFINITY,
  opts: { maxPadding?: number; minBatch?: number } = {},
): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const maxPadding = opts.maxPadding ?? 0.05;
  const minBatch = opts.minBatch ?? 8;
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  let real = 0;
  for (const i of order) {
    const len = Math.max(1, lengths[i]!);
    const padded = len * (current.length + 1); // sorted: this item is the longest so far
    const tooFull = current.length >= batchSize || padded > maxTokens;
    const tooPadded = current.length >= minBatch && padded > (real + len) * (1 + maxPadding);
    if (current.length > 0 && (tooFull || tooPadded)) {
      batches.push(current);
      current = [];
      real = 0;
    }
    current.push(i);
    real += len;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** Serialises async work (one onnxruntime run at a time per session). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Packs ids into a padded [rows, width] int64 matrix + mask, items left-aligned. */
export function padBatch(rows: ReadonlyArray<readonly number[]>, minWidth = 1): { ids: BigInt64Array; mask: BigInt64Array; width: number } {
  const width = Math.max(minWidth, ...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  rows.forEach((r, b) => {
    for (let i = 0; i < r.length; i++) {
      ids[b * width + i] = BigInt(r[i]!);
      mask[b * width + i] = 1n;
    }
  });
  return { ids, mask, width };
}
