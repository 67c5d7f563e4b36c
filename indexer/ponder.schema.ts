/**
 * The indexer's tables: what a dApp and the explorer read. Amounts are wei (bigint), trust
 * and scores basis points (10000 = 1.0), addresses lowercase hex.
 */
import { index, onchainTable } from "ponder";

/** One task: its spec, status, deadlines and settlement outcome. */
export const task = onchainTable(
  "task",
  (t) => ({
    id: t.bigint().primaryKey(),
    requester: t.hex().notNull(),
    refundTo: t.hex().notNull(),
    profileHash: t.hex().notNull(),
    queryHash: t.hex().notNull(),
    family: t.integer().notNull(),
    rule: t.integer().notNull(),
    k: t.integer().notNull(),
    m: t.integer().notNull(),
    commitWindow: t.integer().notNull(),
    revealWindow: t.integer().notNull(),
    nodeBudget: t.bigint().notNull(),
    evalBudget: t.bigint().notNull(),
    fee: t.bigint().notNull(), // per committee member
    protocolFee: t.bigint().notNull(),
    escrow: t.bigint().notNull(), // nodeBudget + fee * k
    status: t.text().notNull(), // pending | open | finalized | cancelled
    seed: t.hex(),
    commitDeadline: t.bigint(),
    revealDeadline: t.bigint(),
    commits: t.integer().notNull(),
    reveals: t.integer().notNull(),
    hasConsensus: t.boolean(),
    refund: t.bigint(),
    slashed: t.bigint(),
    burned: t.bigint(),
    nodePaid: t.bigint(),
    evaluatorPaid: t.bigint(),
    createdBlock: t.bigint().notNull(),
    createdAt: t.bigint().notNull(),
    settledBlock: t.bigint(),
    settledAt: t.bigint(),
  }),
  (t) => ({ requesterIdx: index().on(t.requester), statusIdx: index().on(t.status) }),
);

/** One output of a task: its node, hash, consensus score and pay. */
export const output = onchainTable(
  "output",
  (t) => ({
    id: t.text().primaryKey(), // `${taskId}:${index}`
    taskId: t.bigint().notNull(),
    index: t.integer().notNull(),
    node: t.hex().notNull(),
    outputHash: t.hex().notNull(),
    consensus: t.integer(),
    pay: t.bigint(),
  }),
  // nodeTaskIdx serves /payouts/:address (a node's outputs in task order, paged by task id)
  (t) => ({ taskIdx: index().on(t.taskId), nodeTaskIdx: index().on(t.node, t.taskId, t.index) }),
);

/** One committee seat: commit, reveal, scores, deviation, trust change, pay and slash. */
export const member = onchainTable(
  "member",
  (t) => ({
    id: t.text().primaryKey(), // `${taskId}:${evaluator}`
    taskId: t.bigint().notNull(),
    evaluator: t.hex().notNull(),
    position: t.integer().notNull(),
    commitment: t.hex(),
    revealed: t.boolean().notNull(),
    scores: t.json().$type<number[]>(),
    settled: t.boolean().notNull(),
    deviation: t.bigint(),
    trustBefore: t.integer(),
    trustAfter: t.integer(),
    pay: t.bigint(),
    slash: t.bigint(),
    slashShare: t.bigint(),
    settledBlock: t.bigint(),
    settledAt: t.bigint(),
    settledLog: t.integer(),
  }),
  // evaluatorTaskIdx serves /payouts/:address (seats in task order), evaluatorSettledIdx
  // /trust/:address (seats in settlement order), both paged
  (t) => ({
    taskIdx: index().on(t.taskId),
    evaluatorTaskIdx: index().on(t.evaluator, t.taskId),
    evaluatorSettledIdx: index().on(t.evaluator, t.settledBlock, t.settledLog),
  }),
);

/** An evaluator: stake (active and unbonding), trust, history counters, earnings. */
export const evaluator = onchainTable("evaluator", (t) => ({
  address: t.hex().primaryKey(),
  registered: t.boolean().notNull(),
  stake: t.bigint().notNull(), // declared active stake (EvaluatorRegistry.getEvaluator.stake)
  unbonding: t.bigint().notNull(),
  cost: t.bigint().notNull(),
  profiles: t.bigint().notNull(),
  trust: t.integer().notNull(),
  tasksAssigned: t.integer().notNull(),
  tasksMissed: t.integer().notNull(),
  earned: t.bigint().notNull(), // fees + slash shares
  slashed: t.bigint().notNull(),
  registeredAt: t.bigint().notNull(),
}));

/** Stake of an evaluator after each change (the evaluator page's chart). */
export const stakePoint = onchainTable(
  "stake_point",
  (t) => ({
    id: t.text().primaryKey(), // `${block}:${logIndex}`
    evaluator: t.hex().notNull(),
    block: t.bigint().notNull(),
    timestamp: t.bigint().notNull(),
    stake: t.bigint().notNull(),
    unbonding: t.bigint().notNull(),
    reason: t.text().notNull(),
  }),
  (t) => ({ evaluatorIdx: index().on(t.evaluator) }),
);

/** An inference node: payout address, model, pay accrued, pending and paid out. */
export const node = onchainTable("node", (t) => ({
  address: t.hex().primaryKey(),
  payout: t.hex().notNull(),
  modelId: t.hex().notNull(),
  lifetime: t.bigint().notNull(),
  pending: t.bigint().notNull(),
  paid: t.bigint().notNull(),
  outputs: t.integer().notNull(),
  consensusSum: t.bigint().notNull(), // over outputs settled with a consensus
  consensusCount: t.integer().notNull(),
  registeredAt: t.bigint().notNull(),
}));

/** Any account the settlement contract owes (claimableOf) or refunded (refundedOf), and a requester's escrow. */
export const account = onchainTable("account", (t) => ({
  address: t.hex().primaryKey(),
  claimable: t.bigint().notNull(),
  refunded: t.bigint().notNull(),
  claimed: t.bigint().notNull(),
  escrow: t.bigint().notNull(), // open and pending tasks' budgets it created
}));

/** A refund credited at a cancellation or a finalization. */
export const refund = onchainTable(
  "refund",
  (t) => ({
    taskId: t.bigint().primaryKey(), // one refund per task at most
    account: t.hex().notNull(),
    amount: t.bigint().notNull(),
    kind: t.text().notNull(), // cancelled | finalized
    block: t.bigint().notNull(),
  }),
  (t) => ({ accountTaskIdx: index().on(t.account, t.taskId) }),
);

/** A pull payment: `claim` (account) or `claimNode` (node, paid to its payout address). */
export const claim = onchainTable(
  "claim",
  (t) => ({
    id: t.text().primaryKey(), // `${block}:${logIndex}`
    kind: t.text().notNull(), // account | node
    account: t.hex().notNull(),
    to: t.hex().notNull(),
    amount: t.bigint().notNull(),
    block: t.bigint().notNull(),
    logIndex: t.integer().notNull(),
    timestamp: t.bigint().notNull(),
  }),
  (t) => ({ accountIdx: index().on(t.account, t.block, t.logIndex) }),
);

/** A scoring profile of the ProfileRegistry. */
export const profile = onchainTable("profile", (t) => ({
  hash: t.hex().primaryKey(),
  profileId: t.integer().notNull(),
  uri: t.text().notNull(),
  retired: t.boolean().notNull(),
  registeredBlock: t.bigint().notNull(),
}));

/** The settlement contract's accounts (ProofOfQuality.totals), one row with id 1. */
export const totals = onchainTable("totals", (t) => ({
  id: t.integer().primaryKey(),
  escrowed: t.bigint().notNull(),
  claimable: t.bigint().notNull(),
  treasury: t.bigint().notNull(),
  burned: t.bigint().notNull(),
}));
