// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Sampling
/// @notice Weighted sampling without replacement from a 32-byte seed.
library Sampling {
    /// @notice Draws up to `k` distinct candidates with probability proportional to weight among
    ///         those not yet chosen (successive sampling). Draw d takes
    ///         r = uint256(keccak256(abi.encode(seed, d))) % T, where T is the total weight left,
    ///         and walks the candidates in order, subtracting weights, until r < weight. Stops
    ///         early when nothing is left.
    /// @param weights sampling weights of the eligible candidates (> 0); the array is consumed
    ///        (chosen entries zeroed)
    /// @return picked indices of the chosen candidates in draw order (length = count)
    /// @return count how many were drawn (< k means the committee cannot be filled)
    function sample(uint256[] memory weights, uint256 k, bytes32 seed)
        internal
        pure
        returns (uint256[] memory picked, uint256 count)
    {
        uint256 n = weights.length;
        picked = new uint256[](k);
        uint256 total;
        for (uint256 i; i < n; ++i) total += weights[i];
        for (uint256 d; d < k && total != 0; ++d) {
            uint256 r = uint256(keccak256(abi.encode(seed, d))) % total;
            for (uint256 i; i < n; ++i) {
                uint256 wi = weights[i];
                if (r < wi) {
                    picked[count++] = i;
                    total -= wi;
                    weights[i] = 0;
                    break;
                }
                r -= wi;
            }
        }
    }
}
