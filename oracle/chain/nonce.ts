import type { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { PoqError } from "../core/errors.js";

/**
 * Nonce coordination for one signing key.
 *
 * Decision: a key MAY be shared by several worker processes (on one or many machines), so
 * the nonce is coordinated through Redis: a short lock per address serialises
 * "pick nonce -> sign -> hand to the node", and the next nonce is
 * max(node's pending count, last nonce handed out + 1 remembered in Redis for `memoryMs`).
 * The pending count alone is right for one node; the remembered value covers RPC providers
 * behind a load balancer whose pending pool lags. It expires so a dropped transaction
 * cannot leave a permanent nonce gap. Processes that hold different keys never contend.
 * Without Redis (the demo's in-process mode) the same contract is kept by an in-memory mutex.
 */
export interface NonceCoordinator {
  withNonce<T>(address: string, pending: () => Promise<number>, send: (nonce: number) => Promise<T>): Promise<T>;
  /** Forget what was handed out (after a failed send, the node's pending count is the truth). */
  reset(address: string): Promise<void>;
}

export class MemoryNonceCoordinator implements NonceCoordinator {
  private chains = new Map<string, Promise<unknown>>();
  private next = new Map<string, number>();

  async withNonce<T>(address: string, pending: () => Promise<number>, send: (nonce: number) => Promise<T>): Promise<T> {
    const key = address.toLowerCase();
    const prev = this.chains.get(key) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(async () => {
      const nonce = Math.max(await pending(), this.next.get(key) ?? 0);
      try {
        const r = await send(nonce);
        this.next.set(key, nonce + 1);
        return r;
      } catch (err) {
        this.next.delete(key);
        throw err;
      }
    });
    this.chains.set(key, run);
    return run;
  }

  async reset(address: string): Promise<void> {
    this.next.delete(address.toLowerCase());
  }
}

/** Takes the lock if free and returns [1, remembered next nonce or nil]; [0] when held. */
const ACQUIRE = `if redis.call("set", KEYS[1], ARGV[1], "PX", ARGV[2], "NX") then return {1, redis.call("get", KEYS[2])} else return {0} end`;
/** Records the next nonce (or forgets it when ARGV[2] is empty), then releases the lock if still ours. */
const RELEASE = `if ARGV[2] == "" then redis.call("del", KEYS[2]) else redis.call("set", KEYS[2], ARGV[2], "PX", ARGV[3]) end
if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

export class RedisNonceCoordinator implements NonceCoordinator {
  constructor(
    private redis: Redis,
    private prefix: string,
    private opts: { lockTtlMs?: number; waitMs?: number; memoryMs?: number } = {},
  ) {}

  private keys(address: string) {
    const a = address.toLowerCase();
    return { lock: `${this.prefix}:nonce-lock:${a}`, next: `${this.prefix}:nonce-next:${a}` };
  }

  /** Two Redis round trips a transaction: acquire-and-read, record-and-release (Lua, atomic). */
  async withNonce<T>(address: string, pending: () => Promise<number>, send: (nonce: number) => Promise<T>): Promise<T> {
    const { lock, next } = this.keys(address);
    const token = randomUUID();
    const ttl = this.opts.lockTtlMs ?? 20_000;
    const deadline = Date.now() + (this.opts.waitMs ?? 60_000);
    let delay = 5;
    let got: [number, string | null];
    while ((got = (await this.redis.eval(ACQUIRE, 2, lock, next, token, String(ttl))) as [number, string | null])[0] !== 1) {
      if (Date.now() > deadline) throw new PoqError("E_NONCE_LOCK", `timed out waiting for the nonce lock of ${address}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
    let record = "";
    try {
      const nonce = Math.max(await pending(), Number(got[1] ?? 0));
      const r = await send(nonce);
      record = String(nonce + 1);
      return r;
    } finally {
      await this.redis.eval(RELEASE, 2, lock, next, token, record, String(this.opts.memoryMs ?? 15_000)).catch(() => undefined);
    }
  }

  async reset(address: string): Promise<void> {
    await this.redis.del(this.keys(address).next);
  }
}
