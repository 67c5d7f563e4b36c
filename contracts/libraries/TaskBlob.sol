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
///      A batch (`createTasks`, `drawCommittees`) writes one blob for all its tasks (or
///      committees): one STOP byte, then the records one after the other, each task keeping
///      its record's `base` (the bytes of the records before it), which saves 32,000 gas and
///      the creation's overhead per task after the first. A record at `base` reads as a blob of
///      one whose bytes are shifted by `base` (`ref`).
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
    uint256 private constant ADDRESS_MASK = 0x00ffffffffffffffffffffffffffffffffffffffff;
    /// @notice The largest blob (EIP-170's code size limit): a batch whose records need more
    ///         is refused before anything is written.
    uint256 internal constant MAX_SIZE = 24_576;

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

    /// @notice Bytes a task's record takes in a task blob (after the blob's STOP byte).
    function taskSize(uint256 m) internal pure returns (uint256) {
        return NODES_AT - 1 + 20 * m;
    }

    /// @notice Bytes a committee's record takes in a committee blob (after the STOP byte).
    function committeeSize(uint256 k) internal pure returns (uint256) {
        return ENTRY * k;
    }

    /// @notice Reserves memory for a blob of up to `capacity` code bytes (its STOP byte
    ///         included) and returns where its creation code starts: `putTask` and
    ///         `putCommittee` fill it, `deploy` creates it. Several tasks (or committees) share
    ///         one blob when a batch creates (or draws) them: record i starts right after
    ///         record i - 1, and its task keeps its `base` (the sum of the sizes before it; 0
    ///         for a blob of one), so every read below finds it at `base` plus the offsets of a
    ///         blob of one.
    function alloc(uint256 capacity) internal pure returns (uint256 start) {
        assembly ("memory-safe") {
            start := mload(0x40)
            mstore8(add(start, 10), 0) // STOP
            // a record's last mstore writes up to 31 bytes past its end
            mstore(0x40, add(start, add(capacity, 42)))
        }
    }

    /// @notice Writes one task's record at `base` of the blob `alloc` reserved (`start` is
    ///         that blob's start plus `base`): windows, requester, fee per
    ///         member (< 2^96), content hash and nodes. The query and output hashes are kept as
    ///         their content hash (`readContentHash`): nothing on chain reads them,
    ///         `TaskCreated` carries them, and the hash lets anyone check a copy. `outputHashes`
    ///         has the length of `nodes` (the caller checks).
    function putTask(
        uint256 start,
        uint256 windows, // commitWindow << 32 | revealWindow
        address requester,
        uint256 fee,
        bytes32 queryHash,
        address[] calldata nodes,
        bytes32[] calldata outputHashes
    ) internal pure {
        uint256 m = nodes.length;
        assembly ("memory-safe") {
            let p := add(start, 10) // where a blob of one has its STOP byte
            mstore(add(p, 1), shl(192, windows))
            mstore(add(p, PAYER_AT), or(shl(96, requester), fee))
            let q := add(p, NODES_AT)
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                mstore(q, shl(96, calldataload(add(nodes.offset, shl(5, j)))))
                q := add(q, 20)
            }
            // the content hash, hashed past the free memory pointer (scratch, not allocated)
            let h := mload(0x40)
            mstore(h, queryHash)
            calldatacopy(add(h, 32), outputHashes.offset, shl(5, m))
            mstore(add(p, CONTENT_AT), keccak256(h, add(32, shl(5, m))))
        }
    }

    /// @notice Writes one committee's record at `base` (see `alloc`): each member with its
    ///         voting weight in 6 bytes (< 2^48: the registry's trust is a uint24 and the stake
    ///         factor at most 2^24, so a weight is at most (2^24 - 1) x 2^24; a wider one
    ///         reverts BlobWriteFailed, never truncated).
    function putCommittee(uint256 start, uint256 base, address[] memory members, uint256[] memory weights) internal pure {
        uint256 k = members.length;
        bool wide;
        assembly ("memory-safe") {
            let p := add(add(add(start, 10), base), 1)
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let off := add(32, shl(5, i))
                let weight := mload(add(weights, off))
                wide := or(wide, gt(weight, WEIGHT_MASK))
                mstore(p, or(shl(96, mload(add(members, off))), shl(48, weight)))
                p := add(p, ENTRY)
            }
        }
        if (wide) revert BlobWriteFailed();
    }

    /// @notice Creates the blob `alloc` reserved at `start`, `size` code bytes (its STOP byte
    ///         and the records written), with CREATE at this contract's `nonce` (the caller
    ///         counts its creations); reverts BlobWriteFailed unless it lands at `at(nonce)`.
    function deploy(uint256 start, uint256 size, uint256 nonce) internal returns (address pointer) {
        assembly ("memory-safe") {
            // header (10 bytes) with the runtime length in the PUSH2 immediate, in front of the
            // STOP byte and the records (the word's 22 bytes after the header are kept)
            mstore(start, or(shl(176, or(INIT_HEADER, shl(56, size))), and(mload(start), sub(shl(176, 1), 1))))
            pointer := create(0, start, add(10, size))
        }
        if (pointer != at(nonce)) revert BlobWriteFailed();
    }

    /// @notice What the reads below take: the blob created at `nonce` and the record's `base`
    ///         in it, as one word (the address in the low 160 bits, `base` above them).
    function ref(uint256 nonce, uint256 base) internal view returns (uint256) {
        return uint256(uint160(at(nonce))) | (base << 160);
    }

    /// @notice The k members and their voting weights, in draw order.
    function readCommittee(uint256 r, uint256 k)
        internal
        view
        returns (address[] memory members, uint256[] memory weights)
    {
        members = new address[](k);
        weights = new uint256[](k);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(and(r, ADDRESS_MASK), buf, add(shr(160, r), 1), mul(ENTRY, k))
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let w := mload(add(buf, mul(ENTRY, i)))
                let off := add(32, shl(5, i))
                mstore(add(members, off), shr(96, w))
                mstore(add(weights, off), and(shr(48, w), WEIGHT_MASK))
            }
        }
    }

    /// @notice Whether `account` is one of the k members.
    function isMember(uint256 r, uint256 k, address account) internal view returns (bool found) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(and(r, ADDRESS_MASK), buf, add(shr(160, r), 1), mul(ENTRY, k))
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                if eq(shr(96, mload(add(buf, mul(ENTRY, i)))), account) {
                    found := 1
                    break
                }
            }
        }
    }

    /// @notice The commit and reveal windows, the requester and the fee per member.
    function readHeader(uint256 r)
        internal
        view
        returns (uint256 commitWindow, uint256 revealWindow, address requester, uint256 fee)
    {
        assembly ("memory-safe") {
            extcodecopy(and(r, ADDRESS_MASK), 0, add(shr(160, r), 1), 40) // scratch space
            let w := mload(0)
            commitWindow := shr(224, w)
            revealWindow := and(shr(192, w), 0xffffffff)
            let payer := mload(8)
            requester := shr(96, payer)
            fee := and(payer, 0xffffffffffffffffffffffff)
        }
    }

    /// @notice The requester and the fee per member.
    function readPayer(uint256 r) internal view returns (address requester, uint256 fee) {
        assembly ("memory-safe") {
            extcodecopy(and(r, ADDRESS_MASK), 0, add(shr(160, r), PAYER_AT), 32)
            let payer := mload(0)
            requester := shr(96, payer)
            fee := and(payer, 0xffffffffffffffffffffffff)
        }
    }

    /// @notice The content hash: keccak256(abi.encodePacked(queryHash, outputHashes)).
    function readContentHash(uint256 r) internal view returns (bytes32 h) {
        assembly ("memory-safe") {
            extcodecopy(and(r, ADDRESS_MASK), 0, add(shr(160, r), CONTENT_AT), 32)
            h := mload(0)
        }
    }

    /// @notice The inference node of each of the m outputs.
    function readNodes(uint256 r, uint256 m) internal view returns (address[] memory out) {
        out = new address[](m);
        assembly ("memory-safe") {
            let buf := mload(0x40)
            extcodecopy(and(r, ADDRESS_MASK), buf, add(shr(160, r), NODES_AT), mul(20, m))
            for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                mstore(add(add(out, 32), shl(5, j)), shr(96, mload(add(buf, mul(20, j)))))
            }
        }
    }
}
