import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { network } from "hardhat";
import { createPublicClient, custom, HttpRequestError, keccak256, toHex, type EIP1193Provider, type PublicClient } from "viem";
import { loadConfig } from "../../oracle/config/index.js";
import { createLogger } from "../../oracle/core/log.js";
import { redisConnection } from "../../oracle/queue/redis.js";
import { createWorkerRuntime, type WorkerRuntime } from "../../oracle/worker/runtime.js";
import { FETCH_GIVE_UP_S, lateMargin } from "../../oracle/worker/service.js";
import { EngineTaskScorer } from "../../oracle/worker/scorer.js";
import { loadUseLite } from "../../oracle/models/index.js";
import { payingProfile } from "../../oracle/scoring/paying-profile.js";
import { activateRegistrations } from "../../oracle/ops/devchain.js";
import { contentHash, ContentError } from "../../oracle/content/index.js";
import { parseTaskFile } from "../../oracle/sdk/tasks.js";
import { createTasks, qaTask, setupStackOn, uniquePrefix, waitFor, REDIS_URL, txCfg, type Stack } from "../e2e/harness.js";

/**
 * Bad input against the real worker code (BullMQ on Redis, in-process Hardhat network):
 * tampered texts, an unknown profile, RPC outages. A task the worker cannot score is abstained
 * on (never left to a slash), failed jobs keep their reason, and the worker keeps serving.
 */
let s: Stack;
let rt: WorkerRuntime;
let rpcDown = false;
let contentDown = false;
let scoringStalls = false;
/** A fault point where the worker "crashes" once (the hook throws there). */
let crashAt: string | undefined;
const prefix = uniquePrefix();
const redis = redisConnection(REDIS_URL);
let encoder: Awaited<ReturnType<typeof loadUseLite>>;
let provider: EIP1193Provider;
let viem: Awaited<ReturnType<typeof network.create>>["viem"];

beforeAll(async () => {
  const conn = await network.create();
  provider = conn.provider as unknown as EIP1193Provider;
  viem = conn.viem;
  s = await setupStackOn({ client: (await conn.viem.getPublicClient()) as unknown as PublicClient, provider, viem: conn.viem }, 3);
  // The worker's RPC goes through a switch so a test can take it down.
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
    // scoring goes through a switch too, so a test can make it stall past a deadline
    scorer: ((inner: EngineTaskScorer) => {
      return {
        knows: (h: `0x${string}`) => inner.knows(h),
        score: async (h: `0x${string}`, input: Parameters<typeof inner.score>[1]) => {
          if (scoringStalls) await new Promise((r) => setTimeout(r, 20_000));
          return inner.score(h, input);
        },
      };
    })(new EngineTaskScorer([await payingProfile()], encoder)),
    redis,
    log: createLogger("test"),
    client: flaky,
    contract: s.dep.poq,
    fault: (point: string) => {
      if (point !== crashAt) return;
      crashAt = undefined;
      throw new Error(`injected crash at ${point}`);
    },
    // the content store goes through a switch too, so a test can make every text unreachable
    content: {
      describe: s.content.describe,
      put: (text: string) => s.content.put(text),
      get: async (h: `0x${string}`) => {
        if (contentDown) throw new ContentError("E_CONTENT_FETCH", `fetching ${h}: connect ECONNREFUSED 127.0.0.1:1`, { hash: h });
        return s.content.get(h);
      },
    },
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

const settled = (id: bigint) => waitFor(`task ${id} finalized`, async () => {
  const t = await s.reader.getTask(id);
  return t.status === "finalized" && t;
}, 90_000, 100);

describe("worker bad input", () => {
  it("abstains on a task one of whose output texts does not match its on-chain hash (records why): the task is void, nobody judged (eighth review, V7-2: a 0 for it let a starved member and one sybil outvote an honest scorer)", async () => {
    const line = qaTask(7);
    const good = await createTasks(s, [line]);
    const t0 = await settled(good[0]!);
    expect(t0.consensus[0]).toBeGreaterThan(0);
    // Same task again, but the store holds a different text under output 0's hash.
    const line2 = { ...line, id: "t7b", outputs: line.outputs.map((o, j) => (j === 0 ? { ...o, text: "The answer is 14, certainly." } : o)) };
    rpcDown = true; // the worker must not see the task before the store is tampered with
    const [id] = await createTasks(s, [line2]);
    writeFileSync(path.join(s.contentDir, `${contentHash("The answer is 14, certainly.").slice(2)}.txt`), "Something else entirely.");
    rpcDown = false;
    const t = await settled(id!);
    expect(t.consensus).toEqual([]);
    const rec = await rt.store.get(id!.toString(), s.evaluators[0]!.address);
    expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_CONTENT_MISMATCH" } });
    expect(rec?.abstained?.reason).toMatch(/hashes to 0x[0-9a-f]+, on-chain hash is/);
  });

  it("a task naming an unknown profile cannot be created on chain", async () => {
    await expect(createTasks(s, [qaTask(12)], { profileHash: keccak256(toHex("no such profile")) })).rejects.toMatchObject({ errorName: "UnknownProfile" });
  });

  it("abstains (never silent, never slashed) on a task under a profile the keys declare but the worker does not load, and on a tampered query; those tasks are void and every member is paid its fee", async () => {
    // A second profile, registered on chain and declared by the keys; this worker loads only the paying one.
    const other = keccak256(toHex("poq.test.profile-this-worker-does-not-load"));
    // (Governance registers it; not the default profile: that one is not for money and never registered.)
    await (await viem.getContractAt("ProfileRegistry", s.dep.profiles)).write.register([other, "test:not-loaded"]);
    for (const e of s.evaluators) await s.actions(e).setProfiles([s.profileHash, other]);
    await activateRegistrations({ client: s.dc.client, provider }, s.dep.registry);
    const stakesBefore = await Promise.all(s.evaluators.map((e) => s.reader.getEvaluator(e.address)));
    rpcDown = true;
    const [unknown] = await createTasks(s, [qaTask(8)], { profileHash: other });
    const [tampered] = await createTasks(s, [{ ...qaTask(9), query: "What is 9 plus 9, really?" }]);
    const q = JSON.stringify({ v: 1, task: "qa", query: "What is 9 plus 9, really?", references: ["18"] });
    writeFileSync(path.join(s.contentDir, `${contentHash(q).slice(2)}.txt`), q.replace("really", "truly"));
    rpcDown = false;
    const [fine] = await createTasks(s, [qaTask(10)]);
    expect((await settled(fine!)).consensus[0]).toBeGreaterThan(0);
    for (const [id, code] of [[unknown!, "E_UNKNOWN_PROFILE"], [tampered!, "E_CONTENT_MISMATCH"]] as const) {
      const t = await settled(id);
      expect(t.reveals, `task ${id}: every member revealed its abstention`).toBe(s.evaluators.length);
      expect(t.consensus, `task ${id} is void: no consensus`).toEqual([]);
      for (const e of s.evaluators) {
        const rec = await rt.store.get(id.toString(), e.address);
        expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code } });
        expect(await s.reader.getMember(id, e.address)).toEqual({ isMember: true, committed: true, revealed: true, scores: [] });
      }
    }
    expect(await rt.queue.failed()).toEqual([]);
    const reasons = (await rt.store.get(tampered!.toString(), s.evaluators[0]!.address))?.abstained?.reason;
    expect(reasons).toMatch(/task \d+ query: text from dir:.* hashes to/);
    // nobody lost stake: an abstention is a reveal
    const stakesAfter = await Promise.all(s.evaluators.map((e) => s.reader.getEvaluator(e.address)));
    expect(stakesAfter.map((x) => x.stake)).toEqual(stakesBefore.map((x) => x.stake));
  });

  it("abstains when the texts stay unreachable within FETCH_GIVE_UP_S of the commit deadline, instead of missing the commit", async () => {
    contentDown = true;
    try {
      const [id] = await createTasks(s, [qaTask(13)], { commitWindow: FETCH_GIVE_UP_S - 10 });
      const t = await settled(id!);
      expect(t.reveals).toBe(s.evaluators.length);
      expect(t.consensus).toEqual([]);
      const rec = await rt.store.get(id!.toString(), s.evaluators[2]!.address);
      expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_CONTENT_FETCH" } });
      expect(rec?.abstained?.reason).toMatch(/texts still unreachable \d+ s before the commit deadline: fetching 0x[0-9a-f]{64}: connect ECONNREFUSED/);
    } finally {
      contentDown = false;
    }
  });

  it("retries a text that is not uploaded yet instead of scoring it 0, so an upload timed to reach some members and not others cannot split the committee", async () => {
    const line = qaTask(14);
    rpcDown = true;
    const [id] = await createTasks(s, [line], { commitWindow: 120 });
    const file = path.join(s.contentDir, `${contentHash(line.outputs[1]!.text).slice(2)}.txt`);
    const text = readFileSync(file, "utf8");
    unlinkSync(file);
    rpcDown = false;
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await s.reader.getTask(id!)).commits, "nobody commits a 0 for a text that may still come").toBe(0);
    writeFileSync(file, text);
    const t = await settled(id!);
    expect(t.consensus[1]).toBeGreaterThan(0);
    for (const e of s.evaluators) expect((await rt.store.get(id!.toString(), e.address))?.abstained).toBeUndefined();
  });

  it("an output text that never arrives makes each member abstain at the give-up point as E_CONTENT_MISSING, before the late-abstention watcher's E_LATE (seventh review, V6-1), and the task is void (eighth review, V7-2: no 0 for a text a member could not have)", async () => {
    expect(lateMargin(60)).toBeLessThan(FETCH_GIVE_UP_S);
    expect(lateMargin(300)).toBeLessThan(FETCH_GIVE_UP_S); // the default window too
    const line = qaTask(21);
    rpcDown = true;
    const [id] = await createTasks(s, [line], { commitWindow: 60 });
    unlinkSync(path.join(s.contentDir, `${contentHash(line.outputs[1]!.text).slice(2)}.txt`)); // never uploaded
    rpcDown = false;
    const t = await settled(id!);
    expect(t.consensus).toEqual([]);
    for (const e of s.evaluators) {
      const rec = await rt.store.get(id!.toString(), e.address);
      expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_CONTENT_MISSING" } });
      expect(rec?.abstained?.reason).toMatch(/texts still missing \d+ s before the commit deadline: .*output 1/);
    }
  });

  it("abstains when the query is still missing within FETCH_GIVE_UP_S of the commit deadline", async () => {
    const line = qaTask(15);
    rpcDown = true;
    const [id] = await createTasks(s, [line], { commitWindow: FETCH_GIVE_UP_S - 10 });
    const q = JSON.stringify({ v: 1, task: "qa", query: line.query, references: line.references });
    unlinkSync(path.join(s.contentDir, `${contentHash(q).slice(2)}.txt`));
    rpcDown = false;
    const t = await settled(id!);
    expect(t.consensus).toEqual([]);
    const rec = await rt.store.get(id!.toString(), s.evaluators[0]!.address);
    expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_CONTENT_MISSING" } });
    expect(rec?.abstained?.reason).toMatch(/texts still missing \d+ s before the commit deadline/);
  });

  it("commits an abstention for members whose scores are still not ready close to the commit deadline (a quarter of a short window), resumes one a crash interrupted after its record, and drops the late scores", async () => {
    scoringStalls = true;
    crashAt = "commit-persisted"; // the first late abstention stops between its record and its commit
    try {
      const [id] = await createTasks(s, [qaTask(16)], { commitWindow: 20 }); // abstains in the last lateMargin(20) = 5 s
      const t = await settled(id!);
      expect(t.reveals).toBe(s.evaluators.length);
      expect(t.consensus).toEqual([]); // everyone abstained: void, every member paid its fee, nobody slashed
      for (const e of s.evaluators) {
        const rec = await rt.store.get(id!.toString(), e.address);
        expect(rec).toMatchObject({ state: "revealed", scores: [], abstained: { code: "E_LATE" } });
        expect(rec?.abstained?.reason).toMatch(/scores not ready [1-5] s before the commit deadline/);
      }
      expect(crashAt, "the crash point was reached").toBeUndefined();
    } finally {
      scoringStalls = false;
      crashAt = undefined;
    }
    // the stalled jobs end without a second commitment (a member's first record stands) and fail nothing
    await waitFor("the stalled evaluate jobs ended", async () => (await rt.queue.backlog()) === 0, 30_000, 200);
    expect(await rt.queue.failed()).toEqual([]);
  }, 120_000);

  it("rides out an RPC outage during the run and finishes the task", async () => {
    rpcDown = true;
    const [id] = await createTasks(s, [qaTask(11)]);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await s.reader.getTask(id!)).commits).toBe(0);
    rpcDown = false;
    const t = await settled(id!);
    expect(t.reveals).toBe(3);
  });

  it("fails clearly when the RPC is unreachable at start", async () => {
    const cfg = loadConfig({ env: {}, overrides: { rpcUrl: "http://127.0.0.1:9", redis: { url: REDIS_URL, prefix }, tx: { ...txCfg, maxRetries: 1, backoffMs: 10 } } });
    await expect(
      createWorkerRuntime({ cfg, accounts: [], scorer: new EngineTaskScorer([], encoder), redis: null, log: createLogger("test"), contract: s.dep.poq }),
    ).rejects.toMatchObject({ code: "E_RPC", message: expect.stringMatching(/connect to http:\/\/127\.0\.0\.1:9: RPC unavailable after 2 attempts/) });
  });

  it("rejects a malformed task file with line, record and field; accepts a verdict per output", () => {
    expect(() => parseTaskFile('{"id":"a","task":"qa","query":"q","outputs":[{"node":"n","text":"t","extra":1}]}\n\n{"id":"b"}', "f.jsonl")).toThrow(
      /f\.jsonl:1 \(a\): field outputs\.0: Unrecognized key[\s\S]*f\.jsonl:3 \(b\): field task/,
    );
    expect(() => parseTaskFile("\n", "empty.jsonl")).toThrow(/holds no tasks/);
    // A human verdict per output (the demo's labels) is accepted and kept out of the spec.
    const [line] = parseTaskFile('{"id":"v","task":"qa","query":"q","outputs":[{"node":"n","text":"t","verdict":"gibberish"}]}', "v.jsonl");
    expect(line!.outputs[0]!.verdict).toBe("gibberish");
    expect(() => parseTaskFile('{"id":"w","task":"qa","query":"q","outputs":[{"node":"n","text":"t","verdict":"meh"}]}', "w.jsonl")).toThrow(/w\.jsonl:1 \(w\): field outputs\.0\.verdict/);
  });
});
