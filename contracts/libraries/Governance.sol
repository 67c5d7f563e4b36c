// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SettlementParams} from "./Settlement.sol";

/// @notice Staking parameters of the EvaluatorRegistry.
struct StakingParams {
    uint96 minStake; // minimum active stake to register and to be sampled
    uint96 stakeCap; // stake above this adds no sampling or voting weight
    uint32 unbondingDelay; // seconds from requestUnbond to withdraw (>= activationDelay)
    uint32 activationDelay; // seconds before a stake, cost or profile change counts for sampling
    uint32 initialTrust; // trust of a new identity (bps), below established evaluators'
    uint32 trustGainPerPeriod; // most trust (bps) an evaluator may gain per trust period
    uint32 trustPeriod; // seconds of one trust period
    uint96 maxCost; // the highest cost an evaluator may declare
}

/// @notice Task parameters of ProofOfQuality, bounding what a requester may choose.
struct TaskParams {
    uint96 minFeePerMember; // protocol minimum price per committee member
    uint96 taskFee; // flat protocol fee per task (the treasury's income)
    uint16 protocolFeeBps; // protocol fee on the task's budgets
    uint8 minK; // smallest committee (>= 3)
    uint16 minEligibleBps; // the members' price must fit evaluators holding this share of the profile's weight
    uint8 allowedRules; // bit r set: Rule r may be chosen by a requester
    uint32 minCommitWindow; // commit window bounds (seconds, from the committee draw)
    uint32 maxCommitWindow;
    uint32 minRevealWindow; // reveal window bounds (seconds, after the commit deadline)
    uint32 maxRevealWindow;
}

/// @notice ProofOfQuality's governance parameters; `settlement` is snapshotted into every task.
struct GovernanceParams {
    TaskParams tasks;
    SettlementParams settlement;
}

/// @title Governance
/// @notice Hard bounds on every governance parameter (deployed library: keeps the contracts
///         under the size limit). A governor (behind a TimelockController) can move a parameter
///         only inside these bounds; see docs/contract.md ("Threat model").
library Governance {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant MAX_UNBONDING_DELAY = 60 days;
    uint256 internal constant MAX_ACTIVATION_DELAY = 30 days;
    /// @notice A change must not count at once: with no delay an evaluator reads a pending
    ///         task's public seed and re-rolls its draw with a wei-sized stake change, and the
    ///         one-slash-per-delay cap is gone (eighth review, V7-3).
    uint256 internal constant MIN_ACTIVATION_DELAY = 60 seconds;
    /// @notice The eligibility bar cannot be switched off: below half of the network's weight a
    ///         profile or a price served by a requester's own evaluators alone takes its tasks
    ///         again (attack 9; eighth review, V7-3b).
    uint256 internal constant MIN_ELIGIBLE_BPS = 5_000;
    uint256 internal constant MIN_TRUST_PERIOD = 1 hours;
    uint256 internal constant MAX_TRUST_PERIOD = 30 days;
    uint256 internal constant MAX_LAMBDA_BPS = 10_000;
    uint256 internal constant MIN_DEVIATION_SCALE_BPS = 100;
    uint256 internal constant MAX_TRIM_BPS = 4_500;
    uint256 internal constant MAX_QUALITY_FLOOR_BPS = 9_900;
    uint256 internal constant MAX_SLASH_BPS = 5_000;
    uint256 internal constant MAX_MISS_PENALTY_BPS = 9_000;
    uint256 internal constant MIN_TRUST_FLOOR = 100;
    uint256 internal constant MAX_TRUST_CEILING = 100_000;
    uint256 internal constant MAX_TRUST_GAIN = type(uint16).max;
    /// @notice No committee may be smaller: with two members both get the same leave-one-out
    ///         deviation, with one trust never moves.
    uint256 internal constant MIN_COMMITTEE = 3;
    uint256 internal constant MAX_COMMITTEE = 32;
    /// @notice No member is ever given less than this to commit, or to reveal.
    uint256 internal constant MIN_WINDOW_FLOOR = 10 seconds;
    /// @notice Longest commit or reveal window governance may allow.
    uint256 internal constant MAX_WINDOW_CEILING = 7 days;
    uint256 internal constant MAX_PROTOCOL_FEE_BPS = 2_000;

    /// @notice A parameter is outside its bounds (`param` names it).
    error ParamOutOfRange(bytes32 param);

    /// @notice Reverts ParamOutOfRange unless every staking parameter is within its bounds.
    ///         The initial trust is at most 1.0, and settlement's trust ceiling is above 1.0, so
    ///         a new identity always starts below what established evaluators can reach.
    function validateStaking(StakingParams memory s) external pure {
        if (s.minStake == 0) revert ParamOutOfRange("minStake");
        if (s.stakeCap < s.minStake) revert ParamOutOfRange("stakeCap");
        if (s.activationDelay < MIN_ACTIVATION_DELAY || s.activationDelay > MAX_ACTIVATION_DELAY) {
            revert ParamOutOfRange("activationDelay");
        }
        if (s.unbondingDelay < s.activationDelay || s.unbondingDelay > MAX_UNBONDING_DELAY) {
            revert ParamOutOfRange("unbondingDelay");
        }
        if (s.initialTrust < MIN_TRUST_FLOOR || s.initialTrust > BPS) revert ParamOutOfRange("initialTrust");
        if (s.trustGainPerPeriod == 0 || s.trustGainPerPeriod > MAX_TRUST_GAIN) revert ParamOutOfRange("trustGainPerPeriod");
        if (s.maxCost == 0) revert ParamOutOfRange("maxCost");
        if (s.trustPeriod < MIN_TRUST_PERIOD || s.trustPeriod > MAX_TRUST_PERIOD) revert ParamOutOfRange("trustPeriod");
    }

    /// @notice ProofOfQuality's parameters changed (emitted by ProofOfQuality, through `install`).
    event ParamsUpdated(GovernanceParams params);

    /// @notice Validates ProofOfQuality's new parameters (`args`: the ABI encoding of one
    ///         GovernanceParams), stores them in `current` and their settlement part as version
    ///         `version` of `versions` (running tasks keep theirs), and emits ParamsUpdated.
    /// @dev Here rather than in ProofOfQuality: decoding, copying and logging the nested struct
    ///      is code that contract has no room for.
    function install(
        GovernanceParams storage current,
        mapping(uint256 => SettlementParams) storage versions,
        uint256 version,
        bytes memory args
    ) external {
        GovernanceParams memory g = abi.decode(args, (GovernanceParams));
        validate(g);
        current.tasks = g.tasks;
        current.settlement = g.settlement;
        versions[version] = g.settlement;
        emit ParamsUpdated(g);
    }

    /// @notice Reverts ParamOutOfRange unless every task and settlement parameter is within bounds.
    function validate(GovernanceParams memory g) public pure {
        TaskParams memory t = g.tasks;
        if (t.minFeePerMember == 0) revert ParamOutOfRange("minFeePerMember");
        if (t.protocolFeeBps > MAX_PROTOCOL_FEE_BPS) revert ParamOutOfRange("protocolFeeBps");
        if (t.taskFee == 0 && t.protocolFeeBps == 0) revert ParamOutOfRange("taskFee");
        if (t.minK < MIN_COMMITTEE || t.minK > MAX_COMMITTEE) revert ParamOutOfRange("minK");
        if (t.minEligibleBps < MIN_ELIGIBLE_BPS || t.minEligibleBps > BPS) revert ParamOutOfRange("minEligibleBps");
        if (t.allowedRules == 0 || t.allowedRules >= 1 << 5) revert ParamOutOfRange("allowedRules");
        if (t.minCommitWindow < MIN_WINDOW_FLOOR || t.maxCommitWindow < t.minCommitWindow || t.maxCommitWindow > MAX_WINDOW_CEILING) {
            revert ParamOutOfRange("commitWindow");
        }
        if (t.minRevealWindow < MIN_WINDOW_FLOOR || t.maxRevealWindow < t.minRevealWindow || t.maxRevealWindow > MAX_WINDOW_CEILING) {
            revert ParamOutOfRange("revealWindow");
        }
        SettlementParams memory s = g.settlement;
        if (s.lambdaBps > MAX_LAMBDA_BPS) revert ParamOutOfRange("lambdaBps");
        if (s.deviationScaleBps < MIN_DEVIATION_SCALE_BPS || s.deviationScaleBps > BPS) {
            revert ParamOutOfRange("deviationScaleBps");
        }
        if (s.trimBps > MAX_TRIM_BPS) revert ParamOutOfRange("trimBps");
        if (s.qualityFloorBps > MAX_QUALITY_FLOOR_BPS) revert ParamOutOfRange("qualityFloorBps");
        if (s.slashBps > MAX_SLASH_BPS) revert ParamOutOfRange("slashBps");
        if (s.missPenaltyBps > MAX_MISS_PENALTY_BPS) revert ParamOutOfRange("missPenaltyBps");
        if (s.wMin < MIN_TRUST_FLOOR || s.wMin > BPS) revert ParamOutOfRange("wMin");
        if (s.wMax <= BPS || s.wMax > MAX_TRUST_CEILING) revert ParamOutOfRange("wMax");
    }
}
