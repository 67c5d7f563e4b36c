import { createHash } from "node:crypto";
import { mkdir, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (two levels above oracle/models). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Where built models live: opts.cacheDir, else $POQ_MODEL_CACHE, else <project>/.cache/models. */
export function modelCacheDir(cacheDir?: string): string {
  return path.resolve(cacheDir ?? process.env.POQ_MODEL_CACHE ?? path.join(PROJECT_ROOT, ".cache", "models"));
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export async function fileExists(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** Writes a file atomically (temp file + rename), creating the directory. */
export async function writeFileAtomic(file: string, data: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

/**
 * A bounded least-recently-used map. Each entry has a cost (default 1); the least recently
 * used entries are evicted while the total cost exceeds `capacity`. Capacity 0 disables it.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; cost: number }>();
  private total = 0;

  constructor(
    readonly capacity: number,
    private readonly costOf: (v: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get totalCost(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  set(key: K, value: V): void {
    if (this.capacity <= 0) return;
    const cost = this.costOf(value);
    if (cost > this.capacity) return;
    const old = this.map.get(key);
    if (old) {
      this.total -= old.cost;
      this.map.delete(key);
    }
    this.map.set(key, { value, cost });
    this.total += cost;
    for (const [k, entry] of this.map) {
      if (this.total <= this.capacity) break;
      this.map.delete(k);
      this.total -= entry.cost;
    }
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
