// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Per-output consensus rule of a task. Values are part of the ABI and mirrored in
///         oracle/rules (`Rule`).
enum Rule {
    MEAN,
    MEDIAN,
    TRIMMED_MEAN,
    TRUST_WEIGHTED_MEAN,
    TRUST_WEIGHTED_MEDIAN
}

/// @title Aggregation
/// @notice Pure consensus rules over basis-point scores, plus every leave-one-out consensus
///         derived from ONE sort: O(n log n)-ish per output instead of O(n^2 log n).
/// @dev All arithmetic is integer and floors, exactly as documented in docs/contract.md.
///      Scores must be <= 10000 and weights > 0 (callers guarantee both); n <= 255.
library Aggregation {
    /// @dev Basis points: 10000 = 1.0.
    uint256 internal constant BPS = 10_000;
    /// @dev Bits reserved for the original index inside a sort key.
    uint256 private constant IDX_BITS = 8;
    uint256 private constant IDX_MASK = 0xff;

    /// @notice Number of scores TRIMMED_MEAN drops from each side of `n` sorted scores:
    ///         floor(n * trimBps / 10000), reduced to floor((n-1)/2) so at least one remains.
    function trimCount(uint256 n, uint256 trimBps) internal pure returns (uint256 t) {
        t = (n * trimBps) / BPS;
        if (2 * t >= n) t = (n - 1) / 2;
    }

    /// @notice Consensus of `scores` under `rule` (weights used by trust-weighted rules only).
    function consensus(Rule rule, uint256[] memory scores, uint256[] memory weights, uint256 trimBps)
        internal
        pure
        returns (uint256 c)
    {
        (c,) = _run(rule, scores, weights, trimBps, false);
    }

    /// @notice Consensus plus, for every i, the consensus of the same rule with entry i removed.
    /// @dev Requires n >= 2. `loo[i]` equals `consensus(rule, scores without i, weights without i)`.
    function consensusWithLeaveOneOut(
        Rule rule,
        uint256[] memory scores,
        uint256[] memory weights,
        uint256 trimBps
    ) internal pure returns (uint256 c, uint256[] memory loo) {
        return _run(rule, scores, weights, trimBps, true);
    }

    function _run(Rule rule, uint256[] memory s, uint256[] memory w, uint256 trimBps, bool withLoo)
        private
        pure
        returns (uint256 c, uint256[] memory loo)
    {
        uint256 n = s.length;
        if (withLoo) loo = new uint256[](n);
        if (rule == Rule.MEAN) {
            uint256 sum;
            for (uint256 i; i < n; ++i) sum += s[i];
            c = sum / n;
            if (withLoo) for (uint256 i; i < n; ++i) loo[i] = (sum - s[i]) / (n - 1);
        } else if (rule == Rule.TRUST_WEIGHTED_MEAN) {
            uint256 sws;
            uint256 sw;
            for (uint256 i; i < n; ++i) {
                sws += w[i] * s[i];
                sw += w[i];
            }
            c = sws / sw;
            if (withLoo) for (uint256 i; i < n; ++i) loo[i] = (sws - w[i] * s[i]) / (sw - w[i]);
        } else {
            uint256[] memory keys = _sortedKeys(s);
            if (rule == Rule.MEDIAN) {
                c = _median(keys, n, type(uint256).max);
                if (withLoo) {
                    for (uint256 q; q < n; ++q) loo[keys[q] & IDX_MASK] = _median(keys, n - 1, q);
                }
            } else if (rule == Rule.TRIMMED_MEAN) {
                (c, loo) = _trimmed(keys, n, trimBps, withLoo, loo);
            } else {
                (c, loo) = _weightedMedian(keys, w, n, withLoo, loo);
            }
        }
    }

    /// @dev Sort keys (score << 8 | index), ascending (insertion sort; n is small).
    function _sortedKeys(uint256[] memory s) private pure returns (uint256[] memory keys) {
        uint256 n = s.length;
        keys = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 key = (s[i] << IDX_BITS) | i;
            uint256 j = i;
            while (j > 0 && keys[j - 1] > key) {
                keys[j] = keys[j - 1];
                --j;
            }
            keys[j] = key;
        }
    }

    /// @dev Score at position `q` of the sorted sequence with position `removed` taken out
    ///      (`removed` = max for none).
    function _at(uint256[] memory keys, uint256 q, uint256 removed) private pure returns (uint256) {
        return keys[q < removed ? q : q + 1] >> IDX_BITS;
    }

    /// @dev Median of the `len` sorted scores left after removing position `removed`.
    function _median(uint256[] memory keys, uint256 len, uint256 removed) private pure returns (uint256) {
        uint256 h = len / 2;
        if (len % 2 == 1) return _at(keys, h, removed);
        return (_at(keys, h - 1, removed) + _at(keys, h, removed)) / 2;
    }

    function _trimmed(uint256[] memory keys, uint256 n, uint256 trimBps, bool withLoo, uint256[] memory loo)
        private
        pure
        returns (uint256 c, uint256[] memory)
    {
        // prefix[q] = sum of the first q sorted scores
        uint256[] memory prefix = new uint256[](n + 1);
        for (uint256 q; q < n; ++q) prefix[q + 1] = prefix[q] + (keys[q] >> IDX_BITS);
        uint256 t = trimCount(n, trimBps);
        c = (prefix[n - t] - prefix[t]) / (n - 2 * t);
        if (withLoo) _trimmedLoo(keys, prefix, trimCount(n - 1, trimBps), loo);
        return (c, loo);
    }

    /// @dev Leave-one-out trimmed means from the prefix sums: removing sorted position p maps
    ///      the reduced window [a, b) back onto original positions.
    function _trimmedLoo(uint256[] memory keys, uint256[] memory prefix, uint256 t2, uint256[] memory loo)
        private
        pure
    {
        uint256 n = keys.length;
        uint256 a = t2;
        uint256 b = n - 1 - t2; // reduced window [a, b)
        for (uint256 p; p < n; ++p) {
            uint256 sum;
            if (p < a) sum = prefix[b + 1] - prefix[a + 1];
            else if (p >= b) sum = prefix[b] - prefix[a];
            else sum = prefix[b + 1] - prefix[a] - (keys[p] >> IDX_BITS);
            loo[keys[p] & IDX_MASK] = sum / (b - a);
        }
    }

    function _weightedMedian(
        uint256[] memory keys,
        uint256[] memory w,
        uint256 n,
        bool withLoo,
        uint256[] memory loo
    ) private pure returns (uint256 c, uint256[] memory) {
        // cum[q] = total weight of sorted positions 0..q (inclusive)
        uint256[] memory cum = new uint256[](n);
        uint256 acc;
        for (uint256 q; q < n; ++q) {
            acc += w[keys[q] & IDX_MASK];
            cum[q] = acc;
        }
        uint256 q0;
        while (2 * cum[q0] < acc) ++q0;
        c = keys[q0] >> IDX_BITS;
        if (withLoo) _weightedMedianLoo(keys, w, cum, loo);
        return (c, loo);
    }

    function _weightedMedianLoo(uint256[] memory keys, uint256[] memory w, uint256[] memory cum, uint256[] memory loo)
        private
        pure
    {
        uint256 n = keys.length;
        for (uint256 p; p < n; ++p) {
            uint256 idx = keys[p] & IDX_MASK;
            loo[idx] = keys[_looWeightedMedianPos(cum, p, w[idx])] >> IDX_BITS;
        }
    }

    /// @dev Smallest sorted position q with 2 * (cum[q] - (q >= p ? wp : 0)) >= total - wp,
    ///      by binary search (the left side is non-decreasing in q). Never returns p itself:
    ///      at q = p the reduced cumulative equals that at p - 1, and at p = 0 it is 0.
    function _looWeightedMedianPos(uint256[] memory cum, uint256 p, uint256 wp) private pure returns (uint256 lo) {
        uint256 hi = cum.length - 1;
        uint256 rest = cum[hi] - wp;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            uint256 cm = cum[mid] - (mid >= p ? wp : 0);
            if (2 * cm >= rest) hi = mid;
            else lo = mid + 1;
        }
    }
}
