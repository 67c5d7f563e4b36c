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

const RELEASE = `if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("del", KEYS[1]) else return 0 end`;

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

  async withNonce<T>(address: string, pending: () => Promise<number>, send: (nonce: number) => Promise<T>): Promise<T> {
    const { lock, next } = this.keys(address);
    const token = randomUUID();
    const ttl = this.opts.lockTtlMs ?? 20_000;
    const deadline = Date.now() + (this.opts.waitMs ?? 60_000);
    let delay = 5;
    while ((await this.redis.set(lock, token, "PX", ttl, "NX")) !== "OK") {
      if (Date.now() > deadline) throw new PoqError("E_NONCE_LOCK", `timed out waiting for the nonce lock of ${address}`);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 100);
    }
    try {
      const remembered = Number((await this.redis.get(next)) ?? 0);
      const nonce = Math.max(await pending(), remembered);
      try {
        const r = await send(nonce);
        await this.redis.set(next, String(nonce + 1), "PX", this.opts.memoryMs ?? 15_000);
        return r;
      } catch (err) {
        await this.redis.del(next);
        throw err;
      }
    } finally {
      await this.redis.eval(RELEASE, 1, lock, token).catch(() => undefined);
    }
  }

  async reset(address: string): Promise<void> {
    await this.redis.del(this.keys(address).next);
  }
}
