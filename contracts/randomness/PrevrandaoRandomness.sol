// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IRandomnessSource} from "../interfaces/IRandomnessSource.sol";

/// @title PrevrandaoRandomness
/// @notice Default seed: keccak256(prevrandao, previous block hash, caller, taskId, entropy).
/// @dev NOT unbiasable. prevrandao of a block is known once its parent is built, so a
///      requester who can land a transaction in a known block can grind its task data
///      (e.g. the query hash) to choose among committees, and a block proposer can withhold
///      a block (forfeiting its reward) to re-roll once. docs/contract.md discusses this;
///      deployments where committee capture pays more than that should plug in a VRF source.
contract PrevrandaoRandomness is IRandomnessSource {
    /// @inheritdoc IRandomnessSource
    function seed(uint256 taskId, bytes32 entropy) external view returns (bytes32) {
        return keccak256(abi.encode(block.prevrandao, blockhash(block.number - 1), msg.sender, taskId, entropy));
    }
}
