// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {SumTreeHarness} from "../../contracts/test/SumTreeHarness.sol";
import {SumTree} from "../../contracts/libraries/SumTree.sol";

/// @notice SumTree at n = 1,000 registered leaves: random sequences of inserts, updates, exits
///         (weight 0, the place freed) and re-registrations into freed places, across blocks.
///         After every step the root equals the sum of the reference weights, a random draw
///         lands on the leaf whose prefix interval holds it, and the tree as of an earlier block
///         still answers with that block's totals and weights.
contract SumTreeTest is TestBase {
    uint256 internal constant N = 1_000;
    uint256 internal constant STEPS = 40;

    SumTreeHarness internal tree;
    uint256[] internal ref; // ref[leaf - 1]
    uint256 internal refTotal;
    uint256 internal rnd;

    function setUp() public {
        tree = new SumTreeHarness();
        uint256[] memory w = new uint256[](N);
        for (uint256 i; i < N; ++i) {
            w[i] = _weight(uint256(keccak256(abi.encode("init", i))));
            ref.push(w[i]);
            refTotal += w[i];
        }
        tree.setMany(1, w);
        vm.roll(block.number + 1);
    }

    function testFuzz_rootIsTheSumAfterEveryStep(uint256 seed) public {
        rnd = seed;
        uint256 pastBlock = block.number - 1;
        uint256 pastTotal = tree.totalAt(uint48(pastBlock));
        assertEq(pastTotal, refTotal, "set-up total");
        uint256 probe = _next() % N;
        uint256 probeWeight = ref[probe];
        for (uint256 s; s < STEPS; ++s) {
            uint256 leaf = _next() % N;
            uint256 op = _next() % 4;
            uint256 w;
            if (op == 0) w = 0; // exit: the place is freed
            else if (op == 1) w = ref[leaf] == 0 ? _weight(_next()) : ref[leaf]; // re-register into a freed place (or no-op)
            else w = _weight(_next()); // stake / trust / cost change
            refTotal = refTotal - ref[leaf] + w;
            ref[leaf] = w;
            tree.set(leaf + 1, w);
            assertEq(tree.total(), refTotal, "root == sum of weights");
            assertEq(tree.weight(leaf + 1), w, "leaf weight");
            if (refTotal != 0) _checkDraw(_next() % refTotal);
            if (_next() % 3 == 0) vm.roll(block.number + 1 + (_next() % 5));
        }
        // the tree as of the set-up block is unchanged by everything since
        assertEq(tree.totalAt(uint48(pastBlock)), pastTotal, "total as of a past block");
        assertEq(tree.weightAt(probe + 1, uint48(pastBlock)), probeWeight, "weight as of a past block");
    }

    function test_boundsAndEmptyTree() public {
        SumTreeHarness empty = new SumTreeHarness();
        vm.expectRevert(abi.encodeWithSelector(SumTree.LeafOutOfRange.selector, 0));
        empty.set(0, 1);
        uint256 cap = empty.CAPACITY();
        vm.expectRevert(abi.encodeWithSelector(SumTree.LeafOutOfRange.selector, cap + 1));
        empty.set(cap + 1, 1);
        empty.set(cap, 7);
        assertEq(empty.findAt(6, uint48(block.number)), cap, "last leaf");
        empty.set(1, 3);
        assertEq(empty.findAt(2, uint48(block.number)), 1, "first leaf");
        assertEq(empty.findAt(3, uint48(block.number)), cap, "r past the first leaf");
        assertEq(empty.prefixAt(cap - 1, uint48(block.number)), 3, "prefix before the last leaf");
        assertEq(empty.prefixAt(cap, uint48(block.number)), 10, "prefix of every leaf");
    }

    /// @dev r must land on the leaf whose reference prefix interval holds it.
    function _checkDraw(uint256 r) internal view {
        uint256 leaf = tree.findAt(r, uint48(block.number));
        uint256 before;
        for (uint256 i; i + 1 < leaf; ++i) before += ref[i];
        assertTrue(before <= r && r < before + ref[leaf - 1], "draw lands in its leaf's interval");
    }

    function _weight(uint256 x) internal pure returns (uint256) {
        // trust (bps, up to 30000) x stake (up to 10,000 tokens): realistic magnitudes
        return (1 + (x % 30_000)) * ((1 + ((x >> 32) % 10_000)) * 1e18);
    }

    function _next() internal returns (uint256) {
        rnd = uint256(keccak256(abi.encode(rnd)));
        return rnd;
    }
}
