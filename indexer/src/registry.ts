/** Handlers of EvaluatorRegistry and ProfileRegistry events: stake, trust at registration, profiles. */
import { ponder, type Context } from "ponder:registry";
import { evaluator, profile, stakePoint } from "ponder:schema";
import { lower } from "./ledger.js";

type Ev = { block: { number: bigint; timestamp: bigint }; log: { logIndex: number } };

/** Applies `change` to an evaluator's stake and records the point for its chart. */
async function moveStake(db: Context["db"], event: Ev, address: string, reason: string, change: (r: { stake: bigint; unbonding: bigint }) => { stake: bigint; unbonding: bigint }) {
  const row = await db.update(evaluator, { address: lower(address) }).set((r) => change(r));
  await db.insert(stakePoint).values({
    id: `${event.block.number}:${event.log.logIndex}`,
    evaluator: lower(address),
    block: event.block.number,
    timestamp: event.block.timestamp,
    stake: row.stake,
    unbonding: row.unbonding,
    reason,
  });
}

ponder.on("EvaluatorRegistry:EvaluatorRegistered", async ({ event, context }) => {
  const { evaluator: ev, stake, cost, profiles, trust } = event.args;
  await context.db
    .insert(evaluator)
    .values({
      address: lower(ev),
      registered: true,
      stake: 0n,
      unbonding: 0n,
      cost,
      profiles,
      trust: Number(trust),
      tasksAssigned: 0,
      tasksMissed: 0,
      earned: 0n,
      slashed: 0n,
      registeredAt: event.block.timestamp,
    })
    .onConflictDoUpdate({ registered: true, cost, profiles, trust: Number(trust) });
  await moveStake(context.db, event, ev, "register", (r) => ({ stake: stake, unbonding: r.unbonding }));
});

ponder.on("EvaluatorRegistry:StakeAdded", async ({ event, context }) => {
  await moveStake(context.db, event, event.args.evaluator, "add", (r) => ({ stake: event.args.newStake, unbonding: r.unbonding }));
});

ponder.on("EvaluatorRegistry:UnbondRequested", async ({ event, context }) => {
  // `unbonding` is the new unbonding total; what left the active stake is the difference
  await moveStake(context.db, event, event.args.evaluator, "unbond", (r) => ({
    stake: r.stake - (event.args.unbonding - r.unbonding),
    unbonding: event.args.unbonding,
  }));
});

ponder.on("EvaluatorRegistry:StakeWithdrawn", async ({ event, context }) => {
  await moveStake(context.db, event, event.args.evaluator, "withdraw", (r) => ({ stake: r.stake, unbonding: 0n }));
});

ponder.on("EvaluatorRegistry:Slashed", async ({ event, context }) => {
  // the registry takes from the active stake first, then from unbonding
  await moveStake(context.db, event, event.args.evaluator, "slash", (r) => {
    const fromStake = event.args.amount <= r.stake ? event.args.amount : r.stake;
    return { stake: r.stake - fromStake, unbonding: r.unbonding - (event.args.amount - fromStake) };
  });
});

ponder.on("EvaluatorRegistry:CostUpdated", async ({ event, context }) => {
  await context.db.update(evaluator, { address: lower(event.args.evaluator) }).set({ cost: event.args.cost });
});

ponder.on("EvaluatorRegistry:ProfilesUpdated", async ({ event, context }) => {
  await context.db.update(evaluator, { address: lower(event.args.evaluator) }).set({ profiles: event.args.profiles });
});

ponder.on("EvaluatorRegistry:EvaluatorExited", async ({ event, context }) => {
  await context.db.update(evaluator, { address: lower(event.args.evaluator) }).set({ registered: false });
});

ponder.on("ProfileRegistry:ProfileRegistered", async ({ event, context }) => {
  const { profileHash, id, uri } = event.args;
  await context.db
    .insert(profile)
    .values({ hash: profileHash, profileId: id, uri, retired: false, registeredBlock: event.block.number })
    .onConflictDoUpdate({ profileId: id, uri, retired: false });
});

ponder.on("ProfileRegistry:ProfileRetired", async ({ event, context }) => {
  await context.db.update(profile, { hash: event.args.profileHash }).set({ retired: true });
});
