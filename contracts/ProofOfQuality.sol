// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {Rule} from "./libraries/Aggregation.sol";
import {ScorePacking} from "./libraries/ScorePacking.sol";
import {Sampling} from "./libraries/Sampling.sol";
import {Settlement, SettlementParams} from "./libraries/Settlement.sol";
import {Governance, GovernanceParams} from "./libraries/Governance.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";

/// @title ProofOfQuality
/// @notice Settles the quality of LLM inference outputs: staked evaluators, sampled per task by
///         trust, stake and cost, commit and reveal basis-point scores; finalisation takes a
///         robust per-output consensus, moves each evaluator's trust by its leave-one-out
///         deviation, slashes non-revealers and credits pull payments.
/// @dev Invariant: token.balanceOf(this) >= accountedBalance() = stakes + escrows + claimable
///      + treasury, with equality unless someone transfers tokens in directly. The math lives
///      in pure libraries (Aggregation, Trust, Sampling, Settlement); this contract orchestrates.
///      OpenZeppelin's Multicall lets one transaction carry many calls from the same sender
///      (an evaluator's commits or reveals for several tasks, finalizations of several tasks);
///      it is all-or-nothing, and every inner call keeps its own checks and msg.sender.
contract ProofOfQuality is AccessControl, Pausable, ReentrancyGuard, Multicall {
    using SafeERC20 for IERC20;
    using ScorePacking for uint256;

    // ------------------------------------------------------------------ constants

    /// @notice May change parameters and the randomness source.
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May pause and unpause new business.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice May withdraw slashed stake from the treasury.
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");

    uint256 public constant BPS = 10_000;
    uint256 public constant INITIAL_TRUST = 10_000;
    uint256 public constant MAX_K = 32;
    uint256 public constant MAX_OUTPUTS = 15;
    uint256 public constant MAX_EVALUATORS = 128;
    uint256 public constant MAX_TASK_DURATION = 30 days;
    uint256 public constant MAX_OPEN_TASKS = type(uint16).max;

    /// @dev Member word: scores in bits 0..239, committee index + 1 in bits 240..247, revealed bit 248.
    uint256 private constant INDEX_SHIFT = 240;
    uint256 private constant REVEALED_BIT = uint256(1) << 248;

    // ------------------------------------------------------------------ types

    /// @notice Task family (what kind of query the outputs answer).
    enum Family {
        QA,
        SUMMARIZATION,
        OPEN
    }

    /// @notice Task lifecycle.
    enum TaskStatus {
        NONE,
        OPEN,
        FINALIZED
    }

    /// @notice An evaluator (three storage words, packed for the hot paths).
    struct Evaluator {
        uint96 stake; // active bonded stake
        uint96 rewards; // accrued fees, claimable
        uint32 trust; // bps, 10000 = 1.0
        uint16 openTasks; // committees not yet finalised
        bool registered;
        uint96 unbonding; // requested for withdrawal, still slashable
        uint40 unbondAt; // when `unbonding` becomes withdrawable
        uint96 cost; // declared cost per evaluation
        uint32 tasksAssigned; // committees joined (incremented at sampling)
        uint32 tasksMissed; // finalized committees without a reveal
        uint128 rewardsClaimed; // fees paid out by claim(); lifetime earned = rewardsClaimed + rewards
    }

    /// @notice An inference node.
    struct Node {
        uint128 pending; // credited, not yet paid out
        uint128 lifetime; // total ever credited
        address payout;
        uint64 registeredAt;
        bytes32 modelId;
    }

    /// @notice Input of `createTask`.
    struct TaskSpec {
        uint8 family; // Family
        uint8 rule; // Rule
        uint8 k; // committee size
        uint40 commitDeadline; // last second commits are accepted
        uint40 revealDeadline; // last second reveals are accepted
        uint96 nodeBudget; // escrow for inference nodes
        uint96 evalBudget; // escrow for evaluator fees (the committee's costs must fit)
        bytes32 queryHash;
        bytes32 profileHash; // scoring profile evaluators must use
        address[] nodes; // inference node of each output
        bytes32[] outputHashes; // hash of each output
    }

    /// @notice A task (storage layout: word 0 holds everything commit/reveal touch; word 1
    ///         the requester and eval budget; word 2 the settlement parameters snapshot).
    struct Task {
        TaskStatus status;
        Rule rule;
        Family family;
        uint8 k;
        uint8 m;
        uint8 commits;
        uint8 reveals;
        bool hasConsensus;
        uint40 commitDeadline;
        uint40 revealDeadline;
        uint96 nodeBudget;
        address requester;
        uint96 evalBudget;
        SettlementParams params;
        uint256 consensus;
        bytes32 queryHash;
        bytes32 profileHash;
    }

    // ------------------------------------------------------------------ storage

    /// @notice The stake and reward token.
    IERC20 public immutable token;
    /// @notice Where committee seeds come from.
    IRandomnessSource public randomness;
    GovernanceParams internal _params;

    mapping(address => Evaluator) internal _evaluators;
    address[] internal _evaluatorList;
    mapping(address => Node) internal _nodes;

    /// @notice Number of tasks created; task ids are 1..taskCount.
    uint256 public taskCount;
    mapping(uint256 => Task) internal _tasks;
    mapping(uint256 => mapping(uint256 => address)) internal _outputNode;
    mapping(uint256 => mapping(uint256 => bytes32)) internal _outputHash;
    /// @dev taskId => committee index => address | cost << 160
    mapping(uint256 => mapping(uint256 => uint256)) internal _committee;
    /// @dev taskId => evaluator => member word (see INDEX_SHIFT)
    mapping(uint256 => mapping(address => uint256)) internal _member;
    mapping(uint256 => mapping(address => bytes32)) internal _commitment;

    /// @notice Refunds owed to requesters (evaluator fees and node payouts live in their records).
    mapping(address => uint256) public refunds;

    uint128 internal _totalStaked; // all evaluators' stake + unbonding
    uint128 internal _totalEscrow; // open tasks' budgets
    uint128 internal _totalClaimable; // refunds + evaluator rewards + node pending
    uint128 internal _treasury; // slashed stake not yet withdrawn

    // ------------------------------------------------------------------ events

    event EvaluatorRegistered(address indexed evaluator, uint256 stake, uint256 cost);
    event StakeAdded(address indexed evaluator, uint256 amount, uint256 newStake);
    event CostUpdated(address indexed evaluator, uint256 cost);
    event UnbondRequested(address indexed evaluator, uint256 amount, uint256 unbonding, uint256 unbondAt);
    event StakeWithdrawn(address indexed evaluator, uint256 amount);
    event NodeRegistered(address indexed node, address payout, bytes32 modelId);
    event NodeUpdated(address indexed node, address payout, bytes32 modelId);
    event TaskCreated(uint256 indexed taskId, address indexed requester, bytes32 indexed profileHash, TaskSpec spec);
    event CommitteeSampled(uint256 indexed taskId, bytes32 seed, address[] members, uint256[] costs);
    event Committed(uint256 indexed taskId, address indexed evaluator, bytes32 commitment);
    event Revealed(uint256 indexed taskId, address indexed evaluator, uint256 packedScores);
    event EvaluatorSettled(
        uint256 indexed taskId,
        address indexed evaluator,
        bool revealed,
        uint256 deviation,
        uint256 newTrust,
        uint256 pay,
        uint256 slashed
    );
    event OutputSettled(uint256 indexed taskId, uint256 indexed output, address indexed node, uint256 consensus, uint256 pay);
    event TaskFinalized(uint256 indexed taskId, bool hasConsensus, uint256 packedConsensus, uint256 refund, uint256 slashed);
    event Claimed(address indexed account, uint256 amount);
    event NodePaid(address indexed node, address indexed payout, uint256 amount);
    event TreasuryWithdrawn(address indexed to, uint256 amount);
    event ParamsUpdated(GovernanceParams params);
    event RandomnessSourceUpdated(address indexed source);

    // ------------------------------------------------------------------ errors

    error ZeroAddress();
    error ZeroAmount();
    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error StakeBelowMinimum(uint256 stake, uint256 minStake);
    error TooManyEvaluators();
    error InsufficientStake(uint256 requested, uint256 available);
    error NothingToWithdraw();
    error UnbondingNotElapsed(uint256 unbondAt);
    error StakeLocked(uint256 openTasks);
    error UnknownNode(address node);
    error InvalidFamily(uint8 family);
    error InvalidRule(uint8 rule);
    error InvalidCommitteeSize(uint256 k);
    error InvalidOutputCount(uint256 m);
    error LengthMismatch(uint256 nodes, uint256 outputHashes);
    error InvalidDeadlines(uint256 commitDeadline, uint256 revealDeadline);
    error CommitteeUnfillable(uint256 found, uint256 k);
    error UnknownTask(uint256 taskId);
    error TaskAlreadyFinalized(uint256 taskId);
    error NotCommitteeMember(uint256 taskId, address account);
    error CommitTooLate(uint256 commitDeadline);
    error AlreadyCommitted();
    error InvalidCommitment();
    error RevealTooEarly(uint256 commitDeadline);
    error RevealTooLate(uint256 revealDeadline);
    error NotCommitted();
    error AlreadyRevealed();
    error WrongScoreCount(uint256 expected, uint256 got);
    error ScoreOutOfRange(uint256 index, uint256 score);
    error CommitmentMismatch();
    error FinalizeTooEarly(uint256 revealDeadline);
    error NothingToClaim();
    error InsufficientTreasury(uint256 requested, uint256 available);
    /// @dev Thrown by the Governance library; declared here so it is part of this ABI.
    error ParamOutOfRange(bytes32 param);

    // ------------------------------------------------------------------ construction

    /// @param token_ stake and reward token
    /// @param randomness_ committee seed source
    /// @param admin receives every role
    /// @param params_ initial governance parameters (bounded)
    constructor(IERC20 token_, IRandomnessSource randomness_, address admin, GovernanceParams memory params_) {
        if (address(token_) == address(0) || address(randomness_) == address(0) || admin == address(0)) {
            revert ZeroAddress();
        }
        token = token_;
        randomness = randomness_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(TREASURER_ROLE, admin);
        _setParams(params_);
        emit RandomnessSourceUpdated(address(randomness_));
    }

    // ------------------------------------------------------------------ governance

    /// @notice Replaces the governance parameters (GOVERNOR_ROLE). Open tasks keep the
    ///         settlement parameters they snapshotted.
    /// @dev Reverts ParamOutOfRange(name) when a bound is violated.
    function setParams(GovernanceParams calldata params_) external onlyRole(GOVERNOR_ROLE) {
        _setParams(params_);
    }

    /// @notice Swaps the committee randomness source (GOVERNOR_ROLE).
    function setRandomnessSource(IRandomnessSource source) external onlyRole(GOVERNOR_ROLE) {
        if (address(source) == address(0)) revert ZeroAddress();
        randomness = source;
        emit RandomnessSourceUpdated(address(source));
    }

    /// @notice Stops new business: evaluator and node registration, stake additions, cost
    ///         changes and task creation (PAUSER_ROLE). Commit, reveal and finalize keep working
    ///         so running tasks end normally; unbonding, withdrawals and claims always work.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes new business (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Sends slashed stake from the treasury to `to` (TREASURER_ROLE).
    function withdrawTreasury(address to, uint256 amount) external onlyRole(TREASURER_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > _treasury) revert InsufficientTreasury(amount, _treasury);
        _treasury -= uint128(amount);
        emit TreasuryWithdrawn(to, amount);
        token.safeTransfer(to, amount);
    }

    function _setParams(GovernanceParams memory g) internal {
        Governance.validate(g);
        _params = g;
        emit ParamsUpdated(g);
    }

    // ------------------------------------------------------------------ evaluators

    /// @notice Registers the caller as an evaluator, bonding `stake` (>= minStake) and declaring
    ///         its `cost` per evaluation. Trust starts at INITIAL_TRUST.
    function registerEvaluator(uint96 stake, uint96 cost) external whenNotPaused nonReentrant {
        Evaluator storage e = _evaluators[msg.sender];
        if (e.registered) revert AlreadyRegistered(msg.sender);
        if (stake < _params.minStake) revert StakeBelowMinimum(stake, _params.minStake);
        if (_evaluatorList.length >= MAX_EVALUATORS) revert TooManyEvaluators();
        e.registered = true;
        e.stake = stake;
        e.trust = uint32(INITIAL_TRUST);
        e.cost = cost;
        _evaluatorList.push(msg.sender);
        _totalStaked += stake;
        emit EvaluatorRegistered(msg.sender, stake, cost);
        token.safeTransferFrom(msg.sender, address(this), stake);
    }

    /// @notice Adds `amount` to the caller's active stake.
    function addStake(uint96 amount) external whenNotPaused nonReentrant {
        Evaluator storage e = _evaluators[msg.sender];
        if (!e.registered) revert NotRegistered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint96 newStake = e.stake + amount;
        e.stake = newStake;
        _totalStaked += amount;
        emit StakeAdded(msg.sender, amount, newStake);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Declares a new cost per evaluation (applies to committees sampled from now on).
    function setCost(uint96 cost) external whenNotPaused {
        Evaluator storage e = _evaluators[msg.sender];
        if (!e.registered) revert NotRegistered(msg.sender);
        e.cost = cost;
        emit CostUpdated(msg.sender, cost);
    }

    /// @notice Moves `amount` of active stake to unbonding; withdrawable after the unbonding
    ///         delay (the timer restarts on every request). The remaining active stake must be
    ///         zero (exit) or at least minStake. Unbonding stake is still slashable.
    function requestUnbond(uint96 amount) external {
        Evaluator storage e = _evaluators[msg.sender];
        if (!e.registered) revert NotRegistered(msg.sender);
        if (amount == 0) revert ZeroAmount();
        if (amount > e.stake) revert InsufficientStake(amount, e.stake);
        uint96 remaining = e.stake - amount;
        if (remaining != 0 && remaining < _params.minStake) revert StakeBelowMinimum(remaining, _params.minStake);
        e.stake = remaining;
        e.unbonding += amount;
        uint40 at = uint40(block.timestamp + _params.unbondingDelay);
        e.unbondAt = at;
        emit UnbondRequested(msg.sender, amount, e.unbonding, at);
    }

    /// @notice Withdraws all unbonded stake once the delay elapsed and no committee the caller
    ///         sits on is still open.
    function withdraw() external nonReentrant {
        Evaluator storage e = _evaluators[msg.sender];
        uint256 amount = e.unbonding;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < e.unbondAt) revert UnbondingNotElapsed(e.unbondAt);
        if (e.openTasks != 0) revert StakeLocked(e.openTasks);
        e.unbonding = 0;
        _totalStaked -= uint128(amount);
        emit StakeWithdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ inference nodes

    /// @notice Registers the caller as an inference node paid to `payout`, serving `modelId`.
    function registerNode(address payout, bytes32 modelId) external whenNotPaused {
        if (payout == address(0)) revert ZeroAddress();
        Node storage nd = _nodes[msg.sender];
        if (nd.registeredAt != 0) revert AlreadyRegistered(msg.sender);
        nd.payout = payout;
        nd.modelId = modelId;
        nd.registeredAt = uint64(block.timestamp);
        emit NodeRegistered(msg.sender, payout, modelId);
    }

    /// @notice Changes the caller's payout address and model id.
    function updateNode(address payout, bytes32 modelId) external {
        if (payout == address(0)) revert ZeroAddress();
        Node storage nd = _nodes[msg.sender];
        if (nd.registeredAt == 0) revert NotRegistered(msg.sender);
        nd.payout = payout;
        nd.modelId = modelId;
        emit NodeUpdated(msg.sender, payout, modelId);
    }

    // ------------------------------------------------------------------ tasks

    /// @notice Creates a task, samples its committee and escrows nodeBudget + evalBudget from
    ///         the caller (approve first).
    /// @return taskId the new task's id
    function createTask(TaskSpec calldata spec) external whenNotPaused nonReentrant returns (uint256 taskId) {
        uint256 m = _validateSpec(spec);
        taskId = ++taskCount;

        bytes32 entropy = keccak256(abi.encode(msg.sender, spec));
        bytes32 seed = randomness.seed(taskId, entropy);
        (address[] memory members, uint256[] memory costs) = _sampleCommittee(spec.k, spec.evalBudget, seed);

        Task storage t = _tasks[taskId];
        t.status = TaskStatus.OPEN;
        t.rule = Rule(spec.rule);
        t.family = Family(spec.family);
        t.k = spec.k;
        t.m = uint8(m);
        t.commitDeadline = spec.commitDeadline;
        t.revealDeadline = spec.revealDeadline;
        t.nodeBudget = spec.nodeBudget;
        t.requester = msg.sender;
        t.evalBudget = spec.evalBudget;
        t.params = _params.settlement;
        t.queryHash = spec.queryHash;
        t.profileHash = spec.profileHash;
        for (uint256 j; j < m; ++j) {
            _outputNode[taskId][j] = spec.nodes[j];
            _outputHash[taskId][j] = spec.outputHashes[j];
        }
        for (uint256 i; i < members.length; ++i) {
            address a = members[i];
            _committee[taskId][i] = uint256(uint160(a)) | (costs[i] << 160);
            _member[taskId][a] = (i + 1) << INDEX_SHIFT;
            Evaluator storage e = _evaluators[a];
            e.openTasks += 1;
            e.tasksAssigned += 1;
        }
        uint256 budget = uint256(spec.nodeBudget) + spec.evalBudget;
        _totalEscrow += uint128(budget);

        emit TaskCreated(taskId, msg.sender, spec.profileHash, spec);
        emit CommitteeSampled(taskId, seed, members, costs);
        token.safeTransferFrom(msg.sender, address(this), budget);
    }

    function _validateSpec(TaskSpec calldata spec) internal view returns (uint256 m) {
        if (spec.family > uint8(type(Family).max)) revert InvalidFamily(spec.family);
        if (spec.rule > uint8(type(Rule).max)) revert InvalidRule(spec.rule);
        if (spec.k == 0 || spec.k > MAX_K) revert InvalidCommitteeSize(spec.k);
        m = spec.nodes.length;
        if (m == 0 || m > MAX_OUTPUTS) revert InvalidOutputCount(m);
        if (spec.outputHashes.length != m) revert LengthMismatch(m, spec.outputHashes.length);
        if (
            spec.commitDeadline <= block.timestamp || spec.revealDeadline <= spec.commitDeadline
                || spec.revealDeadline > block.timestamp + MAX_TASK_DURATION
        ) revert InvalidDeadlines(spec.commitDeadline, spec.revealDeadline);
        for (uint256 j; j < m; ++j) {
            if (_nodes[spec.nodes[j]].registeredAt == 0) revert UnknownNode(spec.nodes[j]);
        }
    }

    /// @dev Draws the committee (see Sampling) from the eligible candidates.
    function _sampleCommittee(uint256 k, uint256 evalBudget, bytes32 seed)
        internal
        view
        returns (address[] memory members, uint256[] memory costs)
    {
        (address[] memory cand, uint256[] memory weights, uint256[] memory candCost) = _candidates();
        (uint256[] memory picked, uint256 count) = Sampling.sample(weights, candCost, k, evalBudget, seed);
        if (count < k) revert CommitteeUnfillable(count, k);
        members = new address[](k);
        costs = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            members[i] = cand[picked[i]];
            costs[i] = candCost[picked[i]];
        }
    }

    /// @dev Eligible = registered, stake >= minStake, openTasks < MAX_OPEN_TASKS; weight =
    ///      trust * min(stake, stakeCap); candidates in registration order.
    function _candidates()
        internal
        view
        returns (address[] memory cand, uint256[] memory weights, uint256[] memory candCost)
    {
        uint256 total = _evaluatorList.length;
        cand = new address[](total);
        weights = new uint256[](total);
        candCost = new uint256[](total);
        uint256 minStake = _params.minStake;
        uint256 cap = _params.stakeCap;
        uint256 n;
        for (uint256 i; i < total; ++i) {
            address a = _evaluatorList[i];
            Evaluator storage e = _evaluators[a];
            uint256 stake = e.stake;
            if (stake < minStake || e.openTasks >= MAX_OPEN_TASKS) continue;
            cand[n] = a;
            weights[n] = uint256(e.trust) * (stake < cap ? stake : cap);
            candCost[n] = e.cost;
            ++n;
        }
        assembly ("memory-safe") {
            mstore(cand, n)
            mstore(weights, n)
            mstore(candCost, n)
        }
    }

    /// @notice Commits `commitment` = keccak256(abi.encode(chainid, this, taskId, msg.sender,
    ///         uint16[] scores, bytes32 salt)) before the commit deadline (committee only).
    function commit(uint256 taskId, bytes32 commitment) external {
        Task storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.commitDeadline) revert CommitTooLate(t.commitDeadline);
        if (_member[taskId][msg.sender] == 0) revert NotCommitteeMember(taskId, msg.sender);
        if (commitment == bytes32(0)) revert InvalidCommitment();
        if (_commitment[taskId][msg.sender] != bytes32(0)) revert AlreadyCommitted();
        _commitment[taskId][msg.sender] = commitment;
        unchecked {
            t.commits += 1;
        }
        emit Committed(taskId, msg.sender, commitment);
    }

    /// @notice Reveals the committed scores (one bps score per output) and salt. Allowed after
    ///         the commit deadline, or earlier once the whole committee has committed, and until
    ///         the reveal deadline.
    function reveal(uint256 taskId, uint16[] calldata scores, bytes32 salt) external {
        Task storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.revealDeadline) revert RevealTooLate(t.revealDeadline);
        if (block.timestamp <= t.commitDeadline && t.commits < t.k) revert RevealTooEarly(t.commitDeadline);
        uint256 word = _member[taskId][msg.sender];
        if (word == 0) revert NotCommitteeMember(taskId, msg.sender);
        bytes32 c = _commitment[taskId][msg.sender];
        if (c == bytes32(0)) revert NotCommitted();
        if (word & REVEALED_BIT != 0) revert AlreadyRevealed();
        uint256 m = t.m;
        if (scores.length != m) revert WrongScoreCount(m, scores.length);
        for (uint256 j; j < m; ++j) {
            if (scores[j] > BPS) revert ScoreOutOfRange(j, scores[j]);
        }
        if (keccak256(abi.encode(block.chainid, address(this), taskId, msg.sender, scores, salt)) != c) {
            revert CommitmentMismatch();
        }
        uint256 packed = ScorePacking.pack(scores);
        _member[taskId][msg.sender] = word | REVEALED_BIT | packed;
        unchecked {
            t.reveals += 1;
        }
        emit Revealed(taskId, msg.sender, packed);
    }

    /// @notice Settles a task (anyone): after the reveal deadline, or once every member revealed.
    ///         Works with zero reveals (full refund, non-revealers penalised).
    function finalize(uint256 taskId) external {
        Task storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        uint256 k = t.k;
        if (block.timestamp <= t.revealDeadline && t.reveals < k) revert FinalizeTooEarly(t.revealDeadline);
        uint256 m = t.m;

        address[] memory addrs = new address[](k);
        Settlement.Member[] memory mem = new Settlement.Member[](k);
        for (uint256 i; i < k; ++i) {
            uint256 cw = _committee[taskId][i];
            address a = address(uint160(cw));
            addrs[i] = a;
            uint256 word = _member[taskId][a];
            Evaluator storage e = _evaluators[a];
            Settlement.Member memory x = mem[i];
            x.trust = e.trust;
            x.cost = cw >> 160;
            if (word & REVEALED_BIT != 0) {
                x.revealed = true;
                x.scores = word & ScorePacking.SCORES_MASK;
            } else {
                x.stake = uint256(e.stake) + e.unbonding;
            }
        }

        Settlement.Outcome memory o =
            Settlement.settle(uint8(t.rule), t.params, mem, m, t.nodeBudget, t.evalBudget);

        t.status = TaskStatus.FINALIZED;
        t.hasConsensus = o.hasConsensus;
        if (o.hasConsensus) t.consensus = o.consensus;

        uint256 credited = o.refund;
        for (uint256 i; i < k; ++i) {
            credited += _settleEvaluator(taskId, addrs[i], mem[i].revealed, o, i);
        }
        if (o.hasConsensus) {
            for (uint256 j; j < m; ++j) {
                uint256 pay = o.nodePay[j];
                address node = _outputNode[taskId][j];
                if (pay != 0) {
                    Node storage nd = _nodes[node];
                    nd.pending += uint128(pay);
                    nd.lifetime += uint128(pay);
                    credited += pay;
                }
                emit OutputSettled(taskId, j, node, o.consensus.get(j), pay);
            }
        }
        if (o.refund != 0) refunds[t.requester] += o.refund;

        _totalEscrow -= uint128(uint256(t.nodeBudget) + t.evalBudget);
        _totalClaimable += uint128(credited);
        if (o.treasury != 0) {
            _totalStaked -= uint128(o.treasury);
            _treasury += uint128(o.treasury);
        }
        emit TaskFinalized(taskId, o.hasConsensus, o.consensus, o.refund, o.treasury);
    }

    /// @dev Writes one member's outcome; returns the fee credited.
    function _settleEvaluator(uint256 taskId, address a, bool revealed, Settlement.Outcome memory o, uint256 i)
        internal
        returns (uint256 pay)
    {
        Evaluator storage e = _evaluators[a];
        pay = o.evaluatorPay[i];
        uint256 slashed = o.slashed[i];
        e.trust = uint32(o.newTrust[i]);
        e.openTasks -= 1;
        if (revealed) {
            e.rewards += uint96(pay); // same word as trust and openTasks: one SSTORE per revealer
        } else {
            e.tasksMissed += 1;
            if (slashed != 0) {
                uint256 fromStake = slashed <= e.stake ? slashed : e.stake;
                e.stake -= uint96(fromStake);
                if (slashed > fromStake) e.unbonding -= uint96(slashed - fromStake);
            }
        }
        emit EvaluatorSettled(taskId, a, revealed, o.deviation[i], o.newTrust[i], pay, slashed);
    }

    function _requireOpen(Task storage t, uint256 taskId) internal view {
        TaskStatus s = t.status;
        if (s == TaskStatus.OPEN) return;
        if (s == TaskStatus.NONE) revert UnknownTask(taskId);
        revert TaskAlreadyFinalized(taskId);
    }

    // ------------------------------------------------------------------ payouts

    /// @notice Pays the caller its refunds plus evaluator rewards (pull payment).
    function claim() external nonReentrant {
        uint256 refund = refunds[msg.sender];
        uint256 rewards = _evaluators[msg.sender].rewards;
        uint256 amount = refund + rewards;
        if (amount == 0) revert NothingToClaim();
        if (refund != 0) refunds[msg.sender] = 0;
        if (rewards != 0) {
            Evaluator storage e = _evaluators[msg.sender];
            e.rewards = 0;
            e.rewardsClaimed += uint128(rewards);
        }
        _totalClaimable -= uint128(amount);
        emit Claimed(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays `node`'s pending payouts to its registered payout address (anyone may call).
    function claimNode(address node) external nonReentrant {
        Node storage nd = _nodes[node];
        uint256 amount = nd.pending;
        if (amount == 0) revert NothingToClaim();
        nd.pending = 0;
        _totalClaimable -= uint128(amount);
        address payout = nd.payout;
        emit NodePaid(node, payout, amount);
        token.safeTransfer(payout, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Current governance parameters.
    function params() external view returns (GovernanceParams memory) {
        return _params;
    }

    /// @notice A task's state (status NONE for unknown ids). `consensus` is packed; see getConsensus.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _tasks[taskId];
    }

    /// @notice A task's outputs: inference node and output hash of each.
    function getOutputs(uint256 taskId) external view returns (address[] memory nodes, bytes32[] memory hashes) {
        uint256 m = _tasks[taskId].m;
        nodes = new address[](m);
        hashes = new bytes32[](m);
        for (uint256 j; j < m; ++j) {
            nodes[j] = _outputNode[taskId][j];
            hashes[j] = _outputHash[taskId][j];
        }
    }

    /// @notice A task's committee in sampling order, with each member's snapshotted fee.
    function getCommittee(uint256 taskId) external view returns (address[] memory members, uint256[] memory costs) {
        uint256 k = _tasks[taskId].k;
        members = new address[](k);
        costs = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            uint256 cw = _committee[taskId][i];
            members[i] = address(uint160(cw));
            costs[i] = cw >> 160;
        }
    }

    /// @notice One evaluator's standing in a task.
    function getMember(uint256 taskId, address evaluator)
        external
        view
        returns (bool isMember, bool committed, bool revealed, bytes32 commitment, uint16[] memory scores)
    {
        uint256 word = _member[taskId][evaluator];
        isMember = word != 0;
        commitment = _commitment[taskId][evaluator];
        committed = commitment != bytes32(0);
        revealed = word & REVEALED_BIT != 0;
        scores = revealed ? (word & ScorePacking.SCORES_MASK).unpack(_tasks[taskId].m) : new uint16[](0);
    }

    /// @notice Per-output consensus of a finalised task (empty when none).
    function getConsensus(uint256 taskId) external view returns (bool hasConsensus, uint16[] memory consensus) {
        Task storage t = _tasks[taskId];
        hasConsensus = t.hasConsensus;
        consensus = hasConsensus ? t.consensus.unpack(t.m) : new uint16[](0);
    }

    /// @notice An evaluator's trust, stake, rewards and history.
    function getEvaluator(address evaluator) external view returns (Evaluator memory) {
        return _evaluators[evaluator];
    }

    /// @notice An evaluator's history: committees joined, revealed, missed and still open, and
    ///         all fees ever credited.
    function evaluatorHistory(address evaluator)
        external
        view
        returns (uint256 assigned, uint256 revealed, uint256 missed, uint256 open, uint256 lifetimeEarned)
    {
        Evaluator storage e = _evaluators[evaluator];
        assigned = e.tasksAssigned;
        missed = e.tasksMissed;
        open = e.openTasks;
        revealed = assigned - missed - open;
        lifetimeEarned = uint256(e.rewardsClaimed) + e.rewards;
    }

    /// @notice Registered evaluators (registration order, the sampling order).
    function getEvaluators() external view returns (address[] memory) {
        return _evaluatorList;
    }

    /// @notice An inference node's payout address, model, pending and lifetime payouts.
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @notice What `claim()` would pay `account` now.
    function claimableOf(address account) external view returns (uint256) {
        return refunds[account] + _evaluators[account].rewards;
    }

    /// @notice The internal accounts; their sum must equal the token balance held.
    function totals()
        external
        view
        returns (uint256 staked, uint256 escrowed, uint256 claimable, uint256 treasury)
    {
        return (_totalStaked, _totalEscrow, _totalClaimable, _treasury);
    }

    /// @notice stakes + escrows + claimable + treasury.
    function accountedBalance() external view returns (uint256) {
        return uint256(_totalStaked) + _totalEscrow + _totalClaimable + _treasury;
    }

    /// @notice The commitment `evaluator` must submit for `scores` and `salt` in `taskId`.
    function commitmentFor(uint256 taskId, address evaluator, uint16[] calldata scores, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), taskId, evaluator, scores, salt));
    }
}
