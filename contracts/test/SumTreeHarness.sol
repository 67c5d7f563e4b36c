// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {SumTree} from "../libraries/SumTree.sol";

/// @notice Exposes SumTree for tests and the gas benchmark (test double, not deployed). Keys
///         are block numbers here (the registry keys by activation time).
contract SumTreeHarness {
    using SumTree for SumTree.Tree;
    using Checkpoints for Checkpoints.Trace208;

    uint256 public constant CAPACITY = 16_384;

    SumTree.Tree internal _tree;
    mapping(uint256 => Checkpoints.Trace208) internal _leaves;

    event Drawn(uint256[] leaves);

    /// @notice Sets one leaf's weight from this block on.
    function set(uint256 leaf, uint256 w) public {
        uint48 key = uint48(block.number);
        _tree.update(leaf, _leaves[leaf].latest(), w, key, CAPACITY);
        _leaves[leaf].push(key, uint208(w));
    }

    /// @notice Sets leaves from, from + 1, .. from + weights.length - 1 (benchmark set-up).
    function setMany(uint256 from, uint256[] calldata weights) external {
        for (uint256 i; i < weights.length; ++i) set(from + i, weights[i]);
    }

    /// @notice Draws `k` distinct leaves as of block `blockNumber` by rejection of repeats:
    ///         draw d tries r = keccak256(seed, attempt) mod total until it finds a leaf not yet
    ///         drawn (the distribution of successive weighted sampling without replacement).
    function draw(bytes32 seed, uint256 k, uint48 blockNumber, uint256 top) public view returns (uint256[] memory leaves) {
        leaves = new uint256[](k);
        uint256 all = _tree.totalAt(blockNumber, CAPACITY);
        uint256 attempt;
        for (uint256 d; d < k; ++attempt) {
            uint256 leaf = _tree.findAt(uint256(keccak256(abi.encode(seed, attempt))) % all, blockNumber, top);
            bool repeat;
            for (uint256 j; j < d; ++j) {
                if (leaves[j] == leaf) repeat = true;
            }
            if (!repeat) leaves[d++] = leaf;
        }
    }

    /// @notice draw() in a transaction (emits the leaves), so its gas can be measured.
    function drawTx(bytes32 seed, uint256 k, uint48 blockNumber, uint256 top) external {
        emit Drawn(draw(seed, k, blockNumber, top));
    }

    function weight(uint256 leaf) external view returns (uint256) {
        return _leaves[leaf].latest();
    }

    function weightAt(uint256 leaf, uint48 blockNumber) external view returns (uint256) {
        return _leaves[leaf].upperLookupRecent(blockNumber);
    }

    function total() external view returns (uint256) {
        return _tree.totalAt(type(uint48).max, CAPACITY);
    }

    function totalAt(uint48 blockNumber) external view returns (uint256) {
        return _tree.totalAt(blockNumber, CAPACITY);
    }

    function prefixAt(uint256 idx, uint48 blockNumber) external view returns (uint256) {
        return _tree.prefixAt(idx, blockNumber);
    }

    function findAt(uint256 r, uint48 blockNumber) external view returns (uint256) {
        return _tree.findAt(r, blockNumber, CAPACITY);
    }
}
