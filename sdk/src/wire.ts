/**
 * The indexer's JSON routes (docs/sdk.md, "Indexer routes"): their wire shape, and the one
 * conversion each way between it and the SDK's types. On the wire, amounts, task ids, blocks
 * and timestamps are decimal strings; output indexes, consensus and trust are numbers (a
 * decimal string is accepted for them too); addresses are lowercase (any case is accepted).
 */
import type { Address } from "viem";
import { getAddress, isAddress } from "viem";
import { PoqSdkError } from "./errors.js";
import type { Payouts, TrustHistory } from "./types.js";

/**
 * GET /payouts/:address[?limit=&after=]: one page. Totals are the whole history's; the lists
 * are the page's rows; `next` is the cursor of the following page (`?after=<next>`), null or
 * absent on the last one.
 */
export interface PayoutsJson {
  address: string;
  node: { earned: string; outputs: { taskId: string; output: number; consensus: number; pay: string }[] };
  evaluator: { earned: string; slashed: string; tasks: { taskId: string; pay: string; slash: string; trustBefore: number; trustAfter: number; missed: boolean; revealed: boolean }[] };
  requester: { refunded: string; refunds: { taskId: string; amount: string }[] };
  claimed: string;
  claims: { to: string; amount: string; block: string }[];
  next?: string | null;
}

/** GET /trust/:address[?limit=&after=]: one page, `next` as for payouts. */
export interface TrustHistoryJson {
  address: string;
  history: { taskId: string; block: string; timestamp: string; trustBefore: number; trustAfter: number }[];
  next?: string | null;
}

const lower = (a: Address) => a.toLowerCase();

/** Payouts in the indexer's wire shape. */
export function payoutsToJson(p: Payouts): PayoutsJson {
  return {
    address: lower(p.address),
    node: { earned: String(p.node.earned), outputs: p.node.outputs.map((o) => ({ taskId: String(o.taskId), output: o.output, consensus: o.consensus, pay: String(o.pay) })) },
    evaluator: {
      earned: String(p.evaluator.earned),
      slashed: String(p.evaluator.slashed),
      tasks: p.evaluator.tasks.map((t) => ({ taskId: String(t.taskId), pay: String(t.pay), slash: String(t.slash), trustBefore: t.trustBefore, trustAfter: t.trustAfter, missed: t.missed, revealed: t.revealed })),
    },
    requester: { refunded: String(p.requester.refunded), refunds: p.requester.refunds.map((r) => ({ taskId: String(r.taskId), amount: String(r.amount) })) },
    claimed: String(p.claimed),
    claims: p.claims.map((c) => ({ to: lower(c.to), amount: String(c.amount), block: String(c.block) })),
  };
}

/** A trust history in the indexer's wire shape. */
export function trustHistoryToJson(h: TrustHistory): TrustHistoryJson {
  return {
    address: lower(h.address),
    history: h.history.map((p) => ({ taskId: String(p.taskId), block: String(p.block), timestamp: String(p.timestamp), trustBefore: p.trustBefore, trustAfter: p.trustAfter })),
  };
}

/** Reads one JSON document, every mistake naming its source and field path. */
class Fields {
  constructor(private readonly source: string) {}

  fail(path: string, expected: string, v: unknown): never {
    const got = v === undefined ? "nothing" : JSON.stringify(v)?.slice(0, 60);
    throw new PoqSdkError("E_INDEXER_SHAPE", `${this.source}: field ${path}: expected ${expected}, got ${got}`, { source: this.source, field: path });
  }
  obj(v: unknown, path: string): Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : this.fail(path, "an object", v);
  }
  arr(v: unknown, path: string): unknown[] {
    return Array.isArray(v) ? v : this.fail(path, "an array", v);
  }
  /** A non-negative integer given as a decimal string (or a safe JS integer). */
  big(v: unknown, path: string): bigint {
    if (typeof v === "string" && /^(0|[1-9][0-9]*)$/.test(v)) return BigInt(v);
    if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
    return this.fail(path, "a non-negative decimal integer string", v);
  }
  /** A small non-negative integer (index, bps). */
  int(v: unknown, path: string): number {
    const n = typeof v === "string" && /^(0|[1-9][0-9]*)$/.test(v) ? Number(v) : v;
    return typeof n === "number" && Number.isSafeInteger(n) && n >= 0 ? n : this.fail(path, "a non-negative integer", v);
  }
  bool(v: unknown, path: string): boolean {
    return typeof v === "boolean" ? v : this.fail(path, "true or false", v);
  }
  addr(v: unknown, path: string): Address {
    return typeof v === "string" && isAddress(v, { strict: false }) ? getAddress(v) : this.fail(path, "a 20-byte hex address", v);
  }
  list<T>(v: unknown, path: string, each: (x: Record<string, unknown>, path: string) => T): T[] {
    return this.arr(v, path).map((x, i) => each(this.obj(x, `${path}[${i}]`), `${path}[${i}]`));
  }
}

const cmpBig = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

/** The SDK's Payouts from GET /payouts/:address JSON; PoqSdkError E_INDEXER_SHAPE names a bad field. Lists are put in the SDK's order. */
export function parsePayouts(json: unknown, source = "payouts"): Payouts {
  const f = new Fields(source);
  const r = f.obj(json, "(root)");
  const node = f.obj(r.node, "node");
  const ev = f.obj(r.evaluator, "evaluator");
  const req = f.obj(r.requester, "requester");
  return {
    address: f.addr(r.address, "address"),
    node: {
      earned: f.big(node.earned, "node.earned"),
      outputs: f
        .list(node.outputs, "node.outputs", (o, p) => ({ taskId: f.big(o.taskId, `${p}.taskId`), output: f.int(o.output, `${p}.output`), consensus: f.int(o.consensus, `${p}.consensus`), pay: f.big(o.pay, `${p}.pay`) }))
        .sort((x, y) => cmpBig(x.taskId, y.taskId) || x.output - y.output),
    },
    evaluator: {
      earned: f.big(ev.earned, "evaluator.earned"),
      slashed: f.big(ev.slashed, "evaluator.slashed"),
      tasks: f
        .list(ev.tasks, "evaluator.tasks", (t, p) => ({
          taskId: f.big(t.taskId, `${p}.taskId`),
          pay: f.big(t.pay, `${p}.pay`),
          slash: f.big(t.slash, `${p}.slash`),
          trustBefore: f.int(t.trustBefore, `${p}.trustBefore`),
          trustAfter: f.int(t.trustAfter, `${p}.trustAfter`),
          missed: f.bool(t.missed, `${p}.missed`),
          revealed: f.bool(t.revealed, `${p}.revealed`),
        }))
        .sort((x, y) => cmpBig(x.taskId, y.taskId)),
    },
    requester: {
      refunded: f.big(req.refunded, "requester.refunded"),
      refunds: f.list(req.refunds, "requester.refunds", (x, p) => ({ taskId: f.big(x.taskId, `${p}.taskId`), amount: f.big(x.amount, `${p}.amount`) })).sort((x, y) => cmpBig(x.taskId, y.taskId)),
    },
    claimed: f.big(r.claimed, "claimed"),
    // stable sort: within a block the indexer's order (log order) is kept
    claims: f.list(r.claims, "claims", (c, p) => ({ to: f.addr(c.to, `${p}.to`), amount: f.big(c.amount, `${p}.amount`), block: f.big(c.block, `${p}.block`) })).sort((x, y) => cmpBig(x.block, y.block)),
  };
}

/** The SDK's TrustHistory from GET /trust/:address JSON; PoqSdkError E_INDEXER_SHAPE names a bad field. */
export function parseTrustHistory(json: unknown, source = "trust"): TrustHistory {
  const f = new Fields(source);
  const r = f.obj(json, "(root)");
  return {
    address: f.addr(r.address, "address"),
    history: f
      .list(r.history, "history", (h, p) => ({
        taskId: f.big(h.taskId, `${p}.taskId`),
        block: f.big(h.block, `${p}.block`),
        timestamp: f.big(h.timestamp, `${p}.timestamp`),
        trustBefore: f.int(h.trustBefore, `${p}.trustBefore`),
        trustAfter: f.int(h.trustAfter, `${p}.trustAfter`),
      }))
      .sort((x, y) => cmpBig(x.block, y.block)),
  };
}

/** A page's `next` cursor: a non-empty string, or null / absent on the last page (an opaque value, passed back as `?after=`). */
export function parseNext(json: unknown, source = "page"): string | null {
  const f = new Fields(source);
  const v = f.obj(json, "(root)").next;
  if (v === undefined || v === null) return null;
  return typeof v === "string" && v.length > 0 && v.length <= 200 ? v : f.fail("next", "a cursor string or null", v);
}

/** Pages' payouts as one: the first page's totals, every page's rows, in the SDK's order. */
export function mergePayouts(pages: Payouts[]): Payouts {
  const [first, ...rest] = pages;
  if (!first) throw new PoqSdkError("E_INPUT", "mergePayouts: no pages", {});
  if (rest.length === 0) return first;
  const all = <T>(pick: (p: Payouts) => T[]) => pages.flatMap(pick);
  return {
    ...first,
    node: { ...first.node, outputs: all((p) => p.node.outputs).sort((x, y) => cmpBig(x.taskId, y.taskId) || x.output - y.output) },
    evaluator: { ...first.evaluator, tasks: all((p) => p.evaluator.tasks).sort((x, y) => cmpBig(x.taskId, y.taskId)) },
    requester: { ...first.requester, refunds: all((p) => p.requester.refunds).sort((x, y) => cmpBig(x.taskId, y.taskId)) },
    claims: all((p) => p.claims).sort((x, y) => cmpBig(x.block, y.block)),
  };
}

/** Pages' trust histories as one, in block order (page order within a block: the indexer pages in chain order). */
export function mergeTrustHistories(pages: TrustHistory[]): TrustHistory {
  const [first] = pages;
  if (!first) throw new PoqSdkError("E_INPUT", "mergeTrustHistories: no pages", {});
  return { address: first.address, history: pages.flatMap((p) => p.history).sort((x, y) => cmpBig(x.block, y.block)) };
}

/** What an address with no activity has (an indexer may answer 404 for it). */
export function emptyPayouts(address: Address): Payouts {
  return { address, node: { earned: 0n, outputs: [] }, evaluator: { earned: 0n, slashed: 0n, tasks: [] }, requester: { refunded: 0n, refunds: [] }, claimed: 0n, claims: [] };
}
