/**
 * The explorer's routes, mounted on the indexer's Hono API: `/`, `/task/:id`,
 * `/evaluator/:address`, `/node/:address`, `/profile/:hash`, and the validation figures.
 * It reads only the indexer's queries (never the chain).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { shippedProfiles } from "../oracle/contract/shipped-profiles.js";
import { evaluatorPageHtml, nodePageHtml, notFound, overviewPage, profilePageHtml, taskPageHtml } from "./pages.js";
import type { ExplorerData } from "./types.js";

export type { ExplorerData } from "./types.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FIGURES = new Set(["scatter.svg", "heatmap.svg", "ablations.svg"]);

/** The profiles shipped in profiles/, by hash (lowercase): name and description. */
function shippedByHash(): Map<string, { name: string; description?: string }> {
  const out = new Map<string, { name: string; description?: string }>();
  for (const p of shippedProfiles()) {
    const doc = JSON.parse(readFileSync(path.join(root, p.uri), "utf8")) as { description?: string };
    out.set(p.hash.toLowerCase(), { name: p.name, description: doc.description });
  }
  return out;
}

export function explorerRoutes(d: ExplorerData, chain = ""): Hono {
  const app = new Hono();
  const shipped = shippedByHash();
  const isAddr = (a: string): a is `0x${string}` => /^0x[0-9a-fA-F]{40}$/.test(a);

  app.get("/", async (c) => c.html(await overviewPage(await d.overview(), chain)));
  app.get("/task/:id", async (c) => {
    const id = c.req.param("id");
    const t = /^[0-9]{1,78}$/.test(id) ? await d.task(BigInt(id)) : undefined;
    return t ? c.html(taskPageHtml(t, chain)) : c.html(notFound(`No task ${id}.`, chain), 404);
  });
  app.get("/evaluator/:address", async (c) => {
    const a = c.req.param("address");
    const e = isAddr(a) ? await d.evaluator(a) : undefined;
    return e ? c.html(await evaluatorPageHtml(e, chain)) : c.html(notFound(`No evaluator ${a}.`, chain), 404);
  });
  app.get("/node/:address", async (c) => {
    const a = c.req.param("address");
    const n = isAddr(a) ? await d.node(a) : undefined;
    return n ? c.html(nodePageHtml(n, chain)) : c.html(notFound(`No inference node ${a}.`, chain), 404);
  });
  app.get("/profile/:hash", async (c) => {
    const hsh = c.req.param("hash");
    const p = /^0x[0-9a-fA-F]{64}$/.test(hsh) ? await d.profile(hsh as `0x${string}`) : undefined;
    if (!p) return c.html(notFound(`No profile ${hsh}.`, chain), 404);
    return c.html(profilePageHtml(p, shipped.get(p.hash.toLowerCase()), chain));
  });
  app.get("/figures/:name", (c) => {
    const name = c.req.param("name");
    if (!FIGURES.has(name)) return c.text("not found", 404);
    return c.body(readFileSync(path.join(root, "docs", "validation", "figures", name)), 200, { "content-type": "image/svg+xml" });
  });
  return app;
}
