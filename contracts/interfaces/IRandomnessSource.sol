// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IRandomnessSource
/// @notice An optional extra source for committee seeds (e.g. a VRF), set by governance behind
///         the timelock. ProofOfQuality calls it when it draws a task's committee, passing the
///         seed it derived itself from the hash of the block that included the task; a source
///         that reverts, runs out of gas or returns zero is ignored (the block seed is used),
///         so no source can halt task creation or committee draws.
interface IRandomnessSource {
    /// @notice A 32-byte seed for `taskId`, given the contract's own block-derived `entropy`.
    function seed(uint256 taskId, bytes32 entropy) external view returns (bytes32);
}
