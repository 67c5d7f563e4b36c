// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title HostileRandomness
/// @notice Test double: a randomness source that reverts (mode 1) or burns all the gas it is
///         given (mode 2); ProofOfQuality must fall back to its block seed either way.
contract HostileRandomness is IRandomnessSource {
    uint256 public mode = 1;

    /// @notice 1: revert, 2: spin until out of gas.
    function setMode(uint256 m) external {
        mode = m;
    }

    /// @inheritdoc IRandomnessSource
    function seed(uint256, bytes32) external view returns (bytes32) {
        if (mode == 1) revert("randomness down");
        uint256 x;
        while (true) x = uint256(keccak256(abi.encode(x)));
        return bytes32(x);
    }
}
