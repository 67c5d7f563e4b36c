/** Handlers of ProofOfQuality events: tasks, committees, settlement, payouts, nodes. */
import { ponder, type Context } from "ponder:registry";
import { account, claim, evaluator, member, node, output, refund, task } from "ponder:schema";
import { credit, lower, moveTotals, touchAccount } from "./ledger.js";

const memberId = (taskId: bigint, ev: string) => `${taskId}:${lower(ev)}`;

ponder.on("ProofOfQuality:NodeRegistered", async ({ event, context }) => {
  const a = event.args;
  await context.db.insert(node).values({
    address: lower(a.node),
    payout: lower(a.payout),
    modelId: a.modelId,
    lifetime: 0n,
    pending: 0n,
    paid: 0n,
    outputs: 0,
    consensusSum: 0n,
    consensusCount: 0,
    registeredAt: event.block.timestamp,
  });
});

ponder.on("ProofOfQuality:NodeUpdated", async ({ event, context }) => {
  await context.db.update(node, { address: lower(event.args.node) }).set({ payout: lower(event.args.payout), modelId: event.args.modelId });
});

ponder.on("ProofOfQuality:TaskCreated", async ({ event, context }) => {
  const { taskId, requester, spec, fee, protocolFee } = event.args;
  const escrow = spec.nodeBudget + fee * BigInt(spec.k);
  const zero = "0x0000000000000000000000000000000000000000";
  await context.db.insert(task).values({
    id: taskId,
    requester: lower(requester),
    refundTo: lower(spec.refundTo === zero ? requester : spec.refundTo),
    profileHash: spec.profileHash,
    queryHash: spec.queryHash,
    family: spec.family,
    rule: spec.rule,
    k: spec.k,
    m: spec.nodes.length,
    commitWindow: spec.commitWindow,
    revealWindow: spec.revealWindow,
    nodeBudget: spec.nodeBudget,
    evalBudget: spec.evalBudget,
    fee,
    protocolFee,
    escrow,
    status: "pending",
    commits: 0,
    reveals: 0,
    createdBlock: event.block.number,
    createdAt: event.block.timestamp,
  });
  await context.db.insert(output).values(
    spec.nodes.map((n, j) => ({ id: `${taskId}:${j}`, taskId, index: j, node: lower(n), outputHash: spec.outputHashes[j]! })),
  );
  await touchAccount(context.db, requester);
  await context.db.update(account, { address: lower(requester) }).set((r) => ({ escrow: r.escrow + escrow }));
  await moveTotals(context.db, { escrowed: escrow, treasury: protocolFee });
});

ponder.on("ProofOfQuality:CommitteeSampled", async ({ event, context }) => {
  const { taskId, seed, members, commitDeadline, revealDeadline } = event.args;
  await context.db.update(task, { id: taskId }).set({ status: "open", seed, commitDeadline, revealDeadline });
  await context.db.insert(member).values(
    members.map((ev, i) => ({ id: memberId(taskId, ev), taskId, evaluator: lower(ev), position: i, revealed: false, settled: false })),
  );
  for (const ev of members) await context.db.update(evaluator, { address: lower(ev) }).set((r) => ({ tasksAssigned: r.tasksAssigned + 1 }));
});

/** Releases a task's escrow from its requester's and the contract's accounts. */
async function release(db: Context["db"], taskId: bigint) {
  const t = await db.find(task, { id: taskId });
  if (!t) throw new Error(`indexer: settlement of unknown task ${taskId}`);
  await db.update(account, { address: t.requester }).set((r) => ({ escrow: r.escrow - t.escrow }));
  await moveTotals(db, { escrowed: -t.escrow });
  return t;
}

ponder.on("ProofOfQuality:TaskCancelled", async ({ event, context }) => {
  const { taskId, refund: amount } = event.args;
  const t = await release(context.db, taskId);
  await context.db.update(task, { id: taskId }).set({ status: "cancelled", refund: amount, settledBlock: event.block.number, settledAt: event.block.timestamp });
  await context.db.insert(refund).values({ taskId, account: t.refundTo, amount, kind: "cancelled", block: event.block.number });
  await credit(context.db, t.refundTo, amount, true);
});

ponder.on("ProofOfQuality:Committed", async ({ event, context }) => {
  const { taskId, evaluator: ev, commitment } = event.args;
  await context.db.update(member, { id: memberId(taskId, ev) }).set({ commitment });
  await context.db.update(task, { id: taskId }).set((r) => ({ commits: r.commits + 1 }));
});

ponder.on("ProofOfQuality:Revealed", async ({ event, context }) => {
  const { taskId, evaluator: ev, packedScores } = event.args;
  const t = await context.db.find(task, { id: taskId });
  const scores = Array.from({ length: t!.m }, (_, j) => Number((packedScores >> BigInt(16 * j)) & 0xffffn));
  await context.db.update(member, { id: memberId(taskId, ev) }).set({ revealed: true, scores });
  await context.db.update(task, { id: taskId }).set((r) => ({ reveals: r.reveals + 1 }));
});

// An abstention: revealed in time, with no scores (the member could not score the task).
ponder.on("ProofOfQuality:Abstained", async ({ event, context }) => {
  const { taskId, evaluator: ev } = event.args;
  await context.db.update(member, { id: memberId(taskId, ev) }).set({ revealed: true, scores: [] });
  await context.db.update(task, { id: taskId }).set((r) => ({ reveals: r.reveals + 1 }));
});

ponder.on("ProofOfQuality:EvaluatorSettled", async ({ event, context }) => {
  const { taskId, evaluator: ev, revealed, deviation, newTrust, pay, slashed, slashShare } = event.args;
  const e = await context.db.find(evaluator, { address: lower(ev) });
  if (!e) throw new Error(`indexer: settled unknown evaluator ${ev}`);
  const trustAfter = Number(newTrust);
  await context.db.update(member, { id: memberId(taskId, ev) }).set({
    settled: true,
    revealed,
    deviation,
    trustBefore: e.trust,
    trustAfter,
    pay,
    slash: slashed,
    slashShare,
    settledBlock: event.block.number,
    settledAt: event.block.timestamp,
    settledLog: event.log.logIndex,
  });
  await context.db.update(evaluator, { address: lower(ev) }).set((r) => ({
    trust: trustAfter,
    tasksMissed: revealed ? r.tasksMissed : r.tasksMissed + 1,
    earned: r.earned + pay + slashShare,
    slashed: r.slashed + slashed,
  }));
  await context.db.update(task, { id: taskId }).set((r) => ({ evaluatorPaid: (r.evaluatorPaid ?? 0n) + pay + slashShare }));
  await credit(context.db, ev, pay + slashShare, false);
});

ponder.on("ProofOfQuality:OutputSettled", async ({ event, context }) => {
  const { taskId, output: j, node: n, consensus, pay } = event.args;
  await context.db.update(output, { id: `${taskId}:${j}` }).set({ consensus: Number(consensus), pay });
  await context.db.update(node, { address: lower(n) }).set((r) => ({
    lifetime: r.lifetime + pay,
    pending: r.pending + pay,
    outputs: r.outputs + 1,
    consensusSum: r.consensusSum + consensus,
    consensusCount: r.consensusCount + 1,
  }));
  await context.db.update(task, { id: taskId }).set((r) => ({ nodePaid: (r.nodePaid ?? 0n) + pay }));
  await moveTotals(context.db, { claimable: pay });
});

ponder.on("ProofOfQuality:TaskFinalized", async ({ event, context }) => {
  const { taskId, hasConsensus, refund: amount, slashed, burned } = event.args;
  const t = await release(context.db, taskId);
  await context.db.update(task, { id: taskId }).set({
    status: "finalized",
    hasConsensus,
    refund: amount,
    slashed,
    burned,
    settledBlock: event.block.number,
    settledAt: event.block.timestamp,
  });
  if (amount !== 0n) {
    await context.db.insert(refund).values({ taskId, account: t.refundTo, amount, kind: "finalized", block: event.block.number });
    await credit(context.db, t.refundTo, amount, true);
  }
  await moveTotals(context.db, { burned });
});

ponder.on("ProofOfQuality:Claimed", async ({ event, context }) => {
  const { account: who, to, amount } = event.args;
  await context.db.insert(claim).values({
    id: `${event.block.number}:${event.log.logIndex}`,
    kind: "account",
    account: lower(who),
    to: lower(to),
    amount,
    block: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
  });
  await context.db.update(account, { address: lower(who) }).set((r) => ({ claimable: r.claimable - amount, claimed: r.claimed + amount }));
  await moveTotals(context.db, { claimable: -amount });
});

ponder.on("ProofOfQuality:NodePaid", async ({ event, context }) => {
  const { node: n, payout, amount } = event.args;
  await context.db.insert(claim).values({
    id: `${event.block.number}:${event.log.logIndex}`,
    kind: "node",
    account: lower(n),
    to: lower(payout),
    amount,
    block: event.block.number,
    logIndex: event.log.logIndex,
    timestamp: event.block.timestamp,
  });
  await context.db.update(node, { address: lower(n) }).set((r) => ({ pending: r.pending - amount, paid: r.paid + amount }));
  await moveTotals(context.db, { claimable: -amount });
});

ponder.on("ProofOfQuality:TreasuryWithdrawn", async ({ event, context }) => {
  await moveTotals(context.db, { treasury: -event.args.amount });
});
