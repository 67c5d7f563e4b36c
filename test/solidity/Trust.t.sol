// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {Trust} from "../../contracts/libraries/Trust.sol";

/// @notice Fuzz: the trust update stays in [wMin, wMax], is monotone in the deviation and
///         neutral at d = 0.5; the miss penalty never raises trust.
contract TrustTest is TestBase {
    function _params(uint16 lRaw, uint32 minRaw, uint32 maxRaw) internal pure returns (uint256 l, uint256 lo, uint256 hi) {
        l = _bound(lRaw, 0, 10_000);
        lo = _bound(minRaw, 100, 10_000);
        hi = _bound(maxRaw, 10_000, 100_000);
    }

    function testFuzz_updateStaysInBounds(uint32 tRaw, uint16 dRaw, uint16 lRaw, uint32 minRaw, uint32 maxRaw) public pure {
        (uint256 l, uint256 lo, uint256 hi) = _params(lRaw, minRaw, maxRaw);
        uint256 t = _bound(tRaw, lo, hi);
        uint256 w = Trust.update(t, _bound(dRaw, 0, 10_000), l, lo, hi);
        assertTrue(w >= lo && w <= hi, "trust out of bounds");
    }

    function testFuzz_updateMonotoneInDeviation(uint32 tRaw, uint16 d1Raw, uint16 d2Raw, uint16 lRaw) public pure {
        (uint256 l, uint256 lo, uint256 hi) = _params(lRaw, 1_000, 30_000);
        uint256 t = _bound(tRaw, lo, hi);
        uint256 d1 = _bound(d1Raw, 0, 10_000);
        uint256 d2 = _bound(d2Raw, d1, 10_000);
        assertTrue(Trust.update(t, d1, l, lo, hi) >= Trust.update(t, d2, l, lo, hi), "not monotone");
    }

    function testFuzz_neutralAtHalf(uint32 tRaw, uint16 lRaw) public pure {
        uint256 t = _bound(tRaw, 1_000, 30_000);
        assertEq(Trust.update(t, 5_000, _bound(lRaw, 0, 10_000), 1_000, 30_000), t, "d = 0.5 must not move trust");
    }

    function testFuzz_directionMatchesDeviation(uint32 tRaw, uint16 dRaw) public pure {
        uint256 t = _bound(tRaw, 10_000, 20_000);
        uint256 d = _bound(dRaw, 0, 10_000);
        uint256 w = Trust.update(t, d, 2_000, 1_000, 30_000);
        if (d < 4_000) assertTrue(w > t, "good evaluator must gain");
        if (d > 6_000) assertTrue(w < t, "bad evaluator must lose");
    }

    function testFuzz_missPenaltyNeverRaises(uint32 tRaw, uint16 pRaw) public pure {
        uint256 t = _bound(tRaw, 1_000, 30_000);
        uint256 w = Trust.penaliseMiss(t, _bound(pRaw, 0, 9_000), 1_000, 30_000);
        assertTrue(w <= t && w >= 1_000, "penalty out of range");
    }

    function testFuzz_normalisedDeviationCapped(uint16 devRaw, uint16 scaleRaw) public pure {
        uint256 d = Trust.normalisedDeviation(_bound(devRaw, 0, 10_000), _bound(scaleRaw, 100, 10_000));
        assertTrue(d <= 10_000, "d > 1");
    }
}
