// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {ProofOfQuality} from "../../contracts/ProofOfQuality.sol";
import {PoQTestToken} from "../../contracts/token/PoQTestToken.sol";
import {PrevrandaoRandomness} from "../../contracts/randomness/PrevrandaoRandomness.sol";
import {GovernanceParams} from "../../contracts/libraries/Governance.sol";
import {SettlementParams} from "../../contracts/libraries/Settlement.sol";

/// @notice Stateful fuzz: random sequences of register / stake / create / commit / reveal /
///         finalize / claim / unbond / withdraw / time jumps. After every step the token
///         balance must equal stakes + escrows + claimable + treasury, and no open task may
///         stay unfinalizable.
contract ConservationTest is TestBase {
    uint256 internal constant ACTORS = 8;
    uint256 internal constant STEPS = 40;

    PoQTestToken internal token;
    ProofOfQuality internal poq;
    address[] internal nodes;
    uint256 internal rnd;
    /// @dev What the sequence achieved (asserted by test_sequencesExerciseTheLifecycle).
    uint256 internal reveals;
    uint256 internal finalized;
    uint256 internal claims;

    function setUp() public {
        token = new PoQTestToken(address(this), 0);
        GovernanceParams memory g = GovernanceParams(
            100e18, 2_000e18, 300, SettlementParams(2_000, 2_000, 2_000, 5_000, 1_000, 2_000, 1_000, 30_000)
        );
        poq = new ProofOfQuality(token, new PrevrandaoRandomness(), address(this), g);
        for (uint256 i; i < ACTORS; ++i) {
            address a = _actor(i);
            token.mint(a, 1e24);
            vm.prank(a);
            token.approve(address(poq), type(uint256).max);
        }
        for (uint256 j; j < 3; ++j) {
            address nd = address(uint160(0xA000 + j));
            vm.prank(nd);
            poq.registerNode(address(uint160(0xB000 + j)), bytes32(j));
            nodes.push(nd);
        }
        for (uint256 i; i < 4; ++i) {
            vm.prank(_actor(i));
            poq.registerEvaluator(uint96(200e18 + i * 50e18), uint96(i * 1e18));
        }
        vm.warp(1_000_000);
    }

    function _actor(uint256 i) internal pure returns (address) {
        return address(uint160(0x1000 + i));
    }

    function _next(uint256 mod) internal returns (uint256) {
        rnd = uint256(keccak256(abi.encode(rnd)));
        return rnd % mod;
    }

    function _scores(uint256 taskId, address who, uint256 m) internal pure returns (uint16[] memory s) {
        s = new uint16[](m);
        for (uint256 j; j < m; ++j) s[j] = uint16(uint256(keccak256(abi.encode(taskId, who, j))) % 10_001);
    }

    function _assertConserved() internal view {
        (uint256 staked, uint256 escrowed, uint256 claimable, uint256 treasury) = poq.totals();
        assertEq(token.balanceOf(address(poq)), staked + escrowed + claimable + treasury, "conservation");
        assertEq(poq.accountedBalance(), staked + escrowed + claimable + treasury, "accountedBalance");
    }

    function testFuzz_randomSequencesConserveTokens(uint256 seed) public {
        rnd = seed;
        for (uint256 step; step < STEPS; ++step) {
            _step(_next(10));
            _assertConserved();
        }
        // liveness: every task can be finalized after its deadline, and every claim paid
        vm.warp(block.timestamp + 31 days);
        for (uint256 id = 1; id <= poq.taskCount(); ++id) {
            if (poq.getTask(id).status == ProofOfQuality.TaskStatus.OPEN) poq.finalize(id);
        }
        (, uint256 escrowed,,) = poq.totals();
        assertEq(escrowed, 0, "escrow left after finalizing everything");
        for (uint256 i; i < ACTORS; ++i) {
            if (poq.claimableOf(_actor(i)) > 0) {
                vm.prank(_actor(i));
                poq.claim();
            }
        }
        for (uint256 j; j < nodes.length; ++j) {
            if (poq.getNode(nodes[j]).pending > 0) poq.claimNode(nodes[j]);
        }
        _assertConserved();
    }

    function test_sequencesExerciseTheLifecycle() public {
        for (uint256 seed = 1; seed <= 6; ++seed) {
            rnd = seed;
            for (uint256 step; step < STEPS; ++step) {
                _step(_next(10));
                _assertConserved();
            }
        }
        assertTrue(poq.taskCount() > 3, "too few tasks created");
        assertTrue(reveals > 0, "no reveal happened");
        assertTrue(finalized > 0, "no task finalized");
        assertTrue(claims > 0, "no claim paid");
    }

    function _step(uint256 op) internal {
        address a = _actor(_next(ACTORS));
        uint256 count = poq.taskCount();
        uint256 id = count == 0 ? 0 : 1 + _next(count);
        if (op == 0) {
            vm.prank(a);
            try poq.registerEvaluator(uint96(100e18 + _next(900e18)), uint96(_next(10e18))) {} catch {}
        } else if (op == 1) {
            vm.prank(a);
            try poq.addStake(uint96(1 + _next(100e18))) {} catch {}
        } else if (op == 2) {
            _create(a);
        } else if (op == 3 || op == 4) {
            if (id == 0) return;
            if (_next(2) == 0) id = count; // favour the newest task
            (address[] memory members,) = poq.getCommittee(id);
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
                } catch {}
            }
        } else if (op == 5) {
            vm.warp(block.timestamp + _next(90));
        } else if (op == 6) {
            if (id != 0) {
                try poq.finalize(id) {
                    ++finalized;
                } catch {}
            }
        } else if (op == 7) {
            vm.prank(a);
            try poq.claim() {
                ++claims;
            } catch {}
            try poq.claimNode(nodes[_next(nodes.length)]) {} catch {}
        } else if (op == 8) {
            vm.prank(a);
            try poq.requestUnbond(uint96(1 + _next(500e18))) {} catch {}
        } else {
            vm.prank(a);
            try poq.withdraw() {} catch {}
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
        ProofOfQuality.TaskSpec memory spec = ProofOfQuality.TaskSpec({
            family: uint8(_next(3)),
            rule: uint8(_next(5)),
            k: uint8(1 + _next(4)),
            commitDeadline: uint40(block.timestamp + 100),
            revealDeadline: uint40(block.timestamp + 200),
            nodeBudget: uint96(_next(100e18)),
            evalBudget: uint96(_next(60e18)),
            queryHash: bytes32(rnd),
            profileHash: bytes32(uint256(1)),
            nodes: ns,
            outputHashes: hs
        });
        vm.prank(requester);
        try poq.createTask(spec) {} catch {}
    }
}
