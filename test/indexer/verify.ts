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

type Trust = { address: string; history: { taskId: string; block: string; timestamp: string; trustBefore: number; trustAfter: number }[] };

export async function verifyAgainstContracts(w: World, base: string) {
  const { stack, actors } = w;
  const lc = (a: string) => a.toLowerCase();
  const taskCount = await stack.poq.read.taskCount();
  const checked = { tasks: 0, members: 0, outputs: 0, accounts: 0, slashes: 0, refunds: 0, misses: 0 };
  const claimedBy = new Map<string, bigint>();

  for (let id = 1n; id <= taskCount; id++) {
    const t = await get<TaskJson>(`${base}/tasks/${id}`);
    const onchain = await stack.poq.read.getTask([id]);
    expect(t.status, `task ${id} status`).toBe(STATUS[onchain.status]);
    const [nodes] = await stack.poq.read.getOutputs([id]);
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
    }
    checked.outputs += t.outputs.length;
    checked.tasks++;
  }

  const everyone = [...new Set([...actors.evaluators, ...actors.requesters, ...actors.nodes, ...actors.payouts, actors.refundTarget, actors.admin].map(lc))] as Address[];
  for (const a of everyone) {
    const p = await get<Payouts>(`${base}/payouts/${a}`);
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
    const h = await get<Trust>(`${base}/trust/${e}`);
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
