// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {Sampling} from "./libraries/Sampling.sol";
import {Governance, StakingParams} from "./libraries/Governance.sol";
import {ProfileRegistry} from "./ProfileRegistry.sol";

/// @title EvaluatorRegistry
/// @notice Evaluators' stake, trust, declared cost and served profiles, and the committee
///         draw. Holds every evaluator's stake; only the bound settlement contract
///         (ProofOfQuality) may draw committees, move trust and slash.
/// @dev Steering defence: a stake, cost or profile change (registration included) is
///      *declared* at once but counts for sampling only `activationDelay` seconds later (the
///      "effective" fields); nobody can opt into or out of a task already visible in the
///      mempool or on chain. Invariant:
///      token.balanceOf(this) >= totalStaked = sum of stake + unbonding.
contract EvaluatorRegistry is AccessControl, Pausable, ReentrancyGuard, Multicall {
    using SafeERC20 for IERC20;

    /// @notice May change the staking parameters.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May pause and unpause registration and stake additions.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    uint256 public constant BPS = 10_000;
    /// @notice Most evaluators registered at once (bounds the sampling scan). A full exit or an
    ///         eviction frees the place.
    uint256 public constant MAX_EVALUATORS = 128;
    /// @dev Precision of the stake factor of voting weights: trust x (stake / cap) x 2^24.
    uint256 private constant WEIGHT_SHIFT = 24;

    /// @notice An evaluator (four storage words; sampling reads the first two, settlement
    ///         writes only the first).
    struct Evaluator {
        // word 0: what sampling weighs and settlement moves
        uint88 stake; // declared active stake
        uint88 effStake; // stake sampling counts (effective)
        uint24 trust; // bps, 10000 = 1.0
        uint24 periodTrust; // trust when the period `period` began: what sampling weighs during it
        uint16 periodGain; // trust gained in period `period` (bps)
        uint16 period; // the trust period of the last trust change, floor(now / trustPeriod) mod 2^16
        // word 1: what sampling filters on
        uint96 cost; // declared cost per evaluation
        uint96 effCost;
        uint16 profiles; // declared serve mask (ProfileRegistry ids)
        uint16 effProfiles;
        uint32 pendingAt; // when the declared stake/cost/profiles become effective (0: none)
        // word 2
        uint96 unbonding; // requested for withdrawal, still slashable
        uint40 unbondAt; // when `unbonding` becomes withdrawable
        uint40 lockedUntil; // end (reveal deadline + grace) of the last committee it sits on
        uint32 tasksAssigned;
        uint32 tasksMissed;
        bool registered;
        bool known; // ever registered: trust is remembered across exits
        // word 3
        uint32 listIndex; // position in the evaluator list + 1 (0: not listed)
        uint40 unbondLock; // unbonding stays until then: the end of the last committee it counted for
        uint32 slashAt; // when the last slash reaches the effective stake (0: none pending)
    }

    /// @dev The draw's candidate filter, read from storage once per scan.
    struct Filter {
        uint256 drawable; // the active profiles: serving one of them makes an evaluator drawable
        uint256 minStake;
        uint256 cap;
        uint16 period;
    }

    IERC20 public immutable token;
    ProfileRegistry public immutable profileRegistry;
    /// @notice The settlement contract (ProofOfQuality), bound once at deployment.
    address public settlement;
    StakingParams internal _params;
    mapping(address => Evaluator) internal _evaluators;
    /// @dev Sampling order. An exit leaves a hole (address(0)) that the next registration
    ///      fills, so an exit never reorders the candidates of a draw (a reorder would change
    ///      which committee a known seed picks).
    address[] internal _list;
    uint32[] internal _holes;
    uint256 internal _active;
    /// @notice Sum of every evaluator's stake + unbonding.
    uint256 public totalStaked;

    event SettlementBound(address indexed settlement);
    event ParamsUpdated(StakingParams params);
    event EvaluatorRegistered(address indexed evaluator, uint256 stake, uint256 cost, uint256 profiles, uint256 trust, uint256 activeAt);
    event StakeAdded(address indexed evaluator, uint256 amount, uint256 newStake, uint256 activeAt);
    event CostUpdated(address indexed evaluator, uint256 cost, uint256 activeAt);
    event ProfilesUpdated(address indexed evaluator, uint256 profiles, uint256 activeAt);
    event UnbondRequested(address indexed evaluator, uint256 amount, uint256 unbonding, uint256 unbondAt);
    event StakeWithdrawn(address indexed evaluator, uint256 amount);
    event EvaluatorExited(address indexed evaluator, bool evicted);
    event MembersLocked(address[] members, uint256 lockedUntil);
    event Slashed(address indexed evaluator, uint256 amount);

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
    error ChangePending(uint256 pendingAt);
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

    /// @notice Replaces the staking parameters (GOVERNOR_ROLE, behind the timelock).
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
    ///         evaluation and the registered profiles it serves. Sampling counts it from
    ///         `activationDelay` seconds on. A new identity starts at `initialTrust`; an address
    ///         that registered before keeps the trust it had.
    function register(uint88 stake, uint96 cost, bytes32[] calldata profiles)
        external
        whenNotPaused
        nonReentrant
    {
        Evaluator storage e = _evaluators[msg.sender];
        if (e.registered) revert AlreadyRegistered(msg.sender);
        if (stake < _params.minStake) revert StakeBelowMinimum(stake, _params.minStake);
        if (cost > _params.maxCost) revert CostAboveMaximum(cost, _params.maxCost);
        if (_active >= MAX_EVALUATORS) revert TooManyEvaluators();
        uint16 mask = uint16(profileRegistry.maskOf(profiles));
        if (!e.known) {
            e.known = true;
            e.trust = uint24(_params.initialTrust);
            e.periodTrust = uint24(_params.initialTrust);
        }
        e.registered = true;
        e.stake = stake;
        e.effStake = 0;
        e.cost = cost;
        e.effCost = 0;
        e.profiles = mask;
        e.effProfiles = 0;
        uint32 at = _pendNow(e);
        _enlist(msg.sender, e);
        totalStaked += stake;
        emit EvaluatorRegistered(msg.sender, stake, cost, mask, e.trust, at);
        _pull(msg.sender, stake);
    }

    /// @notice Adds `amount` to the caller's stake (counts for sampling after the delay).
    function addStake(uint88 amount) external whenNotPaused nonReentrant {
        Evaluator storage e = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        _materialize(e);
        uint88 newStake = e.stake + amount;
        e.stake = newStake;
        uint32 at = _pendNow(e);
        totalStaked += amount;
        emit StakeAdded(msg.sender, amount, newStake, at);
        _pull(msg.sender, amount);
    }

    /// @notice Declares a new cost per evaluation (counts for sampling after the delay).
    function setCost(uint96 cost) external whenNotPaused {
        Evaluator storage e = _registered(msg.sender);
        if (cost > _params.maxCost) revert CostAboveMaximum(cost, _params.maxCost);
        _materialize(e);
        e.cost = cost;
        emit CostUpdated(msg.sender, cost, _pendNow(e));
    }

    /// @notice Declares the registered profiles the caller serves (counts after the delay).
    function setProfiles(bytes32[] calldata profiles) external whenNotPaused {
        Evaluator storage e = _registered(msg.sender);
        _materialize(e);
        uint16 mask = uint16(profileRegistry.maskOf(profiles));
        e.profiles = mask;
        emit ProfilesUpdated(msg.sender, mask, _pendNow(e));
    }

    /// @notice Moves `amount` of active stake to unbonding: withdrawable after the unbonding
    ///         delay (the timer restarts on every request), still slashable until then, and
    ///         still counted for sampling until the activation delay passes. The remaining
    ///         active stake must be zero (exit) or at least minStake.
    function requestUnbond(uint88 amount) external {
        Evaluator storage e = _registered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        if (amount > e.stake) revert InsufficientStake(amount, e.stake);
        uint88 remaining = e.stake - amount;
        if (remaining != 0 && remaining < _params.minStake) revert StakeBelowMinimum(remaining, _params.minStake);
        _materialize(e);
        e.stake = remaining;
        e.unbonding += amount;
        if (e.lockedUntil > e.unbondLock) e.unbondLock = e.lockedUntil;
        _pendNow(e);
        uint40 at = uint40(block.timestamp + _params.unbondingDelay);
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
        Evaluator storage e = _evaluators[msg.sender];
        uint256 amount = e.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < e.unbondAt) revert UnbondingNotElapsed(e.unbondAt);
        if (block.timestamp <= e.unbondLock) revert StakeLocked(e.unbondLock);
        // a withdrawal must not move the sampling weight at a moment its owner picks (e.g. just
        // before a visible draw): the unbonding stake has to have left the effective stake first
        if (e.pendingAt > block.timestamp) revert ChangePending(e.pendingAt);
        // nor bring a maturing slash into sampling early (the cap below would apply it now)
        if (e.slashAt > block.timestamp) revert ChangePending(e.slashAt);
        _materialize(e);
        e.unbonding = 0;
        // what sampling counts can never exceed what is left (a postponed change included)
        if (e.effStake > e.stake) e.effStake = e.stake;
        totalStaked -= amount;
        if (e.registered && e.stake == 0) _exit(msg.sender, e, false);
        emit StakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Frees the place of an evaluator that cannot be drawn: its declared and
    ///         effective stake are both under minStake, or it declares and effectively serves no
    ///         active profile (anyone may call). Its remaining stake starts unbonding; its trust is
    ///         remembered.
    function evict(address evaluator) external {
        Evaluator storage e = _registered(evaluator);
        uint256 minStake = _params.minStake;
        (uint256 effStake,, uint256 effMask) = _effective(e);
        // both the declared and the effective state: an exit in progress is not a way out of
        // sampling before the activation delay
        bool underMinimum = e.stake < minStake && effStake < minStake;
        uint256 active = profileRegistry.activeMask();
        bool servesNothing = e.profiles & active == 0 && effMask & active == 0;
        if (!underMinimum && !servesNothing) revert NotEvictable(evaluator);
        _materialize(e);
        if (e.lockedUntil > e.unbondLock) e.unbondLock = e.lockedUntil;
        if (e.stake != 0) {
            e.unbonding += e.stake;
            e.stake = 0;
            e.unbondAt = uint40(block.timestamp + _params.unbondingDelay);
            emit UnbondRequested(evaluator, e.unbonding, e.unbonding, e.unbondAt);
        }
        _exit(evaluator, e, true);
    }

    // ------------------------------------------------------------------ settlement hooks

    /// @notice Draws `k` distinct members among the evaluators whose effective state serves
    ///         `profileBit`, asks at most `fee`, holds at least minStake and is not `exclude`
    ///         (the requester), with probability proportional to trust x min(stake, stakeCap),
    ///         without replacement; locks each member's stake until `lockUntil` and returns its
    ///         voting weight (period trust x max(1, min(stake, cap) x 2^24 / cap)), which the
    ///         task keeps. Returns empty arrays (and changes nothing) when fewer than k are eligible,
    ///         when the eligible evaluators hold less than `minEligibleBps` of the network's
    ///         weight (the sampling weight of every evaluator that could be drawn for some task:
    ///         effective stake >= minStake, serving an active profile, any cost, the requester left
    ///         out), or when the profile was retired. Neither a price only the requester's own
    ///         cheap evaluators accept nor a profile only its own evaluators serve makes a committee.
    function drawCommittee(
        uint256 profileBit,
        uint256 fee,
        address exclude,
        uint256 k,
        bytes32 seed,
        uint40 lockUntil,
        uint256 minEligibleBps
    ) external onlySettlement returns (address[] memory members, uint256[] memory weights) {
        (address[] memory cand, uint256[] memory w, uint256 networkWeight) = _candidates(profileBit, fee, exclude);
        uint256 eligibleWeight;
        for (uint256 i; i < w.length; ++i) eligibleWeight += w[i];
        if (eligibleWeight * BPS < networkWeight * minEligibleBps) return (members, weights);
        (uint256[] memory picked, uint256 count) = Sampling.sample(w, k, seed);
        if (count < k) return (members, weights);
        members = new address[](k);
        weights = new uint256[](k);
        uint256 cap = _params.stakeCap;
        for (uint256 i; i < k; ++i) {
            address a = cand[picked[i]];
            members[i] = a;
            Evaluator storage e = _evaluators[a];
            (uint256 eff,,) = _effective(e);
            // the period's starting trust, like sampling: finalizing other tasks just before the
            // draw moves neither who is drawn nor how much each one weighs
            weights[i] = _votingWeight(_samplingTrust(e, uint16(block.timestamp / _params.trustPeriod)), eff, cap);
            if (lockUntil > e.lockedUntil) e.lockedUntil = lockUntil;
            // the unbonding part still counted for this draw: it stays until the task ends
            if (e.unbonding != 0 && eff > e.stake && lockUntil > e.unbondLock) e.unbondLock = lockUntil;
            e.tasksAssigned += 1;
        }
        emit MembersLocked(members, lockUntil);
    }

    /// @notice The eligible candidates `drawCommittee` would draw from, in list order, with
    ///         their sampling weights, and the network weight they are measured against: the
    ///         sampling weight of every evaluator but `exclude` with an effective stake of at
    ///         least minStake that serves an active profile, whatever its cost; nothing at all
    ///         for a retired profile (for off-chain replay).
    function candidates(uint256 profileBit, uint256 fee, address exclude)
        external
        view
        returns (address[] memory cand, uint256[] memory weights, uint256 networkWeight)
    {
        return _candidates(profileBit, fee, exclude);
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
            Evaluator storage e = _evaluators[members[i]];
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
            Evaluator storage e = _evaluators[members[i]];
            trustSet[i] = _moveTrust(e, newTrust[i], cap);
            if (missedMask & (uint256(1) << i) != 0) e.tasksMissed += 1;
            if (slash[i] != 0) total += slashed[i] = _slash(members[i], e, slash[i]);
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

    /// @notice An evaluator's record (declared and effective fields, history).
    function getEvaluator(address evaluator) external view returns (Evaluator memory) {
        return _evaluators[evaluator];
    }

    /// @notice What sampling counts now: effective stake, cost and serve mask.
    function effectiveOf(address evaluator) external view returns (uint256 stake, uint256 cost, uint256 profiles) {
        return _effective(_evaluators[evaluator]);
    }

    /// @notice Registered evaluators, in the sampling order.
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

    function _registered(address a) internal view returns (Evaluator storage e) {
        e = _evaluators[a];
        if (!e.registered) revert NotRegistered(a);
    }

    /// @dev Effective (stake, cost, mask): the declared values once their delay passed; and once
    ///      the last slash matured (`slashAt`), never more stake than is left at risk.
    function _effective(Evaluator storage e) internal view returns (uint256 stake, uint256 cost, uint256 mask) {
        uint256 at = e.pendingAt;
        if (at != 0 && at <= block.timestamp) (stake, cost, mask) = (e.stake, e.cost, e.profiles);
        else (stake, cost, mask) = (e.effStake, e.effCost, e.effProfiles);
        uint256 s = e.slashAt;
        if (s != 0 && s <= block.timestamp) {
            uint256 left = uint256(e.stake) + e.unbonding;
            if (stake > left) stake = left;
        }
    }

    /// @dev Writes the effective values when a pending change or slash is due.
    function _materialize(Evaluator storage e) internal {
        uint256 at = e.pendingAt;
        if (at != 0 && at <= block.timestamp) {
            e.effStake = e.stake;
            e.effCost = e.cost;
            e.effProfiles = e.profiles;
            e.pendingAt = 0;
        }
        uint256 s = e.slashAt;
        if (s != 0 && s <= block.timestamp) {
            uint256 left = uint256(e.stake) + e.unbonding;
            if (e.effStake > left) e.effStake = uint88(left);
            e.slashAt = 0;
        }
    }

    /// @dev Schedules the declared values to become effective after the activation delay.
    function _pendNow(Evaluator storage e) internal returns (uint32 at) {
        at = uint32(block.timestamp + _params.activationDelay);
        e.pendingAt = at;
    }

    /// @dev Takes a hole left by an exit, or a new place at the end.
    function _enlist(address a, Evaluator storage e) internal {
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

    function _exit(address a, Evaluator storage e, bool evicted) internal {
        uint256 idx = e.listIndex - 1;
        _list[idx] = address(0);
        _holes.push(uint32(idx));
        --_active;
        e.listIndex = 0;
        e.registered = false;
        e.effStake = 0;
        e.effCost = 0;
        e.effProfiles = 0;
        e.pendingAt = 0;
        emit EvaluatorExited(a, evicted);
    }

    function _votingWeight(uint256 trust, uint256 stake, uint256 cap) internal pure returns (uint256) {
        uint256 f = ((stake < cap ? stake : cap) << WEIGHT_SHIFT) / cap;
        return trust * (f == 0 ? 1 : f);
    }

    /// @dev One scan of the list: the eligible candidates (serve `profileBit`, cost <= fee) with
    ///      their sampling weights, and the network weight, the summed sampling weight of every
    ///      drawable evaluator (effective stake >= minStake, serving an active profile) whatever
    ///      its profile or cost. `exclude` (the requester) is in neither. Nothing at all when
    ///      `profileBit` is no longer active: a task whose profile was retired after its creation
    ///      is cancelled, not drawn among whoever still serves the retired profile (anyone may
    ///      execute a ready retirement, and evict at once the evaluators it leaves idle).
    function _candidates(uint256 profileBit, uint256 fee, address exclude)
        internal
        view
        returns (address[] memory cand, uint256[] memory weights, uint256 networkWeight)
    {
        uint256 total = _list.length;
        cand = new address[](total);
        weights = new uint256[](total);
        // what every candidate is measured against, read once for the whole scan
        Filter memory f = Filter({
            drawable: profileRegistry.activeMask(),
            minStake: _params.minStake,
            cap: _params.stakeCap,
            period: uint16(block.timestamp / _params.trustPeriod)
        });
        uint256 n;
        if (f.drawable & profileBit == 0) total = 0; // a retired profile: no candidates, no network
        for (uint256 i; i < total; ++i) {
            address a = _list[i];
            if (a == address(0) || a == exclude) continue;
            (uint256 w, uint256 cost, uint256 mask) = _samplingWeight(_evaluators[a], f);
            if (w == 0) continue;
            networkWeight += w;
            if (mask & profileBit == 0 || cost > fee) continue;
            cand[n] = a;
            weights[n] = w;
            ++n;
        }
        assembly ("memory-safe") {
            mstore(cand, n)
            mstore(weights, n)
        }
    }

    /// @dev Sampling weight (period trust x min(effective stake, cap)) of an evaluator that
    ///      could be drawn at all (effective stake >= minStake, effective serve mask meets
    ///      `f.drawable`), with its effective cost and serve mask; weight 0 for any other.
    function _samplingWeight(Evaluator storage e, Filter memory f)
        internal
        view
        returns (uint256 w, uint256 cost, uint256 mask)
    {
        uint256 stake;
        (stake, cost, mask) = _effective(e);
        if (mask & f.drawable == 0 || stake < f.minStake) return (0, cost, mask);
        w = _samplingTrust(e, f.period) * (stake < f.cap ? stake : f.cap);
    }

    /// @dev Sets trust, capping a rise by what is left of the period's allowance. The first
    ///      change in a period records the trust the period began with (`periodTrust`), which
    ///      is what sampling weighs until the period ends: finalizing other tasks just before a
    ///      draw cannot move the draw. Periods are numbered floor(now / trustPeriod) mod 2^16
    ///      (only equality matters; a wrap needs 65,536 periods without a change).
    function _moveTrust(Evaluator storage e, uint256 target, uint256 cap) internal returns (uint256 t) {
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

    /// @dev The trust sampling weighs: the trust the current period began with.
    function _samplingTrust(Evaluator storage e, uint16 period) internal view returns (uint256) {
        return e.period == period ? e.periodTrust : e.trust;
    }

    /// @dev Takes up to `amount` from the declared stake, then unbonding. The lower stake
    ///      reaches sampling at `slashAt`, `activationDelay` after the slash: never at the moment
    ///      someone chooses to finalize (a finalization just before a visible draw would
    ///      otherwise re-roll it), and never later than that (the evaluator's own changes cannot
    ///      postpone it, unlike `pendingAt`). At most one slash per `activationDelay`: while one
    ///      matures, further misses take no stake (they still cost trust and fees), so a burst of
    ///      misses from one outage, or from a flood of tasks drawn onto one evaluator, costs one
    ///      `slashBps`, not one per task.
    function _slash(address a, Evaluator storage e, uint256 amount) internal returns (uint256 taken) {
        _materialize(e);
        if (e.slashAt != 0) return 0;
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
