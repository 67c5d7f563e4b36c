// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title PoQTimelock
/// @notice OpenZeppelin's TimelockController as deployed by PoQ: it holds the governor,
///         treasurer, profile-admin and default-admin roles of the PoQ contracts, so every
///         parameter, randomness-source, profile and treasury change waits `minDelay` seconds
///         in public before it can be executed.
contract PoQTimelock is TimelockController {
    /// @param minDelay seconds between scheduling and executing an operation
    /// @param proposers may schedule (and cancel) operations
    /// @param executors may execute ready operations (address(0) in the list: anyone)
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors)
        TimelockController(minDelay, proposers, executors, address(0))
    {}
}
