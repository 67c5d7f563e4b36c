import type { Redis } from "ioredis";
import type { PublicClient } from "viem";
import type { Logger } from "pino";

/** The last block whose events were fully handed over (persisted: a restart neither misses nor repeats). */
export interface CursorStore {
  get(): Promise<bigint | undefined>;
  set(block: bigint): Promise<void>;
}

export class MemoryCursorStore implements CursorStore {
  private v?: bigint;
  async get() {
    return this.v;
  }
  async set(b: bigint) {
    this.v = b;
  }
}

/**
 * Cursor in Redis. Several watcher processes may share it: `set` only moves it forward
 * (a Lua max), so a slow process never rewinds a faster one.
 */
export class RedisCursorStore implements CursorStore {
  constructor(private redis: Redis, private key: string) {}
  async get() {
    const v = await this.redis.get(this.key);
    return v === null ? undefined : BigInt(v);
  }
  async set(b: bigint) {
    await this.redis.eval(
      `local c = redis.call("get", KEYS[1]) if (not c) or tonumber(c) < tonumber(ARGV[1]) then redis.call("set", KEYS[1], ARGV[1]) end return 1`,
      1,
      this.key,
      b.toString(),
    );
  }
}

export interface ScannerOptions {
  client: PublicClient;
  cursor: CursorStore;
  /** Blocks behind the head before a block is handled. */
  confirmations: number;
  /** Blocks below the cursor handled again on each poll (a shallow reorg replaced them). */
  reorgWindow: number;
  /** First block when no cursor is stored. */
  startBlock: bigint;
  /** Largest eth_getLogs range. */
  maxRange?: bigint;
  /** Handles all events in [from, to]; must be idempotent (the window is handled again). */
  onRange: (from: bigint, to: bigint) => Promise<void>;
  log?: Logger;
}

/**
 * Block scanner with a persisted cursor and a confirmation depth. Each poll handles
 * [cursor + 1 - reorgWindow, head - confirmations]; handlers are idempotent by task id, so
 * re-handling the window after a reorg is harmless and a replaced block's events are picked
 * up. The cursor advances only after `onRange` succeeded.
 */
export class BlockScanner {
  constructor(private o: ScannerOptions) {}

  /**
   * One pass; returns the safe head that was reached (or undefined if nothing to do). `head`:
   * the latest block number when the caller has just read it (saves a round trip).
   */
  async poll(head?: bigint): Promise<bigint | undefined> {
    head ??= await this.o.client.getBlockNumber({ cacheTime: 0 });
    const safe = head - BigInt(this.o.confirmations);
    if (safe < 0n) return undefined;
    const cur = await this.o.cursor.get();
    let from = cur === undefined ? this.o.startBlock : cur + 1n - BigInt(this.o.reorgWindow);
    if (from < this.o.startBlock) from = this.o.startBlock;
    if (from < 0n) from = 0n;
    if (from > safe) return undefined;
    const step = this.o.maxRange ?? 2_000n;
    for (let a = from; a <= safe; a += step) {
      const b = a + step - 1n < safe ? a + step - 1n : safe;
      await this.o.onRange(a, b);
      if (cur === undefined || b > cur) await this.o.cursor.set(b);
    }
    return safe;
  }
}
