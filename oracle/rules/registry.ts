/**
 * The EvaluatorRegistry's rules as pure functions, in the contract's integer arithmetic:
 * effective (delayed) stake / cost / profiles, voting weights, the trust-rise cap per period,
 * slashing from stake then unbonding, and ProofOfQuality's split of the stake actually
 * slashed among a task's honest revealers. `finalizeTask` composes them with `settleTask` into
 * exactly what `ProofOfQuality.finalize` does.
 *
 * Functions never mutate their inputs: they return updated copies.
 */
import { type Rule, type SettlementParams, type StakingParams } from "./constants.js";
import { settleTask, type SettleResult } from "./settle.js";

/** Precision of the stake factor of voting weights (`WEIGHT_SHIFT` on chain). */
export const WEIGHT_SHIFT = 24n;

/** The fields of `EvaluatorRegistry.Evaluator` the rules read and write. Times are unix seconds. */
export interface RegistryEvaluator {
  /** Declared active stake. */
  stake: bigint;
  /** Stake sampling counts until `pendingAt` (effective). */
  effStake: bigint;
  /** Trust, bps. */
  trust: number;
  /** When the declared stake / cost / profiles become effective (0: no pending change). */
  pendingAt: number;
  cost: bigint;
  effCost: bigint;
  /** Declared serve mask (ProfileRegistry ids as bits). */
  profiles: number;
  effProfiles: number;
  /** Requested for withdrawal, still slashable. */
  unbonding: bigint;
  /** Trust when the period `period` began: what sampling weighs during that period. */
  periodTrust: number;
  /** Trust gained (bps) in the period `period`. */
  periodGain: number;
  /** The trust period of the last trust change, floor(now / trustPeriod) mod 2^16. */
  period: number;
  tasksAssigned: number;
  tasksMissed: number;
  /** When `unbonding` becomes withdrawable. */
  unbondAt: number;
  /** End (reveal deadline + FINALIZE_GRACE) of the last committee it sits on. */
  lockedUntil: number;
  /** The unbonding part stays (cannot be withdrawn) until then: the end of the last committee it counted for. */
  unbondLock: number;
  /** When the last slash reaches the effective stake (0: none pending). */
  slashAt: number;
}

/** A new registration at `now` (what `register` writes): nothing effective until the activation delay. */
export function registerEvaluator(
  p: Pick<StakingParams, "activationDelay" | "initialTrust">,
  stake: bigint,
  cost: bigint,
  profiles: number,
  now: number,
  /** Trust an address that registered before keeps (default: a new identity, `initialTrust`). */
  knownTrust?: number,
): RegistryEvaluator {
  return {
    stake,
    effStake: 0n,
    trust: knownTrust ?? p.initialTrust,
    periodTrust: knownTrust ?? p.initialTrust,
    pendingAt: pendAt(now, p.activationDelay),
    cost,
    effCost: 0n,
    profiles,
    effProfiles: 0,
    unbonding: 0n,
    periodGain: 0,
    period: 0,
    tasksAssigned: 0,
    tasksMissed: 0,
    unbondAt: 0,
    lockedUntil: 0,
    unbondLock: 0,
    slashAt: 0,
  };
}

/** `addStake`: materialize, add to the declared stake, re-pend. */
export function addStake(e: RegistryEvaluator, amount: bigint, now: number, p: Pick<StakingParams, "activationDelay">): RegistryEvaluator {
  const out = materialize(e, now);
  out.stake += amount;
  out.pendingAt = pendAt(now, p.activationDelay);
  return out;
}

/** `setCost`: materialize, declare the new cost, re-pend. */
export function setCost(e: RegistryEvaluator, cost: bigint, now: number, p: Pick<StakingParams, "activationDelay">): RegistryEvaluator {
  const out = materialize(e, now);
  out.cost = cost;
  out.pendingAt = pendAt(now, p.activationDelay);
  return out;
}

/** `setProfiles`: materialize, declare the new serve mask, re-pend. */
export function setProfiles(e: RegistryEvaluator, mask: number, now: number, p: Pick<StakingParams, "activationDelay">): RegistryEvaluator {
  const out = materialize(e, now);
  out.profiles = mask;
  out.pendingAt = pendAt(now, p.activationDelay);
  return out;
}

/**
 * `requestUnbond`: moves `amount` of declared stake to unbonding (the remaining stake must be 0
 * or >= minStake, else the contract reverts; checked here too), re-pends, restarts the timer.
 */
export function requestUnbond(
  e: RegistryEvaluator,
  amount: bigint,
  now: number,
  p: Pick<StakingParams, "activationDelay" | "unbondingDelay" | "minStake">,
): RegistryEvaluator {
  if (amount === 0n || amount > e.stake) throw new RangeError(`requestUnbond: amount ${amount} not in (0, ${e.stake}]`);
  const remaining = e.stake - amount;
  if (remaining !== 0n && remaining < p.minStake) throw new RangeError(`requestUnbond: remaining ${remaining} below minStake`);
  const out = materialize(e, now);
  out.stake = remaining;
  out.unbonding += amount;
  if (out.lockedUntil > out.unbondLock) out.unbondLock = out.lockedUntil;
  out.pendingAt = pendAt(now, p.activationDelay);
  out.unbondAt = now + p.unbondingDelay;
  return out;
}

/**
 * Whether `withdraw` succeeds at `now`: something unbonding, its delay elapsed, no committee holds
 * it, no change pending (the unbonding stake must have left the effective stake first) and no
 * slash maturing (a withdrawal would bring the lower stake into sampling at a chosen moment).
 */
export function canWithdraw(e: RegistryEvaluator, now: number): boolean {
  return e.unbonding !== 0n && now >= e.unbondAt && now > e.unbondLock && !(e.pendingAt > now) && !(e.slashAt > now);
}

/**
 * `withdraw` (when `canWithdraw`): materialize, pay out the unbonding, cap the effective stake at
 * what is left. `exits` says whether the evaluator leaves the list (no stake left).
 */
export function withdrawUnbonded(e: RegistryEvaluator, now: number): { evaluator: RegistryEvaluator; amount: bigint; exits: boolean } {
  if (!canWithdraw(e, now)) throw new RangeError("withdraw: nothing withdrawable now");
  const out = materialize(e, now);
  const amount = out.unbonding;
  out.unbonding = 0n;
  if (out.effStake > out.stake) out.effStake = out.stake;
  const exits = out.stake === 0n;
  if (exits) {
    out.effStake = 0n;
    out.effCost = 0n;
    out.effProfiles = 0;
    out.pendingAt = 0;
  }
  return { evaluator: out, amount, exits };
}

/**
 * `drawCommittee`'s side effect on a member drawn at `now`: lock until `lockUntil` (if later);
 * an unbonding part that still counted for the draw stays until then too; count the assignment.
 */
export function lockMember(e: RegistryEvaluator, lockUntil: number, now: number): RegistryEvaluator {
  const out = { ...e, tasksAssigned: e.tasksAssigned + 1 };
  const eff = effectiveOf(e, now).stake;
  if (lockUntil > out.lockedUntil) out.lockedUntil = lockUntil;
  if (out.unbonding !== 0n && eff > out.stake && lockUntil > out.unbondLock) out.unbondLock = lockUntil;
  return out;
}

/** `_pendNow`: now + activationDelay (a uint32 on chain: unix times until 2106). */
export function pendAt(now: number, activationDelay: number): number {
  return (now + activationDelay) % 2 ** 32;
}

/** Number of the trust period `now` falls in, as the registry stores it: floor(now / trustPeriod) mod 2^16. */
export function trustPeriodOf(now: number, trustPeriod: number): number {
  return Math.floor(now / trustPeriod) % 65_536;
}

/**
 * `_effective`: the declared values once `pendingAt != 0 && pendingAt <= now`, else the effective
 * ones; once the last slash matured (`slashAt != 0 && slashAt <= now`), the stake is capped at
 * what is left at risk (stake + unbonding).
 */
export function effectiveOf(e: RegistryEvaluator, now: number): { stake: bigint; cost: bigint; profiles: number } {
  const out =
    e.pendingAt !== 0 && e.pendingAt <= now
      ? { stake: e.stake, cost: e.cost, profiles: e.profiles }
      : { stake: e.effStake, cost: e.effCost, profiles: e.effProfiles };
  if (e.slashAt !== 0 && e.slashAt <= now) {
    const left = e.stake + e.unbonding;
    if (out.stake > left) out.stake = left;
  }
  return out;
}

/** `_materialize`: writes the effective values when a pending change or slash is due (a copy). */
export function materialize(e: RegistryEvaluator, now: number): RegistryEvaluator {
  const out = { ...e };
  if (out.pendingAt !== 0 && out.pendingAt <= now) {
    out.effStake = out.stake;
    out.effCost = out.cost;
    out.effProfiles = out.profiles;
    out.pendingAt = 0;
  }
  if (out.slashAt !== 0 && out.slashAt <= now) {
    const left = out.stake + out.unbonding;
    if (out.effStake > left) out.effStake = left;
    out.slashAt = 0;
  }
  return out;
}

/** Sampling weight: trust x min(effStake, stakeCap). */
export function samplingWeight(trust: number, effStake: bigint, stakeCap: bigint): bigint {
  return BigInt(trust) * (effStake < stakeCap ? effStake : stakeCap);
}

/** Voting weight of the trust-weighted rules: trust x max(1, (min(effStake, cap) << 24) / cap). */
export function votingWeight(trust: number, effStake: bigint, stakeCap: bigint): bigint {
  const s = effStake < stakeCap ? effStake : stakeCap;
  const f = (s << WEIGHT_SHIFT) / stakeCap;
  return BigInt(trust) * (f === 0n ? 1n : f);
}

/** `memberStates`: trust and slashable stake min(stake + unbonding, stakeCap). */
export function memberState(e: RegistryEvaluator, stakeCap: bigint): { trust: number; slashable: bigint } {
  const s = e.stake + e.unbonding;
  return { trust: e.trust, slashable: s < stakeCap ? s : stakeCap };
}

/** Every profile bit (ProfileRegistry ids 0..15): `activeMask` for callers that model no retired profile. */
export const ALL_PROFILES = 0xffff;

/**
 * `_candidates`, one pass over the list in list order (holes, null, skipped; `exclude`, the
 * requester, skipped too). Nothing at all when the task's profile is no longer active (retired
 * after the task was created: nobody is drawn for it, the task is cancelled). An evaluator is
 * *drawable* when its effective stake is at least minStake and its effective serve mask meets
 * the active profiles (`activeMask`): its sampling weight samplingTrust x min(effStake, stakeCap) (the
 * trust the current trust period began with: finalizing other tasks just before a draw cannot
 * move the draw) counts in the network weight, whatever its profile or cost. The drawable
 * evaluators that serve `profileBit` at an effective cost <= fee are the candidates.
 *
 * @param list evaluators in the registry's list order (null: a hole left by an exit)
 * @param exclude list position to leave out (the requester), or -1
 * @param activeMask the ProfileRegistry's `activeMask` at the draw (default: every profile active)
 * @returns positions in `list` and the weights, aligned, and the network weight
 */
export function candidates(
  list: ReadonlyArray<RegistryEvaluator | null>,
  profileBit: number,
  fee: bigint,
  exclude: number,
  now: number,
  p: Pick<StakingParams, "minStake" | "stakeCap" | "trustPeriod">,
  activeMask: number = ALL_PROFILES,
): { index: number[]; weights: bigint[]; networkWeight: bigint } {
  const index: number[] = [];
  const weights: bigint[] = [];
  const drawable = activeMask;
  let networkWeight = 0n;
  if ((activeMask & profileBit) === 0) return { index, weights, networkWeight };
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (e === null || e === undefined || i === exclude) continue;
    const eff = effectiveOf(e, now);
    if ((eff.profiles & drawable) === 0 || eff.stake < p.minStake) continue;
    const w = BigInt(samplingTrust(e, now, p.trustPeriod)) * (eff.stake < p.stakeCap ? eff.stake : p.stakeCap);
    networkWeight += w;
    if ((eff.profiles & profileBit) === 0 || eff.cost > fee) continue;
    index.push(i);
    weights.push(w);
  }
  return { index, weights, networkWeight };
}

/**
 * `_moveTrust`: sets trust to `target`. The first change in a trust period (periods are numbered
 * floor(now / trustPeriod) mod 2^16) records the trust the period began with (`periodTrust`,
 * what sampling weighs until the period ends) and resets the period's gain; a RISE is capped by
 * what is left of the period's allowance `trustGainPerPeriod`. Falls are not capped; no change
 * leaves the record untouched.
 */
export function moveTrust(
  e: RegistryEvaluator,
  target: number,
  now: number,
  p: Pick<StakingParams, "trustGainPerPeriod" | "trustPeriod">,
): RegistryEvaluator {
  const old = e.trust;
  const out = { ...e };
  if (target === old) return out;
  let t = target;
  const period = trustPeriodOf(now, p.trustPeriod);
  if (out.period !== period) {
    out.period = period;
    out.periodTrust = old;
    out.periodGain = 0;
  }
  if (t > old) {
    const used = out.periodGain;
    const room = used < p.trustGainPerPeriod ? p.trustGainPerPeriod - used : 0;
    if (t - old > room) t = old + room;
    out.periodGain = used + (t - old);
  }
  out.trust = t;
  return out;
}

/** `_samplingTrust`: the trust sampling weighs at `now`: the period's starting trust if trust changed in this period, else the trust. */
export function samplingTrust(e: RegistryEvaluator, now: number, trustPeriod: number): number {
  return e.period === trustPeriodOf(now, trustPeriod) ? e.periodTrust : e.trust;
}

/**
 * `_slash`: materialize; while a slash is still maturing (`slashAt != 0`) take nothing (at most
 * one slash per activationDelay: a burst of misses costs one slashBps); else set
 * `slashAt = now + activationDelay` (the lower stake reaches sampling then, not when someone
 * chooses to finalize, and the evaluator's own changes cannot postpone it) and take up to
 * `amount` from the declared stake, then from unbonding.
 */
export function slashEvaluator(
  e: RegistryEvaluator,
  amount: bigint,
  now: number,
  p: Pick<StakingParams, "activationDelay">,
): { evaluator: RegistryEvaluator; taken: bigint } {
  const out = materialize(e, now);
  if (out.slashAt !== 0) return { evaluator: out, taken: 0n };
  out.slashAt = pendAt(now, p.activationDelay);
  const fromStake = amount <= out.stake ? amount : out.stake;
  out.stake -= fromStake;
  const rest = amount - fromStake;
  const fromUnbonding = rest <= out.unbonding ? rest : out.unbonding;
  out.unbonding -= fromUnbonding;
  return { evaluator: out, taken: fromStake + fromUnbonding };
}

/** Result of `applySettlement` (`settleMembers`). */
export interface RegistrySettlement {
  /** The members' records afterwards (same order). */
  evaluators: RegistryEvaluator[];
  /** Trust actually set (the settlement's target, a rise capped per period). */
  trustSet: number[];
  /** Stake actually taken per member. */
  slashed: bigint[];
  /** Sum of `slashed`: what the registry sends to ProofOfQuality. */
  total: bigint;
}

/**
 * `EvaluatorRegistry.settleMembers`: for each member in committee order, moves trust
 * (`moveTrust`), counts a miss for non-revealers, and slashes `slash[i]` (`slashEvaluator`).
 */
export function applySettlement(
  members: readonly RegistryEvaluator[],
  revealed: readonly boolean[],
  newTrust: readonly number[],
  slash: readonly bigint[],
  now: number,
  p: Pick<StakingParams, "trustGainPerPeriod" | "trustPeriod" | "activationDelay">,
): RegistrySettlement {
  const evaluators: RegistryEvaluator[] = [];
  const trustSet: number[] = [];
  const slashed: bigint[] = [];
  let total = 0n;
  members.forEach((m, i) => {
    let e = moveTrust(m, newTrust[i]!, now, p);
    trustSet.push(e.trust);
    if (!revealed[i]) e.tasksMissed += 1;
    let taken = 0n;
    if (slash[i]! !== 0n) ({ evaluator: e, taken } = slashEvaluator(e, slash[i]!, now, p));
    slashed.push(taken);
    total += taken;
    evaluators.push(e);
  });
  return { evaluators, trustSet, slashed, total };
}

/**
 * ProofOfQuality's `_payMembers` split of the stake actually slashed in a task: equal shares
 * (floor) to the honest revealers, the remainder of the division to the first honest one in
 * committee order; burned when there is no honest revealer.
 */
export function splitSlash(honest: readonly boolean[], total: bigint): { shares: bigint[]; burned: bigint } {
  const count = BigInt(honest.filter(Boolean).length);
  const shares = honest.map(() => 0n);
  if (total === 0n) return { shares, burned: 0n };
  if (count === 0n) return { shares, burned: total };
  const share = total / count;
  let extra = total - share * count;
  honest.forEach((h, i) => {
    if (!h) return;
    shares[i] = share + extra;
    extra = 0n;
  });
  return { shares, burned: 0n };
}

/** The protocol fee of a task (`protocolFeeFor`): taskFee + protocolFeeBps of both budgets. */
export function protocolFeeFor(p: { taskFee: bigint; protocolFeeBps: number }, nodeBudget: bigint, evalBudget: bigint): bigint {
  return p.taskFee + ((nodeBudget + evalBudget) * BigInt(p.protocolFeeBps)) / 10_000n;
}

/** Everything `finalizeTask` needs: the task and its committee's registry records at finalisation. */
export interface FinalizeInput {
  rule: Rule;
  /** The settlement parameters snapshotted in the task. */
  params: SettlementParams;
  staking: Pick<StakingParams, "stakeCap" | "trustGainPerPeriod" | "trustPeriod" | "activationDelay">;
  /** Committee records in draw order (at finalisation). */
  members: readonly RegistryEvaluator[];
  /** Each member's voting weight, fixed at the draw (`drawCommittee`'s weights). */
  weights: readonly bigint[];
  revealed: readonly boolean[];
  /** Revealed an abstention (an empty score list); absent: nobody abstained. */
  abstained?: readonly boolean[];
  /** Revealed scores (bps per output; ignored for non-revealers and abstainers). */
  scores: ReadonlyArray<readonly number[] | null | undefined>;
  m: number;
  nodeBudget: bigint;
  fee: bigint;
  /** Block timestamp of the finalize transaction. */
  now: number;
}

/** What `finalizeTask` returns: the settlement, the registry step and every credit. */
export interface FinalizeResult {
  settlement: SettleResult;
  registry: RegistrySettlement;
  /** Share of the slashed stake credited to each member. */
  slashShare: bigint[];
  /** Total credited to each member (fee + slash share), i.e. its `earnedOf` / `claimableOf` increase. */
  credit: bigint[];
  /** Burned: slashed stake with no honest revealer, plus fees forfeited by abstainers in a void somebody scored. */
  burned: bigint;
}

/** `ProofOfQuality.finalize` on the mirror: memberStates (+ the draw's weights) -> Settlement.settle -> settleMembers -> _payMembers. */
export function finalizeTask(x: FinalizeInput): FinalizeResult {
  const settlement = settleTask({
    rule: x.rule,
    params: x.params,
    members: x.members.map((e, i) => {
      const st = memberState(e, x.staking.stakeCap);
      return {
        trust: st.trust,
        weight: x.weights[i]!,
        stake: x.revealed[i] ? 0n : st.slashable,
        revealed: x.revealed[i]!,
        abstained: x.revealed[i]! && (x.abstained?.[i] ?? false),
        scores: x.revealed[i] && !x.abstained?.[i] ? (x.scores[i] ?? undefined) : undefined,
      };
    }),
    m: x.m,
    nodeBudget: x.nodeBudget,
    fee: x.fee,
  });
  const registry = applySettlement(x.members, x.revealed, settlement.newTrust, settlement.slashed, x.now, x.staking);
  const { shares, burned } = splitSlash(settlement.honest, registry.total);
  const credit = settlement.evaluatorPay.map((p, i) => p + shares[i]!);
  return { settlement, registry, slashShare: shares, credit, burned: burned + settlement.forfeited };
}
