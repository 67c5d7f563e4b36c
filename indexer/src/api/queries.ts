/**
 * The read side of the indexer: the JSON the routes serve and the explorer renders. Amounts,
 * task ids, blocks and timestamps are decimal strings; addresses lowercase 0x.
 */
import { and, asc, count, desc, eq, gt, sql } from "ponder";
import type { ReadonlyDrizzle } from "ponder";
import * as schema from "../../ponder.schema.js";

export type Db = ReadonlyDrizzle<typeof schema>;

const STATUS = ["pending", "open", "finalized", "cancelled"] as const;

/** bigint -> decimal string, recursively (JSON has no bigint). */
export function toJson<T>(v: T): unknown {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return v.map(toJson);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  return v;
}

function str(v: bigint): string;
function str(v: bigint | null | undefined): string | null;
function str(v: bigint | null | undefined): string | null {
  return v == null ? null : v.toString();
}

/** A committee seat's settlement as the task and evaluator pages show it: pay = fee + slash share. */
function seatSettlement(m: {
  settled: boolean;
  deviation: bigint | null;
  trustBefore: number | null;
  trustAfter: number | null;
  pay: bigint | null;
  slash: bigint | null;
  slashShare: bigint | null;
}) {
  return {
    settled: m.settled,
    deviation: str(m.deviation),
    trustBefore: m.trustBefore,
    trustAfter: m.trustAfter,
    pay: m.pay == null ? null : str(m.pay + m.slashShare!),
    fee: str(m.pay),
    slash: str(m.slash),
    slashShare: str(m.slashShare),
  };
}

export function isAddress(a: string): a is `0x${string}` {
  return /^0x[0-9a-fA-F]{40}$/.test(a);
}

/** Page size of the paged routes: `?limit=` (rows per list), default and maximum. */
export const PAGE_LIMIT = { default: 100, max: 1000 } as const;

/** A bad query value of a paged route (the route answers 400 with its message). */
export class QueryError extends Error {}

const DEC = /^(0|[1-9][0-9]{0,77})$/;

/** `?limit=`: an integer 1..1000, default 100. */
export function parseLimit(v: string | undefined): number {
  if (v === undefined) return PAGE_LIMIT.default;
  const n = /^[0-9]{1,4}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= PAGE_LIMIT.max)) throw new QueryError(`limit: expected an integer from 1 to ${PAGE_LIMIT.max}, got ${JSON.stringify(v.slice(0, 40))}`);
  return n;
}

type LogPos = { block: bigint; log: number };

function parseLogPos(v: string, what: string): LogPos {
  const m = /^([0-9]{1,78}):([0-9]{1,9})$/.exec(v);
  if (!m || !DEC.test(m[1]!)) throw new QueryError(`${what}: expected <block>:<logIndex>, got ${JSON.stringify(v.slice(0, 40))}`);
  return { block: BigInt(m[1]!), log: Number(m[2]) };
}

const logPos = (p: LogPos) => `${p.block}:${p.log}`;

/** The payouts cursor `?after=<taskId>[,<block>:<logIndex>]`: the last task id served, and the last claim served (if any). */
export type PayoutsCursor = { task: bigint; claim?: LogPos };

export function parsePayoutsCursor(v: string | undefined): PayoutsCursor | undefined {
  if (v === undefined) return undefined;
  const [task, claim, ...rest] = v.split(",");
  if (rest.length > 0 || !DEC.test(task!)) throw new QueryError(`after: expected <taskId> or <taskId>,<block>:<logIndex> (the previous page's next), got ${JSON.stringify(v.slice(0, 60))}`);
  return { task: BigInt(task!), claim: claim === undefined ? undefined : parseLogPos(claim, "after") };
}

/** The trust cursor `?after=<block>:<logIndex>`: the settlement of the last point served. */
export function parseTrustCursor(v: string | undefined): LogPos | undefined {
  return v === undefined ? undefined : parseLogPos(v, "after");
}

/** (block, log) > (p.block, p.log) on two columns, as a row comparison (an index range scan). */
const afterPos = (block: unknown, log: unknown, p: LogPos) => sql`(${block}, ${log}) > (${p.block.toString()}::numeric(78), ${p.log}::integer)`;

/**
 * Rows past the page of a list fetched `limit + 1` long and sorted by task id: the last task id
 * the page can cover completely (the first task id left out, minus one), or undefined when the
 * list ended within the page.
 */
function coveredTo(rows: { taskId: bigint }[], limit: number): bigint | undefined {
  return rows.length > limit ? rows[limit]!.taskId - 1n : undefined;
}

/**
 * One page of an account's payouts. Totals (earned, slashed, refunded, claimed, claimable and
 * the row counts) are the whole history's; the lists (node outputs, evaluator seats, refunds)
 * ascend by task id and cover the same task range (after, next], at most `limit` rows each
 * (a node's outputs of one task are never split); claims ascend by (block, logIndex), at most
 * `limit`. `next` is the cursor of the following page, null on the last one.
 */
export async function payouts(db: Db, address: `0x${string}`, limit: number = PAGE_LIMIT.default, after?: PayoutsCursor) {
  const a = address.toLowerCase() as `0x${string}`;
  const A = after?.task;
  const outWhere = and(eq(schema.output.node, a), sql`${schema.output.pay} is not null`);
  const seatWhere = and(eq(schema.member.evaluator, a), eq(schema.member.settled, true));
  const refundWhere = eq(schema.refund.account, a);
  const claimWhere = and(eq(schema.claim.account, a), eq(schema.claim.kind, "account"));
  const [stats, outs, seats, refunds, claims] = await Promise.all([
    // the whole history's totals and counts in one statement (each subquery an index lookup or
    // an index range count): one round trip instead of seven
    db.execute(sql`select
      (select ${schema.node.lifetime}::text from ${schema.node} where ${schema.node.address} = ${a}) as "nodeEarned",
      (select ${schema.node.pending}::text from ${schema.node} where ${schema.node.address} = ${a}) as "nodePending",
      (select ${schema.node.paid}::text from ${schema.node} where ${schema.node.address} = ${a}) as "nodePaid",
      (select ${schema.evaluator.earned}::text from ${schema.evaluator} where ${schema.evaluator.address} = ${a}) as "evEarned",
      (select ${schema.evaluator.slashed}::text from ${schema.evaluator} where ${schema.evaluator.address} = ${a}) as "evSlashed",
      (select ${schema.account.refunded}::text from ${schema.account} where ${schema.account.address} = ${a}) as "refunded",
      (select ${schema.account.escrow}::text from ${schema.account} where ${schema.account.address} = ${a}) as "escrow",
      (select ${schema.account.claimable}::text from ${schema.account} where ${schema.account.address} = ${a}) as "claimable",
      (select ${schema.account.claimed}::text from ${schema.account} where ${schema.account.address} = ${a}) as "claimed",
      (select count(*)::integer from ${schema.output} where ${outWhere}) as "outputCount",
      (select count(*)::integer from ${schema.member} where ${seatWhere}) as "taskCount",
      (select count(*)::integer from ${schema.refund} where ${refundWhere}) as "refundCount",
      (select count(*)::integer from ${schema.claim} where ${claimWhere}) as "claimCount"`),
    db
      .select()
      .from(schema.output)
      .where(and(outWhere, A === undefined ? undefined : gt(schema.output.taskId, A)))
      .orderBy(asc(schema.output.taskId), asc(schema.output.index))
      .limit(limit + 1),
    db
      .select()
      .from(schema.member)
      .where(and(seatWhere, A === undefined ? undefined : gt(schema.member.taskId, A)))
      .orderBy(asc(schema.member.taskId))
      .limit(limit + 1),
    db
      .select()
      .from(schema.refund)
      .where(and(refundWhere, A === undefined ? undefined : gt(schema.refund.taskId, A)))
      .orderBy(asc(schema.refund.taskId))
      .limit(limit + 1),
    db
      .select()
      .from(schema.claim)
      .where(and(claimWhere, after?.claim ? afterPos(schema.claim.block, schema.claim.logIndex, after.claim) : undefined))
      .orderBy(asc(schema.claim.block), asc(schema.claim.logIndex))
      .limit(limit + 1),
  ]);

  // the task range this page covers completely: up to the first task a list had to leave out
  const ends = [coveredTo(outs, limit), coveredTo(seats, limit), coveredTo(refunds, limit)].filter((x): x is bigint => x !== undefined);
  let to = ends.length === 0 ? undefined : ends.reduce((x, y) => (y < x ? y : x));
  let pageOuts = outs;
  if (to !== undefined && ![outs, seats, refunds].some((rows) => rows.length > 0 && rows[0]!.taskId <= to!)) {
    // no progress: the next task holds more than `limit` of the node's outputs (m <= 15; seats
    // and refunds are one a task), so this page serves that task whole
    to = outs[0]!.taskId;
    pageOuts = await db.select().from(schema.output).where(and(outWhere, eq(schema.output.taskId, to))).orderBy(asc(schema.output.index));
  }
  const within = <T extends { taskId: bigint }>(rows: T[]) => (to === undefined ? rows : rows.filter((r) => r.taskId <= to!));
  pageOuts = within(pageOuts);
  const pageSeats = within(seats);
  const pageRefunds = within(refunds);
  const pageClaims = claims.slice(0, limit);
  const claimsMore = claims.length > limit;

  let next: string | null = null;
  if (to !== undefined || claimsMore) {
    const lastTask = [pageOuts.at(-1)?.taskId, pageSeats.at(-1)?.taskId, pageRefunds.at(-1)?.taskId, A].reduce<bigint>((x, y) => (y !== undefined && y > x ? y : x), 0n);
    const task = to ?? lastTask;
    const lastClaim = pageClaims.at(-1);
    const claim = lastClaim ? { block: lastClaim.block, log: lastClaim.logIndex } : after?.claim;
    next = claim ? `${task},${logPos(claim)}` : `${task}`;
  }

  const t = (stats as unknown as { rows: Record<string, string | number | null>[] }).rows[0] ?? {};
  const amount = (k: string) => String(t[k] ?? "0");
  const n = (k: string) => Number(t[k] ?? 0);
  return {
    address: a,
    node: {
      earned: amount("nodeEarned"),
      pending: amount("nodePending"),
      paid: amount("nodePaid"),
      outputCount: n("outputCount"),
      outputs: pageOuts.map((o) => ({ taskId: str(o.taskId), output: o.index, consensus: o.consensus, pay: str(o.pay!) })),
    },
    evaluator: {
      earned: amount("evEarned"),
      slashed: amount("evSlashed"),
      taskCount: n("taskCount"),
      tasks: pageSeats.map((m) => ({
        taskId: str(m.taskId),
        // everything the task credited it: fee pay plus its share of the slashed stake
        pay: str(m.pay! + m.slashShare!),
        fee: str(m.pay!),
        slashShare: str(m.slashShare!),
        slash: str(m.slash!),
        trustBefore: m.trustBefore!,
        trustAfter: m.trustAfter!,
        missed: !m.revealed,
        revealed: m.revealed,
      })),
    },
    requester: {
      refunded: amount("refunded"),
      escrow: amount("escrow"),
      refundCount: n("refundCount"),
      refunds: pageRefunds.map((r) => ({ taskId: str(r.taskId), amount: str(r.amount), kind: r.kind })),
    },
    claimable: amount("claimable"),
    claimed: amount("claimed"),
    claimCount: n("claimCount"),
    claims: pageClaims.map((c) => ({ to: c.to, amount: str(c.amount), block: str(c.block) })),
    next,
  };
}

/**
 * One page of an evaluator's trust history: settled seats in settlement order (block, then log
 * index), at most `limit`; `count` is the whole history's length, `next` the cursor
 * `<block>:<logIndex>` of the following page (null on the last one).
 */
export async function trustHistory(db: Db, address: `0x${string}`, limit: number = PAGE_LIMIT.default, after?: LogPos) {
  const a = address.toLowerCase() as `0x${string}`;
  const where = and(eq(schema.member.evaluator, a), eq(schema.member.settled, true));
  const [[total], seats] = await Promise.all([
    db.select({ n: count() }).from(schema.member).where(where),
    db
      .select()
      .from(schema.member)
      .where(and(where, after ? afterPos(schema.member.settledBlock, schema.member.settledLog, after) : undefined))
      .orderBy(asc(schema.member.settledBlock), asc(schema.member.settledLog))
      .limit(limit + 1),
  ]);
  const page = seats.slice(0, limit);
  const last = page.at(-1);
  return {
    address: a,
    count: Number(total?.n ?? 0),
    // settled seats: the settlement fields are set
    history: page.map(trustPoint),
    next: seats.length > limit && last ? logPos({ block: last.settledBlock!, log: last.settledLog! }) : null,
  };
}

type Seat = typeof schema.member.$inferSelect;
const trustPoint = (m: Seat) => ({ taskId: str(m.taskId), block: str(m.settledBlock!), timestamp: str(m.settledAt!), trustBefore: m.trustBefore!, trustAfter: m.trustAfter! });

/** An evaluator's whole trust history (the explorer's chart). */
async function fullTrustHistory(db: Db, a: `0x${string}`) {
  const seats = await db
    .select()
    .from(schema.member)
    .where(and(eq(schema.member.evaluator, a), eq(schema.member.settled, true)))
    .orderBy(asc(schema.member.settledBlock), asc(schema.member.settledLog));
  return seats.map(trustPoint);
}

export async function taskPage(db: Db, id: bigint) {
  const [[t], outs, seats] = await Promise.all([
    db.select().from(schema.task).where(eq(schema.task.id, id)),
    db.select().from(schema.output).where(eq(schema.output.taskId, id)).orderBy(asc(schema.output.index)),
    db.select().from(schema.member).where(eq(schema.member.taskId, id)).orderBy(asc(schema.member.position)),
  ]);
  if (!t) return undefined;
  const [prof] = await db.select().from(schema.profile).where(eq(schema.profile.hash, t.profileHash));
  return {
    taskId: str(t.id),
    status: t.status,
    spec: {
      requester: t.requester,
      refundTo: t.refundTo,
      profileHash: t.profileHash,
      profileUri: prof?.uri ?? null,
      queryHash: t.queryHash,
      family: t.family,
      rule: t.rule,
      k: t.k,
      m: t.m,
      commitWindow: t.commitWindow,
      revealWindow: t.revealWindow,
      nodeBudget: str(t.nodeBudget),
      evalBudget: str(t.evalBudget),
      fee: str(t.fee),
      protocolFee: str(t.protocolFee),
    },
    seed: t.seed,
    commitDeadline: str(t.commitDeadline),
    revealDeadline: str(t.revealDeadline),
    commits: t.commits,
    reveals: t.reveals,
    hasConsensus: t.hasConsensus,
    refund: str(t.refund),
    slashed: str(t.slashed),
    burned: str(t.burned),
    nodePaid: str(t.nodePaid),
    evaluatorPaid: str(t.evaluatorPaid),
    createdBlock: str(t.createdBlock),
    createdAt: str(t.createdAt),
    settledBlock: str(t.settledBlock),
    settledAt: str(t.settledAt),
    outputs: outs.map((o) => ({ output: o.index, node: o.node, outputHash: o.outputHash, consensus: o.consensus, pay: str(o.pay) })),
    committee: seats.map((m) => ({
      evaluator: m.evaluator,
      position: m.position,
      committed: m.commitment != null,
      commitment: m.commitment,
      revealed: m.revealed,
      scores: m.scores ?? null,
      ...seatSettlement(m),
    })),
  };
}

export async function overview(db: Db) {
  const byStatus = await db.select({ status: schema.task.status, n: count() }).from(schema.task).groupBy(schema.task.status);
  const [paid] = await db
    .select({ nodes: sql<string>`coalesce(sum(${schema.task.nodePaid}), 0)`, evaluators: sql<string>`coalesce(sum(${schema.task.evaluatorPaid}), 0)` })
    .from(schema.task);
  const evaluators = await db.select({ address: schema.evaluator.address, trust: schema.evaluator.trust }).from(schema.evaluator).where(eq(schema.evaluator.registered, true));
  const [tot] = await db.select().from(schema.totals);
  const recent = await db
    .select({ id: schema.task.id, status: schema.task.status, k: schema.task.k, m: schema.task.m, requester: schema.task.requester, createdAt: schema.task.createdAt, refund: schema.task.refund })
    .from(schema.task)
    .orderBy(desc(schema.task.id))
    .limit(20);
  const counts = Object.fromEntries(STATUS.map((s) => [s, 0])) as Record<(typeof STATUS)[number], number>;
  for (const r of byStatus) counts[r.status as (typeof STATUS)[number]] = Number(r.n);
  const nodes = BigInt(paid?.nodes ?? 0);
  const evals = BigInt(paid?.evaluators ?? 0);
  return {
    tasks: counts,
    tasksSettled: counts.finalized,
    paidOut: { total: str(nodes + evals), nodes: str(nodes), evaluators: str(evals) },
    activeEvaluators: evaluators.length,
    trust: evaluators.map((e) => ({ evaluator: e.address, trust: e.trust })),
    totals: tot ? { escrowed: str(tot.escrowed), claimable: str(tot.claimable), treasury: str(tot.treasury), burned: str(tot.burned) } : null,
    recent: recent.map((r) => ({ taskId: str(r.id), status: r.status, k: r.k, m: r.m, requester: r.requester, createdAt: str(r.createdAt), refund: str(r.refund) })),
  };
}

export async function evaluatorPage(db: Db, address: `0x${string}`) {
  const a = address.toLowerCase() as `0x${string}`;
  const [ev] = await db.select().from(schema.evaluator).where(eq(schema.evaluator.address, a));
  if (!ev) return undefined;
  const stake = await db.select().from(schema.stakePoint).where(eq(schema.stakePoint.evaluator, a)).orderBy(asc(schema.stakePoint.block), asc(schema.stakePoint.id));
  const seats = await db.select().from(schema.member).where(eq(schema.member.evaluator, a)).orderBy(asc(schema.member.taskId));
  const [acct] = await db.select().from(schema.account).where(eq(schema.account.address, a));
  return {
    address: a,
    registered: ev.registered,
    stake: str(ev.stake),
    unbonding: str(ev.unbonding),
    cost: str(ev.cost),
    trust: ev.trust,
    tasksAssigned: ev.tasksAssigned,
    tasksMissed: ev.tasksMissed,
    earned: str(ev.earned),
    slashed: str(ev.slashed),
    claimable: str(acct?.claimable ?? 0n),
    claimed: str(acct?.claimed ?? 0n),
    trustHistory: await fullTrustHistory(db, a),
    stakeHistory: stake.map((p) => ({ block: str(p.block), timestamp: str(p.timestamp), stake: str(p.stake), unbonding: str(p.unbonding), reason: p.reason })),
    tasks: seats.map((m) => ({
      taskId: str(m.taskId),
      revealed: m.revealed,
      ...seatSettlement(m),
    })),
  };
}

export async function nodePage(db: Db, address: `0x${string}`) {
  const a = address.toLowerCase() as `0x${string}`;
  const [n] = await db.select().from(schema.node).where(eq(schema.node.address, a));
  if (!n) return undefined;
  const outs = await db.select().from(schema.output).where(eq(schema.output.node, a)).orderBy(asc(schema.output.taskId), asc(schema.output.index));
  return {
    address: a,
    payout: n.payout,
    modelId: n.modelId,
    earned: str(n.lifetime),
    pending: str(n.pending),
    paid: str(n.paid),
    outputsSettled: n.outputs,
    meanConsensus: n.consensusCount === 0 ? null : Number(n.consensusSum) / n.consensusCount,
    outputs: outs.map((o) => ({ taskId: str(o.taskId), output: o.index, consensus: o.consensus, pay: str(o.pay) })),
  };
}

export async function profilePage(db: Db, hash: `0x${string}`) {
  const [p] = await db.select().from(schema.profile).where(eq(schema.profile.hash, hash.toLowerCase() as `0x${string}`));
  if (!p) return undefined;
  const [n] = await db.select({ n: count() }).from(schema.task).where(eq(schema.task.profileHash, p.hash));
  return { hash: p.hash, profileId: p.profileId, uri: p.uri, retired: p.retired, registeredBlock: str(p.registeredBlock), tasks: Number(n?.n ?? 0) };
}
