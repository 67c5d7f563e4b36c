/**
 * Compares everything the indexer serves with the contracts' views, to the wei: tasks
 * (status, consensus, outputs, committee scores), evaluators (stake, unbonding, trust,
 * assignments, misses), every account's claimable and refunded balance, nodes' pending and
 * lifetime pay, the contract's totals, and the JSON routes' sums.
 */
import { expect } from "vitest";
import type { Address } from "viem";
import type { World } from "../../indexer/scenario.js";

const STATUS = ["none", "pending", "open", "finalized", "cancelled"];

async function get<T>(url: string): Promise<T> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

/** Ponder's read-only SQL over HTTP (GET /sql/db?sql=<superjson {sql, params}>): the first column of each row. */
export async function sqlColumn(base: string, q: string): Promise<unknown[]> {
  const r = await get<{ rows: unknown[] }>(`${base}/sql/db?sql=${encodeURIComponent(JSON.stringify({ json: { sql: q, params: [] } }))}`);
  return r.rows.map((row) => (Array.isArray(row) ? row[0] : Object.values(row as object)[0]));
}

type TaskJson = {
  taskId: string;
  status: string;
  hasConsensus: boolean | null;
  refund: string | null;
  outputs: { output: number; node: string; consensus: number | null; pay: string | null }[];
  committee: { evaluator: string; revealed: boolean; committed: boolean; scores: number[] | null; trustBefore: number | null; trustAfter: number | null; pay: string | null; slash: string | null; slashShare: string | null }[];
};

type Payouts = {
  address: string;
  node: { earned: string; pending: string; outputs: { taskId: string; output: number; consensus: number | null; pay: string }[] };
  evaluator: { earned: string; slashed: string; tasks: { taskId: string; pay: string; fee: string; slash: string; slashShare: string; trustBefore: number; trustAfter: number; missed: boolean; revealed: boolean }[] };
  requester: { refunded: string; refunds: { taskId: string; amount: string }[] };
  claimable: string;
  claimed: string;
  claims: { to: string; amount: string; block: string }[];
};

type Trust = { address: string; count: number; history: { taskId: string; block: string; timestamp: string; trustBefore: number; trustAfter: number }[]; next: string | null };

type PayoutsPage = Payouts & { node: { outputCount: number }; evaluator: { taskCount: number }; requester: { refundCount: number }; claimCount: number; next: string | null };

/**
 * An account's whole payouts, paged `limit` rows a list (the routes' cursor), the pages'
 * lists concatenated; every page's totals and counts are the first's.
 */
async function allPayouts(base: string, a: string, limit: number): Promise<PayoutsPage & { pages: number }> {
  let page = await get<PayoutsPage>(`${base}/payouts/${a}?limit=${limit}`);
  const all = structuredClone(page);
  let pages = 1;
  while (page.next !== null) {
    const prev = page.next;
    page = await get<PayoutsPage>(`${base}/payouts/${a}?limit=${limit}&after=${encodeURIComponent(prev)}`);
    expect(page.next, `payouts ${a}: the cursor moves`).not.toBe(prev);
    for (const k of ["outputs", "tasks", "refunds", "claims"] as const) {
      const [from, to] = k === "outputs" ? [page.node.outputs, all.node.outputs] : k === "tasks" ? [page.evaluator.tasks, all.evaluator.tasks] : k === "refunds" ? [page.requester.refunds, all.requester.refunds] : [page.claims, all.claims];
      expect(from.length, `payouts ${a} ${k}: at most limit rows a page`).toBeLessThanOrEqual(k === "outputs" ? 15 * limit : limit);
      (to as unknown[]).push(...from);
    }
    expect([page.evaluator.earned, page.node.earned, page.requester.refunded, page.claimed, page.claimCount, page.evaluator.taskCount]).toEqual([all.evaluator.earned, all.node.earned, all.requester.refunded, all.claimed, all.claimCount, all.evaluator.taskCount]);
    pages++;
  }
  return { ...all, next: null, pages };
}

async function allTrust(base: string, a: string, limit: number): Promise<Trust> {
  let page = await get<Trust>(`${base}/trust/${a}?limit=${limit}`);
  const all = structuredClone(page);
  while (page.next !== null) {
    page = await get<Trust>(`${base}/trust/${a}?limit=${limit}&after=${encodeURIComponent(page.next)}`);
    expect(page.history.length).toBeLessThanOrEqual(limit);
    all.history.push(...page.history);
  }
  return { ...all, next: null };
}

/** The paged routes answer 400 with a message for a bad limit or cursor. */
export async function expectBadQueries(base: string, a: string) {
  for (const q of ["limit=0", "limit=1001", "limit=x", "limit=1.5", "after=-1", "after=x", "after=1,2", "after=1,2:3,4", "after=01"]) {
    const r = await fetch(`${base}/payouts/${a}?${q}`);
    expect(r.status, `/payouts?${q}`).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(q.startsWith("limit") ? /^limit: expected an integer from 1 to 1000/ : /^after: expected/);
  }
  for (const q of ["limit=0", "after=5", "after=5:x", "after=:1"]) {
    const r = await fetch(`${base}/trust/${a}?${q}`);
    expect(r.status, `/trust?${q}`).toBe(400);
  }
  expect((await fetch(`${base}/payouts/${a}?limit=1000&after=0`)).status).toBe(200);
  expect((await fetch(`${base}/trust/${a}?limit=1&after=0:0`)).status).toBe(200);
}

export async function verifyAgainstContracts(w: World, base: string) {
  const { stack, actors } = w;
  const lc = (a: string) => a.toLowerCase();
  const taskCount = await stack.poq.read.taskCount();
  const checked = { tasks: 0, members: 0, abstentions: 0, outputs: 0, accounts: 0, slashes: 0, refunds: 0, misses: 0, pages: 0 };
  const claimedBy = new Map<string, bigint>();

  for (let id = 1n; id <= taskCount; id++) {
    const t = await get<TaskJson>(`${base}/tasks/${id}`);
    const onchain = await stack.poq.read.getTask([id]);
    expect(t.status, `task ${id} status`).toBe(STATUS[onchain.status]);
    const nodes = await stack.poq.read.getOutputs([id]);
    expect(t.outputs.map((o) => o.node)).toEqual(nodes.map(lc));
    const [has, consensus] = await stack.poq.read.getConsensus([id]);
    if (onchain.status === 3) {
      expect(t.hasConsensus, `task ${id} hasConsensus`).toBe(has);
      if (has) expect(t.outputs.map((o) => o.consensus), `task ${id} consensus`).toEqual([...consensus]);
      else expect(t.outputs.every((o) => o.consensus === null)).toBe(true);
    }
    const [members] = await stack.poq.read.getCommittee([id]);
    expect(t.committee.map((c) => c.evaluator), `task ${id} committee`).toEqual(members.map(lc));
    for (const c of t.committee) {
      const [isMember, committed, revealed, , scores] = await stack.poq.read.getMember([id, c.evaluator as Address]);
      expect(isMember).toBe(true);
      expect(c.committed, `task ${id} ${c.evaluator} committed`).toBe(committed);
      expect(c.revealed, `task ${id} ${c.evaluator} revealed`).toBe(revealed);
      expect(c.scores ?? [], `task ${id} ${c.evaluator} scores`).toEqual(revealed ? [...scores] : []);
      checked.members++;
      if (revealed && scores.length === 0) checked.abstentions++;
    }
    checked.outputs += t.outputs.length;
    checked.tasks++;
  }

  const everyone = [...new Set([...actors.evaluators, ...actors.requesters, ...actors.nodes, ...actors.payouts, actors.refundTarget, actors.admin].map(lc))] as Address[];
  for (const a of everyone) {
    // the whole history paged 2 rows a list equals one page of the default 100 (this scenario's histories are shorter)
    const one = await get<PayoutsPage>(`${base}/payouts/${a}`);
    expect(one.next, `payouts ${a}: one page`).toBeNull();
    const p = await allPayouts(base, a, 2);
    expect(p).toEqual({ ...one, pages: p.pages });
    expect([p.node.outputs.length, p.evaluator.tasks.length, p.requester.refunds.length, p.claims.length]).toEqual([p.node.outputCount, p.evaluator.taskCount, p.requester.refundCount, p.claimCount]);
    checked.pages += p.pages;
    expect(p.address).toBe(a);
    // the contract's balances
    expect(BigInt(p.claimable), `claimableOf(${a})`).toBe(await stack.poq.read.claimableOf([a]));
    expect(BigInt(p.requester.refunded), `refundedOf(${a})`).toBe(await stack.poq.read.refundedOf([a]));
    const nd = await stack.poq.read.getNode([a]);
    expect(BigInt(p.node.earned), `node ${a} lifetime`).toBe(nd.lifetime);
    expect(BigInt(p.node.pending), `node ${a} pending`).toBe(nd.pending);
    // the routes' lists add up to their totals and to the balance
    const sum = (xs: string[]) => xs.reduce((s, x) => s + BigInt(x), 0n);
    expect(sum(p.node.outputs.map((o) => o.pay))).toBe(nd.lifetime);
    expect(sum(p.requester.refunds.map((r) => r.amount))).toBe(BigInt(p.requester.refunded));
    expect(sum(p.evaluator.tasks.map((t) => t.pay))).toBe(BigInt(p.evaluator.earned));
    for (const t of p.evaluator.tasks) {
      expect(BigInt(t.pay)).toBe(BigInt(t.fee) + BigInt(t.slashShare)); // pay: everything the task credited
      expect(t.missed).toBe(!t.revealed);
    }
    expect(sum(p.evaluator.tasks.map((t) => t.slash))).toBe(BigInt(p.evaluator.slashed));
    expect(sum(p.claims.map((c) => c.amount))).toBe(BigInt(p.claimed));
    expect(BigInt(p.evaluator.earned) + BigInt(p.requester.refunded) - BigInt(p.claimed), `credits - claims of ${a}`).toBe(BigInt(p.claimable));
    claimedBy.set(a, BigInt(p.claimed));
    checked.slashes += p.evaluator.tasks.filter((t) => BigInt(t.slash) > 0n).length;
    checked.misses += p.evaluator.tasks.filter((t) => t.missed).length;
    checked.refunds += p.requester.refunds.length;
    checked.accounts++;
  }

  for (const e of actors.evaluators) {
    const ev = await stack.registry.read.getEvaluator([e]);
    const page = await get<{ stake: string; unbonding: string; trust: number; tasksAssigned: number; tasksMissed: number; registered: boolean }>(`${base}/evaluators/${e}`);
    expect(BigInt(page.stake), `stake of ${e}`).toBe(ev.stake);
    expect(BigInt(page.unbonding), `unbonding of ${e}`).toBe(ev.unbonding);
    expect(page.trust, `trust of ${e}`).toBe(ev.trust);
    expect(page.tasksAssigned, `tasksAssigned of ${e}`).toBe(ev.tasksAssigned);
    expect(page.tasksMissed, `tasksMissed of ${e}`).toBe(ev.tasksMissed);
    expect(page.registered).toBe(ev.registered);
    // the trust history chains and ends at the contract's trust
    const h = await allTrust(base, e, 2);
    expect(h).toEqual(await get<Trust>(`${base}/trust/${e}`));
    expect(h.history.length).toBe(h.count);
    expect(h.count, `settled seats of ${e}`).toBe((await get<PayoutsPage>(`${base}/payouts/${e}`)).evaluator.taskCount);
    for (let i = 1; i < h.history.length; i++) {
      expect(h.history[i]!.trustBefore).toBe(h.history[i - 1]!.trustAfter);
      expect(BigInt(h.history[i]!.block) >= BigInt(h.history[i - 1]!.block)).toBe(true);
    }
    if (h.history.length > 0) expect(h.history.at(-1)!.trustAfter).toBe(ev.trust);
  }

  const [escrowed, claimable, treasury, burned] = await stack.poq.read.totals();
  const ov = await get<{ totals: { escrowed: string; claimable: string; treasury: string; burned: string }; tasksSettled: number }>(`${base}/overview`);
  expect(ov.totals).toEqual({ escrowed: String(escrowed), claimable: String(claimable), treasury: String(treasury), burned: String(burned) });

  // Ponder's own SQL-over-HTTP serves the same tables
  expect((await sqlColumn(base, "select count(*) as n from task")).map(Number)).toEqual([Number(taskCount)]);
  return { ...checked, settled: ov.tasksSettled, claimedTotal: [...claimedBy.values()].reduce((s, x) => s + x, 0n) };
}
