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
///      Preconditions (callers guarantee them; ProofOfQuality always does): 1 <= n <= 255,
///      scores <= 10000, 0 < weights < 2^64. Hot loops are assembly over memory words
///      (no bounds checks, no overflow checks: the preconditions make both impossible).
library Aggregation {
    /// @notice No scores (n == 0), or fewer than two for a leave-one-out consensus.
    error TooFewScores(uint256 n);

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
        if (n == 0 || (withLoo && n < 2)) revert TooFewScores(n);
        if (withLoo) loo = new uint256[](n);
        if (rule == Rule.MEAN) {
            assembly ("memory-safe") {
                let sp := add(s, 0x20)
                let sum := 0
                for { let i := 0 } lt(i, n) { i := add(i, 1) } { sum := add(sum, mload(add(sp, shl(5, i)))) }
                c := div(sum, n)
                if withLoo {
                    let lp := add(loo, 0x20)
                    let n1 := sub(n, 1)
                    for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                        let o := shl(5, i)
                        mstore(add(lp, o), div(sub(sum, mload(add(sp, o))), n1))
                    }
                }
            }
        } else if (rule == Rule.TRUST_WEIGHTED_MEAN) {
            assembly ("memory-safe") {
                let sp := add(s, 0x20)
                let wp := add(w, 0x20)
                let sws := 0
                let sw := 0
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let o := shl(5, i)
                    let wi := mload(add(wp, o))
                    sws := add(sws, mul(wi, mload(add(sp, o))))
                    sw := add(sw, wi)
                }
                c := div(sws, sw)
                if withLoo {
                    let lp := add(loo, 0x20)
                    for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                        let o := shl(5, i)
                        let wi := mload(add(wp, o))
                        mstore(add(lp, o), div(sub(sws, mul(wi, mload(add(sp, o)))), sub(sw, wi)))
                    }
                }
            }
        } else {
            uint256[] memory keys = _sortedKeys(s);
            if (rule == Rule.MEDIAN) {
                c = _median(keys, withLoo, loo);
            } else if (rule == Rule.TRIMMED_MEAN) {
                c = _trimmed(keys, trimBps, withLoo, loo);
            } else {
                c = _weightedMedian(keys, w, withLoo, loo);
            }
        }
    }

    /// @dev Sort keys (score << 8 | index), ascending (insertion sort; n is small).
    function _sortedKeys(uint256[] memory s) private pure returns (uint256[] memory keys) {
        uint256 n = s.length;
        keys = new uint256[](n);
        assembly ("memory-safe") {
            let kp := add(keys, 0x20)
            let sp := add(s, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let key := or(shl(8, mload(add(sp, shl(5, i)))), i)
                let j := i
                for {} gt(j, 0) { j := sub(j, 1) } {
                    let prev := mload(add(kp, shl(5, sub(j, 1))))
                    if iszero(gt(prev, key)) { break }
                    mstore(add(kp, shl(5, j)), prev)
                }
                mstore(add(kp, shl(5, j)), key)
            }
        }
    }

    /// @dev Median of the sorted keys and, if asked, the median with each position removed:
    ///      reduced position x maps to original x (x < removed) or x + 1.
    function _median(uint256[] memory keys, bool withLoo, uint256[] memory loo) private pure returns (uint256 c) {
        uint256 n = keys.length;
        assembly ("memory-safe") {
            let kp := add(keys, 0x20)
            let h := shr(1, n)
            c := shr(8, mload(add(kp, shl(5, h))))
            if iszero(and(n, 1)) { c := shr(1, add(c, shr(8, mload(add(kp, shl(5, sub(h, 1))))))) }
            if withLoo {
                let lp := add(loo, 0x20)
                let n1 := sub(n, 1)
                let h1 := shr(1, n1)
                let even := iszero(and(n1, 1))
                for { let q := 0 } lt(q, n) { q := add(q, 1) } {
                    let x := h1
                    if iszero(lt(x, q)) { x := add(x, 1) }
                    let v := shr(8, mload(add(kp, shl(5, x))))
                    if even {
                        let y := sub(h1, 1)
                        if iszero(lt(y, q)) { y := add(y, 1) }
                        v := shr(1, add(v, shr(8, mload(add(kp, shl(5, y))))))
                    }
                    mstore(add(lp, shl(5, and(mload(add(kp, shl(5, q))), 0xff))), v)
                }
            }
        }
    }

    /// @dev Trimmed mean from prefix sums; leave-one-out maps the reduced window [a, b) back
    ///      onto original positions (removed p < a: [a+1, b+1); p >= b: [a, b); else [a, b+1) minus p).
    function _trimmed(uint256[] memory keys, uint256 trimBps, bool withLoo, uint256[] memory loo)
        private
        pure
        returns (uint256 c)
    {
        uint256 n = keys.length;
        uint256[] memory prefix = new uint256[](n + 1);
        uint256 t = trimCount(n, trimBps);
        uint256 t2 = withLoo ? trimCount(n - 1, trimBps) : 0;
        assembly ("memory-safe") {
            let kp := add(keys, 0x20)
            let pp := add(prefix, 0x20)
            let acc := 0
            for { let q := 0 } lt(q, n) { q := add(q, 1) } {
                acc := add(acc, shr(8, mload(add(kp, shl(5, q)))))
                mstore(add(pp, shl(5, add(q, 1))), acc)
            }
            c := div(sub(mload(add(pp, shl(5, sub(n, t)))), mload(add(pp, shl(5, t)))), sub(n, shl(1, t)))
            if withLoo {
                let lp := add(loo, 0x20)
                let a := t2
                let b := sub(sub(n, 1), t2)
                let len := sub(b, a)
                let pa := mload(add(pp, shl(5, a)))
                let pa1 := mload(add(pp, shl(5, add(a, 1))))
                let pb := mload(add(pp, shl(5, b)))
                let pb1 := mload(add(pp, shl(5, add(b, 1))))
                for { let p := 0 } lt(p, n) { p := add(p, 1) } {
                    let key := mload(add(kp, shl(5, p)))
                    let sum := sub(sub(pb1, pa), shr(8, key))
                    if lt(p, a) { sum := sub(pb1, pa1) }
                    if iszero(lt(p, b)) { sum := sub(pb, pa) }
                    mstore(add(lp, shl(5, and(key, 0xff))), div(sum, len))
                }
            }
        }
    }

    /// @dev Weighted median: lowest sorted score whose cumulative weight * 2 >= total. Its
    ///      leave-one-out value is found by binary search over cum'(q) = cum(q) - (q >= p ? w_p : 0),
    ///      which is non-decreasing; the search never stops at p itself (cum'(p) = cum'(p - 1),
    ///      and cum'(0) = 0 < total' when p = 0).
    function _weightedMedian(uint256[] memory keys, uint256[] memory w, bool withLoo, uint256[] memory loo)
        private
        pure
        returns (uint256 c)
    {
        uint256 n = keys.length;
        uint256[] memory cum = new uint256[](n);
        assembly ("memory-safe") {
            let kp := add(keys, 0x20)
            let wp := add(w, 0x20)
            let cp := add(cum, 0x20)
            let acc := 0
            for { let q := 0 } lt(q, n) { q := add(q, 1) } {
                acc := add(acc, mload(add(wp, shl(5, and(mload(add(kp, shl(5, q))), 0xff)))))
                mstore(add(cp, shl(5, q)), acc)
            }
            let q0 := 0
            for {} lt(shl(1, mload(add(cp, shl(5, q0)))), acc) { q0 := add(q0, 1) } {}
            c := shr(8, mload(add(kp, shl(5, q0))))
            if withLoo {
                let lp := add(loo, 0x20)
                for { let p := 0 } lt(p, n) { p := add(p, 1) } {
                    let key := mload(add(kp, shl(5, p)))
                    let wpv := mload(add(wp, shl(5, and(key, 0xff))))
                    let rest := sub(acc, wpv)
                    let lo := 0
                    let hi := sub(n, 1)
                    for {} lt(lo, hi) {} {
                        let mid := shr(1, add(lo, hi))
                        let cm := mload(add(cp, shl(5, mid)))
                        if iszero(lt(mid, p)) { cm := sub(cm, wpv) }
                        switch lt(shl(1, cm), rest)
                        case 0 { hi := mid }
                        default { lo := add(mid, 1) }
                    }
                    mstore(add(lp, shl(5, and(key, 0xff))), shr(8, mload(add(kp, shl(5, lo)))))
                }
            }
        }
    }
}
