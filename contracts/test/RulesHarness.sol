// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Aggregation, Rule} from "../libraries/Aggregation.sol";
import {Settlement, SettlementParams} from "../libraries/Settlement.sol";
import {Trust} from "../libraries/Trust.sol";

/// @title RulesHarness
/// @notice Test-only: exposes the exact library code ProofOfQuality runs, so the TypeScript
///         mirror can be differential-tested in bulk through eth_call.
contract RulesHarness {
    /// @notice Aggregation.consensus.
    function aggregate(Rule rule, uint256[] memory scores, uint256[] memory weights, uint256 trimBps)
        external
        pure
        returns (uint256)
    {
        return Aggregation.consensus(rule, scores, weights, trimBps);
    }

    /// @notice Aggregation.consensusWithLeaveOneOut.
    function aggregateWithLeaveOneOut(Rule rule, uint256[] memory scores, uint256[] memory weights, uint256 trimBps)
        external
        pure
        returns (uint256 c, uint256[] memory loo)
    {
        return Aggregation.consensusWithLeaveOneOut(rule, scores, weights, trimBps);
    }

    /// @notice Trust.update.
    function updateTrust(uint256 trust, uint256 dNorm, uint256 lambdaBps, uint256 wMin, uint256 wMax)
        external
        pure
        returns (uint256)
    {
        return Trust.update(trust, dNorm, lambdaBps, wMin, wMax);
    }

    /// @notice Settlement.settle.
    function settle(
        Rule rule,
        SettlementParams memory p,
        Settlement.Member[] memory members,
        uint256 m,
        uint256 nodeBudget,
        uint256 fee
    ) external pure returns (Settlement.Outcome memory) {
        return Settlement.settle(uint8(rule), p, members, m, nodeBudget, fee);
    }
}
