// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {ProofOfQuality} from "../../contracts/ProofOfQuality.sol";
import {TaskStatus} from "../../contracts/libraries/TaskTypes.sol";
import {EvaluatorRegistry} from "../../contracts/EvaluatorRegistry.sol";
import {ProfileRegistry} from "../../contracts/ProfileRegistry.sol";
import {PoQTestToken} from "../../contracts/token/PoQTestToken.sol";
import {GovernanceParams, StakingParams, TaskParams} from "../../contracts/libraries/Governance.sol";
import {SettlementParams} from "../../contracts/libraries/Settlement.sol";

/// @notice Stateful fuzz over every state-changing function of the v2 contracts: register,
///         add stake, set cost, set profiles (incl. none), unbond, withdraw, evict, create, draw, commit,
///         reveal, finalize, claim (to any address), claim for nodes, time and block jumps.
///         After every step each contract's token balance equals its accounts (registry:
///         stakes + unbonding; ProofOfQuality: escrows + claimable + treasury + burned), and
///         at the end every task can be drawn or finalized and every claim paid.
contract ConservationTest is TestBase {
    uint256 internal constant ACTORS = 8;
    uint256 internal constant STEPS = 48;
    bytes32 internal constant PROFILE = keccak256("poq.test-profile");

    PoQTestToken internal token;
    ProofOfQuality internal poq;
    EvaluatorRegistry internal registry;
    ProfileRegistry internal profiles;
    address[] internal nodes;
    uint256 internal rnd;
    /// @dev What the sequence achieved (asserted by test_sequencesExerciseTheLifecycle).
    uint256 internal draws;
    uint256 internal reveals;
    uint256 internal abstentions;
    uint256 internal finalized;
    uint256 internal claims;

    function setUp() public {
        token = new PoQTestToken(address(this), 0);
        profiles = new ProfileRegistry(address(this));
        profiles.register(PROFILE, "test");
        StakingParams memory sp = StakingParams(100e18, 2_000e18, 600, 60, 5_000, 5_000, 3_600, 10e18);
        registry = new EvaluatorRegistry(token, profiles, address(this), sp);
        GovernanceParams memory g = GovernanceParams(
            TaskParams(1e17, 1e17, 200, 3, 5_000, 31, 10, 300, 10, 300),
            SettlementParams(2_000, 2_000, 2_000, 5_000, 1_000, 2_000, 1_000, 30_000)
        );
        poq = new ProofOfQuality(token, registry, profiles, address(this), g);
        registry.bindSettlement(address(poq));
        for (uint256 i; i < ACTORS; ++i) {
            address a = _actor(i);
            token.mint(a, 1e24);
            vm.prank(a);
            token.approve(address(poq), type(uint256).max);
            vm.prank(a);
            token.approve(address(registry), type(uint256).max);
        }
        for (uint256 j; j < 3; ++j) {
            address nd = address(uint160(0xA000 + j));
            vm.prank(nd);
            poq.registerNode(address(uint160(0xB000 + j)), bytes32(j));
            nodes.push(nd);
        }
        bytes32[] memory ps = new bytes32[](1);
        ps[0] = PROFILE;
        for (uint256 i; i < 5; ++i) {
            vm.prank(_actor(i));
            registry.register(uint88(200e18 + i * 50e18), uint96(i * 1e17), ps);
        }
        vm.warp(1_000_000);
        vm.roll(100);
    }

    function _actor(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function _next(uint256 mod) internal returns (uint256) {
        rnd = uint256(keccak256(abi.encode(rnd)));
        return rnd % mod;
    }

    /// @dev A member's score list in a task; empty (an abstention) for about one pair in five.
    function _scores(uint256 taskId, address who, uint256 m) internal pure returns (uint16[] memory s) {
        if (uint256(keccak256(abi.encode("abstain", taskId, who))) % 5 == 0) return new uint16[](0);
        s = new uint16[](m);
        for (uint256 j; j < m; ++j) s[j] = uint16(uint256(keccak256(abi.encode(taskId, who, j))) % 10_001);
    }

    /// @dev Next block, with a known hash for the one just left (the draw's seed block).
    function _mine(uint256 blocks) internal {
        for (uint256 b; b < blocks; ++b) {
            vm.setBlockhash(block.number, keccak256(abi.encode("block", block.number)));
            vm.roll(block.number + 1);
        }
    }

    function _assertConserved() internal view {
        (uint256 escrowed, uint256 claimable, uint256 treasury, uint256 burned) = poq.totals();
        assertEq(token.balanceOf(address(poq)), escrowed + claimable + treasury + burned, "poq conservation");
        assertEq(poq.accountedBalance(), escrowed + claimable + treasury + burned, "accountedBalance");
        assertEq(token.balanceOf(address(registry)), registry.totalStaked(), "registry conservation");
    }

    function testFuzz_randomSequencesConserveTokens(uint256 seed) public {
        rnd = seed;
        for (uint256 step; step < STEPS; ++step) {
            _step(_next(16));
            _assertConserved();
        }
        _settleEverything();
    }

    function test_sequencesExerciseTheLifecycle() public {
        for (uint256 seed = 1; seed <= 8; ++seed) {
            rnd = seed;
            for (uint256 step; step < STEPS; ++step) {
                _step(_next(16));
                _assertConserved();
            }
        }
        // one scripted task on top of whatever state the sequences left: create, draw, every
        // member commits and reveals, finalize, claim (the random ops reach each of these too,
        // but how often depends on the seeds)
        _scriptedTask();
        _assertConserved();
        _settleEverything();
        assertTrue(poq.taskCount() > 3, "too few tasks created");
        assertTrue(draws > 0, "no committee drawn");
        assertTrue(reveals > 0, "no reveal happened");
        assertTrue(abstentions > 0, "no abstention happened");
        assertTrue(finalized > 0, "no task finalized");
        assertTrue(claims > 0, "no claim paid");
    }

    function _scriptedTask() internal {
        for (uint256 i; i < ACTORS; ++i) {
            bytes32[] memory ps = new bytes32[](1);
            ps[0] = PROFILE;
            vm.prank(_actor(i));
            try registry.register(500e18, 0, ps) {} catch {}
            vm.prank(_actor(i));
            try registry.setProfiles(ps) {} catch {}
            vm.prank(_actor(i));
            try registry.setCost(0) {} catch {}
        }
        vm.warp(block.timestamp + 1 days);
        _mine(1);
        uint256 before = poq.taskCount();
        _create(address(uint160(0xC0FFEE)));
        if (poq.taskCount() == before) {
            token.mint(address(uint160(0xC0FFEE)), 1e24);
            vm.prank(address(uint160(0xC0FFEE)));
            token.approve(address(poq), type(uint256).max);
            _create(address(uint160(0xC0FFEE)));
        }
        uint256 id = poq.taskCount();
        _mine(1);
        poq.drawCommittee(id);
        if (poq.getTask(id).status == TaskStatus.OPEN) ++draws;
        (address[] memory members,,) = poq.getCommittee(id);
        uint256 m = poq.getTask(id).m;
        // the first member abstains (an empty score list), the others reveal their scores
        for (uint256 i; i < members.length; ++i) {
            uint16[] memory sc = i == 0 ? new uint16[](0) : _scores(id, members[i], m);
            bytes32 c = poq.commitmentFor(id, members[i], sc, bytes32(i));
            vm.prank(members[i]);
            poq.commit(id, c);
        }
        for (uint256 i; i < members.length; ++i) {
            uint16[] memory sc = i == 0 ? new uint16[](0) : _scores(id, members[i], m);
            vm.prank(members[i]);
            poq.reveal(id, sc, bytes32(i));
            ++reveals;
            if (sc.length == 0) ++abstentions;
        }
        poq.finalize(id);
        ++finalized;
        for (uint256 i; i < members.length; ++i) {
            if (poq.claimableOf(members[i]) == 0) continue;
            vm.prank(members[i]);
            poq.claim(members[i]);
            ++claims;
        }
        address requester = address(uint160(0xC0FFEE));
        if (poq.claimableOf(requester) != 0) {
            vm.prank(requester);
            poq.claim(requester);
        }
    }

    /// @dev Liveness: every pending task can be drawn, every open one finalized, every claim paid.
    function _settleEverything() internal {
        _mine(1);
        for (uint256 id = 1; id <= poq.taskCount(); ++id) {
            if (poq.getTask(id).status == TaskStatus.PENDING) poq.drawCommittee(id);
        }
        vm.warp(block.timestamp + 1 days);
        for (uint256 id = 1; id <= poq.taskCount(); ++id) {
            if (poq.getTask(id).status == TaskStatus.OPEN) poq.finalize(id);
        }
        (uint256 escrowed,,,) = poq.totals();
        assertEq(escrowed, 0, "escrow left after settling everything");
        for (uint256 i; i < ACTORS; ++i) {
            if (poq.claimableOf(_actor(i)) > 0) {
                vm.prank(_actor(i));
                poq.claim(_actor((i + 1) % ACTORS));
            }
        }
        for (uint256 j; j < nodes.length; ++j) {
            if (poq.getNode(nodes[j]).pending > 0) poq.claimNode(nodes[j]);
        }
        (, uint256 claimable,,) = poq.totals();
        assertEq(claimable, 0, "claimable left after paying everyone");
        _assertConserved();
    }

    function _step(uint256 op) internal {
        address a = _actor(_next(ACTORS));
        uint256 count = poq.taskCount();
        uint256 id = count == 0 ? 0 : 1 + _next(count);
        if (op == 0) {
            bytes32[] memory ps = new bytes32[](1);
            ps[0] = PROFILE;
            vm.prank(a);
            try registry.register(uint88(100e18 + _next(900e18)), uint96(_next(1e18)), ps) {} catch {}
        } else if (op == 1) {
            vm.prank(a);
            try registry.addStake(uint88(1 + _next(100e18))) {} catch {}
        } else if (op == 2) {
            _create(a);
        } else if (op == 3 || op == 4) {
            if (id == 0) return;
            if (_next(2) == 0) id = count; // favour the newest task
            (address[] memory members,,) = poq.getCommittee(id);
            if (members.length == 0) return;
            address who = members[_next(members.length)];
            uint16[] memory s = _scores(id, who, poq.getTask(id).m);
            bytes32 salt = keccak256(abi.encode(who, id));
            bytes32 c = poq.commitmentFor(id, who, s, salt); // before prank: it is a call too
            vm.prank(who);
            if (op == 3) {
                try poq.commit(id, c) {} catch {}
            } else {
                try poq.reveal(id, s, salt) {
                    ++reveals;
                    if (s.length == 0) ++abstentions;
                } catch {}
            }
        } else if (op == 5) {
            vm.warp(block.timestamp + _next(120));
            _mine(1 + _next(3));
        } else if (op == 6) {
            if (id != 0) {
                try poq.finalize(id) {
                    ++finalized;
                } catch {}
            }
        } else if (op == 7) {
            vm.prank(a);
            try poq.claim(_actor(_next(ACTORS))) {
                ++claims;
            } catch {}
            try poq.claimNode(nodes[_next(nodes.length)]) {} catch {}
        } else if (op == 8) {
            vm.prank(a);
            try registry.requestUnbond(uint88(1 + _next(500e18))) {} catch {}
        } else if (op == 9) {
            vm.prank(a);
            try registry.withdraw() {} catch {}
        } else if (op == 10) {
            if (id == 0) return;
            _mine(1);
            try poq.drawCommittee(id) {
                if (poq.getTask(id).status == TaskStatus.OPEN) ++draws;
            } catch {}
        } else if (op == 11) {
            vm.prank(a);
            if (_next(2) == 0) {
                try registry.setCost(uint96(_next(1e18))) {} catch {}
            } else {
                bytes32[] memory ps = new bytes32[](_next(6) == 0 ? 0 : 1);
                if (ps.length != 0) ps[0] = PROFILE;
                try registry.setProfiles(ps) {} catch {}
            }
        } else if (op == 12) {
            try registry.evict(a) {} catch {}
        } else if (op == 13) {
            vm.warp(block.timestamp + _next(2 days));
            _mine(1);
        } else if (id != 0) {
            _playCommittee(_next(2) == 0 ? count : id);
        }
    }

    /// @dev Every member of `id` commits, then a random subset reveals (when the task is open).
    function _playCommittee(uint256 id) internal {
        (address[] memory members,,) = poq.getCommittee(id);
        uint256 k = members.length;
        if (k == 0 || poq.getTask(id).status != TaskStatus.OPEN) return;
        uint256 m = poq.getTask(id).m;
        for (uint256 i; i < k; ++i) {
            uint16[] memory s = _scores(id, members[i], m);
            bytes32 salt = keccak256(abi.encode(members[i], id));
            bytes32 c = poq.commitmentFor(id, members[i], s, salt);
            vm.prank(members[i]);
            try poq.commit(id, c) {} catch {}
        }
        for (uint256 i; i < k; ++i) {
            if (_next(4) == 0) continue;
            uint16[] memory s = _scores(id, members[i], m);
            vm.prank(members[i]);
            try poq.reveal(id, s, keccak256(abi.encode(members[i], id))) {
                ++reveals;
                if (s.length == 0) ++abstentions;
            } catch {}
        }
    }

    function _create(address requester) internal {
        uint256 m = 1 + _next(3);
        address[] memory ns = new address[](m);
        bytes32[] memory hs = new bytes32[](m);
        for (uint256 j; j < m; ++j) {
            ns[j] = nodes[_next(nodes.length)];
            hs[j] = bytes32(j + 1);
        }
        uint8 k = uint8(3 + _next(3));
        ProofOfQuality.TaskSpec memory spec = ProofOfQuality.TaskSpec({
            family: uint8(_next(3)),
            rule: uint8(_next(5)),
            k: k,
            commitWindow: uint32(10 + _next(100)),
            revealWindow: uint32(10 + _next(100)),
            nodeBudget: uint96(_next(100e18)),
            evalBudget: uint96(uint256(k) * 1e17 + _next(6e18)),
            queryHash: bytes32(rnd),
            profileHash: PROFILE,
            refundTo: _next(2) == 0 ? address(0) : _actor(_next(ACTORS)),
            nodes: ns,
            outputHashes: hs
        });
        vm.prank(requester);
        try poq.createTask(spec) {} catch {}
    }
}
