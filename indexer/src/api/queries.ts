/**
 * The read side of the indexer: the JSON the routes serve and the explorer renders. Amounts,
 * task ids, blocks and timestamps are decimal strings; addresses lowercase 0x.
 */
import { and, asc, count, desc, eq, sql } from "ponder";
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

export function isAddress(a: string): a is `0x${string}` {
  return /^0x[0-9a-fA-F]{40}$/.test(a);
}

export async function payouts(db: Db, address: `0x${string}`) {
  const a = address.toLowerCase() as `0x${string}`;
  const [[nodeRow], outs, [ev], seats, [acct], refunds, claims] = await Promise.all([
    db.select().from(schema.node).where(eq(schema.node.address, a)),
    db
      .select()
      .from(schema.output)
      .where(and(eq(schema.output.node, a), sql`${schema.output.pay} is not null`))
      .orderBy(asc(schema.output.taskId), asc(schema.output.index)),
    db.select().from(schema.evaluator).where(eq(schema.evaluator.address, a)),
    db
      .select()
      .from(schema.member)
      .where(and(eq(schema.member.evaluator, a), eq(schema.member.settled, true)))
      .orderBy(asc(schema.member.settledBlock), asc(schema.member.settledLog)),
    db.select().from(schema.account).where(eq(schema.account.address, a)),
    db.select().from(schema.refund).where(eq(schema.refund.account, a)).orderBy(asc(schema.refund.taskId)),
    db
      .select()
      .from(schema.claim)
      .where(and(eq(schema.claim.account, a), eq(schema.claim.kind, "account")))
      .orderBy(asc(schema.claim.block), asc(schema.claim.id)),
  ]);
  return {
    address: a,
    node: {
      earned: str(nodeRow?.lifetime ?? 0n),
      pending: str(nodeRow?.pending ?? 0n),
      paid: str(nodeRow?.paid ?? 0n),
      outputs: outs.map((o) => ({ taskId: str(o.taskId), output: o.index, consensus: o.consensus, pay: str(o.pay!) })),
    },
    evaluator: {
      earned: str(ev?.earned ?? 0n),
      slashed: str(ev?.slashed ?? 0n),
      tasks: seats.map((m) => ({
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
      refunded: str(acct?.refunded ?? 0n),
      escrow: str(acct?.escrow ?? 0n),
      refunds: refunds.map((r) => ({ taskId: str(r.taskId), amount: str(r.amount), kind: r.kind })),
    },
    claimable: str(acct?.claimable ?? 0n),
    claimed: str(acct?.claimed ?? 0n),
    claims: claims.map((c) => ({ to: c.to, amount: str(c.amount), block: str(c.block) })),
  };
}

export async function trustHistory(db: Db, address: `0x${string}`) {
  const a = address.toLowerCase() as `0x${string}`;
  const seats = await db
    .select()
    .from(schema.member)
    .where(and(eq(schema.member.evaluator, a), eq(schema.member.settled, true)))
    .orderBy(asc(schema.member.settledBlock), asc(schema.member.settledLog));
  return {
    address: a,
    // settled seats: the settlement fields are set
    history: seats.map((m) => ({
      taskId: str(m.taskId),
      block: str(m.settledBlock!),
      timestamp: str(m.settledAt!),
      trustBefore: m.trustBefore!,
      trustAfter: m.trustAfter!,
    })),
  };
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
      settled: m.settled,
      deviation: str(m.deviation),
      trustBefore: m.trustBefore,
      trustAfter: m.trustAfter,
      pay: m.pay == null ? null : str(m.pay + m.slashShare!),
      fee: str(m.pay),
      slash: str(m.slash),
      slashShare: str(m.slashShare),
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
    trustHistory: (await trustHistory(db, a)).history,
    stakeHistory: stake.map((p) => ({ block: str(p.block), timestamp: str(p.timestamp), stake: str(p.stake), unbonding: str(p.unbonding), reason: p.reason })),
    tasks: seats.map((m) => ({
      taskId: str(m.taskId),
      revealed: m.revealed,
      settled: m.settled,
      deviation: str(m.deviation),
      trustBefore: m.trustBefore,
      trustAfter: m.trustAfter,
      pay: m.pay == null ? null : str(m.pay + m.slashShare!),
      fee: str(m.pay),
      slash: str(m.slash),
      slashShare: str(m.slashShare),
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
