/**
 * Length-bucketed batching with dynamic padding: items are sorted by length (stable), cut
 * into batches of at most `batchSize` items and at most `maxTokens` padded tokens; each batch
 * is padded only to its own longest item. Padding never changes a result (padded keys are
 * masked out), so results do not depend on how items are grouped.
 */
export function planBatches(lengths: readonly number[], batchSize: number, maxTokens = Number.POSITIVE_INFINITY): number[][] {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const i of order) {
    const padded = Math.max(1, lengths[i]!) * (current.length + 1); // sorted: this item is the longest so far
    if (current.length > 0 && (current.length >= batchSize || padded > maxTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(i);
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
