// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title FixedRandomness
/// @notice Test double: a randomness source whose seed the test sets (proves the source is swappable).
contract FixedRandomness is IRandomnessSource {
    bytes32 public fixedSeed;

    /// @notice Sets the seed every task will get.
    function set(bytes32 s) external {
        fixedSeed = s;
    }

    /// @inheritdoc IRandomnessSource
    function seed(uint256, bytes32) external view returns (bytes32) {
        return fixedSeed;
    }
}
