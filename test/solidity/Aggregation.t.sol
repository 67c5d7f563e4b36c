// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {Aggregation, Rule} from "../../contracts/libraries/Aggregation.sol";
import {ScorePacking} from "../../contracts/libraries/ScorePacking.sol";

/// @notice Fuzz: every aggregation rule and every leave-one-out consensus against simple,
///         obviously-correct O(n^2) reference implementations.
contract AggregationTest is TestBase {
    uint256 internal constant BPS = 10_000;

    function _inputs(uint256 seed, uint256 n, bool ties)
        internal
        pure
        returns (uint256[] memory s, uint256[] memory w)
    {
        s = new uint256[](n);
        w = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            s[i] = ties ? (r % 5) * 2_500 : r % (BPS + 1);
            w[i] = 100 + ((r >> 128) % 100_000);
        }
    }

    function _sorted(uint256[] memory a) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length);
        for (uint256 i; i < a.length; ++i) b[i] = a[i];
        for (uint256 i; i < b.length; ++i) {
            for (uint256 j; j + 1 < b.length - i; ++j) {
                if (b[j] > b[j + 1]) (b[j], b[j + 1]) = (b[j + 1], b[j]);
            }
        }
    }

    /// @dev Reference definitions, written independently of the library.
    function _ref(Rule rule, uint256[] memory s, uint256[] memory w, uint256 trimBps) internal pure returns (uint256) {
        uint256 n = s.length;
        if (rule == Rule.MEAN) {
            uint256 sum;
            for (uint256 i; i < n; ++i) sum += s[i];
            return sum / n;
        }
        if (rule == Rule.TRUST_WEIGHTED_MEAN) {
            uint256 sws;
            uint256 sw;
            for (uint256 i; i < n; ++i) {
                sws += s[i] * w[i];
                sw += w[i];
            }
            return sws / sw;
        }
        if (rule == Rule.TRUST_WEIGHTED_MEDIAN) {
            uint256 total;
            for (uint256 i; i < n; ++i) total += w[i];
            uint256 best = type(uint256).max;
            for (uint256 i; i < n; ++i) {
                uint256 below;
                for (uint256 j; j < n; ++j) if (s[j] <= s[i]) below += w[j];
                if (2 * below >= total && s[i] < best) best = s[i];
            }
            return best;
        }
        uint256[] memory b = _sorted(s);
        if (rule == Rule.MEDIAN) return n % 2 == 1 ? b[n / 2] : (b[n / 2 - 1] + b[n / 2]) / 2;
        uint256 t = (n * trimBps) / BPS;
        if (2 * t >= n) t = (n - 1) / 2;
        uint256 acc;
        for (uint256 i = t; i < n - t; ++i) acc += b[i];
        return acc / (n - 2 * t);
    }

    function _without(uint256[] memory a, uint256 k) internal pure returns (uint256[] memory b) {
        b = new uint256[](a.length - 1);
        uint256 x;
        for (uint256 i; i < a.length; ++i) if (i != k) b[x++] = a[i];
    }

    function testFuzz_consensusMatchesReference(uint256 seed, uint8 ruleRaw, uint8 nRaw, uint16 trimRaw, bool ties)
        public
        pure
    {
        Rule rule = Rule(ruleRaw % 5);
        uint256 n = _bound(nRaw, 1, 25);
        uint256 trimBps = _bound(trimRaw, 0, 4_500);
        (uint256[] memory s, uint256[] memory w) = _inputs(seed, n, ties);
        assertEq(Aggregation.consensus(rule, s, w, trimBps), _ref(rule, s, w, trimBps), "consensus");
    }

    function testFuzz_leaveOneOutMatchesReference(uint256 seed, uint8 ruleRaw, uint8 nRaw, uint16 trimRaw, bool ties)
        public
        pure
    {
        Rule rule = Rule(ruleRaw % 5);
        uint256 n = _bound(nRaw, 2, 21);
        uint256 trimBps = _bound(trimRaw, 0, 4_500);
        (uint256[] memory s, uint256[] memory w) = _inputs(seed, n, ties);
        (uint256 c, uint256[] memory loo) = Aggregation.consensusWithLeaveOneOut(rule, s, w, trimBps);
        assertEq(c, _ref(rule, s, w, trimBps), "consensus");
        for (uint256 i; i < n; ++i) {
            assertEq(loo[i], _ref(rule, _without(s, i), _without(w, i), trimBps), "leave-one-out");
        }
    }

    function testFuzz_consensusWithinRange(uint256 seed, uint8 ruleRaw, uint8 nRaw) public pure {
        Rule rule = Rule(ruleRaw % 5);
        uint256 n = _bound(nRaw, 1, 25);
        (uint256[] memory s, uint256[] memory w) = _inputs(seed, n, false);
        uint256[] memory b = _sorted(s);
        uint256 c = Aggregation.consensus(rule, s, w, 2_000);
        assertTrue(c >= b[0] && c <= b[n - 1], "consensus outside [min, max]");
    }

    function testFuzz_trimCountKeepsOne(uint8 nRaw, uint16 trimRaw) public pure {
        uint256 n = _bound(nRaw, 1, 255);
        uint256 t = Aggregation.trimCount(n, _bound(trimRaw, 0, BPS));
        assertTrue(n - 2 * t >= 1, "nothing left after trimming");
    }

    function testFuzz_packingRoundTrips(uint256 word, uint8 mRaw) public pure {
        uint256 m = _bound(mRaw, 1, 15);
        uint16[] memory u = ScorePacking.unpack(word, m);
        for (uint256 j; j < m; ++j) assertEq(u[j], ScorePacking.get(word, j), "lane");
    }
}
