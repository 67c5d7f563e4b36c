// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ScorePacking
/// @notice Up to 15 basis-point scores packed in one word: score j in bits [16j, 16j+16).
library ScorePacking {
    /// @dev Mask of the 15 score lanes (240 bits).
    uint256 internal constant SCORES_MASK = (uint256(1) << 240) - 1;

    /// @dev A member word (ProofOfQuality): at the commit, the commitment's low 240 bits and
    ///      COMMITTED_BIT; at the reveal the scores replace the commitment and REVEALED_BIT is
    ///      set. Opening 240 bits of a keccak256 commitment two ways takes ~2^120 work.
    uint256 internal constant COMMITTED_BIT = uint256(1) << 249;
    uint256 internal constant REVEALED_BIT = uint256(1) << 248;
    /// @dev Set with REVEALED_BIT when the member revealed an abstention (an empty score list):
    ///      it could not score the task (a text missing or not matching its hash, a query the
    ///      profile refuses). An abstainer showed up in time, so it is never slashed; what it is
    ///      paid is the Settlement library's (docs/contract.md, "Abstaining").
    uint256 internal constant ABSTAINED_BIT = uint256(1) << 247;

    /// @notice Score j of a packed word.
    function get(uint256 word, uint256 j) internal pure returns (uint256) {
        return (word >> (16 * j)) & 0xffff;
    }

    /// @notice Packs `scores` (caller validated each <= 10000 and length <= 15).
    function pack(uint16[] calldata scores) internal pure returns (uint256 word) {
        for (uint256 j; j < scores.length; ++j) word |= uint256(scores[j]) << (16 * j);
    }

    /// @notice `pack` for a list in memory (a uint16[] in memory holds clean values; a sealed
    ///      settlement packs k lists, so the loop is written without bounds checks).
    function packMemory(uint16[] memory scores) internal pure returns (uint256 word) {
        assembly ("memory-safe") {
            let n := mload(scores)
            let p := add(scores, 0x20)
            for { let j := 0 } lt(j, n) { j := add(j, 1) } { word := or(word, shl(shl(4, j), mload(add(p, shl(5, j))))) }
        }
    }

    /// @notice Unpacks `m` scores.
    function unpack(uint256 word, uint256 m) internal pure returns (uint16[] memory scores) {
        scores = new uint16[](m);
        for (uint256 j; j < m; ++j) scores[j] = uint16(get(word, j));
    }
}
