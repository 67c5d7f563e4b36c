import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { startIndexer } from "../../indexer/launch.js";
import { cancelledTask, mineEmpty, playClaims, playRound, rng, setupWorld, type World } from "../../indexer/scenario.js";
import { freePort, startHardhatNode } from "../../oracle/ops/devnode.js";
import { expectBadQueries, sqlColumn, verifyAgainstContracts } from "./verify.js";
import { IndexerReader, LogReader } from "../../sdk/src/index.js";

const PG_ADMIN_URL = process.env.POQ_TEST_PG_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/**
 * A fresh PostgreSQL database: Ponder caches a chain's logs in the database's ponder_sync
 * schema keyed by chain id, and every local chain is 31337 with the same deterministic
 * addresses, so a database shared with an earlier chain would serve that chain's logs.
 */
async function withDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `poq_indexer_test_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  try {
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    return await fn(u.toString());
  } finally {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
}
const SEED = Number(process.env.POQ_INDEXER_SEED ?? 15015);

describe("indexer (Ponder) against the contracts' views", () => {
  let node: Awaited<ReturnType<typeof startHardhatNode>>;
  let w: World;
  let head: bigint;

  beforeAll(async () => {
    node = await startHardhatNode({ quiet: true });
    w = await setupWorld(node.url);
    const r = rng(SEED);
    for (let round = 0; round < 4; round++) {
      await playRound(w, { tasks: r.int(2, 4), rand: r });
      await playClaims(w, r);
    }
    await cancelledTask(w);
    // one more round after the cancellation, and a task left pending
    await playRound(w, { tasks: 2, rand: r, silent: 0.3 });
    await playClaims(w, r);
    await mineEmpty(w);
    head = await w.dc.client.getBlockNumber();
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
  });

  async function indexAndVerify(db: { databaseUrl?: string }) {
    const port = await freePort();
    const schema = `poq_test_${process.pid}_${Date.now().toString(36)}`;
    const ix = startIndexer({
      rpcUrl: node.url,
      chainId: w.chainId,
      port,
      schema,
      deploymentsDir: w.deploymentsDir,
      pgliteDir: mkdtempSync(path.join(tmpdir(), "poq-pglite-")),
      ...db,
    });
    try {
      await ix.waitSynced(head);
      const res = await verifyAgainstContracts(w, ix.url);
      expect(res.tasks).toBeGreaterThanOrEqual(10);
      expect(res.settled).toBeGreaterThanOrEqual(8);
      expect(res.claimedTotal).toBeGreaterThan(0n);
      // the random sequence did slash and refund: the checks above covered both
      expect(res.misses).toBeGreaterThan(0);
      expect(res.slashes).toBeGreaterThan(0);
      expect(res.abstentions).toBeGreaterThan(0);
      expect(res.refunds).toBeGreaterThan(0);
      // the lists were paged (2 rows a list), and bad paging values are refused
      expect(res.pages).toBeGreaterThan(res.accounts);
      await expectBadQueries(ix.url, w.actors.evaluators[0]!.toLowerCase());
      // the SDK paging through this indexer (2 rows a page) reads what it reads from the logs
      const logs = new LogReader({ client: w.dc.client, proofOfQuality: w.stack.poq.address });
      const paged = new IndexerReader({ url: ix.url, pageSize: 2 });
      for (const a of [...w.actors.evaluators, ...w.actors.nodes, ...w.actors.requesters, w.actors.refundTarget]) {
        expect(await paged.payouts(a), `SDK payouts of ${a}`).toEqual(await logs.payouts(a));
        expect(await paged.trustHistory(a), `SDK trust of ${a}`).toEqual(await logs.trustHistory(a));
      }
      const [settled] = await sqlColumn(ix.url, "select count(*) from task where status = 'finalized'");
      expect(Number(settled)).toBe(res.settled);
      return res;
    } finally {
      await ix.stop();
    }
  }

  it("on PGlite: every balance, payout, refund, trust value and consensus equals the contracts' views", async () => {
    await indexAndVerify({});
  }, 300_000);

  it("on PostgreSQL: the same", async () => {
    await withDatabase((databaseUrl) => indexAndVerify({ databaseUrl }));
  }, 300_000);
});
