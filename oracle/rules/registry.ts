/**
 * The EvaluatorRegistry's rules as pure functions, in the contract's integer arithmetic:
 * every evaluator's activation-keyed history of declared states (each write takes effect on its
 * own key, now + activationDelay: nothing postpones anything), the price grid and buckets, the
 * trust bound of the draw tree's leaves, the draw's inputs as of a task's creation (eligible
 * and network stake, per-slot leaves and acceptance weights), voting weights, the trust-rise cap
 * per period, slashing from stake then unbonding (one slash maturing at a time), and ProofOfQuality's split of the stake actually
 * slashed among a task's honest revealers. `finalizeTask` composes them with `settleTask` into
 * exactly what `ProofOfQuality.finalize` does.
 *
 * Functions never mutate their inputs: they return updated copies.
 */
import { type Rule, type SettlementParams, type StakingParams } from "./constants.js";
import { settleTask, type SettleResult } from "./settle.js";

/** Precision of the stake factor of voting weights (`WEIGHT_SHIFT` on chain). */
export const WEIGHT_SHIFT = 24n;

/** Price buckets of the registry's price tree (`PRICE_BUCKETS`). */
export const PRICE_BUCKETS = 4_096;

/** Staking parameters a registry write reads (key, part, trust bound). */
export type WriteParams = Pick<StakingParams, "activationDelay" | "minStake" | "stakeCap" | "trustPeriod">;

/**
 * One entry of an evaluator's activation history (`EvaluatorRegistry._state`): the declared
 * state written at some time, in force for sampling from `key` on (until the next entry's key).
 */
export interface StateEntry {
  /** Activation key: max(write time + activationDelay, the previous key). */
  key: number;
  /** Declared stake (0 once unregistered). */
  stake: bigint;
  /** min(stake, stakeCap) when stake >= minStake (the params at the write), else 0. */
  part: bigint;
  /** Price bucket of the declared cost (`bucketOf`). */
  bucket: number;
  /** Declared serve mask (0 once unregistered). */
  mask: number;
  /** log2 of the trust bound: the draw tree's leaf is part << tb. */
  tb: number;
  /** Drawable: part != 0 at the write (a restake after a slash also needs stake >= minStake then). */
  live: boolean;
  /** Registered at the write (false for an exit's entry): with `slot`, who owns the slot (`_owner`). */
  listed: boolean;
  /**
   * The registry slot (list position) the evaluator held when the entry was written: its
   * contribution to the draw tree sits in that slot's leaf. The chain keeps this implicitly
   * (`listIndex` at the write); the mirror needs it to replay draws over slots that changed hands.
   */
  slot: number;
}

/** The state of an evaluator before its first write (`_unpack(0)`). */
export const EMPTY_STATE: Readonly<Omit<StateEntry, "key" | "slot">> = Object.freeze({ stake: 0n, part: 0n, bucket: 0, mask: 0, tb: 0, live: false, listed: false });

/**
 * The fields of `EvaluatorRegistry.Evaluator` the rules read and write (declared values; the
 * effective ones are the activation `history`: see `stateAt` and `evaluatorView`). Times are
 * unix seconds.
 */
export interface RegistryEvaluator {
  /** Declared active stake. */
  stake: bigint;
  /** Trust, bps. */
  trust: number;
  /** Declared cost per evaluation (on the price grid: `gridCost`). */
  cost: bigint;
  /** Declared serve mask (ProfileRegistry ids as bits). */
  profiles: number;
  /** Requested for withdrawal, still slashable. */
  unbonding: bigint;
  /** Trust when the period `period` began: what sampling weighs during that period. */
  periodTrust: number;
  /** Trust gained (bps) in the period `period`. */
  periodGain: number;
  /** The trust period of the last trust change, floor(now / trustPeriod) (the view gives it mod 2^16). */
  period: number;
  tasksAssigned: number;
  tasksMissed: number;
  /** When `unbonding` becomes withdrawable. */
  unbondAt: number;
  /** End (reveal deadline + FINALIZE_GRACE) of the last committee it sits on. */
  lockedUntil: number;
  /** The unbonding part stays (cannot be withdrawn) until then: the end of the last committee it counted for. */
  unbondLock: number;
  /** When the last slash takes effect (at most one slash maturing at a time: none while slashAt > now). */
  slashAt: number;
  /** Activation key of the current registration: the slot is its own (drawable) from then on. */
  since: number;
  /** Registered now (an exit keeps the record: trust is remembered). */
  registered: boolean;
  /** Registry slot (list position) while registered, else -1 (`listIndex - 1`). */
  slot: number;
  /** The activation history, keys increasing (`_state`). */
  history: StateEntry[];
  /** A caller's label (an address, an operator): not on chain, carried through every copy. */
  id?: string | number;
}

/** `getEvaluator`'s struct without the list bookkeeping (`known`, `listIndex`, `registered`). */
export interface EvaluatorView {
  stake: bigint;
  effStake: bigint;
  trust: number;
  periodTrust: number;
  periodGain: number;
  period: number;
  cost: bigint;
  effCost: bigint;
  profiles: number;
  effProfiles: number;
  /** Activation key of the latest write while it is ahead of `now`, else 0. */
  pendingAt: number;
  unbonding: bigint;
  unbondAt: number;
  lockedUntil: number;
  tasksAssigned: number;
  tasksMissed: number;
  unbondLock: number;
  slashAt: number;
  since: number;
}

// ------------------------------------------------------------------ price grid

/** `_roundUp`: a cost rounded up to two significant decimal digits (costs under 100 unchanged). */
export function roundUp(c: bigint): bigint {
  if (c < 100n) return c;
  let unit = 1n; // 10^(digits - 2)
  while (c >= unit * 100n) unit *= 10n;
  return c % unit === 0n ? c : (c / unit + 1n) * unit;
}

/**
 * `gridCost` / `_gridCost`: the cost `register` and `setCost` store (two significant digits,
 * rounded up). With `maxCost`, a cost above it (or a rounded cost above uint96) throws, as the
 * contract reverts `CostAboveMaximum`.
 */
export function gridCost(c: bigint, maxCost?: bigint): bigint {
  if (maxCost !== undefined && c > maxCost) throw new RangeError(`cost ${c} above maxCost ${maxCost}`);
  const g = roundUp(c);
  if (maxCost !== undefined && g >= 1n << 96n) throw new RangeError(`cost ${c} above maxCost ${maxCost}`);
  return g;
}

/**
 * `_bucketOf`: price bucket of a cost or fee: 0 for 0, else 1 + 90 (digits - 1) + (its first two
 * significant digits - 10) (a single digit d counts as d0); PRICE_BUCKETS - 2 from 10^29 on (above
 * every uint96 cost). For a grid cost c, c <= f exactly when bucketOf(c) <= bucketOf(f).
 */
export function bucketOf(c: bigint): number {
  if (c === 0n) return 0;
  if (c >= 10n ** 29n) return PRICE_BUCKETS - 2;
  let digits = 1;
  let unit = 1n; // 10^(digits - 1)
  while (c >= unit * 10n) {
    unit *= 10n;
    digits++;
  }
  const lead = Number(digits === 1 ? c * 10n : c / (unit / 10n));
  return 1 + 90 * (digits - 1) + (lead - 10);
}

/** `_gridValue`: the grid cost of a bucket (inverse of `bucketOf` on the grid). */
export function gridValue(bucket: number): bigint {
  if (bucket === 0) return 0n;
  const digits = Math.floor((bucket - 1) / 90) + 1;
  const lead = BigInt(((bucket - 1) % 90) + 10);
  return digits === 1 ? lead / 10n : lead * 10n ** BigInt(digits - 2);
}

// ------------------------------------------------------------------ activation history

/** The latest history entry (what the next write moves from), or the empty state. */
export function latestState(e: RegistryEvaluator): Omit<StateEntry, "key" | "slot"> & { key: number; slot: number } {
  return e.history[e.history.length - 1] ?? { ...EMPTY_STATE, key: 0, slot: -1 };
}

/** `_stateAt`: the entry in force at `T` (the last with key <= T), or the empty state (key 0, slot -1). */
export function stateAt(e: RegistryEvaluator, T: number): StateEntry {
  const h = e.history;
  let lo = 0;
  let hi = h.length; // first index with key > T
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h[mid]!.key <= T) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? { ...EMPTY_STATE, key: 0, slot: -1 } : h[lo - 1]!;
}

/** Number of the trust period `now` falls in: floor(now / trustPeriod) (`getEvaluator` shows it mod 2^16). */
export function trustPeriodOf(now: number, trustPeriod: number): number {
  return Math.floor(now / trustPeriod);
}

/**
 * `_samplingTrust`: the trust sampling weighs at `now` (the draw): the trust the current period
 * began with if trust changed in this period, else the trust.
 */
export function samplingTrust(e: RegistryEvaluator, now: number, trustPeriod: number): number {
  return e.period === trustPeriodOf(now, trustPeriod) ? e.periodTrust : e.trust;
}

/**
 * `_trustBound`: log2 of a power-of-two bound on the trust a draw may weigh until the next write
 * (t = max(trust, samplingTrust at `now`)): the current bound 2^tb (the record's `tb`, i.e. the
 * latest entry's) while t stays in (2^tb / 4, 2^tb], else the smallest tb with 2^tb >= t. Only a
 * write (a declaration, sync, exit) applies it; trust moves alone do not.
 */
export function trustBound(e: RegistryEvaluator, now: number, trustPeriod: number): number {
  let t = samplingTrust(e, now, trustPeriod);
  if (e.trust > t) t = e.trust;
  const cur = latestState(e).tb;
  if (cur !== 0 && t <= 2 ** cur && t * 4 > 2 ** cur) return cur;
  let tb = 0;
  while (2 ** tb < t) tb++;
  return tb;
}

/** `_nextKey` with a constant activationDelay: now + activationDelay, never before the evaluator's previous key. */
export function nextKey(e: RegistryEvaluator, now: number, activationDelay: number): number {
  const key = now + activationDelay;
  const last = latestState(e).key;
  return key < last ? last : key;
}

/**
 * `_write` on a copy: schedules the declared state (stake, cost, profiles; nothing once
 * unregistered), with `part` from the current minStake / stakeCap and the current trust bound, at
 * the next activation key. A second write with the same key replaces the entry (Checkpoints).
 *
 * The chain's key clock is registry-wide (max(now + activationDelay, last key of any evaluator));
 * the mirror keeps it per evaluator, which is the same while activationDelay does not shrink.
 */
export function writeState(e: RegistryEvaluator, now: number, p: WriteParams): { evaluator: RegistryEvaluator; key: number } {
  const key = nextKey(e, now, p.activationDelay);
  const stake = e.registered ? e.stake : 0n;
  const mask = e.registered ? e.profiles : 0;
  const part = stake >= p.minStake ? (stake < p.stakeCap ? stake : p.stakeCap) : 0n;
  const entry: StateEntry = { key, stake, part, bucket: bucketOf(e.cost), mask, tb: trustBound(e, now, p.trustPeriod), live: part !== 0n, listed: e.registered, slot: e.slot };
  const history = [...e.history];
  if (history.length > 0 && history[history.length - 1]!.key === key) history[history.length - 1] = entry;
  else history.push(entry);
  return { evaluator: { ...e, history }, key };
}

// ------------------------------------------------------------------ evaluator actions

/**
 * `register` at `now` in registry slot `slot`: bonds `stake` (>= minStake), declares the cost
 * rounded up to the grid and the serve mask, and writes the state (drawable from its key, which
 * is `since`). A new identity starts at `initialTrust`; an address that registered before
 * (`prior`, its record after the exit) keeps its trust, counters and history.
 */
export function registerEvaluator(
  p: WriteParams & Pick<StakingParams, "initialTrust"> & Partial<Pick<StakingParams, "maxCost">>,
  stake: bigint,
  cost: bigint,
  profiles: number,
  now: number,
  slot: number,
  prior?: RegistryEvaluator,
): RegistryEvaluator {
  if (prior?.registered) throw new RangeError("register: already registered");
  if (stake < p.minStake) throw new RangeError(`register: stake ${stake} below minStake ${p.minStake}`);
  const base: RegistryEvaluator = prior ?? {
    stake: 0n,
    trust: p.initialTrust,
    periodTrust: p.initialTrust,
    periodGain: 0,
    period: 0,
    cost: 0n,
    profiles: 0,
    unbonding: 0n,
    tasksAssigned: 0,
    tasksMissed: 0,
    unbondAt: 0,
    lockedUntil: 0,
    unbondLock: 0,
    slashAt: 0,
    since: 0,
    registered: false,
    slot: -1,
    history: [],
  };
  const e: RegistryEvaluator = { ...base, registered: true, stake, cost: gridCost(cost, p.maxCost), profiles, slot };
  const { evaluator, key } = writeState(e, now, p);
  return { ...evaluator, since: key };
}

function registered(e: RegistryEvaluator, what: string): void {
  if (!e.registered) throw new RangeError(`${what}: not registered`);
}

/** `addStake`: adds to the declared stake and writes the state. */
export function addStake(e: RegistryEvaluator, amount: bigint, now: number, p: WriteParams): RegistryEvaluator {
  registered(e, "addStake");
  if (amount === 0n) throw new RangeError("addStake: zero amount");
  return writeState({ ...e, stake: e.stake + amount }, now, p).evaluator;
}

/** `setCost`: declares the cost rounded up to the grid and writes the state. */
export function setCost(e: RegistryEvaluator, cost: bigint, now: number, p: WriteParams & Partial<Pick<StakingParams, "maxCost">>): RegistryEvaluator {
  registered(e, "setCost");
  return writeState({ ...e, cost: gridCost(cost, p.maxCost) }, now, p).evaluator;
}

/** `setProfiles`: declares the serve mask and writes the state. */
export function setProfiles(e: RegistryEvaluator, mask: number, now: number, p: WriteParams): RegistryEvaluator {
  registered(e, "setProfiles");
  return writeState({ ...e, profiles: mask }, now, p).evaluator;
}

/** `sync`: rewrites the state from the declared values and the current params (anyone). */
export function syncEvaluator(e: RegistryEvaluator, now: number, p: WriteParams): RegistryEvaluator {
  registered(e, "sync");
  return writeState(e, now, p).evaluator;
}

/**
 * `drawWindow`: how long after its creation a task may still be drawn (else it is cancelled):
 * max(activationDelay, unbondingDelay - activationDelay).
 */
export function drawWindow(p: Pick<StakingParams, "activationDelay" | "unbondingDelay">): number {
  const a = p.activationDelay;
  const u = p.unbondingDelay;
  return u - a > a ? u - a : a;
}

/** `_unbondAt`: max(now + unbondingDelay, key + drawWindow): not before every task that could still count the stake is past its draw window. */
export function unbondAtFor(key: number, now: number, p: Pick<StakingParams, "activationDelay" | "unbondingDelay">): number {
  const at = now + p.unbondingDelay;
  const drawable = key + drawWindow(p);
  return at > drawable ? at : drawable;
}

/**
 * `requestUnbond`: moves `amount` of declared stake to unbonding (the remaining stake must be 0
 * or >= minStake, else the contract reverts; checked here too), writes the state and restarts
 * the timer: unbondAt = max(now + unbondingDelay, key + drawWindow).
 */
export function requestUnbond(
  e: RegistryEvaluator,
  amount: bigint,
  now: number,
  p: WriteParams & Pick<StakingParams, "unbondingDelay">,
): RegistryEvaluator {
  registered(e, "requestUnbond");
  if (amount === 0n || amount > e.stake) throw new RangeError(`requestUnbond: amount ${amount} not in (0, ${e.stake}]`);
  const remaining = e.stake - amount;
  if (remaining !== 0n && remaining < p.minStake) throw new RangeError(`requestUnbond: remaining ${remaining} below minStake`);
  const out = { ...e, stake: remaining, unbonding: e.unbonding + amount };
  if (out.lockedUntil > out.unbondLock) out.unbondLock = out.lockedUntil;
  const { evaluator, key } = writeState(out, now, p);
  return { ...evaluator, unbondAt: unbondAtFor(key, now, p) };
}

/** Whether `withdraw` succeeds at `now`: something unbonding, its delay elapsed, no committee holds it. */
export function canWithdraw(e: RegistryEvaluator, now: number): boolean {
  return e.unbonding !== 0n && now >= e.unbondAt && now > e.unbondLock;
}

/** `_exit`: unregistered, the state (nothing) written at the next key, the slot freed. */
function exit(e: RegistryEvaluator, now: number, p: WriteParams): { evaluator: RegistryEvaluator; key: number } {
  const { evaluator, key } = writeState({ ...e, registered: false }, now, p);
  return { evaluator: { ...evaluator, slot: -1 }, key };
}

/**
 * `withdraw` (when `canWithdraw`): pays out the unbonding. With no declared stake left the
 * evaluator exits (`exits`): its state drops to nothing at the next key and its slot is free.
 */
export function withdrawUnbonded(e: RegistryEvaluator, now: number, p: WriteParams): { evaluator: RegistryEvaluator; amount: bigint; exits: boolean } {
  if (!canWithdraw(e, now)) throw new RangeError("withdraw: nothing withdrawable now");
  const amount = e.unbonding;
  let out: RegistryEvaluator = { ...e, unbonding: 0n };
  const exits = out.registered && out.stake === 0n;
  if (exits) out = exit(out, now, p).evaluator;
  return { evaluator: out, amount, exits };
}

/**
 * Whether `evict` succeeds at `now`: registered, and both its declared and its effective stake
 * are under minStake, or neither its declared nor its effective mask meets `activeMask`.
 */
export function canEvict(e: RegistryEvaluator, now: number, minStake: bigint, activeMask: number = ALL_PROFILES): boolean {
  if (!e.registered) return false;
  const s = stateAt(e, now);
  const underMinimum = e.stake < minStake && s.stake < minStake;
  const servesNothing = (e.profiles & activeMask) === 0 && (s.mask & activeMask) === 0;
  return underMinimum || servesNothing;
}

/** `evict` (when `canEvict`): the declared stake starts unbonding and the evaluator exits. */
export function evictEvaluator(
  e: RegistryEvaluator,
  now: number,
  p: WriteParams & Pick<StakingParams, "unbondingDelay">,
  activeMask: number = ALL_PROFILES,
): RegistryEvaluator {
  if (!canEvict(e, now, p.minStake, activeMask)) throw new RangeError("evict: not evictable");
  const out = { ...e };
  if (out.lockedUntil > out.unbondLock) out.unbondLock = out.lockedUntil;
  const moved = out.stake;
  out.unbonding += moved;
  out.stake = 0n;
  const { evaluator, key } = exit(out, now, p);
  return moved !== 0n ? { ...evaluator, unbondAt: unbondAtFor(key, now, p) } : evaluator;
}

/**
 * `drawCommittee`'s side effect on a member of a task created at `asOf`: lock until `lockUntil`
 * (if later); an unbonding part that still counted for the draw (the stake at `asOf` above the
 * declared stake) stays until then too; count the assignment.
 */
export function lockMember(e: RegistryEvaluator, lockUntil: number, asOf: number): RegistryEvaluator {
  const out = { ...e, tasksAssigned: e.tasksAssigned + 1 };
  if (lockUntil > out.lockedUntil) out.lockedUntil = lockUntil;
  if (out.unbonding !== 0n && stateAt(e, asOf).stake > out.stake && lockUntil > out.unbondLock) out.unbondLock = lockUntil;
  return out;
}

/** What sampling counts at `now` (`effectiveOf`): the stake, grid cost and serve mask of the state in force. */
export function effectiveOf(e: RegistryEvaluator, now: number): { stake: bigint; cost: bigint; profiles: number } {
  const s = stateAt(e, now);
  return { stake: s.stake, cost: gridValue(s.bucket), profiles: s.mask };
}

/** `getEvaluator` at `now`, less the list bookkeeping: the declared fields, the effective ones from the history, and `pendingAt`. */
export function evaluatorView(e: RegistryEvaluator, now: number): EvaluatorView {
  const eff = effectiveOf(e, now);
  const latest = latestState(e).key;
  return {
    stake: e.stake,
    effStake: eff.stake,
    trust: e.trust,
    periodTrust: e.periodTrust,
    periodGain: e.periodGain,
    period: e.period % 65_536,
    cost: e.cost,
    effCost: eff.cost,
    profiles: e.profiles,
    effProfiles: eff.profiles,
    pendingAt: latest > now ? latest : 0,
    unbonding: e.unbonding,
    unbondAt: e.unbondAt,
    lockedUntil: e.lockedUntil,
    tasksAssigned: e.tasksAssigned,
    tasksMissed: e.tasksMissed,
    unbondLock: e.unbondLock,
    slashAt: e.slashAt,
    since: e.since,
  };
}

/**
 * Sampling weight of a proposal's acceptance: min(trust, 2^tb) x min(part, stake) (`stake` of
 * the state: a slash lowers it below `part` until the next write; `part` carries the stake cap
 * of its write).
 */
export function samplingWeight(trust: number, part: bigint, stake: bigint, tb: number): bigint {
  const bound = 2 ** tb;
  return BigInt(trust < bound ? trust : bound) * (part < stake ? part : stake);
}

/** Voting weight of the trust-weighted rules: trust x max(1, (min(stake, cap) << 24) / cap). */
export function votingWeight(trust: number, stake: bigint, stakeCap: bigint): bigint {
  const s = stake < stakeCap ? stake : stakeCap;
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

// ------------------------------------------------------------------ the draw's inputs

/** `_profileId`: the id of an active profile's single bit, or -1 for a retired, unknown or malformed one. */
export function profileIdOf(profileBit: number, activeMask: number = ALL_PROFILES): number {
  if (profileBit <= 0 || (profileBit & (profileBit - 1)) !== 0 || (activeMask & profileBit) === 0) return -1;
  return Math.log2(profileBit);
}

/**
 * The registry as a draw sees it: the current occupant of every slot in order (null: a hole),
 * and the evaluators that left their slot (exited) whose history may still count as of a past
 * time (default none).
 */
export interface RegistryView {
  list: ReadonlyArray<RegistryEvaluator | null>;
  departed?: ReadonlyArray<RegistryEvaluator>;
}

/** The requester left out of a draw: a list position (-1: none) or a record (e.g. an exited evaluator). */
export type Exclude = number | RegistryEvaluator | null;

function excluded(reg: RegistryView, exclude: Exclude): RegistryEvaluator | null {
  if (exclude === null) return null;
  if (typeof exclude === "number") return exclude >= 0 ? (reg.list[exclude] ?? null) : null;
  return exclude;
}

function* everyone(reg: RegistryView): Generator<RegistryEvaluator> {
  for (const e of reg.list) if (e) yield e;
  for (const e of reg.departed ?? []) yield e;
}

/**
 * `eligibleStake` (`_bar`) as of `asOf`: `eligible`, the `part` of every evaluator whose state
 * then serves the profile at a bucket <= bucketOf(fee), and `network`, the `part` of every
 * evaluator whose state then serves some profile; the requester's own counts on neither side.
 * (0, 0) for a retired or unknown profile.
 */
export function eligibleStake(
  reg: RegistryView,
  profileBit: number,
  fee: bigint,
  exclude: Exclude,
  asOf: number,
  activeMask: number = ALL_PROFILES,
): { eligible: bigint; network: bigint } {
  const p = profileIdOf(profileBit, activeMask);
  if (p < 0) return { eligible: 0n, network: 0n };
  const feeBucket = bucketOf(fee);
  let eligible = 0n;
  let network = 0n;
  for (const e of everyone(reg)) {
    const s = stateAt(e, asOf);
    if (s.mask !== 0) network += s.part;
    if (((s.mask >> p) & 1) === 1 && s.bucket <= feeBucket) eligible += s.part;
  }
  const x = excluded(reg, exclude);
  if (x) {
    const s = stateAt(x, asOf);
    if (((s.mask >> p) & 1) === 1 && s.bucket <= feeBucket) eligible -= s.part;
    if (s.mask !== 0) network -= s.part;
  }
  return { eligible, network };
}

/**
 * `_ownerAt`: who held `slot` at `T` (registered in it with a key <= T and not exited by then),
 * among the evaluators of the registry (current and departed), or null.
 */
export function ownerAt(reg: RegistryView, slot: number, T: number): RegistryEvaluator | null {
  for (const e of everyone(reg)) {
    const s = stateAt(e, T);
    if (s.listed && s.slot === slot) return e;
  }
  return null;
}

/**
 * `drawInputs` for a task created at `asOf`, drawn at `now`: per slot, its owner then (`ownerAt`:
 * a departed evaluator or a newcomer does not change it), its leaf in the profile's draw tree
 * (the sum of part << tb of every state in force at `asOf` written in that slot and serving the
 * profile), the acceptance weight a proposal of it gets (`samplingWeight` with the period trust
 * at `now`; 0 when it is ineligible: nobody, the requester, a zero leaf, a state that is not
 * live or above the fee's bucket) and the voting weight it would get (trust x the stake factor
 * of its state's stake, current stakeCap). All zeros for a retired or unknown profile.
 */
export function drawInputs(
  reg: RegistryView,
  profileBit: number,
  fee: bigint,
  exclude: Exclude,
  asOf: number,
  now: number,
  p: Pick<StakingParams, "stakeCap" | "trustPeriod">,
  activeMask: number = ALL_PROFILES,
): { owners: Array<RegistryEvaluator | null>; leaves: bigint[]; accept: bigint[]; weights: bigint[] } {
  const n = reg.list.length;
  const owners = new Array<RegistryEvaluator | null>(n).fill(null);
  const leaves = new Array<bigint>(n).fill(0n);
  const accept = new Array<bigint>(n).fill(0n);
  const weights = new Array<bigint>(n).fill(0n);
  const pid = profileIdOf(profileBit, activeMask);
  if (pid < 0) return { owners, leaves, accept, weights };
  for (const e of everyone(reg)) {
    const s = stateAt(e, asOf);
    if (s.listed && s.slot >= 0 && s.slot < n) owners[s.slot] = e;
    if (((s.mask >> pid) & 1) === 1 && s.slot >= 0 && s.slot < n) leaves[s.slot]! += s.part << BigInt(s.tb);
  }
  const feeBucket = bucketOf(fee);
  const x = excluded(reg, exclude);
  for (let i = 0; i < n; i++) {
    const e = owners[i];
    if (!e || e === x || leaves[i] === 0n) continue;
    const s = stateAt(e, asOf);
    if (!s.live || s.bucket > feeBucket) continue;
    const trust = samplingTrust(e, now, p.trustPeriod);
    accept[i] = samplingWeight(trust, s.part, s.stake, s.tb);
    weights[i] = votingWeight(trust, s.stake, p.stakeCap);
  }
  return { owners, leaves, accept, weights };
}

/**
 * `_moveTrust`: sets trust to `target`. The first change in a trust period (periods are numbered
 * floor(now / trustPeriod)) records the trust the period began with (`periodTrust`, what sampling weighs until the period
 * ends) and resets the period's gain; a RISE is capped by
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

/** `_slash` alone (no state write): see `slashEvaluator`. */
function takeSlash(e: RegistryEvaluator, amount: bigint, now: number, activationDelay: number): { evaluator: RegistryEvaluator; taken: bigint } {
  if (e.slashAt > now) return { evaluator: { ...e }, taken: 0n };
  const out = { ...e, slashAt: (now + activationDelay) % 2 ** 32 };
  const fromStake = amount <= out.stake ? amount : out.stake;
  out.stake -= fromStake;
  const rest = amount - fromStake;
  const fromUnbonding = rest <= out.unbonding ? rest : out.unbonding;
  out.unbonding -= fromUnbonding;
  return { evaluator: out, taken: fromStake + fromUnbonding };
}

/**
 * `_restake` on a copy: schedules the declared stake (after a slash) at the next key with the
 * latest state's part, bucket, mask and trust bound unchanged (no tree moves): a draw weighs
 * min(part, stake) from that key, the bar's sums keep the old part until the next write or sync.
 */
export function restake(e: RegistryEvaluator, now: number, p: Pick<StakingParams, "activationDelay" | "minStake">): RegistryEvaluator {
  const key = nextKey(e, now, p.activationDelay);
  const latest = latestState(e);
  const entry: StateEntry = { ...latest, key, stake: e.stake, live: latest.live && e.stake >= p.minStake };
  const history = [...e.history];
  if (history.length > 0 && history[history.length - 1]!.key === key) history[history.length - 1] = entry;
  else history.push(entry);
  return { ...e, history };
}

/**
 * `_slash` and the settlement's restake: while a slash is still maturing (slashAt > now) take
 * nothing (at most one slash per activationDelay: a burst of misses costs one slashBps); else set
 * slashAt = now + activationDelay and take up to `amount` from the declared stake, then from
 * unbonding. When something was taken from a registered evaluator the lower stake is scheduled
 * at the next key (`restake`), like any declaration (no postponement of others).
 */
export function slashEvaluator(
  e: RegistryEvaluator,
  amount: bigint,
  now: number,
  p: Pick<StakingParams, "activationDelay" | "minStake">,
): { evaluator: RegistryEvaluator; taken: bigint } {
  const r = takeSlash(e, amount, now, p.activationDelay);
  if (r.taken !== 0n && r.evaluator.registered) r.evaluator = restake(r.evaluator, now, p);
  return r;
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
 * (`moveTrust`), counts a miss for non-revealers, and slashes `slash[i]` (`slashEvaluator`: at
 * most one slash maturing at a time; the lower stake of a registered member is scheduled at the
 * next key). Trust moves no tree leaf: the trust bound follows at the member's next write or sync.
 */
export function applySettlement(
  members: readonly RegistryEvaluator[],
  revealed: readonly boolean[],
  newTrust: readonly number[],
  slash: readonly bigint[],
  now: number,
  p: Pick<StakingParams, "trustGainPerPeriod" | "trustPeriod" | "activationDelay" | "minStake">,
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
  staking: Pick<StakingParams, "stakeCap" | "minStake" | "trustGainPerPeriod" | "trustPeriod" | "activationDelay">;
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
