// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Trust
/// @notice Adaptive trust update w <- clip(w * (1 + lambda * (0.5 - d)), wMin, wMax) in bps.
library Trust {
    uint256 internal constant BPS = 10_000;
    int256 private constant HALF = 5_000;

    /// @notice d = min(10000, floor(dev * 10000 / deviationScaleBps)).
    function normalisedDeviation(uint256 devBps, uint256 deviationScaleBps) internal pure returns (uint256) {
        uint256 d = (devBps * BPS) / deviationScaleBps;
        return d > BPS ? BPS : d;
    }

    /// @notice Factor in bps: 10000 + lambda * (5000 - d) / 10000, signed division truncating to zero.
    function factor(uint256 dNorm, uint256 lambdaBps) internal pure returns (uint256) {
        int256 adj = (int256(lambdaBps) * (HALF - int256(dNorm))) / int256(BPS);
        return uint256(int256(BPS) + adj);
    }

    /// @notice clip(floor(trust * factor(d) / 10000), wMin, wMax), never above `trust` when d >= 5000.
    function update(uint256 trust, uint256 dNorm, uint256 lambdaBps, uint256 wMin, uint256 wMax)
        internal
        pure
        returns (uint256)
    {
        uint256 t = clip((trust * factor(dNorm, lambdaBps)) / BPS, wMin, wMax);
        // a deviation of at least half the scale never raises trust (the floor wMin could)
        return dNorm >= uint256(HALF) && t > trust ? trust : t;
    }

    /// @notice Non-revealer: min(trust, clip(floor(trust * (10000 - missPenaltyBps) / 10000), wMin, wMax)):
    ///         a miss never raises trust, even when the floor wMin is above it (eighth review).
    function penaliseMiss(uint256 trust, uint256 missPenaltyBps, uint256 wMin, uint256 wMax)
        internal
        pure
        returns (uint256)
    {
        uint256 t = clip((trust * (BPS - missPenaltyBps)) / BPS, wMin, wMax);
        return t > trust ? trust : t;
    }

    /// @notice Clamp `w` into [wMin, wMax].
    function clip(uint256 w, uint256 wMin, uint256 wMax) internal pure returns (uint256) {
        if (w < wMin) return wMin;
        if (w > wMax) return wMax;
        return w;
    }
}
