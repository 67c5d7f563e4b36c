// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {History} from "./History.sol";

/// @title SumTree
/// @notice A Fenwick (binary indexed) tree of weights over leaves 1..capacity (a power of two
///         the caller fixes per tree) whose every node keeps its history by *key*
///         (`History`: the latest entry in one word): the registry keys a change by the time it takes effect
///         (its activation time), so the tree as of a past key is exactly the weights in force
///         then, and a change made later, whatever its key, cannot move a draw made as of that
///         key. Update, prefix sum and draw are O(log capacity).
/// @dev Keys must never decrease across the pushes of one tree (the registry keys every write
///      with one monotone clock) and fit 32 bits. Node values must fit in 192 bits.
library SumTree {
    using History for History.Trace;

    error LeafOutOfRange(uint256 leaf);

    struct Tree {
        /// @dev Fenwick node i holds the sum of leaves (i - lowbit(i), i].
        mapping(uint256 => History.Trace) nodes;
    }

    /// @notice Moves `leaf` from `oldWeight` to `newWeight` from `key` on. `oldWeight` must be the
    ///         leaf's latest weight (the caller keeps it).
    function update(Tree storage t, uint256 leaf, uint256 oldWeight, uint256 newWeight, uint48 key, uint256 capacity)
        internal
    {
        if (leaf == 0 || leaf > capacity) revert LeafOutOfRange(leaf);
        if (oldWeight == newWeight) return;
        for (uint256 i = leaf; i <= capacity; i += i & (~i + 1)) {
            History.Trace storage node = t.nodes[i];
            // node >= oldWeight: it includes this leaf's latest weight
            node.push(key, node.latest() - oldWeight + newWeight);
        }
    }

    /// @notice Sum of leaves 1..`idx` as of `key`.
    function prefixAt(Tree storage t, uint256 idx, uint48 key) internal view returns (uint256 sum) {
        for (uint256 i = idx; i != 0; i &= i - 1) sum += t.nodes[i].valueAt(key);
    }

    /// @notice Sum of every leaf as of `key`.
    function totalAt(Tree storage t, uint48 key, uint256 capacity) internal view returns (uint256) {
        return t.nodes[capacity].valueAt(key);
    }

    /// @notice The leaf whose interval [sum of the leaves before it, that sum + its weight) holds
    ///         `r`, as of `key`, when every nonzero leaf is at most `top` (a power of two not above
    ///         the capacity) and r < totalAt(key). Uniform r gives each leaf probability
    ///         weight / total. Reads log2(top) nodes.
    function findAt(Tree storage t, uint256 r, uint48 key, uint256 top) internal view returns (uint256) {
        return findAtExcept(t, r, key, top, new uint256[](0), new uint256[](0), 0);
    }

    /// @notice findAt over the tree with the leaves `gone[0..count)` (weights `goneWeight`, their
    ///         values as of `key`) taken out: r < totalAt(key) - their sum lands on every other
    ///         leaf with probability weight / (total - removed). What a draw without replacement
    ///         needs: chosen and ineligible leaves are never proposed again. O(count) a level.
    function findAtExcept(
        Tree storage t,
        uint256 r,
        uint48 key,
        uint256 top,
        uint256[] memory gone,
        uint256[] memory goneWeight,
        uint256 count
    ) internal view returns (uint256 leaf) {
        if (count > gone.length || count > goneWeight.length) revert LeafOutOfRange(count);
        uint256 pos;
        for (uint256 step = top >> 1; step != 0; step >>= 1) {
            uint256 end = pos + step;
            uint256 node = t.nodes[end].valueAt(key);
            uint256 v = node;
            // v -= the removed leaves in (pos, end]; no underflow: the node as of `key` includes
            // each of them at its weight as of `key` (the loop runs up to k log2(top) times a
            // proposal, so it is written without checked arithmetic and bounds checks; a broken
            // invariant still reverts below instead of drawing from a wrapped sum)
            assembly ("memory-safe") {
                let gp := add(gone, 0x20)
                let wp := add(goneWeight, 0x20)
                for { let j := 0 } lt(j, count) { j := add(j, 1) } {
                    let g := mload(add(gp, shl(5, j)))
                    if and(gt(g, pos), iszero(gt(g, end))) { v := sub(v, mload(add(wp, shl(5, j)))) }
                }
            }
            if (v > node) revert LeafOutOfRange(end);
            if (v <= r) {
                pos = end;
                r -= v;
            }
        }
        leaf = pos + 1;
    }
}
