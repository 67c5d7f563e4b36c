// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SettlementParams} from "./Settlement.sol";

/// @notice Governance parameters; `settlement` is snapshotted into every new task.
struct GovernanceParams {
    uint96 minStake; // minimum active stake to register and to be sampled
    uint96 stakeCap; // stake above this adds no sampling weight
    uint32 unbondingDelay; // seconds from requestUnbond to withdraw
    SettlementParams settlement;
}

/// @title Governance
/// @notice Bounds on every governance parameter (deployed library: keeps ProofOfQuality
///         under the contract size limit).
library Governance {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant INITIAL_TRUST = 10_000;
    uint256 internal constant MAX_UNBONDING_DELAY = 30 days;
    uint256 internal constant MAX_LAMBDA_BPS = 10_000;
    uint256 internal constant MIN_DEVIATION_SCALE_BPS = 100;
    uint256 internal constant MAX_TRIM_BPS = 4_500;
    uint256 internal constant MAX_QUALITY_FLOOR_BPS = 9_900;
    uint256 internal constant MAX_SLASH_BPS = 5_000;
    uint256 internal constant MAX_MISS_PENALTY_BPS = 9_000;
    uint256 internal constant MIN_TRUST_FLOOR = 100;
    uint256 internal constant MAX_TRUST_CEILING = 100_000;

    /// @notice A parameter is outside its bounds (`param` names it).
    error ParamOutOfRange(bytes32 param);

    /// @notice Reverts ParamOutOfRange unless every parameter is within its bounds.
    function validate(GovernanceParams memory g) external pure {
        SettlementParams memory s = g.settlement;
        if (g.minStake == 0) revert ParamOutOfRange("minStake");
        if (g.stakeCap < g.minStake) revert ParamOutOfRange("stakeCap");
        if (g.unbondingDelay > MAX_UNBONDING_DELAY) revert ParamOutOfRange("unbondingDelay");
        if (s.lambdaBps > MAX_LAMBDA_BPS) revert ParamOutOfRange("lambdaBps");
        if (s.deviationScaleBps < MIN_DEVIATION_SCALE_BPS || s.deviationScaleBps > BPS) {
            revert ParamOutOfRange("deviationScaleBps");
        }
        if (s.trimBps > MAX_TRIM_BPS) revert ParamOutOfRange("trimBps");
        if (s.qualityFloorBps > MAX_QUALITY_FLOOR_BPS) revert ParamOutOfRange("qualityFloorBps");
        if (s.slashBps > MAX_SLASH_BPS) revert ParamOutOfRange("slashBps");
        if (s.missPenaltyBps > MAX_MISS_PENALTY_BPS) revert ParamOutOfRange("missPenaltyBps");
        if (s.wMin < MIN_TRUST_FLOOR || s.wMin > INITIAL_TRUST) revert ParamOutOfRange("wMin");
        if (s.wMax < INITIAL_TRUST || s.wMax > MAX_TRUST_CEILING) revert ParamOutOfRange("wMax");
    }
}
