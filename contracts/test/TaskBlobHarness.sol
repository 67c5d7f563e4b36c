// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TaskBlob} from "../libraries/TaskBlob.sol";

/// @notice Exposes TaskBlob for the red-team tests (test double, not deployed).
contract TaskBlobHarness {
    /// @notice Writes a committee blob and reads it back.
    function roundTripCommittee(address[] calldata members, uint256[] calldata weights)
        external
        returns (address pointer, address[] memory outMembers, uint256[] memory outWeights)
    {
        pointer = TaskBlob.writeCommittee(members, weights);
        (outMembers, outWeights) = TaskBlob.readCommittee(pointer, members.length);
    }

    /// @notice Writes a task blob and reads every field back.
    function roundTripTask(
        uint32 commitWindow,
        uint32 revealWindow,
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    )
        external
        returns (address pointer, uint256 cw, uint256 rw, bytes32 q, address[] memory n, bytes32[] memory h)
    {
        pointer = TaskBlob.write(commitWindow, revealWindow, queryHash, nodes, outputHashes);
        (cw, rw) = TaskBlob.readWindows(pointer);
        q = TaskBlob.readQueryHash(pointer);
        n = TaskBlob.readNodes(pointer, nodes.length);
        h = TaskBlob.readOutputHashes(pointer, nodes.length);
    }
}
