// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TaskBlob} from "../libraries/TaskBlob.sol";

/// @notice Exposes TaskBlob for the red-team tests (test double, not deployed).
contract TaskBlobHarness {
    /// @notice The address TaskBlob gives this contract's CREATE at `nonce`.
    function at(uint256 nonce) external view returns (address) {
        return TaskBlob.at(nonce);
    }

    /// @notice Writes a committee blob at `nonce` (this contract's current nonce, or the write
    ///         reverts) and reads it back.
    function roundTripCommittee(uint256 nonce, address[] calldata members, uint256[] calldata weights)
        external
        returns (address pointer, address[] memory outMembers, uint256[] memory outWeights)
    {
        // a blob of one, as drawCommittee writes it
        uint256 size = 1 + TaskBlob.committeeSize(members.length);
        uint256 start = TaskBlob.alloc(size);
        TaskBlob.putCommittee(start, 0, members, weights);
        pointer = TaskBlob.deploy(start, size, nonce);
        (outMembers, outWeights) = TaskBlob.readCommittee(uint160(pointer), members.length);
    }

    /// @notice Writes a task blob and reads every field back (the requester and the fee with
    ///         `payerOf`).
    function roundTripTask(
        uint256 nonce,
        uint256 windows, // commitWindow << 32 | revealWindow
        address requester,
        uint96 fee,
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    )
        external
        returns (address pointer, uint256 cw, uint256 rw, bytes32 content, address[] memory n)
    {
        pointer = _writeTask(nonce, windows, requester, fee, queryHash, nodes, outputHashes);
        (cw, rw,,) = TaskBlob.readHeader(uint160(pointer));
        content = TaskBlob.readContentHash(uint160(pointer));
        n = TaskBlob.readNodes(uint160(pointer), nodes.length);
    }

    /// @dev A task blob of one, as createTask writes it.
    function _writeTask(
        uint256 nonce,
        uint256 windows,
        address requester,
        uint256 fee,
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    ) private returns (address) {
        uint256 start = TaskBlob.alloc(1 + TaskBlob.taskSize(nodes.length));
        TaskBlob.putTask(start, windows, requester, fee, queryHash, nodes, outputHashes);
        return TaskBlob.deploy(start, 1 + TaskBlob.taskSize(nodes.length), nonce);
    }

    /// @notice The requester and fee of a task blob, as the header and as `readPayer` read them.
    function payerOf(address pointer)
        external
        view
        returns (address fromHeader, uint256 feeFromHeader, address requester, uint256 fee)
    {
        (,, fromHeader, feeFromHeader) = TaskBlob.readHeader(uint160(pointer));
        (requester, fee) = TaskBlob.readPayer(uint160(pointer));
    }
}
