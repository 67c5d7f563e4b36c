// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {History} from "./libraries/History.sol";

import {SumTree} from "./libraries/SumTree.sol";
import {Governance, StakingParams} from "./libraries/Governance.sol";
import {ProfileRegistry} from "./ProfileRegistry.sol";

/// @title EvaluatorRegistry
/// @notice Evaluators' stake, trust, declared cost and served profiles, and the committee
///         draw. Holds every evaluator's stake; only the bound settlement contract
///         (ProofOfQuality) may draw committees, move trust and slash.
/// @dev Steering defence: a stake, cost or profile change (registration, exit and slash
///      included) is *declared* at once but takes effect for sampling only at its activation
///      key, at least `activationDelay` seconds later, and a task's committee is drawn from the
///      registry *as it stood when the task was created*: every declaration after the create
///      block has a later key, so nobody can opt into or out of a task already visible in the
///      mempool or on chain, nor re-roll a draw by sending (or withholding) changes between the
///      create block and the draw. Every evaluator's effective state is a history keyed by
///      activation time (`_state`), and per served profile a sum tree over registry slots
///      (`_draw`, O(log n) weighted draws) and one over price buckets (`_price`, the
///      eligibility bar without a scan) keep the same history (docs/contract.md, "Committee
///      draw"). Invariant: token.balanceOf(this) >= totalStaked = sum of stake + unbonding.
contract EvaluatorRegistry is AccessControl, Pausable, ReentrancyGuardTransient, Multicall {
    using SafeERC20 for IERC20;
    using History for History.Trace;
    using History for History.Wide;
    using SumTree for SumTree.Tree;

    /// @notice May change the staking parameters.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May pause and unpause registration and stake additions.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant BPS = 10_000;
    /// @notice Most evaluators registered at once: the sum trees' leaves. A full exit or an
    ///         eviction frees the place.
    uint256 public constant MAX_EVALUATORS = 16_384;
    /// @notice Price buckets: a declared cost is rounded up to two significant decimal digits
    ///         (1.0, 1.1, .. 9.9 x 10^e: steps of at most 10%), and bucket b holds every evaluator
    ///         whose cost is the b-th grid value, so "cost <= fee" is "bucket <= bucketOf(fee)"
    ///         exactly.
    uint256 internal constant PRICE_BUCKETS = 4_096;
    /// @notice A draw gives up (and the task is cancelled) after 4 k + 64 proposals.
    uint256 internal constant TRIES_PER_MEMBER = 4;
    uint256 internal constant EXTRA_TRIES = 64;
    /// @dev Precision of the stake factor of voting weights: trust x (stake / cap) x 2^24.
    uint256 private constant WEIGHT_SHIFT = 24;

    /// @notice An evaluator as `getEvaluator` returns it: the stored record, with the effective
    ///         stake, cost and profiles in force now and `pendingAt` (the activation key of its
    ///         latest change while that is still ahead, 0 otherwise) read from its history.
    struct Evaluator {
        uint88 stake; // declared active stake
        uint88 effStake; // the stake sampling counts now
        uint24 trust; // bps, 10000 = 1.0
        uint24 periodTrust; // trust when the period `period` began: what sampling weighs during it
        uint16 periodGain; // trust gained in period `period` (bps)
        uint16 period; // the trust period of the last trust change, floor(now / trustPeriod) mod 2^16
        uint96 cost; // declared cost per evaluation (on the price grid)
        uint96 effCost;
        uint16 profiles; // declared serve mask (ProfileRegistry ids)
        uint16 effProfiles;
        uint32 pendingAt; // when the last declared change takes effect (0: none pending)
        uint96 unbonding; // requested for withdrawal, still slashable
        uint40 unbondAt; // when `unbonding` becomes withdrawable
        uint40 lockedUntil; // end (reveal deadline + grace) of the last committee it sits on
        uint32 tasksAssigned;
        uint32 tasksMissed;
        bool registered;
        bool known; // ever registered: trust is remembered across exits
        uint32 listIndex; // registry slot + 1 (0: not listed); the sum trees' leaf
        uint40 unbondLock; // unbonding stays until then: the end of the last committee it counted for
        uint32 slashAt; // when the last slash takes effect (at most one slash maturing at a time)
        uint48 since; // activation key of the current registration: the slot is its own from then on
    }

    /// @dev An evaluator's stored record (four words; settlement writes the first, and the
    ///      history only on a slash or a trust-bound change). Word 0 also holds what a draw
    ///      writes (the lock and the assignment count): a draw has just read it for the member's
    ///      sampling trust, so locking the committee touches no cold word.
    struct Record {
        // word 0: what settlement and the draw move
        uint88 stake;
        uint24 trust;
        uint24 periodTrust; // trust when the period `period` began
        uint16 periodGain;
        uint16 period; // the trust period of the last trust change, floor(now / trustPeriod) mod 2^16
        uint8 tb; // the trust bound of its latest state (log2)
        uint40 lockedUntil;
        uint32 tasksAssigned;
        // word 1
        uint96 cost;
        uint16 profiles;
        // word 2
        uint96 unbonding;
        uint40 unbondAt;
        uint32 tasksMissed;
        bool registered;
        bool known;
        // word 3
        uint32 listIndex;
        uint40 unbondLock;
        uint32 slashAt;
        uint48 since;
    }

    /// @notice One entry of an evaluator's activation history, unpacked.
    struct State {
        uint256 stake; // effective stake
        uint256 part; // min(stake, stakeCap) when stake >= minStake (at the write), else 0
        uint256 bucket; // price bucket of the effective cost
        uint256 mask; // effective serve mask
        uint256 tb; // log2 of the trust bound: 2^tb >= the trust sampling weighs
        bool live; // stake >= minStake at the write (minStake as it was then): drawable
    }

    /// @dev One draw's context (previewDraw).
    struct Draw {
        uint256 p; // profile id
        uint48 at; // as of: the task's creation time
        uint256 feeBucket;
        address exclude;
        bytes32 seed;
        uint256 total; // the profile's draw tree total as of `at`
        uint256 top; // a power of two at or above the number of slots
        uint32 period; // the trust period the task was created in
    }

    /// @dev The slots a draw took out of its tree (chosen or ineligible) and their leaves.
    struct Removed {
        uint256[] slots;
        uint256[] weights;
        uint256 count;
    }

    /// @dev One proposal of a draw: the slot, its occupant now, its leaf as of the draw's key,
    ///      whether it is eligible, and its voting weight when it won its acceptance draw.
    struct Proposal {
        uint256 slot;
        address a;
        uint256 leaf;
        bool eligible;
        uint256 weight;
    }

    IERC20 public immutable token;
    ProfileRegistry public immutable profileRegistry;
    /// @notice The settlement contract (ProofOfQuality), bound once at deployment.
    address public settlement;
    StakingParams internal _params;
    mapping(address => Record) internal _evaluators;
    /// @dev Registry slots (leaf i + 1 of the sum trees). An exit leaves a hole (address(0))
    ///      that a later registration fills; a draw as of a time before the new occupant's
    ///      activation rejects the slot.
    address[] internal _list;
    uint32[] internal _holes;
    uint256 internal _active;
    /// @notice Sum of every evaluator's stake + unbonding.
    uint256 public totalStaked;
    /// @dev Each evaluator's effective state by activation key (packed, see _pack).
    mapping(address => History.Wide) internal _state;
    /// @dev Per profile id: leaf = slot, weight part x 2^tb of each evaluator serving it.
    mapping(uint256 => SumTree.Tree) internal _draw;
    /// @dev Per profile id: leaf = price bucket + 1, weight = sum of `part` of its servers.
    mapping(uint256 => SumTree.Tree) internal _price;
    /// @dev Sum of `part` of every evaluator serving some profile, by key.
    History.Trace internal _network;
    /// @dev Each slot's occupant by activation key (registration: the new owner; exit: nobody),
    ///      so a draw as of a past time finds who held the slot then, whoever holds it now.
    mapping(uint256 => History.Trace) internal _owner;
    /// @dev The activation clock: every write is keyed max(now + activationDelay, last key).
    uint48 internal _lastKey;

    event SettlementBound(address indexed settlement);
    event ParamsUpdated(StakingParams params);
    event EvaluatorRegistered(address indexed evaluator, uint256 stake, uint256 cost, uint256 profiles, uint256 trust, uint256 activeAt);
    event StakeAdded(address indexed evaluator, uint256 amount, uint256 newStake, uint256 activeAt);
    event CostUpdated(address indexed evaluator, uint256 cost, uint256 activeAt);
    event ProfilesUpdated(address indexed evaluator, uint256 profiles, uint256 activeAt);
    event UnbondRequested(address indexed evaluator, uint256 amount, uint256 unbonding, uint256 unbondAt);
    event StakeWithdrawn(address indexed evaluator, uint256 amount);
    event EvaluatorExited(address indexed evaluator, bool evicted);
    event Slashed(address indexed evaluator, uint256 amount);
    /// @notice The evaluator's sampling state changes at `activeAt` (every declaration, slash,
    ///         eviction and trust-bound change): effective stake, price-grid cost, serve mask and
    ///         the trust bound 2^tb of its draw weight.
    event StateScheduled(address indexed evaluator, uint256 stake, uint256 cost, uint256 profiles, uint256 trustBound, uint256 activeAt);

    error ZeroAddress();
    error ZeroAmount();
    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    error TooManyEvaluators();
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error UnbondingNotElapsed(uint256 unbondAt);
    error StakeLocked(uint256 lockedUntil);
    error NotSettlement(address caller);
    error SettlementAlreadyBound();
    error NotEvictable(address evaluator);
    error CostAboveMaximum(uint256 cost, uint256 maxCost);
    error LengthMismatch();
    error UnsupportedToken(uint256 expected, uint256 received);
    /// @dev Thrown by the Governance library; declared here so it is part of this ABI.
    error ParamOutOfRange(bytes32 param);
    /// @dev Thrown by the ProfileRegistry; declared here so it is part of this ABI.
    error UnknownProfile(bytes32 profileHash);

    modifier onlySettlement() {
        if (msg.sender != settlement) revert NotSettlement(msg.sender);
        _;
    }

    /// @param admin gets every role (deployments hand them to a TimelockController)
    constructor(IERC20 token_, ProfileRegistry profiles_, address admin, StakingParams memory params_) {
        if (address(token_) == address(0) || address(profiles_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        token = token_;
        profileRegistry = profiles_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _setParams(params_);
    }

    // ------------------------------------------------------------------ governance

    /// @notice Binds the settlement contract, once (DEFAULT_ADMIN_ROLE, at deployment).
    function bindSettlement(address settlement_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (settlement_ == address(0)) revert ZeroAddress();
        if (settlement != address(0)) revert SettlementAlreadyBound();
        settlement = settlement_;
        emit SettlementBound(settlement_);
    }

    /// @notice Replaces the staking parameters (GOVERNOR_ROLE, behind the timelock). A new
    ///         minStake or stakeCap reaches an evaluator's draw weight at its next write (anyone
    ///         may `sync` it); until then the draw takes the lower of the old and new caps.
    function setParams(StakingParams calldata params_) external onlyRole(GOVERNOR_ROLE) {
        _setParams(params_);
    }

    /// @notice Stops registrations and stake additions (PAUSER_ROLE).
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes registrations and stake additions (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    function _setParams(StakingParams memory p) internal {
        Governance.validateStaking(p);
        _params = p;
        emit ParamsUpdated(p);
    }

    // ------------------------------------------------------------------ evaluators

    /// @notice Registers the caller, bonding `stake` (>= minStake), declaring its `cost` per
    ///         evaluation (rounded up to the price grid: two significant digits) and the registered
    ///         profiles it serves. Sampling counts it from its activation key, `activationDelay`
    ///         seconds on. A new identity starts at `initialTrust`; an address that registered
    ///         before keeps the trust it had.
    function register(uint88 stake, uint96 cost, bytes32[] calldata profiles)
        external
        whenNotPaused
        nonReentrant
    {
        Record storage e = _evaluators[msg.sender];
        if (e.registered) revert AlreadyRegistered(msg.sender);
        if (stake < _params.minStake) revert StakeBelowMinimum(stake, _params.minStake);
        uint96 rounded = _gridCost(cost);
        if (_active >= MAX_EVALUATORS) revert TooManyEvaluators();
        uint16 mask = uint16(profileRegistry.maskOf(profiles));
        if (!e.known) {
            e.known = true;
            e.trust = uint24(_params.initialTrust);
            e.periodTrust = uint24(_params.initialTrust);
        }
        e.registered = true;
        e.stake = stake;
        e.cost = rounded;
        e.profiles = mask;
        _enlist(msg.sender, e);
        uint48 at = _write(msg.sender, e);
        e.since = at;
        _owner[e.listIndex].push(at, uint160(msg.sender));
        totalStaked += stake;
        emit EvaluatorRegistered(msg.sender, stake, rounded, mask, e.trust, at);
        _pull(msg.sender, stake);
    }

    /// @notice Adds `amount` to the caller's stake (counts for sampling after the delay).
    function addStake(uint88 amount) external whenNotPaused nonReentrant {
        Record storage e = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint88 newStake = e.stake + amount;
        e.stake = newStake;
        uint48 at = _write(msg.sender, e);
        totalStaked += amount;
        emit StakeAdded(msg.sender, amount, newStake, at);
        _pull(msg.sender, amount);
    }

    /// @notice Declares a new cost per evaluation, rounded up to the price grid (counts for
    ///         sampling after the delay).
    function setCost(uint96 cost) external whenNotPaused {
        Record storage e = _registered(msg.sender);
        uint96 rounded = _gridCost(cost);
        e.cost = rounded;
        emit CostUpdated(msg.sender, rounded, _write(msg.sender, e));
    }

    /// @notice Declares the registered profiles the caller serves (counts after the delay).
    function setProfiles(bytes32[] calldata profiles) external whenNotPaused {
        Record storage e = _registered(msg.sender);
        uint16 mask = uint16(profileRegistry.maskOf(profiles));
        e.profiles = mask;
        emit ProfilesUpdated(msg.sender, mask, _write(msg.sender, e));
    }

    /// @notice Rewrites an evaluator's sampling state from its declared values and the current
    ///         minStake and stakeCap (anyone). Takes effect after the activation delay, like any
    ///         change: it cannot move a task created before it.
    function sync(address evaluator) external {
        _write(evaluator, _registered(evaluator));
    }

    /// @notice Moves `amount` of active stake to unbonding: withdrawable after the unbonding
    ///         delay (the timer restarts on every request), still slashable until then, and
    ///         still counted for sampling until its activation key passes. The remaining active
    ///         stake must be zero (exit) or at least minStake.
    function requestUnbond(uint88 amount) external {
        Record storage e = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        if (amount > e.stake) revert InsufficientStake(amount, e.stake);
        uint88 remaining = e.stake - amount;
        if (remaining != 0 && remaining < _params.minStake) revert StakeBelowMinimum(remaining, _params.minStake);
        e.stake = remaining;
        e.unbonding += amount;
        if (e.lockedUntil > e.unbondLock) e.unbondLock = e.lockedUntil;
        uint40 at = _unbondAt(_write(msg.sender, e));
        e.unbondAt = at;
        emit UnbondRequested(msg.sender, amount, e.unbonding, at);
    }

    /// @notice Withdraws all unbonded stake once the unbonding delay elapsed and every
    ///         committee the unbonding stake counted for ended (its reveal deadline plus the
    ///         finalisation grace): the committees the caller sat on when it asked, and those
    ///         drawn while its effective stake still included the unbonding part. Committees
    ///         drawn on its remaining stake alone do not hold it back. With no stake left the
    ///         caller exits and frees its place.
    function withdraw() external nonReentrant {
        Record storage e = _evaluators[msg.sender];
        uint256 amount = e.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < e.unbondAt) revert UnbondingNotElapsed(e.unbondAt);
        if (block.timestamp <= e.unbondLock) revert StakeLocked(e.unbondLock);
        e.unbonding = 0;
        totalStaked -= amount;
        if (e.registered && e.stake == 0) _exit(msg.sender, e, false);
        emit StakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Frees the place of an evaluator that cannot be drawn: its declared and
    ///         effective stake are both under minStake, or it declares and effectively serves no
    ///         active profile (anyone may call). Its remaining stake starts unbonding and leaves
    ///         sampling after the activation delay; its trust is remembered.
    function evict(address evaluator) external {
        Record storage e = _registered(evaluator);
        uint256 minStake = _params.minStake;
        State memory s = _stateAt(evaluator, block.timestamp);
        // both the declared and the effective state: an exit in progress is not a way out of
        // sampling before the activation delay
        bool underMinimum = e.stake < minStake && s.stake < minStake;
        uint256 active = profileRegistry.activeMask();
        bool servesNothing = e.profiles & active == 0 && s.mask & active == 0;
        if (!underMinimum && !servesNothing) revert NotEvictable(evaluator);
        if (e.lockedUntil > e.unbondLock) e.unbondLock = e.lockedUntil;
        uint256 moved = e.stake;
        e.unbonding += uint96(moved);
        e.stake = 0;
        uint48 key = _exit(evaluator, e, true);
        if (moved != 0) {
            e.unbondAt = _unbondAt(key);
            emit UnbondRequested(evaluator, moved, e.unbonding, e.unbondAt);
        }
    }

    // ------------------------------------------------------------------ settlement hooks

    /// @notice Draws `k` distinct members for a task created at `asOf`, from the registry as it
    ///         stood then (docs/contract.md, "Committee draw"): among the evaluators whose
    ///         effective state at `asOf` serves `profileBit`, asks at most `fee`, holds at least
    ///         minStake, that were registered in their slot by then and are not `exclude` (the
    ///         requester), with probability proportional to min(trust, 2^tb) x min(stake, cap),
    ///         trust being the trust the current period began with, without replacement; locks
    ///         each member's stake until `lockUntil` and returns its voting weight (that trust x
    ///         max(1, min(stake, cap) x 2^24 / cap)), which the task keeps. Returns empty
    ///         arrays (and changes nothing) when the profile was retired, when the evaluators
    ///         serving it at this price held less than `minEligibleBps` of the network's stake
    ///         at `asOf` (every evaluator's min(stake, cap) serving some profile; the requester's
    ///         own counts on neither side), when 4 k + 64 proposals did not fill the committee,
    ///         or when the task is older than the draw window (see `drawWindow`). Neither a price only the requester's own cheap evaluators accept nor a
    ///         profile only its own evaluators serve makes a committee.
    function drawCommittee(
        uint256 profileBit,
        uint256 fee,
        address exclude,
        uint256 k,
        bytes32 seed,
        uint40 lockUntil,
        uint256 minEligibleBps,
        uint256 asOf
    ) external onlySettlement returns (address[] memory members, uint256[] memory weights) {
        (members, weights) = previewDraw(profileBit, fee, exclude, k, seed, minEligibleBps, asOf);
        if (members.length == 0) return (members, weights);
        for (uint256 i; i < k; ++i) {
            Record storage e = _evaluators[members[i]];
            if (lockUntil > e.lockedUntil) e.lockedUntil = lockUntil;
            // an unbonding part still counted for this draw stays until the task ends (the state
            // and word 0 are warm from the draw: the unbonding word is read only when the stake
            // counted fell since)
            if (_stateAt(members[i], asOf).stake > e.stake && e.unbonding != 0 && lockUntil > e.unbondLock) {
                e.unbondLock = lockUntil;
            }
            e.tasksAssigned += 1;
        }
    }

    /// @notice The committee `drawCommittee` would draw now for these arguments (no side
    ///         effects): proposal t picks the slot holding r = keccak256(seed, t) mod W in the
    ///         profile's tree as of `asOf`, less the slots already chosen or found ineligible (W
    ///         the total left), and accepts an eligible one when keccak256(seed, t, 1) mod leaf <
    ///         min(trust, 2^tb) x min(part, stakeCap) (leaf = part x 2^tb): exactly successive
    ///         weighted sampling without replacement over the eligible evaluators. Empty arrays
    ///         when no committee can be drawn.
    function previewDraw(
        uint256 profileBit,
        uint256 fee,
        address exclude,
        uint256 k,
        bytes32 seed,
        uint256 minEligibleBps,
        uint256 asOf
    ) public view returns (address[] memory members, uint256[] memory weights) {
        // a draw comes within the draw window of its task's creation (or never): stake that
        // counted then is still bonded (see _unbondAt)
        if (block.timestamp > asOf + drawWindow()) return (members, weights);
        Draw memory d;
        d.p = _profileId(profileBit);
        d.at = uint48(asOf);
        d.feeBucket = _bucketOf(fee);
        d.exclude = exclude;
        d.seed = seed;
        (uint256 eligible, uint256 network) = _bar(d.p, d.feeBucket, exclude, d.at);
        if (eligible == 0 || eligible * BPS < network * minEligibleBps) return (members, weights);
        d.total = _draw[d.p].totalAt(d.at, MAX_EVALUATORS);
        d.top = 1;
        while (d.top < _list.length) d.top <<= 1;
        // the trust each candidate began the current trust period with: finalizations just
        // before the draw move no weight (a draw in a later period than the creation reads that
        // period's: accepted, docs/contract.md V9-7)
        d.period = uint32(block.timestamp / _params.trustPeriod);
        return _fill(d, k);
    }

    /// @dev Proposals until k members are accepted, or nothing after 4 k + 64 (or once nothing
    ///      is left to propose). A chosen slot, and a slot that is ineligible for this task, is
    ///      taken out of the tree for the later proposals; a slot that loses only its acceptance
    ///      draw stays in.
    function _fill(Draw memory d, uint256 k) internal view returns (address[] memory members, uint256[] memory weights) {
        uint256 tries = TRIES_PER_MEMBER * k + EXTRA_TRIES;
        Removed memory rem = Removed(new uint256[](tries), new uint256[](tries), 0);
        address[] memory picked = new address[](k);
        uint256[] memory w = new uint256[](k);
        uint256 n;
        for (uint256 t; n < k; ++t) {
            if (t == tries || d.total == 0) return (members, weights);
            Proposal memory q = _propose(d, t, _findSlot(d, t, rem));
            if (q.eligible && q.weight == 0) continue; // lost its acceptance draw: stays in
            rem.slots[rem.count] = q.slot;
            rem.weights[rem.count++] = q.leaf;
            d.total -= q.leaf;
            if (!q.eligible) continue;
            picked[n] = q.a;
            w[n++] = q.weight;
        }
        return (picked, w);
    }

    /// @dev The slot proposal `t` lands on, the removed slots taken out.
    function _findSlot(Draw memory d, uint256 t, Removed memory rem) internal view returns (uint256) {
        // keccak256(abi.encode(seed, t)), hashed in scratch space (no memory grows per proposal)
        bytes32 seed = d.seed;
        uint256 r;
        assembly ("memory-safe") {
            mstore(0, seed)
            mstore(0x20, t)
            r := keccak256(0, 0x40)
        }
        r %= d.total;
        return _draw[d.p].findAtExcept(r, d.at, d.top, rem.slots, rem.weights, rem.count);
    }

    /// @dev Proposal `t` of a draw lands on `slot`: its occupant, its leaf, whether it is
    ///      eligible at all, and its voting weight when it wins its acceptance draw (0 when it
    ///      loses). See previewDraw.
    function _propose(Draw memory d, uint256 t, uint256 slot) internal view returns (Proposal memory q) {
        q.slot = slot;
        // whoever held the slot when the task was created (its leaf is theirs), whatever
        // happened to the slot since: an exit, an eviction or a newcomer moves nothing
        address a = _ownerAt(slot, d.at);
        q.a = a;
        State memory s = _stateAt(a, d.at);
        q.leaf = s.part << s.tb;
        if (a == d.exclude || !s.live || s.bucket > d.feeBucket) return q;
        q.eligible = true;
        (uint256 trust, uint256 accept) = _acceptance(a, s, d.period);
        // keccak256(abi.encode(seed, t, 1)), hashed past the free memory pointer (not allocated)
        bytes32 seed = d.seed;
        uint256 h;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, seed)
            mstore(add(m, 0x20), t)
            mstore(add(m, 0x40), 1)
            h := keccak256(m, 0x60)
        }
        if (h % q.leaf < accept) q.weight = _votingWeight(trust, s.stake, _params.stakeCap);
    }

    /// @dev An eligible proposal's sampling trust and acceptance weight
    ///      min(trust, 2^tb) x min(part, stake), out of its leaf part x 2^tb.
    function _acceptance(address a, State memory s, uint32 period) internal view returns (uint256 trust, uint256 accept) {
        trust = _samplingTrust(_evaluators[a], period);
        uint256 bound = uint256(1) << s.tb;
        accept = (trust < bound ? trust : bound) * (s.part < s.stake ? s.part : s.stake);
    }


    /// @notice The eligibility bar of a draw as of `asOf`: the stake weight (min(stake, cap)
    ///         of evaluators holding at least minStake) serving `profileBit` at a cost <= `fee`,
    ///         and the network's (every evaluator serving some profile), the requester's own
    ///         left out of both. Zero for a retired profile.
    function eligibleStake(uint256 profileBit, uint256 fee, address exclude, uint256 asOf)
        external
        view
        returns (uint256 eligible, uint256 network)
    {
        return _bar(_profileId(profileBit), _bucketOf(fee), exclude, uint48(asOf));
    }

    /// @notice The sums kept for profile id `p` as of `asOf`: its draw tree's total (part x 2^tb
    ///         of each server), its price tree's total (part of each server) and the network's
    ///         (part of every evaluator serving some profile).
    function treeTotals(uint256 p, uint256 asOf) external view returns (uint256 draw, uint256 price, uint256 network) {
        uint48 at = uint48(asOf);
        return (_draw[p].totalAt(at, MAX_EVALUATORS), _price[p].totalAt(at, PRICE_BUCKETS), _network.valueAt(at));
    }

    /// @notice For off-chain replay of a draw of a task created at `asOf` (a scan: not for
    ///         contracts): every registry slot in order with its occupant then, its leaf in the
    ///         profile's draw tree (part x 2^tb) and the acceptance weight a proposal of it gets
    ///         (0 when it is ineligible: nobody, the requester, too expensive, under minStake).
    function drawInputs(uint256 profileBit, uint256 fee, address exclude, uint256 asOf)
        external
        view
        returns (address[] memory slots, uint256[] memory leaves, uint256[] memory accept)
    {
        uint256 p = _profileId(profileBit);
        uint256 n = _list.length;
        slots = new address[](n);
        leaves = new uint256[](n);
        accept = new uint256[](n);
        if (p == type(uint256).max) return (slots, leaves, accept);
        uint48 at = uint48(asOf);
        uint256 feeBucket = _bucketOf(fee);
        uint32 period = uint32(block.timestamp / _params.trustPeriod);
        for (uint256 i; i < n; ++i) {
            address a = _ownerAt(i + 1, at);
            slots[i] = a;
            leaves[i] = _draw[p].prefixAt(i + 1, at) - _draw[p].prefixAt(i, at);
            if (a == address(0) || a == exclude || leaves[i] == 0) continue;
            State memory s = _stateAt(a, at);
            if (!s.live || s.bucket > feeBucket) continue;
            (, accept[i]) = _acceptance(a, s, period);
        }
    }

    /// @notice For each member: trust and, for the members whose bit is set in
    ///         `slashableMask`, its slashable stake min(stake + unbonding, stakeCap) (zero for
    ///         the others): a miss costs a share of the stake that gave it weight, not of an
    ///         uncapped fortune.
    function memberStates(address[] calldata members, uint256 slashableMask)
        external
        view
        returns (uint256[] memory trust, uint256[] memory slashable)
    {
        uint256 k = members.length;
        trust = new uint256[](k);
        slashable = new uint256[](k);
        uint256 cap = _params.stakeCap;
        for (uint256 i; i < k; ++i) {
            Record storage e = _evaluators[members[i]];
            trust[i] = e.trust;
            if (slashableMask & (uint256(1) << i) != 0) {
                uint256 s = uint256(e.stake) + e.unbonding;
                slashable[i] = s < cap ? s : cap;
            }
        }
    }

    /// @notice Applies a finalised task: trust moves to `newTrust` (a rise is capped by the
    ///         trust-gain allowance of the current period), members whose bit is set in
    ///         `missedMask` are counted as missed, and `slash[i]` is taken from stake then
    ///         unbonding and sent to the settlement contract. Returns the trust set and the
    ///         amounts actually slashed.
    function settleMembers(address[] calldata members, uint256 missedMask, uint256[] calldata newTrust, uint256[] calldata slash)
        external
        onlySettlement
        returns (uint256[] memory trustSet, uint256[] memory slashed, uint256 total)
    {
        uint256 k = members.length;
        if (newTrust.length != k || slash.length != k) revert LengthMismatch();
        trustSet = new uint256[](k);
        slashed = new uint256[](k);
        // the period number (low 16 bits) and the allowance, read once: (period << 32) | allowance
        uint256 cap = ((block.timestamp / _params.trustPeriod) << 32) | _params.trustGainPerPeriod;
        for (uint256 i; i < k; ++i) {
            address a = members[i];
            Record storage e = _evaluators[a];
            trustSet[i] = _moveTrust(e, newTrust[i], cap);
            if (missedMask & (uint256(1) << i) != 0) e.tasksMissed += 1;
            if (slash[i] != 0) {
                uint256 taken = _slash(a, e, slash[i]);
                total += slashed[i] = taken;
                // the lower stake reaches the evaluator's history (its acceptance and voting
                // weight) at the next key; its tree leaves follow at its next write or `sync`
                if (taken != 0 && e.registered) _restake(a, e);
            }
        }
        if (total != 0) {
            totalStaked -= total;
            token.safeTransfer(settlement, total);
        }
    }

    // ------------------------------------------------------------------ views

    /// @notice Current staking parameters.
    function params() external view returns (StakingParams memory) {
        return _params;
    }

    /// @notice An evaluator's record: declared fields and history, with the effective stake,
    ///         cost and profiles in force now and `pendingAt`, the activation key of its latest
    ///         change while that is still ahead (0 otherwise).
    function getEvaluator(address evaluator) external view returns (Evaluator memory e) {
        Record storage r = _evaluators[evaluator];
        (e.stake, e.trust, e.periodTrust, e.periodGain, e.period) = (r.stake, r.trust, r.periodTrust, r.periodGain, r.period);
        (e.cost, e.profiles, e.unbonding, e.unbondAt, e.lockedUntil) = (r.cost, r.profiles, r.unbonding, r.unbondAt, r.lockedUntil);
        (e.tasksAssigned, e.tasksMissed, e.registered, e.known) = (r.tasksAssigned, r.tasksMissed, r.registered, r.known);
        (e.listIndex, e.unbondLock, e.slashAt, e.since) = (r.listIndex, r.unbondLock, r.slashAt, r.since);
        State memory s = _stateAt(evaluator, block.timestamp);
        e.effStake = uint88(s.stake);
        e.effCost = _gridValue(s.bucket);
        e.effProfiles = uint16(s.mask);
        uint256 pending = _latestKey(evaluator);
        if (pending > block.timestamp) e.pendingAt = uint32(pending);
    }

    /// @notice What sampling counts now: effective stake, cost and serve mask.
    function effectiveOf(address evaluator) external view returns (uint256 stake, uint256 cost, uint256 profiles) {
        State memory s = _stateAt(evaluator, block.timestamp);
        return (s.stake, _gridValue(s.bucket), s.mask);
    }

    /// @notice The effective state at `asOf` (a past or future time): stake, cost, serve mask,
    ///         the trust bound 2^tb of the draw weight, and `part`, the stake weight its tree
    ///         leaves carry (min(stake, cap) at its last write; a later slash lowers `stake` only).
    function stateAt(address evaluator, uint256 asOf)
        external
        view
        returns (uint256 stake, uint256 cost, uint256 profiles, uint256 trustBound, uint256 part)
    {
        State memory s = _stateAt(evaluator, asOf);
        return (s.stake, _gridValue(s.bucket), s.mask, uint256(1) << s.tb, s.part);
    }

    /// @notice A cost rounded up to the price grid (two significant digits), as `register` and
    ///         `setCost` store it.
    function gridCost(uint96 cost) external pure returns (uint256) {
        return _gridValue(_bucketOf(_roundUp(cost)));
    }

    /// @notice Registered evaluators, in slot order.
    function getEvaluators() external view returns (address[] memory out) {
        out = new address[](_active);
        uint256 n;
        for (uint256 i; i < _list.length; ++i) {
            if (_list[i] != address(0)) out[n++] = _list[i];
        }
    }

    /// @notice Number of registered evaluators.
    function evaluatorCount() external view returns (uint256) {
        return _active;
    }

    // ------------------------------------------------------------------ internals

    function _registered(address a) internal view returns (Record storage e) {
        e = _evaluators[a];
        if (!e.registered) revert NotRegistered(a);
    }

    /// @dev The next activation key: now + activationDelay, never before an earlier key (a
    ///      shorter delay set by governance waits for the clock).
    function _nextKey() internal returns (uint48 key) {
        key = uint48(block.timestamp + _params.activationDelay);
        if (key < _lastKey) key = _lastKey;
        _lastKey = key;
    }

    function _latestKey(address a) internal view returns (uint256 key) {
        key = _state[a].latestKey();
    }

    /// @dev When stake leaving sampling at activation key `key` may be withdrawn: after the
    ///      unbonding delay, and not before every task created while it still counted is past
    ///      its draw window (a draw as of the creation time must find the stake still bonded).
    function _unbondAt(uint48 key) internal view returns (uint40) {
        uint256 at = block.timestamp + _params.unbondingDelay;
        uint256 drawable = uint256(key) + drawWindow();
        return uint40(at > drawable ? at : drawable);
    }

    /// @notice How long after its creation a task may still be drawn (else it is cancelled):
    ///         max(activationDelay, unbondingDelay - activationDelay), so that, unbonding
    ///         taking at least unbondingDelay, stake leaving at a key is withdrawn only after every
    ///         task created while it counted is drawn or cancelled.
    function drawWindow() public view returns (uint256) {
        uint256 a = _params.activationDelay;
        uint256 u = _params.unbondingDelay;
        return u - a > a ? u - a : a;
    }

    /// @dev Schedules the evaluator's declared state (stake, cost, profiles; nothing once it
    ///      left the registry) with the current trust bound at the next activation key, and
    ///      moves its leaves in the sum trees by the difference from its previous state.
    function _write(address a, Record storage e) internal returns (uint48 key) {
        key = _nextKey();
        uint256 stake = e.registered ? e.stake : 0;
        uint256 mask = e.registered ? e.profiles : 0;
        uint256 part;
        if (stake >= _params.minStake) part = stake < _params.stakeCap ? stake : _params.stakeCap;
        State memory neu = State(stake, part, _bucketOf(e.cost), mask, _trustBound(e), part != 0);
        State memory old = _unpack(_state[a].latest());
        _state[a].push(key, _pack(neu));
        e.tb = uint8(neu.tb);
        _move(e.listIndex, old, neu, key);
        emit StateScheduled(a, stake, e.cost, mask, uint256(1) << neu.tb, key);
    }

    /// @dev Schedules the evaluator's lower stake after a slash at the next key, its tree
    ///      contributions (part, bucket, mask, trust bound) unchanged: one checkpoint, however
    ///      many trees it is in, so a finalize that slashes all k members stays cheap. A draw
    ///      weighs min(part, stake), so the slash counts there from its key; the bar's sums keep
    ///      the old part until the evaluator's next write (anyone may `sync` it).
    function _restake(address a, Record storage e) internal {
        uint48 key = _nextKey();
        State memory s = _unpack(_state[a].latest());
        s.stake = e.stake;
        s.live = s.live && e.stake >= _params.minStake;
        _state[a].push(key, _pack(s));
        emit StateScheduled(a, s.stake, _gridValue(s.bucket), s.mask, uint256(1) << s.tb, key);
    }

    /// @dev Moves one slot's contributions to the trees from `old` to `neu` from `key` on.
    function _move(uint256 slot, State memory old, State memory neu, uint48 key) internal {
        uint256 both = old.mask | neu.mask;
        for (uint256 p; both >> p != 0; ++p) {
            if ((both >> p) & 1 == 0) continue;
            uint256 o = (old.mask >> p) & 1 == 1 ? old.part : 0;
            uint256 w = (neu.mask >> p) & 1 == 1 ? neu.part : 0;
            _draw[p].update(slot, o << old.tb, w << neu.tb, key, MAX_EVALUATORS);
            if (old.bucket == neu.bucket) {
                _price[p].update(old.bucket + 1, o, w, key, PRICE_BUCKETS);
            } else {
                _price[p].update(old.bucket + 1, o, 0, key, PRICE_BUCKETS);
                _price[p].update(neu.bucket + 1, 0, w, key, PRICE_BUCKETS);
            }
        }
        uint256 oldNet = old.mask != 0 ? old.part : 0;
        uint256 newNet = neu.mask != 0 ? neu.part : 0;
        if (oldNet != newNet) _network.push(key, _network.latest() - oldNet + newNet);
    }

    /// @dev Eligible and network stake weight as of `at` (see `eligibleStake`).
    function _bar(uint256 p, uint256 feeBucket, address exclude, uint48 at)
        internal
        view
        returns (uint256 eligible, uint256 network)
    {
        if (p == type(uint256).max) return (0, 0);
        eligible = _price[p].prefixAt(feeBucket + 1, at);
        network = _network.valueAt(at);
        // the requester's own stake counts on neither side (whether or not it is still
        // registered: its state at `at` is in the sums)
        State memory s = _stateAt(exclude, at);
        if ((s.mask >> p) & 1 == 1 && s.bucket <= feeBucket) eligible -= s.part;
        if (s.mask != 0) network -= s.part;
    }

    /// @dev The profile id of an active profile's bit; type(uint256).max for a retired or
    ///      unknown one (nobody is drawn for it).
    function _profileId(uint256 profileBit) internal view returns (uint256) {
        if (profileBit == 0 || profileBit & (profileBit - 1) != 0 || profileRegistry.activeMask() & profileBit == 0) {
            return type(uint256).max;
        }
        uint256 p;
        while (profileBit >> p != 1) ++p;
        return p;
    }

    function _ownerAt(uint256 slot, uint48 asOf) internal view returns (address) {
        return address(uint160(_owner[slot].valueAt(asOf)));
    }

    function _stateAt(address a, uint256 asOf) internal view returns (State memory) {
        return _unpack(_state[a].valueAt(asOf));
    }

    /// @dev Packing of a state (224 bits): stake [0, 88), part [88, 176), bucket [176, 188),
    ///      mask [188, 204), tb [204, 212), live [212].
    function _pack(State memory s) internal pure returns (uint256) {
        return s.stake | (s.part << 88) | (s.bucket << 176) | (s.mask << 188) | (s.tb << 204) | (s.live ? uint256(1) << 212 : 0);
    }

    function _unpack(uint256 v) internal pure returns (State memory s) {
        s.stake = uint88(v);
        s.part = uint88(v >> 88);
        s.bucket = (v >> 176) & 0xfff;
        s.mask = uint16(v >> 188);
        s.tb = uint8(v >> 204);
        s.live = (v >> 212) & 1 == 1;
    }

    /// @dev log2 of the smallest power of two at or above both the trust and the trust the
    ///      current period began with (what a draw may weigh until the next write). Rewritten
    ///      when trust outgrows it or falls to a quarter of it or less.
    function _trustBound(Record storage e) internal view returns (uint256 tb) {
        uint256 t = _samplingTrust(e, uint32(block.timestamp / _params.trustPeriod));
        if (e.trust > t) t = e.trust;
        uint256 cur = e.tb;
        // keep the bound while trust stays within (bound / 4, bound]: trust moves at every
        // finalization, the trees only when it crosses
        if (cur != 0 && t <= (uint256(1) << cur) && t * 4 > (uint256(1) << cur)) return cur;
        while ((uint256(1) << tb) < t) ++tb;
    }

    /// @dev A cost rounded up to the price grid, checked against maxCost first.
    function _gridCost(uint96 cost) internal view returns (uint96) {
        if (cost > _params.maxCost) revert CostAboveMaximum(cost, _params.maxCost);
        uint256 g = _roundUp(cost);
        if (g > type(uint96).max) revert CostAboveMaximum(cost, _params.maxCost);
        return uint96(g);
    }

    /// @dev A cost rounded up to two significant decimal digits (the price grid).
    function _roundUp(uint256 c) internal pure returns (uint256) {
        if (c < 100) return c;
        uint256 unit = 1; // 10^(digits - 2)
        while (c >= unit * 100) unit *= 10;
        return c % unit == 0 ? c : (c / unit + 1) * unit;
    }

    /// @dev Price bucket of a cost or fee: 0 for 0, else 1 + 90 (digits - 1) + (its first two
    ///      significant digits - 10), so for a cost on the grid c <= f exactly when
    ///      bucket(c) <= bucket(f).
    function _bucketOf(uint256 c) internal pure returns (uint256) {
        if (c == 0) return 0;
        if (c >= 1e29) return PRICE_BUCKETS - 2; // above every uint96 cost
        uint256 digits = 1;
        uint256 unit = 1; // 10^(digits - 1)
        while (c >= unit * 10) {
            unit *= 10;
            ++digits;
        }
        uint256 lead = digits == 1 ? c * 10 : c / (unit / 10);
        return 1 + 90 * (digits - 1) + (lead - 10);
    }

    /// @dev The grid cost of a bucket (inverse of _bucketOf on the grid).
    function _gridValue(uint256 bucket) internal pure returns (uint96) {
        if (bucket == 0) return 0;
        uint256 digits = (bucket - 1) / 90 + 1;
        uint256 lead = (bucket - 1) % 90 + 10;
        return uint96(digits == 1 ? lead / 10 : lead * 10 ** (digits - 2));
    }

    /// @dev Takes a hole left by an exit, or a new place at the end.
    function _enlist(address a, Record storage e) internal {
        uint256 idx;
        if (_holes.length != 0) {
            idx = _holes[_holes.length - 1];
            _holes.pop();
            _list[idx] = a;
        } else {
            idx = _list.length;
            _list.push(a);
        }
        e.listIndex = uint32(idx + 1);
        ++_active;
    }

    /// @dev Leaves the registry: the sampling state drops to nothing from the next key (a
    ///      withdrawal's stake had already left), the slot is free at once (a draw as of an
    ///      earlier time rejects whoever takes it next).
    function _exit(address a, Record storage e, bool evicted) internal returns (uint48 key) {
        e.registered = false;
        key = _write(a, e);
        _owner[e.listIndex].push(key, 0);
        uint256 idx = e.listIndex - 1;
        _list[idx] = address(0);
        _holes.push(uint32(idx));
        --_active;
        e.listIndex = 0;
        emit EvaluatorExited(a, evicted);
    }

    function _votingWeight(uint256 trust, uint256 stake, uint256 cap) internal pure returns (uint256) {
        uint256 f = ((stake < cap ? stake : cap) << WEIGHT_SHIFT) / cap;
        return trust * (f == 0 ? 1 : f);
    }

    /// @dev Sets trust, capping a rise by what is left of the period's allowance. The first
    ///      change in a period records the trust the period began with (`periodTrust`),
    ///      which is what sampling weighs until the period ends: finalizing other tasks just
    ///      before a draw cannot move the draw. Periods are numbered floor(now / trustPeriod)
    ///      mod 2^16 (only equality matters; a wrap needs 65,536 periods without a change).
    function _moveTrust(Record storage e, uint256 target, uint256 cap) internal returns (uint256 t) {
        uint256 old = e.trust;
        t = target;
        if (t == old) return t;
        uint16 period = uint16(cap >> 32);
        if (e.period != period) {
            e.period = period;
            e.periodTrust = uint24(old);
            e.periodGain = 0;
        }
        if (t > old) {
            uint256 used = e.periodGain;
            uint256 allowance = uint32(cap);
            uint256 room = used < allowance ? allowance - used : 0;
            if (t - old > room) t = old + room;
            e.periodGain = uint16(used + (t - old));
        }
        e.trust = uint24(t);
    }

    /// @dev The trust sampling weighs: the trust the current period (`period`) began with.
    ///      Periods are compared for equality only (a governance change of trustPeriod
    ///      renumbers them; a mismatch reads the current trust).
    function _samplingTrust(Record storage e, uint32 period) internal view returns (uint256) {
        return e.period == uint16(period) ? e.periodTrust : e.trust;
    }

    /// @dev Takes up to `amount` from the declared stake, then unbonding. The lower stake
    ///      reaches sampling at its activation key (`slashAt`), `activationDelay` after the
    ///      slash: never at the moment someone chooses to finalize, and never later (the
    ///      caller writes the state at once). At most one slash per `activationDelay`: while
    ///      one matures, further misses take no stake (they still cost trust and fees), so a
    ///      burst of misses from one outage, or from a flood of tasks drawn onto one evaluator,
    ///      costs one `slashBps`, not one per task.
    function _slash(address a, Record storage e, uint256 amount) internal returns (uint256 taken) {
        if (e.slashAt > block.timestamp) return 0;
        e.slashAt = uint32(block.timestamp + _params.activationDelay);
        uint256 fromStake = amount <= e.stake ? amount : e.stake;
        e.stake -= uint88(fromStake);
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest <= e.unbonding ? rest : e.unbonding;
        e.unbonding -= uint96(fromUnbonding);
        taken = fromStake + fromUnbonding;
        emit Slashed(a, taken);
    }

    /// @dev Pulls exactly `amount`; refuses fee-on-transfer and other short-delivering tokens.
    function _pull(address from, uint256 amount) internal {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert UnsupportedToken(amount, received);
    }
}
