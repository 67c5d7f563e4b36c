/**
 * Seventh review (red team v6) of the late-abstention watcher (service.ts abstainIfLate) against
 * the give-up rule of scoreTask. Runs the real worker (BullMQ on Redis, in-process Hardhat).
 *
 * Docs (threat row 10, Settlement 0; service.ts scoreTask): a single output whose text is still
 * missing at FETCH_GIVE_UP_S before the commit deadline "scores 0 (its node is not paid) and the
 * task settles". With any commit window >= 4 x FETCH_GIVE_UP_S (the default 300 s included),
 * lateMargin(window) === FETCH_GIVE_UP_S, and abstainIfLate fires at now >= deadline - 30 while
 * scoreTask gives up only at deadline - now < 30 (one second later, and only on the job's next
 * retry, after scoring): the watcher's E_LATE abstention always wins. One missing output text
 * then voids the whole task (no node paid, the node budget refunded) instead of settling.
 */
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { unlinkSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import { createPublicClient, custom, HttpRequestError, type EIP1193Provider, type PublicClient } from "viem";
import { loadConfig } from "../../oracle/config/index.js";
import { createLogger } from "../../oracle/core/log.js";
import { redisConnection } from "../../oracle/queue/redis.js";
import { createWorkerRuntime, type WorkerRuntime } from "../../oracle/worker/runtime.js";
import { FETCH_GIVE_UP_S, lateMargin } from "../../oracle/worker/service.js";
import { EngineTaskScorer } from "../../oracle/worker/scorer.js";
import { loadUseLite } from "../../oracle/models/index.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";
import { contentHash } from "../../oracle/content/index.js";
import { createTasks, qaTask, setupStackOn, uniquePrefix, waitFor, REDIS_URL, txCfg, type Stack } from "../e2e/harness.js";

let s: Stack;
let rt: WorkerRuntime;
let rpcDown = false;
const prefix = uniquePrefix();
const redis = redisConnection(REDIS_URL);
let encoder: Awaited<ReturnType<typeof loadUseLite>>;

beforeAll(async () => {
  const conn = await network.create();
  const provider = conn.provider as unknown as EIP1193Provider;
  s = await setupStackOn({ client: (await conn.viem.getPublicClient()) as unknown as PublicClient, provider, viem: conn.viem }, 3);
  const flaky = createPublicClient({
    transport: custom({
      request: async (args: { method: string; params?: unknown }) => {
        if (rpcDown) throw new HttpRequestError({ url: "http://127.0.0.1:1", details: "connect ECONNREFUSED 127.0.0.1:1" });
        return provider.request(args as never);
      },
    }),
    pollingInterval: 50,
  }) as PublicClient;
  encoder = await loadUseLite({ intraOpThreads: 1 });
  const cfg = loadConfig({
    env: {},
    overrides: {
      redis: { url: REDIS_URL, prefix },
      worker: { confirmations: 0, pollIntervalMs: 100, attempts: 3, concurrency: 3, autoFinalize: true, lockDurationMs: 5_000 },
      tx: { ...txCfg, maxRetries: 2, backoffMs: 50 },
    },
  });
  const { privateKeyToAccount } = await import("viem/accounts");
  rt = await createWorkerRuntime({
    cfg,
    accounts: s.evaluatorKeys.map((k) => privateKeyToAccount(k)),
    scorer: new EngineTaskScorer([await payingProfile()], encoder),
    redis,
    log: createLogger("test"),
    client: flaky,
    contract: s.dep.poq,
    content: s.content,
  });
  rt.service.start();
}, 120_000);

afterAll(async () => {
  await rt?.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  await encoder?.close?.();
});

describe("V6-1 the late-abstention watcher preempts the give-up rule for a missing output", () => {
  it("FINDING: with a 120 s commit window (lateMargin = FETCH_GIVE_UP_S = 30), one output text that never arrives makes every honest member commit an E_LATE abstention instead of scoring that output 0: the task is VOID (no consensus, the other node unpaid, node budget refunded) instead of settling", async () => {
    expect(lateMargin(120)).toBe(FETCH_GIVE_UP_S);
    expect(lateMargin(300)).toBe(FETCH_GIVE_UP_S); // the default window too
    const line = qaTask(21);
    rpcDown = true;
    const [id] = await createTasks(s, [line], { commitWindow: 120 });
    unlinkSync(path.join(s.contentDir, `${contentHash(line.outputs[1]!.text).slice(2)}.txt`)); // never uploaded
    rpcDown = false;
    const t = await waitFor(`task ${id} finalized`, async () => {
      const x = await s.reader.getTask(id!);
      return x.status === "finalized" && x;
    }, 200_000, 200);
    // documented: output 1 scores 0 and the task settles with output 0 paid; actual: void
    expect(t.consensus).toEqual([]);
    for (const e of s.evaluators) {
      const rec = await rt.store.get(id!.toString(), e.address);
      expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_LATE" } });
      expect(rec?.refusals).toBeUndefined();
    }
  }, 300_000);
});
