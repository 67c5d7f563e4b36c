// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {EvaluatorRegistry} from "../../contracts/EvaluatorRegistry.sol";
import {ProfileRegistry} from "../../contracts/ProfileRegistry.sol";
import {PoQTestToken} from "../../contracts/token/PoQTestToken.sol";
import {StakingParams} from "../../contracts/libraries/Governance.sol";

/// @notice The registry's sum trees at n = 1,000 registered evaluators, over random operation
///         sequences: registrations (new and re-registrations into freed places), stake
///         additions, cost and profile changes, partial and full unbonding, withdrawals (full
///         exits), evictions, slashes and trust moves (settleMembers, this contract standing in
///         for the settlement contract), syncs and time jumps. After every step, for every
///         profile, each tree's total as of the latest activation key equals the sum over every
///         evaluator of its own activation history read at that key (draw tree: part x 2^tb of
///         the profile's servers; price tree: part; network: part of everyone serving some
///         profile), and the sums as of the set-up time never change.
contract RegistryTreeTest is TestBase {
    uint256 internal constant N = 1_000;
    uint256 internal constant STEPS = 24;
    uint256 internal constant PROFILES = 3;
    uint256 internal constant MIN_STAKE = 100e18;
    uint256 internal constant CAP = 2_000e18;

    PoQTestToken internal token;
    ProfileRegistry internal profiles;
    EvaluatorRegistry internal registry;
    bytes32[PROFILES] internal hashes;
    uint256 internal rnd;

    /// @dev The reference: each actor's state as of the far future (its latest key), and the sums.
    mapping(uint256 => uint256) internal refDraw; // profile => sum of part << tb
    mapping(uint256 => uint256) internal refPrice; // profile => sum of part
    uint256 internal refNetwork;
    mapping(address => uint256) internal seenPart;
    mapping(address => uint256) internal seenTb;
    mapping(address => uint256) internal seenMask;
    uint256 internal setupTime;
    uint256[PROFILES] internal setupDraw;

    function setUp() public {
        token = new PoQTestToken(address(this), 0);
        profiles = new ProfileRegistry(address(this));
        for (uint256 p; p < PROFILES; ++p) {
            hashes[p] = keccak256(abi.encode("profile", p));
            profiles.register(hashes[p], "p");
        }
        StakingParams memory sp = StakingParams(uint96(MIN_STAKE), uint96(CAP), 600, 60, 5_000, 5_000, 3_600, 10e18);
        registry = new EvaluatorRegistry(token, profiles, address(this), sp);
        registry.bindSettlement(address(this));
        vm.warp(1_000_000);
        for (uint256 i; i < N; ++i) {
            address a = _actor(i);
            token.mint(a, 1e24);
            vm.prank(a);
            token.approve(address(registry), type(uint256).max);
            uint256 x = uint256(keccak256(abi.encode("init", i)));
            vm.prank(a);
            registry.register(uint88(MIN_STAKE + (x % 3_000) * 1e18), uint96((x >> 16) % 10e18), _profiles(1 + ((x >> 32) % 7)));
            _observe(a);
        }
        vm.warp(block.timestamp + 61);
        setupTime = block.timestamp;
        for (uint256 p; p < PROFILES; ++p) (setupDraw[p],,) = registry.treeTotals(_id(p), setupTime);
    }

    function testFuzz_treesEqualTheHistoriesAfterEveryStep(uint256 seed) public {
        rnd = seed;
        _check("set-up");
        for (uint256 s; s < STEPS; ++s) {
            address a = _actor(_next(N));
            uint256 op = _next(10);
            if (op == 0) {
                vm.prank(a);
                try registry.addStake(uint88(1e18 + _next(500) * 1e18)) {} catch {}
            } else if (op == 1) {
                vm.prank(a);
                try registry.setCost(uint96(_next(10e18))) {} catch {}
            } else if (op == 2) {
                vm.prank(a);
                try registry.setProfiles(_profiles(_next(8))) {} catch {}
            } else if (op == 3) {
                EvaluatorRegistry.Evaluator memory e = registry.getEvaluator(a);
                uint256 amount = _next(2) == 0 ? e.stake : (e.stake > 2 * MIN_STAKE ? e.stake - MIN_STAKE - _next(MIN_STAKE) : 0);
                vm.prank(a);
                try registry.requestUnbond(uint88(amount)) {} catch {}
            } else if (op == 4) {
                vm.warp(block.timestamp + 3_600 + _next(600));
                vm.prank(a);
                try registry.withdraw() {} catch {}
            } else if (op == 5) {
                try registry.evict(a) {} catch {}
            } else if (op == 6) {
                // re-registration of an actor that left (or a no-op for a registered one)
                vm.prank(a);
                try registry.register(uint88(MIN_STAKE + _next(3_000) * 1e18), uint96(_next(10e18)), _profiles(1 + _next(7))) {} catch {}
            } else if (op == 7) {
                _settle(a);
            } else if (op == 8) {
                try registry.sync(a) {} catch {}
            } else {
                vm.warp(block.timestamp + 1 + _next(4_000));
            }
            _observe(a);
            _check("step");
        }
        // the past is fixed: nothing since the set-up moved the trees as of the set-up time
        for (uint256 p; p < PROFILES; ++p) {
            (uint256 d,,) = registry.treeTotals(_id(p), setupTime);
            assertEq(d, setupDraw[p], "draw tree as of the set-up time");
        }
    }

    /// @dev A trust move of up to +-40% and, half the time, a slash of 10%.
    function _settle(address a) internal {
        address[] memory m = new address[](1);
        m[0] = a;
        uint256[] memory t = new uint256[](1);
        uint256 trust = registry.getEvaluator(a).trust;
        t[0] = _next(2) == 0 ? trust + (trust * _next(40)) / 100 : trust - (trust * _next(40)) / 100;
        if (t[0] < 100) t[0] = 100;
        uint256[] memory sl = new uint256[](1);
        sl[0] = _next(2) == 0 ? 0 : MIN_STAKE / 10;
        try registry.settleMembers(m, sl[0] == 0 ? 0 : 1, t, sl) {} catch {}
    }

    /// @dev Moves the reference sums by the difference of `a`'s latest state from the last one seen.
    function _observe(address a) internal {
        (uint256 stake,, uint256 mask, uint256 bound, uint256 part) = registry.stateAt(a, type(uint32).max);
        // the latest state carries the declared stake (a slash included); the leaves carry
        // min(stake, cap) as of the last full write (a slash since lowers `stake` only)
        EvaluatorRegistry.Evaluator memory e = registry.getEvaluator(a);
        assertEq(stake, e.registered ? e.stake : 0, "the latest state's stake is the declared one");
        assertTrue(part <= (e.registered ? CAP : 0), "part within the cap");
        uint256 tb;
        while ((uint256(1) << tb) < bound) ++tb;
        for (uint256 p; p < PROFILES; ++p) {
            if ((seenMask[a] >> _idx(p)) & 1 == 1) {
                refDraw[p] -= seenPart[a] << seenTb[a];
                refPrice[p] -= seenPart[a];
            }
            if ((mask >> _idx(p)) & 1 == 1) {
                refDraw[p] += part << tb;
                refPrice[p] += part;
            }
        }
        if (seenMask[a] != 0) refNetwork -= seenPart[a];
        if (mask != 0) refNetwork += part;
        (seenPart[a], seenTb[a], seenMask[a]) = (part, tb, mask);
    }

    function _check(string memory what) internal view {
        for (uint256 p; p < PROFILES; ++p) {
            (uint256 d, uint256 pr, uint256 net) = registry.treeTotals(_id(p), type(uint32).max);
            assertEq(d, refDraw[p], what);
            assertEq(pr, refPrice[p], what);
            assertEq(net, refNetwork, what);
        }
    }

    /// @dev Profile index p's id in the ProfileRegistry (ids in registration order).
    function _idx(uint256 p) internal view returns (uint256) {
        return profiles.getProfile(hashes[p]).id;
    }

    function _id(uint256 p) internal view returns (uint256) {
        return _idx(p);
    }

    function _profiles(uint256 mask) internal view returns (bytes32[] memory out) {
        uint256 n;
        for (uint256 p; p < PROFILES; ++p) if ((mask >> p) & 1 == 1) ++n;
        out = new bytes32[](n);
        n = 0;
        for (uint256 p; p < PROFILES; ++p) if ((mask >> p) & 1 == 1) out[n++] = hashes[p];
    }

    function _actor(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }

    function _next(uint256 mod) internal returns (uint256) {
        rnd = uint256(keccak256(abi.encode(rnd)));
        return rnd % mod;
    }
}
