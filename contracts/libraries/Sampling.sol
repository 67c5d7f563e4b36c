// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Sampling
/// @notice Cost-aware weighted sampling without replacement from a 32-byte seed.
library Sampling {
    /// @notice Draws up to `k` distinct candidates. Draw d considers the candidates not yet
    ///         chosen whose cost fits the remaining budget; with their total weight T > 0 it takes
    ///         r = uint256(keccak256(abi.encode(seed, d))) % T and walks them in order,
    ///         subtracting weights, until r < weight. Stops early when T == 0.
    /// @param weights sampling weights (> 0); the array is consumed (chosen entries zeroed)
    /// @param costs declared costs, same length
    /// @return picked indices of the chosen candidates in draw order (length = count)
    /// @return count how many were drawn (< k means the committee cannot be filled)
    function sample(uint256[] memory weights, uint256[] memory costs, uint256 k, uint256 budget, bytes32 seed)
        internal
        pure
        returns (uint256[] memory picked, uint256 count)
    {
        uint256 n = weights.length;
        picked = new uint256[](k);
        uint256 remaining = budget;
        for (uint256 d; d < k; ++d) {
            uint256 total;
            for (uint256 i; i < n; ++i) {
                if (costs[i] <= remaining) total += weights[i];
            }
            if (total == 0) break;
            uint256 r = uint256(keccak256(abi.encode(seed, d))) % total;
            for (uint256 i; i < n; ++i) {
                uint256 wi = weights[i];
                if (wi == 0 || costs[i] > remaining) continue;
                if (r < wi) {
                    picked[count++] = i;
                    remaining -= costs[i];
                    weights[i] = 0;
                    break;
                }
                r -= wi;
            }
        }
    }
}
