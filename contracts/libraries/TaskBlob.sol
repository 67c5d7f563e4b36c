// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title TaskBlob
/// @notice Stores a task's write-once data as the code of a data contract (the "SSTORE2"
///         pattern): 200 gas a byte plus 32,000 for the account, instead of 22,100 gas a 32-byte
///         storage word. Two blobs a task: its spec data at creation (windows, requester, fee per
///         member, content hash and output nodes: about 62k gas at m = 4 against 5 fresh words,
///         110k) and its
///         committee at the draw (members and voting weights: about 71k at k = 7 against 14
///         fresh words, 309k).
/// @dev Code layouts, each after one STOP byte (the data contract cannot be called):
///      task: commitWindow (4 bytes), revealWindow (4), requester (20), fee per member (12),
///      content hash (32: keccak256 of the query hash and the m output hashes, `readContentHash`),
///      m nodes (20 bytes each); committee: k entries of member (20 bytes) and
///      voting weight (6 bytes). Nothing can change the code later (no SELFDESTRUCT).
library TaskBlob {
    /// @notice The data contract could not be created (out of gas), or not at the address its
    ///         nonce gives (`at`): the caller stores the nonce, never the address.
    error BlobWriteFailed();

    /// @dev STOP byte + windows + requester and fee + content hash: where the nodes start.
    uint256 private constant NODES_AT = 73;
    /// @dev Where the requester and fee word and the content hash start in the code.
    uint256 private constant PAYER_AT = 9;
    uint256 private constant CONTENT_AT = 41;
    /// @dev Creation code header: PUSH2 len, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY,
    ///      RETURNDATASIZE, RETURN (returns the code that follows the 10-byte header).
    uint256 private constant INIT_HEADER = 0x61000080600a3d393df3;
    /// @dev Bytes of one committee entry (member, voting weight).
    uint256 private constant ENTRY = 26;
    uint256 private constant WEIGHT_MASK = 0xffffffffffff;

    /// @notice The address of the data contract this contract created with CREATE at `nonce`:
    ///         keccak256(rlp([address(this), nonce])). A task stores its blobs' nonces (4 bytes
    ///         each) instead of their addresses (20), which saves it a storage word. Inside a
    ///         linked library's delegatecall `address(this)` is still the creator.
    /// @dev Nonces below 2^32 (the caller's counter is a uint32; a contract's first is 1).
    function at(uint256 nonce) internal view returns (address pointer) {
        assembly ("memory-safe") {
            // rlp: list prefix, 0x94 (a 20-byte string), the address, the nonce (one byte below
            // 0x80, else 0x80 + its length in bytes and its big-endian bytes); scratch space only
            let len := add(add(gt(nonce, 0x7f), gt(nonce, 0xff)), add(gt(nonce, 0xffff), gt(nonce, 0xffffff)))
            mstore(0, or(shl(240, or(shl(8, add(0xd6, len)), 0x94)), shl(80, address())))
            switch len
            case 0 { mstore8(22, nonce) }
            default {
                mstore8(22, add(0x80, len))
                mstore(23, shl(sub(256, shl(3, len)), nonce))
            }
            pointer := and(keccak256(0, add(23, len)), 0xffffffffffffffffffffffffffffffffffffffff)
        }
    }

    /// @notice Writes the blob with CREATE at this contract's `nonce` (the caller counts its
    ///         creations); reverts BlobWriteFailed unless it lands at `at(nonce)`. The query and
    ///         output hashes are kept as their content hash (`readContentHash`): nothing on chain
    ///         reads them, `TaskCreated` carries them, and the hash lets anyone check a copy.
    ///         `outputHashes` has the length of `nodes` (the caller checks).
    function write(
        uint256 nonce,
        uint256 windows, // commitWindow << 32 | revealWindow
        address requester,
        uint256 fee, // < 2^96
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    ) internal returns (address pointer) {
        uint256 m = nodes.length;
        uint256 size = NODES_AT + 20 * m; // runtime code length
        assembly ("memory-safe") {
            let start := mload(0x40)
            // header (10 bytes) with the runtime length in the PUSH2 immediate
            mstore(start, shl(176, or(INIT_HEADER, shl(56, size))))
            let p := add(start, 10)
            mstore8(p, 0) // STOP
            mstore(add(p, 1), shl(192, windows))
            mstore(add(p, PAYER_AT), or(shl(96, requester), fee))
            let q := add(p, NODES_AT)
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                mstore(q, shl(96, calldataload(add(nodes.offset, shl(5, j)))))
                q := add(q, 20)
            }
            mstore(0x40, add(q, 32))
            // the content hash, hashed past the blob's last byte (scratch, not allocated)
            mstore(q, queryHash)
            calldatacopy(add(q, 32), outputHashes.offset, shl(5, m))
            mstore(add(p, CONTENT_AT), keccak256(q, add(32, shl(5, m))))
            pointer := create(0, start, add(10, size))
        }
        if (pointer != at(nonce)) revert BlobWriteFailed();
    }

    /// @notice Writes a committee blob: each member with its voting weight in 6 bytes (< 2^48:
    ///         the registry's trust is a uint24 and the stake factor at most 2^24, so a weight is
    ///         at most (2^24 - 1) x 2^24; a wider one reverts BlobWriteFailed, never truncated),
    ///         at this contract's `nonce` as `write`.
    function writeCommittee(uint256 nonce, address[] memory members, uint256[] memory weights) internal returns (address pointer) {
        uint256 k = members.length;
        uint256 size = 1 + ENTRY * k;
        assembly ("memory-safe") {
            let start := mload(0x40)
            mstore(start, shl(176, or(INIT_HEADER, shl(56, size))))
            let p := add(start, 10)
            mstore8(p, 0) // STOP
            p := add(p, 1)
            let wide := 0
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let off := add(32, shl(5, i))
                let weight := mload(add(weights, off))
                // never truncated: a wider weight (the registry cannot make one) fails the write
                wide := or(wide, gt(weight, WEIGHT_MASK))
                mstore(p, or(shl(96, mload(add(members, off))), shl(48, weight)))
                p := add(p, ENTRY)
            }
            mstore(0x40, add(p, 32))
            if iszero(wide) { pointer := create(0, start, add(10, size)) }
        }
        if (pointer != at(nonce)) revert BlobWriteFailed();
    }

    /// @notice The k members and their voting weights, in draw order.
    function readCommittee(address pointer, uint256 k)
        internal
        view
        returns (address[] memory members, uint256[] memory weights)
    {
        members = new address[](k);
        weights = new uint256[](k);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(pointer, buf, 1, mul(ENTRY, k))
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let w := mload(add(buf, mul(ENTRY, i)))
                let off := add(32, shl(5, i))
                mstore(add(members, off), shr(96, w))
                mstore(add(weights, off), and(shr(48, w), WEIGHT_MASK))
            }
        }
    }

    /// @notice Whether `account` is one of the k members.
    function isMember(address pointer, uint256 k, address account) internal view returns (bool found) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(pointer, buf, 1, mul(ENTRY, k))
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                if eq(shr(96, mload(add(buf, mul(ENTRY, i)))), account) {
                    found := 1
                    break
                }
            }
        }
    }

    /// @notice The commit and reveal windows, the requester and the fee per member.
    function readHeader(address pointer)
        internal
        view
        returns (uint256 commitWindow, uint256 revealWindow, address requester, uint256 fee)
    {
        assembly ("memory-safe") {
            extcodecopy(pointer, 0, 1, 40) // scratch space
            let w := mload(0)
            commitWindow := shr(224, w)
            revealWindow := and(shr(192, w), 0xffffffff)
            let payer := mload(8)
            requester := shr(96, payer)
            fee := and(payer, 0xffffffffffffffffffffffff)
        }
    }

    /// @notice The requester and the fee per member.
    function readPayer(address pointer) internal view returns (address requester, uint256 fee) {
        assembly ("memory-safe") {
            extcodecopy(pointer, 0, PAYER_AT, 32)
            let payer := mload(0)
            requester := shr(96, payer)
            fee := and(payer, 0xffffffffffffffffffffffff)
        }
    }

    /// @notice The content hash: keccak256(abi.encodePacked(queryHash, outputHashes)).
    function readContentHash(address pointer) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            extcodecopy(pointer, 0, CONTENT_AT, 32)
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
}
