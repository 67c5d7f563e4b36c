// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title TaskBlob
/// @notice Stores a task's write-once data (windows, query hash, output nodes and output hashes)
///         as the code of a data contract (the "SSTORE2" pattern): 200 gas a byte plus 32,000 for
///         the account, instead of 22,100 gas a 32-byte storage word. At k = 7, m = 4 this is
///         about 80k gas against 9 fresh words (199k) for the same data.
/// @dev Layout of the data contract's code: one STOP byte (the contract cannot be called),
///      then commitWindow (4 bytes), revealWindow (4), queryHash (32), m nodes (20 bytes each),
///      m output hashes (32 bytes each). Nothing can change the code later (no SELFDESTRUCT).
library TaskBlob {
    /// @notice The data contract could not be created (out of gas).
    error BlobWriteFailed();

    /// @dev STOP byte + windows + query hash: where the nodes start in the code.
    uint256 private constant NODES_AT = 41;
    /// @dev Creation code header: PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY,
    ///      RETURNDATASIZE, RETURN (returns the code that follows the 10-byte header).
    uint256 private constant INIT_HEADER = 0x61000080600a3d393df3;

    /// @notice Writes the blob; returns the data contract's address.
    function write(
        uint32 commitWindow,
        uint32 revealWindow,
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    ) internal returns (address pointer) {
        uint256 m = nodes.length;
        uint256 size = NODES_AT + 52 * m; // runtime code length
        assembly ("memory-safe") {
            let start := mload(0x40)
            // header (10 bytes) with the runtime length in the PUSH2 immediate
            mstore(start, shl(176, or(INIT_HEADER, shl(56, size))))
            let p := add(start, 10)
            mstore8(p, 0) // STOP
            mstore(add(p, 1), shl(224, commitWindow))
            mstore(add(p, 5), shl(224, revealWindow))
            mstore(add(p, 9), queryHash)
            p := add(p, NODES_AT)
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                mstore(p, shl(96, calldataload(add(nodes.offset, shl(5, j)))))
                p := add(p, 20)
            }
            calldatacopy(p, outputHashes.offset, shl(5, m))
            mstore(0x40, add(add(p, shl(5, m)), 32))
            pointer := create(0, start, add(10, size))
        }
        if (pointer == address(0)) revert BlobWriteFailed();
    }

    /// @notice The commit and reveal windows.
    function readWindows(address pointer) internal view returns (uint256 commitWindow, uint256 revealWindow) {
        assembly ("memory-safe") {
            extcodecopy(pointer, 0, 1, 8)
            let w := mload(0)
            commitWindow := shr(224, w)
            revealWindow := and(shr(192, w), 0xffffffff)
        }
    }

    /// @notice The query hash.
    function readQueryHash(address pointer) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            extcodecopy(pointer, 0, 9, 32)
            h := mload(0)
        }
    }

    /// @notice The inference node of each of the m outputs.
    function readNodes(address pointer, uint256 m) internal view returns (address[] memory out) {
        out = new address[](m);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(pointer, buf, NODES_AT, mul(20, m))
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                mstore(add(add(out, 32), shl(5, j)), shr(96, mload(add(buf, mul(20, j)))))
            }
        }
    }

    /// @notice The hash of each of the m outputs.
    function readOutputHashes(address pointer, uint256 m) internal view returns (bytes32[] memory out) {
        out = new bytes32[](m);
        assembly ("memory-safe") {
            extcodecopy(pointer, add(out, 32), add(NODES_AT, mul(20, m)), shl(5, m))
        }
    }
}
