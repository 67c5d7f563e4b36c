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

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Packs ids into a padded [rows, width] int64 matrix + mask, items left-aligned. The int64
 * words are written through a 32-bit view (low word = value, high word = sign extension) on
 * little-endian platforms, which gives the same bits as `BigInt(id)` without a BigInt per
 * token; big-endian platforms take the BigInt path.
 */
export function padBatch(rows: ReadonlyArray<readonly number[]>, minWidth = 1): { ids: BigInt64Array; mask: BigInt64Array; width: number } {
  let width = minWidth;
  for (const r of rows) if (r.length > width) width = r.length;
  const ids = new BigInt64Array(rows.length * width);
  const mask = new BigInt64Array(rows.length * width);
  const ids32 = new Int32Array(ids.buffer);
  const mask32 = new Int32Array(mask.buffer);
  for (let b = 0; b < rows.length; b++) {
    const r = rows[b]!;
    const base = 2 * b * width;
    for (let i = 0; i < r.length; i++) {
      const v = r[i]!;
      if (!LITTLE_ENDIAN || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
        ids[b * width + i] = BigInt(v); // throws for a non-integer, like the plain path; exact for large ids
      } else {
        ids32[base + 2 * i] = v;
        ids32[base + 2 * i + 1] = v < 0 ? -1 : 0;
      }
      if (LITTLE_ENDIAN) mask32[base + 2 * i] = 1;
      else mask[b * width + i] = 1n;
    }
  }
  return { ids, mask, width };
}

/**
 * `count` consecutive `dim`-wide rows of `data` starting at row `first`, copied into one new
 * buffer and returned as one view per row (one allocation instead of one per row).
 */
export function copyRows(data: Float32Array, first: number, count: number, dim: number): Float32Array[] {
  const block = data.slice(first * dim, (first + count) * dim);
  const out = new Array<Float32Array>(count);
  for (let t = 0; t < count; t++) out[t] = block.subarray(t * dim, (t + 1) * dim);
  return out;
}
