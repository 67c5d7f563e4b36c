// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title SumTree
/// @notice A Fenwick (binary indexed) tree of weights over leaves 1..CAPACITY whose every node
///         keeps its history by block number (OpenZeppelin Checkpoints), so that a weighted
///         draw can be made against the tree *as it was* at a past block: weight updates after a
///         task's seed block cannot move that task's draw (docs/contract.md, "Toward an
///         O(log n) draw"). Update and draw are O(log CAPACITY).
/// @dev Building block for issue 13's registry; not yet used by EvaluatorRegistry. Weights and
///      sums must fit in 208 bits (trust < 2^24 times a capped stake < 2^96, 2^14 leaves:
///      < 2^134).
library SumTree {
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Leaves 1..CAPACITY.
    uint256 internal constant DEPTH = 14;
    uint256 internal constant CAPACITY = uint256(1) << DEPTH;

    error LeafOutOfRange(uint256 leaf);
    error DrawOutOfRange(uint256 r, uint256 total);

    struct Tree {
        /// @dev Fenwick node i holds the sum of leaves (i - lowbit(i), i].
        mapping(uint256 => Checkpoints.Trace208) nodes;
        /// @dev Each leaf's own weight, by block.
        mapping(uint256 => Checkpoints.Trace208) leaves;
    }

    /// @notice Sets `leaf`'s weight from this block on.
    function set(Tree storage t, uint256 leaf, uint256 weight) internal {
        if (leaf == 0 || leaf > CAPACITY) revert LeafOutOfRange(leaf);
        uint256 old = t.leaves[leaf].latest();
        if (old == weight) return;
        uint48 key = SafeCast.toUint48(block.number);
        t.leaves[leaf].push(key, SafeCast.toUint208(weight));
        for (uint256 i = leaf; i <= CAPACITY; i += i & (~i + 1)) {
            Checkpoints.Trace208 storage node = t.nodes[i];
            // node >= old: it includes this leaf's weight
            node.push(key, SafeCast.toUint208(node.latest() - old + weight));
        }
    }

    /// @notice `leaf`'s weight now.
    function weight(Tree storage t, uint256 leaf) internal view returns (uint256) {
        return t.leaves[leaf].latest();
    }

    /// @notice `leaf`'s weight at the end of block `blockNumber`.
    function weightAt(Tree storage t, uint256 leaf, uint48 blockNumber) internal view returns (uint256) {
        return t.leaves[leaf].upperLookupRecent(blockNumber);
    }

    /// @notice Sum of every leaf now.
    function total(Tree storage t) internal view returns (uint256) {
        return t.nodes[CAPACITY].latest();
    }

    /// @notice Sum of every leaf at the end of block `blockNumber`.
    function totalAt(Tree storage t, uint48 blockNumber) internal view returns (uint256) {
        return t.nodes[CAPACITY].upperLookupRecent(blockNumber);
    }

    /// @notice The leaf whose interval [sum of leaves before it, that sum + its weight) holds
    ///         `r`, in the tree as of the end of block `blockNumber` (r < totalAt(blockNumber)).
    ///         Uniform r gives each leaf probability weight / total.
    function findAt(Tree storage t, uint256 r, uint48 blockNumber) internal view returns (uint256 leaf) {
        uint256 all = totalAt(t, blockNumber);
        if (r >= all) revert DrawOutOfRange(r, all);
        uint256 pos;
        for (uint256 step = CAPACITY >> 1; step != 0; step >>= 1) {
            uint256 v = t.nodes[pos + step].upperLookupRecent(blockNumber);
            if (v <= r) {
                pos += step;
                r -= v;
            }
        }
        leaf = pos + 1;
    }
}
