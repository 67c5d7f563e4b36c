// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";

import {Rule} from "./libraries/Aggregation.sol";
import {Family, TaskStatus, Node, TaskRecord} from "./libraries/TaskTypes.sol";
import {ScorePacking} from "./libraries/ScorePacking.sol";
import {TaskBlob} from "./libraries/TaskBlob.sol";
import {SettlementParams} from "./libraries/Settlement.sol";
import {TaskSettlement} from "./libraries/TaskSettlement.sol";
import {Sealing} from "./libraries/Sealing.sol";
import {Governance, GovernanceParams, TaskParams} from "./libraries/Governance.sol";
import {IRandomnessSource} from "./interfaces/IRandomnessSource.sol";
import {EvaluatorRegistry} from "./EvaluatorRegistry.sol";
import {ProfileRegistry} from "./ProfileRegistry.sol";

/// @title ProofOfQuality
/// @notice Tasks and settlement. A requester escrows a task's budgets and pays a protocol fee;
///         in a later block anyone draws the committee (seeded by the hash of the block that
///         included the task) from the EvaluatorRegistry among evaluators serving the task's
///         registered profile whose cost fits the per-member fee; members commit then reveal
///         basis-point scores inside protocol-bounded windows; finalisation takes a robust
///         per-output consensus, moves trust by each member's largest leave-one-out deviation,
///         slashes non-revealers to the benefit of the task's honest revealers and credits
///         pull payments.
/// @dev Invariant: token.balanceOf(this) >= accountedBalance() = escrows + claimable + treasury
///      + burned (stakes live in the EvaluatorRegistry). The math lives in pure libraries
///      (Aggregation, Trust, Settlement; the draw is the registry's); this contract orchestrates. OpenZeppelin's
///      Multicall batches an account's calls (draws, commits, reveals, finalizations).
contract ProofOfQuality is AccessControl, Pausable, ReentrancyGuardTransient, Multicall {
    using SafeERC20 for IERC20;
    using ScorePacking for uint256;

    // ------------------------------------------------------------------ constants

    /// @notice May change parameters and the randomness source (a TimelockController).
    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    /// @notice May pause and unpause task creation.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @notice May withdraw protocol fees from the treasury (a TimelockController).
    bytes32 public constant TREASURER_ROLE = keccak256("TREASURER_ROLE");

    uint256 public constant BPS = 10_000;
    uint256 public constant MAX_K = 32;
    uint256 public constant MAX_OUTPUTS = 15;
    /// @notice A member's stake stays locked this long after its last reveal deadline, so a
    ///         non-revealer cannot withdraw before someone finalizes and slashes it.
    uint256 public constant FINALIZE_GRACE = 1 days;
    /// @notice Gas given to the optional randomness source (it cannot eat the draw's gas).
    uint256 public constant RANDOMNESS_GAS = 100_000;

    /// @dev Member word bits (ScorePacking): committed, revealed, abstained.
    uint256 private constant COMMITTED_BIT = ScorePacking.COMMITTED_BIT;
    uint256 private constant REVEALED_BIT = ScorePacking.REVEALED_BIT;
    uint256 private constant ABSTAINED_BIT = ScorePacking.ABSTAINED_BIT;

    // ------------------------------------------------------------------ types

    /// @notice Input of `createTask`.
    struct TaskSpec {
        uint8 family; // Family
        uint8 rule; // Rule
        uint8 k; // committee size, in [minK, MAX_K]
        uint32 commitWindow; // seconds from the draw, in [minCommitWindow, maxCommitWindow]
        uint32 revealWindow; // seconds after the commit deadline, in [minRevealWindow, maxRevealWindow]
        uint96 nodeBudget; // escrow for inference nodes
        uint96 evalBudget; // escrow for the committee: fee per member = evalBudget / k
        bytes32 queryHash;
        bytes32 profileHash; // a registered, active scoring profile
        address refundTo; // where refunds are credited (zero: the requester)
        address[] nodes; // inference node of each output
        bytes32[] outputHashes; // hash of each output
    }

    /// @notice A task as `getTask` returns it (rebuilt from `TaskRecord`, the settlement
    ///         parameters' history, the profile registry and the task's blob).
    struct Task {
        TaskStatus status;
        Rule rule;
        Family family;
        uint8 k;
        uint8 m;
        uint8 commits;
        uint8 reveals;
        bool hasConsensus;
        uint40 commitDeadline; // set at the draw
        uint40 revealDeadline;
        uint96 nodeBudget;
        address requester;
        uint96 fee; // per member
        SettlementParams params;
        uint32 commitWindow;
        uint32 revealWindow;
        uint8 profileId;
        address refundTo;
        uint64 seedBlock; // the block whose hash seeds the draw
        uint256 consensus;
        bytes32 contentHash; // keccak256(abi.encodePacked(spec.queryHash, spec.outputHashes)); TaskCreated has both
        bytes32 profileHash;
    }

    // ------------------------------------------------------------------ storage

    /// @notice The stake and reward token.
    IERC20 public immutable token;
    /// @notice Evaluators' stakes, trust and the committee draw.
    EvaluatorRegistry public immutable registry;
    /// @notice The scoring profiles tasks may name.
    ProfileRegistry public immutable profiles;
    /// @notice Optional extra seed source (zero: the block seed alone).
    IRandomnessSource public randomness;
    GovernanceParams internal _params;

    mapping(address => Node) internal _nodes;

    /// @dev One word for what every createTask reads and writes: the task count (task ids are
    ///      1..taskCount), the current settlement parameter version, the escrow of open and
    ///      pending tasks (bounded by the tokens held, < 2^128: docs/contract.md, "Numbers") and
    ///      the number of blobs this contract has created (its CREATE nonce is that + 1; the
    ///      tasks store blob nonces, TaskBlob.at). One cold read and one rewrite instead of
    ///      three reads and two writes, and the count keeps the word from ever emptying
    ///      (refilling an empty word costs 17,100 gas more). 2^32 - 1 blobs at most (two a
    ///      task): checked arithmetic reverts the next create after that.
    uint64 internal _taskCount;
    uint32 internal _paramsVersion;
    uint128 internal _escrow;
    uint32 internal _blobs;
    mapping(uint256 => TaskRecord) internal _tasks;
    /// @dev taskId => refund address, only when it is not the requester
    mapping(uint256 => address) internal _refundTo;
    /// @dev Every version of the settlement parameters (a task keeps the version it was
    ///      created under); `_paramsVersion` is the current one.
    mapping(uint256 => SettlementParams) internal _settlementParams;
    /// @dev taskId => evaluator => member word (see COMMITTED_BIT); zero until it commits
    mapping(uint256 => mapping(address => uint256)) internal _member;

    /// @notice What `claim` pays each account: evaluator fees, shares of slashed stake, refunds.
    mapping(address => uint256) public claimableOf;
    /// @notice Refunds ever credited to an account (requester or its refundTo).
    mapping(address => uint256) public refundedOf;

    uint256 internal _totalClaimable; // claimableOf + nodes' pending
    uint256 internal _treasury; // protocol fees not yet withdrawn
    uint256 internal _burned; // slashed stake of tasks without an honest revealer, and abstainers' fees forfeited in voids somebody scored: locked forever

    // ------------------------------------------------------------------ events

    event NodeRegistered(address indexed node, address payout, bytes32 modelId);
    event NodeUpdated(address indexed node, address payout, bytes32 modelId);
    event TaskCreated(uint256 indexed taskId, address indexed requester, bytes32 indexed profileHash, TaskSpec spec, uint256 fee, uint256 protocolFee);
    event CommitteeSampled(uint256 indexed taskId, bytes32 seed, address[] members, uint256 fee, uint256 commitDeadline, uint256 revealDeadline);
    event TaskCancelled(uint256 indexed taskId, uint256 refund);
    event Committed(uint256 indexed taskId, address indexed evaluator, bytes32 commitment);
    event Revealed(uint256 indexed taskId, address indexed evaluator, uint256 packedScores);
    /// @notice A member revealed an abstention (it committed to an empty score list).
    event Abstained(uint256 indexed taskId, address indexed evaluator);
    event EvaluatorSettled(
        uint256 indexed taskId,
        address indexed evaluator,
        bool revealed,
        uint256 deviation,
        uint256 newTrust,
        uint256 pay,
        uint256 slashed,
        uint256 slashShare
    );
    event OutputSettled(uint256 indexed taskId, uint256 indexed output, address indexed node, uint256 consensus, uint256 pay);
    event TaskFinalized(uint256 indexed taskId, bool hasConsensus, uint256 packedConsensus, uint256 refund, uint256 slashed, uint256 burned);
    event Claimed(address indexed account, address indexed to, uint256 amount);
    event NodePaid(address indexed node, address indexed payout, uint256 amount);
    event TreasuryWithdrawn(address indexed to, uint256 amount);
    event ParamsUpdated(GovernanceParams params);
    event RandomnessSourceUpdated(address indexed source);

    // ------------------------------------------------------------------ errors

    error ZeroAddress();
    error ZeroAmount();
    error AlreadyRegistered(address account);
    error NotRegistered(address account);
    error UnknownNode(address node);
    error InvalidFamily(uint8 family);
    error InvalidRule(uint8 rule);
    error InvalidCommitteeSize(uint256 k, uint256 minK, uint256 maxK);
    error InvalidOutputCount(uint256 m);
    error LengthMismatch(uint256 nodes, uint256 outputHashes);
    error InvalidWindows(uint256 commitWindow, uint256 revealWindow);
    error FeeBelowMinimum(uint256 feePerMember, uint256 minFeePerMember);
    /// @notice `createTasks` without specs.
    error EmptyBatch();
    /// @notice A batch's records need `size` blob bytes, more than one blob holds (`max`).
    error BatchTooLarge(uint256 size, uint256 max);
    error UnknownTask(uint256 taskId);
    error NotPending(uint256 taskId);
    error DrawTooEarly(uint256 seedBlock);
    error TaskNotOpen(uint256 taskId);
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
    /// @notice The task's commitments were sealed by `commitAll`: reveal with `revealSealed`.
    error SealedRound(uint256 taskId);
    /// @notice The task has no sealed round (its members commit one by one).
    error NotSealed(uint256 taskId);
    /// @dev Thrown by the Sealing library; declared here so they are part of this ABI.
    error SealLength(uint256 k, uint256 got);
    error BadSealSignature(uint256 index);
    error SealMismatch();
    error OpeningMismatch(uint256 index);
    error FinalizeTooEarly(uint256 revealDeadline);
    error NothingToClaim();
    error InsufficientTreasury(uint256 requested, uint256 available);
    error UnsupportedToken(uint256 expected, uint256 received);
    /// @dev Thrown by the Governance library; declared here so it is part of this ABI.
    error ParamOutOfRange(bytes32 param);
    /// @dev Thrown by the ProfileRegistry; declared here so it is part of this ABI.
    error UnknownProfile(bytes32 profileHash);

    // ------------------------------------------------------------------ construction

    /// @param admin receives every role (deployments hand them to a TimelockController)
    constructor(
        IERC20 token_,
        EvaluatorRegistry registry_,
        ProfileRegistry profiles_,
        address admin,
        GovernanceParams memory params_
    ) {
        if (
            address(token_) == address(0) || address(registry_) == address(0) || address(profiles_) == address(0)
                || admin == address(0)
        ) revert ZeroAddress();
        token = token_;
        registry = registry_;
        profiles = profiles_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
        _grantRole(TREASURER_ROLE, admin);
        _setParams(abi.encode(params_));
    }

    // ------------------------------------------------------------------ governance

    /// @notice Replaces the governance parameters (GOVERNOR_ROLE). Running tasks keep the
    ///         settlement parameters, fee and windows they were created with.
    /// @dev Reverts ParamOutOfRange(name) when a bound is violated.
    function setParams(GovernanceParams calldata /* params */ ) external onlyRole(GOVERNOR_ROLE) {
        _setParams(msg.data[4:]);
    }

    /// @notice Sets (or, with zero, removes) the extra committee seed source (GOVERNOR_ROLE).
    function setRandomnessSource(IRandomnessSource source) external onlyRole(GOVERNOR_ROLE) {
        randomness = source;
        emit RandomnessSourceUpdated(address(source));
    }

    /// @notice Stops new business: node registration and task creation (PAUSER_ROLE). Draws,
    ///         commits, reveals, finalizations and claims keep working.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @notice Resumes new business (PAUSER_ROLE).
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @notice Sends protocol fees from the treasury to `to` (TREASURER_ROLE). Slashed stake
    ///         never reaches the treasury.
    function withdrawTreasury(address to, uint256 amount) external onlyRole(TREASURER_ROLE) nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > _treasury) revert InsufficientTreasury(amount, _treasury);
        _treasury -= amount;
        emit TreasuryWithdrawn(to, amount);
        token.safeTransfer(to, amount);
    }

    /// @dev `args`: the ABI encoding of one GovernanceParams (Governance.install validates,
    ///      stores and logs it).
    function _setParams(bytes memory args) internal {
        Governance.install(_params, _settlementParams, ++_paramsVersion, args);
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

    /// @notice The protocol fee of a task with these budgets: taskFee + protocolFeeBps of both.
    function protocolFeeFor(uint256 nodeBudget, uint256 evalBudget) public view returns (uint256) {
        TaskParams storage p = _params.tasks;
        return uint256(p.taskFee) + ((nodeBudget + evalBudget) * p.protocolFeeBps) / BPS;
    }

    /// @notice Creates a task: escrows nodeBudget + fee x k and takes the protocol fee from the
    ///         caller (approve first). The committee is drawn by `drawCommittee` in a later block.
    /// @return taskId the new task's id
    function createTask(TaskSpec calldata spec) external whenNotPaused nonReentrant returns (uint256 taskId) {
        uint256 size = 1 + TaskBlob.taskSize(_sizedOutputs(spec));
        uint256 start = TaskBlob.alloc(size);
        uint256 nonce = ++_blobs;
        uint256 owed;
        (taskId, owed) = _create(spec, nonce, start, 0);
        TaskBlob.deploy(start, size, nonce);
        _pull(msg.sender, owed);
    }

    /// @notice Creates several tasks as `createTask` creates one, for one token pull and one
    ///         blob (the tasks' records one after the other, TaskBlob): at 16 tasks of m = 4
    ///         about 38,000 gas less per task than 16 `createTask` calls in a multicall. Every
    ///         spec is checked as `createTask` checks it, and one that fails reverts the batch.
    ///         Reverts EmptyBatch without specs and BatchTooLarge when their records would not
    ///         fit one blob (24,576 bytes: 66 tasks of 15 outputs, 161 of 4).
    /// @return taskIds the new tasks' ids, in the order of `specs` (consecutive)
    function createTasks(TaskSpec[] calldata specs) external whenNotPaused nonReentrant returns (uint256[] memory taskIds) {
        uint256 n = specs.length;
        if (n == 0) revert EmptyBatch();
        uint256 size = 1;
        for (uint256 i; i < n; ++i) {
            size += TaskBlob.taskSize(_sizedOutputs(specs[i]));
        }
        if (size > TaskBlob.MAX_SIZE) revert BatchTooLarge(size, TaskBlob.MAX_SIZE);
        uint256 start = TaskBlob.alloc(size);
        uint256 nonce = ++_blobs;
        taskIds = new uint256[](n);
        uint256 owed;
        uint256 base;
        for (uint256 i; i < n; ++i) {
            (uint256 id, uint256 o) = _create(specs[i], nonce, start, base);
            taskIds[i] = id;
            owed += o;
            base += TaskBlob.taskSize(specs[i].nodes.length);
        }
        TaskBlob.deploy(start, size, nonce);
        _pull(msg.sender, owed);
    }

    /// @dev A spec's output count as far as the blob's size goes: an out-of-range count is
    ///      refused by `_validateSpec` before anything is written, so it reserves nothing.
    function _sizedOutputs(TaskSpec calldata spec) internal pure returns (uint256 m) {
        m = spec.nodes.length;
        if (m > MAX_OUTPUTS) m = 0;
    }

    /// @dev Writes a spec's record (the caller's blob memory at `at`; TaskBlob.putTask).
    function _putTask(TaskSpec calldata spec, uint256 at, uint256 fee) internal view {
        TaskBlob.putTask(at, (uint256(spec.commitWindow) << 32) | spec.revealWindow, msg.sender, fee, spec.queryHash, spec.nodes, spec.outputHashes);
    }

    /// @dev Checks and records one task whose record goes at `base` of the blob reserved at
    ///      `start`, to be created at `nonce`; returns its id and what the caller owes for it
    ///      (escrow and protocol fee), which the caller pulls.
    function _create(TaskSpec calldata spec, uint256 nonce, uint256 start, uint256 base)
        internal
        returns (uint256 taskId, uint256 owed)
    {
        (uint256 m, uint256 fee, uint8 profileId) = _validateSpec(spec);
        taskId = ++_taskCount;

        TaskRecord storage t = _tasks[taskId];
        t.status = TaskStatus.PENDING;
        t.rule = Rule(spec.rule);
        t.family = Family(spec.family);
        t.k = spec.k;
        t.m = uint8(m);
        t.nodeBudget = spec.nodeBudget;
        // the requester and the fee are written once, with the spec data (fee < 2^96: a uint96 / k)
        t.blob = uint32(nonce);
        t.blobAt = uint16(base); // < MAX_SIZE
        _putTask(spec, start + base, fee);
        t.seedBlock = uint40(block.number);
        t.createdAt = uint40(block.timestamp);
        t.profileId = profileId;
        t.paramsId = _paramsVersion;
        // the draw is held to the bar in force at creation: a governance change executed between
        // create and draw (anyone may execute a ready timelock operation) must not let whoever
        // draws, e.g. a requester that dislikes its visible committee, cancel the task instead
        t.minEligibleBps = _params.tasks.minEligibleBps;
        if (spec.refundTo != address(0) && spec.refundTo != msg.sender) _refundTo[taskId] = spec.refundTo;
        uint256 escrow = uint256(spec.nodeBudget) + fee * spec.k;
        uint256 protocolFee = protocolFeeFor(spec.nodeBudget, fee * spec.k);
        _escrow += uint128(escrow); // < 2^98: a uint96 budget and k uint96 fees
        _treasury += protocolFee; // zero only for a tiny task under a bps-only fee (redteam V15-9)
        owed = escrow + protocolFee;

        emit TaskCreated(taskId, msg.sender, spec.profileHash, spec, fee, protocolFee);
    }

    /// @notice Draws a pending task's committee (anyone), in any block after the one that
    ///         created it: the seed is keccak256(hash of that block, this, taskId), mixed through
    ///         the optional randomness source. Starts the commit window and fixes each member's
    ///         voting weight. The task is cancelled and its escrow refunded (the protocol fee is
    ///         not) when no committee can be filled at its price (see
    ///         EvaluatorRegistry.drawCommittee; `minEligibleBps` as it was at creation), or when nobody drew it while its seed block's
    ///         hash was available (256 blocks): a requester cannot re-roll a seed for free.
    function drawCommittee(uint256 taskId) external nonReentrant {
        TaskRecord storage t = _tasks[taskId];
        if (t.status != TaskStatus.PENDING) {
            if (t.status == TaskStatus.NONE) revert UnknownTask(taskId);
            revert NotPending(taskId);
        }
        uint256 size = 1 + TaskBlob.committeeSize(t.k);
        uint256 start = TaskBlob.alloc(size);
        (address[] memory members, uint256[] memory weights) = _draw(taskId, t);
        if (members.length != 0) {
            uint256 nonce = ++_blobs;
            t.committee = uint32(nonce);
            TaskBlob.putCommittee(start, 0, members, weights);
            TaskBlob.deploy(start, size, nonce);
        }
    }

    /// @notice Draws several tasks' committees as `drawCommittee` draws one, into one blob (the
    ///         committees' records one after the other, TaskBlob): at 16 tasks of k = 7 about
    ///         35,000 gas less per task than 16 `drawCommittee` calls in a multicall. A task
    ///         that is no longer pending (drawn, cancelled or settled, for instance by a call
    ///         that came first) is skipped, so nobody can make a keeper's batch revert by drawing
    ///         one of its tasks first; an unknown task reverts UnknownTask, one drawn too early
    ///         DrawTooEarly, and a batch whose committees would not fit one blob (24,576 bytes:
    ///         945 members) BatchTooLarge. Each task's draw, seed and outcome are those
    ///         `drawCommittee` would give it in this transaction.
    function drawCommittees(uint256[] calldata taskIds) external nonReentrant {
        uint256 n = taskIds.length;
        uint256 size = 1;
        for (uint256 i; i < n; ++i) {
            TaskRecord storage t = _tasks[taskIds[i]];
            if (t.status == TaskStatus.NONE) revert UnknownTask(taskIds[i]);
            // a task listed twice is reserved twice and drawn once: its second entry is skipped
            if (t.status == TaskStatus.PENDING) size += TaskBlob.committeeSize(t.k);
        }
        if (size > TaskBlob.MAX_SIZE) revert BatchTooLarge(size, TaskBlob.MAX_SIZE);
        uint256 start = TaskBlob.alloc(size);
        // in uint256: `_blobs` is counted up (checked) only when a blob is written, so a batch
        // that only cancels or skips still runs at the end of the blob lifetime (redteam V17-13)
        uint256 nonce = uint256(_blobs) + 1;
        uint256 base;
        uint256 mark;
        assembly ("memory-safe") {
            mark := mload(0x40)
        }
        for (uint256 i; i < n; ++i) {
            TaskRecord storage t = _tasks[taskIds[i]];
            if (t.status != TaskStatus.PENDING) continue;
            (address[] memory members, uint256[] memory weights) = _draw(taskIds[i], t);
            if (members.length != 0) {
                t.committee = uint32(nonce);
                t.committeeAt = uint16(base); // < MAX_SIZE
                TaskBlob.putCommittee(start, base, members, weights);
                base += TaskBlob.committeeSize(members.length);
            }
            // nothing a draw allocated is read after it (its committee is in the blob's
            // record): the next draw reuses the memory, which would otherwise grow with the batch
            assembly ("memory-safe") {
                mstore(0x40, mark)
            }
        }
        if (base != 0) {
            ++_blobs; // == nonce
            TaskBlob.deploy(start, base + 1, nonce);
        }
    }

    /// @dev Draws one pending task: opens it and returns its committee, or cancels it and
    ///      returns empty arrays (see drawCommittee). The caller writes the committee's record and
    ///      the task's blob nonce and position.
    function _draw(uint256 taskId, TaskRecord storage t) internal returns (address[] memory members, uint256[] memory weights) {
        uint256 k = t.k;
        (uint256 commitDeadline, uint256 revealDeadline, address requester, uint256 fee) =
            TaskBlob.readHeader(TaskBlob.ref(t.blob, t.blobAt));
        bytes32 seed;
        {
            uint256 seedBlock = t.seedBlock;
            if (block.number <= seedBlock) revert DrawTooEarly(seedBlock);
            bytes32 bh = blockhash(seedBlock);
            if (bh == bytes32(0)) {
                _cancel(taskId, t, k, fee, requester);
                return (members, weights);
            }
            seed = _seed(taskId, keccak256(abi.encode(bh, address(this), taskId)));
        }
        // the windows become deadlines from now
        commitDeadline += block.timestamp;
        revealDeadline += commitDeadline;
        (members, weights) = _drawFrom(t, seed, revealDeadline, requester, fee);
        if (members.length != k) {
            _cancel(taskId, t, k, fee, requester);
            return (new address[](0), weights);
        }
        t.status = TaskStatus.OPEN;
        t.commitDeadline = uint40(commitDeadline);
        t.revealDeadline = uint40(revealDeadline);
        emit CommitteeSampled(taskId, seed, members, fee, commitDeadline, revealDeadline);
    }

    /// @dev The registry's draw for a task: from the registry as it stood at the task's creation.
    function _drawFrom(TaskRecord storage t, bytes32 seed, uint256 revealDeadline, address requester, uint256 fee)
        internal
        returns (address[] memory, uint256[] memory)
    {
        return registry.drawCommittee(
            uint256(1) << t.profileId,
            fee,
            requester,
            t.k,
            seed,
            uint40(revealDeadline + FINALIZE_GRACE),
            t.minEligibleBps,
            t.createdAt
        );
    }

    function _cancel(uint256 taskId, TaskRecord storage t, uint256 k, uint256 fee, address requester) internal {
        uint256 refund = uint256(t.nodeBudget) + fee * k;
        t.status = TaskStatus.CANCELLED;
        _escrow -= uint128(refund);
        _credit(_refundAddress(taskId, requester), refund, true);
        emit TaskCancelled(taskId, refund);
    }

    function _seed(uint256 taskId, bytes32 blockSeed) internal view returns (bytes32) {
        IRandomnessSource src = randomness;
        if (address(src) == address(0)) return blockSeed;
        try src.seed{gas: RANDOMNESS_GAS}(taskId, blockSeed) returns (bytes32 s) {
            return s == bytes32(0) ? blockSeed : s;
        } catch {
            return blockSeed;
        }
    }

    function _validateSpec(TaskSpec calldata spec) internal view returns (uint256 m, uint256 fee, uint8 profileId) {
        TaskParams storage p = _params.tasks;
        if (spec.family > uint8(type(Family).max)) revert InvalidFamily(spec.family);
        if (spec.rule > uint8(type(Rule).max) || (p.allowedRules >> spec.rule) & 1 == 0) revert InvalidRule(spec.rule);
        if (spec.k < p.minK || spec.k > MAX_K) revert InvalidCommitteeSize(spec.k, p.minK, MAX_K);
        m = spec.nodes.length;
        if (m == 0 || m > MAX_OUTPUTS) revert InvalidOutputCount(m);
        if (spec.outputHashes.length != m) revert LengthMismatch(m, spec.outputHashes.length);
        if (
            spec.commitWindow < p.minCommitWindow || spec.commitWindow > p.maxCommitWindow
                || spec.revealWindow < p.minRevealWindow || spec.revealWindow > p.maxRevealWindow
        ) revert InvalidWindows(spec.commitWindow, spec.revealWindow);
        fee = spec.evalBudget / spec.k;
        if (fee < p.minFeePerMember) revert FeeBelowMinimum(fee, p.minFeePerMember);
        uint256 bit = profiles.activeBit(spec.profileHash);
        while (bit > 1) {
            bit >>= 1;
            ++profileId;
        }
        for (uint256 j; j < m; ++j) {
            if (_nodes[spec.nodes[j]].registeredAt == 0) revert UnknownNode(spec.nodes[j]);
        }
    }

    /// @notice Commits `commitment` = keccak256(abi.encode(chainid, this, taskId, msg.sender,
    ///         uint16[] scores, bytes32 salt)) before the commit deadline (committee only).
    function commit(uint256 taskId, bytes32 commitment) external {
        TaskRecord storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.commitDeadline) revert CommitTooLate(t.commitDeadline);
        if (!TaskBlob.isMember(TaskBlob.ref(t.committee, t.committeeAt), t.k, msg.sender)) revert NotCommitteeMember(taskId, msg.sender);
        if (commitment == bytes32(0)) revert InvalidCommitment();
        mapping(address => uint256) storage words = _member[taskId];
        // commits == k: everyone committed, or the round was sealed (no member word then)
        if (words[msg.sender] != 0 || t.commits >= t.k) revert AlreadyCommitted();
        words[msg.sender] = COMMITTED_BIT | (uint256(commitment) & ScorePacking.SCORES_MASK);
        unchecked {
            t.commits += 1;
        }
        emit Committed(taskId, msg.sender, commitment);
    }

    /// @notice Reveals the committed scores (one bps score per output) and salt. Allowed after
    ///         the commit deadline, or earlier once the whole committee has committed, and until
    ///         the reveal deadline. An empty `scores` reveals an abstention (committed like any
    ///         score list): the member could not score the task, e.g. because a text it names
    ///         is not available or does not match its hash. Abstaining in time is never slashed.
    function reveal(uint256 taskId, uint16[] calldata scores, bytes32 salt) external {
        _reveal(taskId, scores, salt);
    }

    // ------------------------------------------------------------------ sealed round

    /// @notice Seals a committee's commitments in one transaction (anyone, e.g. one member for
    ///         all): `commitments[i]` is member i's (committee order, as `commitmentFor`
    ///         computes it) and `signatures[i]` its EIP-712 signature of SealedCommit(taskId,
    ///         commitment) in this contract's domain ("ProofOfQuality", "1"). Only before the
    ///         commit deadline and while somebody has not committed; a member that committed
    ///         alone keeps its commitment (its entry and signature are not read). Every member
    ///         then counts as committed.
    ///         The members then settle with `finalizeSealed` once all openings are shared, or
    ///         each reveals with `revealSealed` (docs/contract.md, "Sealed round").
    /// @dev The library decodes the arguments itself (msg.data: this call's, also inside a
    ///      multicall), which keeps the nested-array encoder out of this contract's code.
    function commitAll(uint256 taskId, bytes32[] calldata, /* commitments */ bytes[] calldata /* signatures */ ) external {
        TaskRecord storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.commitDeadline) revert CommitTooLate(t.commitDeadline);
        if (t.commits >= t.k) revert AlreadyCommitted();
        // members that committed alone keep their commitments (redteam V10-1)
        t.sealOrConsensus = uint256(Sealing.seal(_member[taskId], TaskBlob.ref(t.committee, t.committeeAt), t.k, t.commits != 0, msg.data[4:]));
        t.commits = t.k;
    }

    /// @notice A member's reveal in a sealed round: `commitments`, the sealed list (every
    ///         member's commitment as its Committed event carries it, in committee order), locates
    ///         its commitment; then as `reveal`.
    function revealSealed(uint256 taskId, bytes32[] calldata, /* commitments */ uint16[] calldata scores, bytes32 salt) external {
        TaskRecord storage t = _tasks[taskId];
        // open first: a settled task's word 2 (sealOrConsensus) is its consensus, not a seal
        _requireOpen(t, taskId);
        // the library reverts NotSealed when there is no seal
        Sealing.admit(_member[taskId], TaskBlob.ref(t.committee, t.committeeAt), t.k, bytes32(t.sealOrConsensus), msg.data[4:]);
        _reveal(taskId, scores, salt);
    }

    /// @notice Settles a sealed round at once (anyone) with every member's opening
    ///         (Sealing.Openings): `scores[i]` (empty: an abstention) and `salts[i]` must open
    ///         member i's sealed commitment, `commitments` being the sealed list (see
    ///         `revealSealed`). Before the reveal deadline. A member that committed alone opens
    ///         its own commitment; one that revealed alone keeps its reveal. Pays, moves trust and
    ///         slashes exactly as `finalize` would after the same reveals (nobody is silent, so
    ///         nobody is slashed).
    function finalizeSealed(uint256 taskId, Sealing.Openings calldata /* openings */ ) external nonReentrant {
        TaskRecord storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.revealDeadline) revert RevealTooLate(t.revealDeadline);
        // members that revealed alone keep their reveals (redteam V10-2); NotSealed from the library
        uint256[] memory words = Sealing.open(_member[taskId], TaskBlob.ref(t.committee, t.committeeAt), t.k, t.m, bytes32(t.sealOrConsensus), t.reveals != 0, msg.data[4:]);
        t.reveals = t.k;
        _settle(taskId, t, words);
    }

    function _reveal(uint256 taskId, uint16[] calldata scores, bytes32 salt) internal {
        TaskRecord storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        if (block.timestamp > t.revealDeadline) revert RevealTooLate(t.revealDeadline);
        if (block.timestamp <= t.commitDeadline && t.commits < t.k) revert RevealTooEarly(t.commitDeadline);
        uint256 word = _member[taskId][msg.sender];
        if (word == 0) {
            if (!TaskBlob.isMember(TaskBlob.ref(t.committee, t.committeeAt), t.k, msg.sender)) revert NotCommitteeMember(taskId, msg.sender);
            if (t.sealOrConsensus != 0) revert SealedRound(taskId);
            revert NotCommitted();
        }
        if (word & REVEALED_BIT != 0) revert AlreadyRevealed();
        uint256 m = t.m;
        bool abstain = scores.length == 0;
        if (!abstain && scores.length != m) revert WrongScoreCount(m, scores.length);
        for (uint256 j; j < scores.length; ++j) {
            if (scores[j] > BPS) revert ScoreOutOfRange(j, scores[j]);
        }
        uint256 opened = uint256(keccak256(abi.encode(block.chainid, address(this), taskId, msg.sender, scores, salt)));
        if (opened & ScorePacking.SCORES_MASK != word & ScorePacking.SCORES_MASK) revert CommitmentMismatch();
        uint256 packed = abstain ? ABSTAINED_BIT : ScorePacking.pack(scores);
        _member[taskId][msg.sender] = COMMITTED_BIT | REVEALED_BIT | packed;
        unchecked {
            t.reveals += 1;
        }
        if (abstain) emit Abstained(taskId, msg.sender);
        else emit Revealed(taskId, msg.sender, packed);
    }

    /// @notice Settles an open task (anyone): after the reveal deadline, or once every member
    ///         revealed. Works with zero reveals (full refund, non-revealers penalised).
    function finalize(uint256 taskId) external nonReentrant {
        TaskRecord storage t = _tasks[taskId];
        _requireOpen(t, taskId);
        uint256 k = t.k;
        if (block.timestamp <= t.revealDeadline && t.reveals < k) revert FinalizeTooEarly(t.revealDeadline);
        _settle(taskId, t, new uint256[](0));
    }

    /// @dev Settles an open task from its members' words: a sealed round's openings, or (none
    ///      given) the stored ones (TaskSettlement, with this contract's storage); books the
    ///      escrow released, what was credited and burned, and credits the refund.
    function _settle(uint256 taskId, TaskRecord storage t, uint256[] memory words) internal {
        (address requester, uint256 fee) = TaskBlob.readPayer(TaskBlob.ref(t.blob, t.blobAt));
        _escrow -= uint128(uint256(t.nodeBudget) + fee * t.k);
        (uint256 refund, uint256 credited, uint256 burned) = TaskSettlement.settle(
            taskId, t, _settlementParams[t.paramsId], _member[taskId], words, claimableOf, _nodes, registry, fee
        );
        _totalClaimable += credited;
        if (burned != 0) _burned += burned;
        if (refund != 0) _credit(_refundAddress(taskId, requester), refund, true);
    }

    function _credit(address account, uint256 amount, bool isRefund) internal {
        claimableOf[account] += amount;
        if (isRefund) refundedOf[account] += amount;
        _totalClaimable += amount;
    }

    /// @dev Where a task's refunds are credited: refundTo, or the requester.
    function _refundAddress(uint256 taskId, address requester) internal view returns (address a) {
        a = _refundTo[taskId];
        if (a == address(0)) a = requester;
    }

    function _requireOpen(TaskRecord storage t, uint256 taskId) internal view {
        TaskStatus s = t.status;
        if (s == TaskStatus.OPEN) return;
        if (s == TaskStatus.NONE) revert UnknownTask(taskId);
        revert TaskNotOpen(taskId);
    }

    // ------------------------------------------------------------------ payouts

    /// @notice Pays the caller's claimable balance (fees, slash shares, refunds) to `to`
    ///         (pull payment; `to` lets an account that a token blocks be paid elsewhere).
    function claim(address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        uint256 amount = claimableOf[msg.sender];
        if (amount == 0) revert NothingToClaim();
        claimableOf[msg.sender] = 0;
        _totalClaimable -= amount;
        emit Claimed(msg.sender, to, amount);
        token.safeTransfer(to, amount);
    }

    /// @notice Pays `node`'s pending payouts to its registered payout address (anyone may call).
    function claimNode(address node) external nonReentrant {
        Node storage nd = _nodes[node];
        uint256 amount = nd.pending;
        if (amount == 0) revert NothingToClaim();
        nd.pending = 0;
        _totalClaimable -= amount;
        address payout = nd.payout;
        emit NodePaid(node, payout, amount);
        token.safeTransfer(payout, amount);
    }

    // ------------------------------------------------------------------ views

    /// @notice Number of tasks created; task ids are 1..taskCount.
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @notice Current governance parameters.
    function params() external view returns (GovernanceParams memory) {
        return _params;
    }

    /// @notice A task's state (status NONE for unknown ids). `consensus` is packed; see getConsensus.
    function getTask(uint256 taskId) external view returns (Task memory) {
        Task memory v;
        TaskRecord storage t = _tasks[taskId];
        if (t.status == TaskStatus.NONE) return v;
        v.status = t.status;
        v.rule = t.rule;
        v.family = t.family;
        v.k = t.k;
        v.m = t.m;
        v.commits = t.commits;
        v.reveals = t.reveals;
        v.hasConsensus = t.hasConsensus;
        v.commitDeadline = t.commitDeadline;
        v.revealDeadline = t.revealDeadline;
        v.nodeBudget = t.nodeBudget;
        v.params = _settlementParams[t.paramsId];
        (uint256 cw, uint256 rw, address requester, uint256 fee) = TaskBlob.readHeader(TaskBlob.ref(t.blob, t.blobAt));
        v.requester = requester;
        v.fee = uint96(fee);
        v.commitWindow = uint32(cw);
        v.revealWindow = uint32(rw);
        v.profileId = t.profileId;
        v.refundTo = _refundAddress(taskId, requester);
        v.seedBlock = t.seedBlock;
        v.consensus = t.hasConsensus ? t.sealOrConsensus : 0;
        v.contentHash = TaskBlob.readContentHash(TaskBlob.ref(t.blob, t.blobAt));
        v.profileHash = profiles.hashes(t.profileId);
        return v;
    }

    /// @notice A task's outputs: the inference node of each (the output hashes are in
    ///         TaskCreated; getTask's contentHash commits to them).
    function getOutputs(uint256 taskId) external view returns (address[] memory nodes) {
        TaskRecord storage t = _tasks[taskId];
        uint256 m = t.m;
        if (m == 0) return nodes;
        nodes = TaskBlob.readNodes(TaskBlob.ref(t.blob, t.blobAt), m);
    }

    /// @notice A task's committee in draw order (empty before the draw), the fee per member,
    ///         and each member's voting weight (fixed at the draw).
    function getCommittee(uint256 taskId)
        external
        view
        returns (address[] memory members, uint256 fee, uint256[] memory weights)
    {
        TaskRecord storage t = _tasks[taskId];
        uint256 k = t.status == TaskStatus.OPEN || t.status == TaskStatus.FINALIZED ? t.k : 0;
        (members, weights) = TaskBlob.readCommittee(TaskBlob.ref(t.committee, t.committeeAt), k);
        (, fee) = TaskBlob.readPayer(TaskBlob.ref(t.blob, t.blobAt));
    }

    /// @notice One evaluator's standing in a task. `commitment`: the low 240 bits of its
    ///         commitment between its commit and its reveal (zero otherwise; the Committed event
    ///         carries it in full). `revealed` with an empty `scores`: it abstained. A sealed
    ///         round keeps no member word: its members read committed (and, once
    ///         `finalizeSealed` ran, revealed) with a zero commitment and empty scores; their
    ///         commitments and scores are in the Committed and Revealed (or Abstained) events.
    function getMember(uint256 taskId, address evaluator)
        external
        view
        returns (bool isMember, bool committed, bool revealed, bytes32 commitment, uint16[] memory scores)
    {
        TaskRecord storage t = _tasks[taskId];
        uint256 word = _member[taskId][evaluator];
        isMember = t.committee != 0 && TaskBlob.isMember(TaskBlob.ref(t.committee, t.committeeAt), t.k, evaluator);
        // commits (reveals) == k: every member committed (revealed), one by one or in a sealed
        // round, which writes no member word: its commitments and openings are in the events
        committed = word != 0 || (isMember && t.commits == t.k);
        revealed = word & REVEALED_BIT != 0 || (isMember && t.reveals == t.k);
        if (committed && !revealed) commitment = bytes32(word & ScorePacking.SCORES_MASK);
        // an abstainer revealed an empty score list
        scores = word & REVEALED_BIT != 0 && word & ABSTAINED_BIT == 0 ? (word & ScorePacking.SCORES_MASK).unpack(t.m) : new uint16[](0);
    }

    /// @notice Per-output consensus of a finalised task (empty when none).
    function getConsensus(uint256 taskId) external view returns (bool hasConsensus, uint16[] memory consensus) {
        TaskRecord storage t = _tasks[taskId];
        hasConsensus = t.hasConsensus;
        consensus = hasConsensus ? t.sealOrConsensus.unpack(t.m) : new uint16[](0);
    }

    /// @notice An inference node's payout address, model, pending and lifetime payouts.
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @notice The internal accounts; their sum must equal the token balance held.
    function totals() external view returns (uint256 escrowed, uint256 claimable, uint256 treasury, uint256 burned) {
        return (_escrow, _totalClaimable, _treasury, _burned);
    }

    /// @notice escrows + claimable + treasury + burned.
    function accountedBalance() external view returns (uint256) {
        return _escrow + _totalClaimable + _treasury + _burned;
    }

    /// @notice The commitment `evaluator` must submit for `scores` and `salt` in `taskId`.
    function commitmentFor(uint256 taskId, address evaluator, uint16[] calldata scores, bytes32 salt)
        external
        view
        returns (bytes32)
    {
        return keccak256(abi.encode(block.chainid, address(this), taskId, evaluator, scores, salt));
    }

    /// @dev Pulls exactly `amount`; refuses fee-on-transfer and other short-delivering tokens.
    function _pull(address from, uint256 amount) internal {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != amount) revert UnsupportedToken(amount, received);
    }
}
