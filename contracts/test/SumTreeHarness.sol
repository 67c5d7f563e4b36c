// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SumTree} from "../libraries/SumTree.sol";

/// @notice Exposes SumTree for tests and the gas benchmark (test double, not deployed).
contract SumTreeHarness {
    using SumTree for SumTree.Tree;

    SumTree.Tree internal _tree;

    /// @notice Sets one leaf's weight.
    event Drawn(uint256[] leaves);

    function set(uint256 leaf, uint256 w) external {
        _tree.set(leaf, w);
    }

    /// @notice Sets leaves from, from + 1, .. from + weights.length - 1 (benchmark set-up).
    function setMany(uint256 from, uint256[] calldata weights) external {
        for (uint256 i; i < weights.length; ++i) _tree.set(from + i, weights[i]);
    }

    /// @notice Draws `k` distinct leaves as of block `blockNumber` by rejection of repeats:
    ///         draw d tries r = keccak256(seed, d, try) mod total until it finds a leaf not yet
    ///         drawn (the distribution of successive weighted sampling without replacement).
    function draw(bytes32 seed, uint256 k, uint48 blockNumber) public view returns (uint256[] memory leaves) {
        leaves = new uint256[](k);
        uint256 all = _tree.totalAt(blockNumber);
        uint256 attempt;
        for (uint256 d; d < k; ++attempt) {
            uint256 leaf = _tree.findAt(uint256(keccak256(abi.encode(seed, attempt))) % all, blockNumber);
            bool repeat;
            for (uint256 j; j < d; ++j) {
                if (leaves[j] == leaf) repeat = true;
            }
            if (!repeat) leaves[d++] = leaf;
        }
    }

    /// @notice draw() in a transaction (emits the leaves), so its gas can be measured.
    function drawTx(bytes32 seed, uint256 k, uint48 blockNumber) external {
        emit Drawn(draw(seed, k, blockNumber));
    }

    function weight(uint256 leaf) external view returns (uint256) {
        return _tree.weight(leaf);
    }

    function weightAt(uint256 leaf, uint48 blockNumber) external view returns (uint256) {
        return _tree.weightAt(leaf, blockNumber);
    }

    function total() external view returns (uint256) {
        return _tree.total();
    }

    function totalAt(uint48 blockNumber) external view returns (uint256) {
        return _tree.totalAt(blockNumber);
    }

    function findAt(uint256 r, uint48 blockNumber) external view returns (uint256) {
        return _tree.findAt(r, blockNumber);
    }
}
