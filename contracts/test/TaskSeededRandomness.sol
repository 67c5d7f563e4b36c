// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title TaskSeededRandomness
/// @notice Benchmark double: each task's seed is keccak256(abi.encode(salt, taskId)), whatever the
///         block: two runs (or two versions of the code) draw the same committees, so their gas
///         compares exactly, while tasks still get different seeds (not deployed by the stack).
contract TaskSeededRandomness is IRandomnessSource {
    bytes32 public immutable salt;

    constructor(bytes32 salt_) {
        salt = salt_;
    }

    /// @inheritdoc IRandomnessSource
    function seed(uint256 taskId, bytes32) external view returns (bytes32) {
        return keccak256(abi.encode(salt, taskId));
    }
}
