/**
 * BullJobQueue.ensure, the sweeps' safety net: a job that does not exist is added, a live or
 * completed one is left alone, a failed one is retried unless it failed for a permanent
 * reason. (ensure reads the job's hash and the failed set directly; this pins that it sees
 * BullMQ's states as getJob + getState did.)
 */
import { afterAll, describe, expect, it } from "vitest";
import { redisConnection } from "../../oracle/queue/redis.js";
import { BullJobQueue, PermanentJobError } from "../../oracle/worker/jobs.js";
import type { JobData } from "../../oracle/worker/types.js";
import { testRedis } from "../helpers/redis.js";

const { redis, prefix } = testRedis(redisConnection);
const EV = "0x0000000000000000000000000000000000000001" as const;
const data = (taskId: string): JobData => ({ taskId, evaluators: [EV] });

describe("BullJobQueue.ensure", () => {
  const runs = new Map<string, number>();
  const queue = new BullJobQueue({ connection: redis, prefix, concurrency: 4, attempts: 1, lockDurationMs: 5_000, stalledIntervalMs: 5_000 });
  afterAll(() => queue.close());
  const until = async (what: string, ok: () => Promise<boolean> | boolean) => {
    for (let i = 0; i < 200; i++) {
      if (await ok()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  };
  const failedIds = async () => (await queue.failed()).map((f) => f.id).sort();

  it("adds missing jobs, leaves live and completed ones, retries failed ones unless permanent", async () => {
    let failAgain = true;
    queue.start({
      evaluate: async (d) => {
        runs.set(d.taskId, (runs.get(d.taskId) ?? 0) + 1);
        if (d.taskId === "retryable" && failAgain) throw new Error("transient");
        if (d.taskId === "permanent") throw new PermanentJobError("E_TEST", "never again");
        return "ok";
      },
      reveal: async () => "ok",
      finalize: async () => "ok",
    });
    for (const id of ["done", "retryable", "permanent"]) await queue.ensure("evaluate", `evaluate:${id}:task`, data(id));
    await until("two failures and one completion", async () => (await failedIds()).length === 2 && runs.get("done") === 1);
    expect(await failedIds()).toEqual(["evaluate:permanent:task", "evaluate:retryable:task"]);

    failAgain = false;
    // The sweeps check many jobs at once: each gets what ensure would do for it alone.
    await queue.ensureMany("evaluate", ["done", "retryable", "permanent", "new"].map((id) => ({ id: `evaluate:${id}:task`, data: data(id) })));
    await until("the retryable job to run again", async () => runs.get("retryable") === 2 && runs.get("new") === 1 && (await failedIds()).length === 1);
    expect(await failedIds()).toEqual(["evaluate:permanent:task"]);
    await queue.ensureMany("evaluate", [{ id: "evaluate:new:task", data: data("new") }]);
    expect(runs.get("done")).toBe(1); // completed: not run again
    expect(runs.get("permanent")).toBe(1); // permanent failure: kept, not retried
    expect(runs.get("new")).toBe(1); // added once, completed: not run again
    expect(await queue.backlog()).toBe(0);
  });
});
