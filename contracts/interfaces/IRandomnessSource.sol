// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IRandomnessSource
/// @notice Supplies the seed ProofOfQuality samples a task's committee from. Swappable by
///         governance (e.g. a VRF-backed source instead of the default prevrandao mix).
interface IRandomnessSource {
    /// @notice A 32-byte seed for `taskId`, mixed with `entropy` (a hash of the task's data).
    /// @dev Called once per task inside `createTask`; must not revert for valid input.
    function seed(uint256 taskId, bytes32 entropy) external view returns (bytes32);
}
