/**
 * The indexer's HTTP API (Ponder serves it): GraphQL at /graphql, read-only SQL at /sql/*,
 * plain JSON routes for dApps (/payouts/:address, /trust/:address, /tasks/:id, ...) and the
 * web explorer's pages (explorer/).
 */
import { Hono } from "hono";
import { db } from "ponder:api";
import schema from "ponder:schema";
import { client, graphql } from "ponder";
import { explorerRoutes } from "../../../explorer/routes.js";
import { evaluatorPage, isAddress, nodePage, overview, parseLimit, parsePayoutsCursor, parseTrustCursor, payouts, profilePage, QueryError, taskPage, trustHistory } from "./queries.js";

const app = new Hono();

app.use("/sql/*", client({ db, schema }));
app.use("/graphql", graphql({ db, schema }));

const badAddress = (a: string) => ({ error: `not a 20-byte hex address: ${a}` });

// paged: ?limit= (1..1000, default 100) rows per list, ?after= the previous page's `next`
app.get("/payouts/:address", async (c) => {
  const a = c.req.param("address");
  if (!isAddress(a)) return c.json(badAddress(a), 400);
  try {
    return c.json(await payouts(db, a, parseLimit(c.req.query("limit")), parsePayoutsCursor(c.req.query("after"))));
  } catch (err) {
    if (err instanceof QueryError) return c.json({ error: err.message }, 400);
    throw err;
  }
});

app.get("/trust/:address", async (c) => {
  const a = c.req.param("address");
  if (!isAddress(a)) return c.json(badAddress(a), 400);
  try {
    return c.json(await trustHistory(db, a, parseLimit(c.req.query("limit")), parseTrustCursor(c.req.query("after"))));
  } catch (err) {
    if (err instanceof QueryError) return c.json({ error: err.message }, 400);
    throw err;
  }
});

app.get("/tasks/:id", async (c) => {
  const id = c.req.param("id");
  if (!/^[0-9]{1,78}$/.test(id)) return c.json({ error: `not a task id: ${id}` }, 400);
  const t = await taskPage(db, BigInt(id));
  return t ? c.json(t) : c.json({ error: `unknown task ${id}` }, 404);
});

app.get("/overview", async (c) => c.json(await overview(db)));

app.get("/evaluators/:address", async (c) => {
  const a = c.req.param("address");
  if (!isAddress(a)) return c.json(badAddress(a), 400);
  const e = await evaluatorPage(db, a);
  return e ? c.json(e) : c.json({ error: `unknown evaluator ${a}` }, 404);
});

app.get("/nodes/:address", async (c) => {
  const a = c.req.param("address");
  if (!isAddress(a)) return c.json(badAddress(a), 400);
  const n = await nodePage(db, a);
  return n ? c.json(n) : c.json({ error: `unknown node ${a}` }, 404);
});

app.get("/profiles/:hash", async (c) => {
  const h = c.req.param("hash");
  if (!/^0x[0-9a-fA-F]{64}$/.test(h)) return c.json({ error: `not a 32-byte hash: ${h}` }, 400);
  const p = await profilePage(db, h as `0x${string}`);
  return p ? c.json(p) : c.json({ error: `unknown profile ${h}` }, 404);
});

app.route("/", explorerRoutes({ overview: () => overview(db), task: (id) => taskPage(db, id), evaluator: (a) => evaluatorPage(db, a), node: (a) => nodePage(db, a), profile: (h) => profilePage(db, h) }, `chain ${process.env.POQ_CHAIN_ID ?? ""}`));

export default app;
