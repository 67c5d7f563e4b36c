// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Settlement, SettlementParams} from "./Settlement.sol";
import {ScorePacking} from "./ScorePacking.sol";
import {TaskBlob} from "./TaskBlob.sol";
import {Node, TaskRecord, TaskStatus} from "./TaskTypes.sol";
import {EvaluatorRegistry} from "../EvaluatorRegistry.sol";

/// @title TaskSettlement
/// @notice ProofOfQuality's finalisation of one task: loads the committee's member words and
///         trust, runs the pure settlement (Settlement.settle), records the outcome, moves trust
///         and slashes through the registry, credits members and nodes and emits the settlement
///         events. ProofOfQuality keeps its totals: it takes the escrow out before the call and
///         books what this returns (credited, burned, the refund) after it.
/// @dev A linked (external) library: ProofOfQuality delegatecalls it with pointers to its own
///      storage, so the members and the outcome never cross an ABI boundary (they did when
///      ProofOfQuality called `Settlement.settle` as a linked library), and its code is out of
///      ProofOfQuality's 24,576 bytes. Events are declared in ProofOfQuality too (its ABI) and
///      logged from its address.
library TaskSettlement {
    using ScorePacking for uint256;

    event EvaluatorSettled(
        uint256 indexed taskId,
        address indexed evaluator,
        bool revealed,
        uint256 deviation,
        uint256 newTrust,
        uint256 pay,
        uint256 slashed,
        uint256 slashShare
    );
    event OutputSettled(uint256 indexed taskId, uint256 indexed output, address indexed node, uint256 consensus, uint256 pay);
    event TaskFinalized(uint256 indexed taskId, bool hasConsensus, uint256 packedConsensus, uint256 refund, uint256 slashed, uint256 burned);

    /// @notice Settles an open task from its members' words (a sealed round's openings, or,
    ///         when `words` is empty, the stored ones) and marks it FINALIZED. `fee` is the
    ///         task's fee per member (the caller has read it from the task blob).
    /// @return refund what the requester (or its refundTo) gets back: the caller credits it
    /// @return credited everything credited to members (`claimable`) and nodes (`nodes`' pending)
    /// @return burned slashed stake without an honest revealer, and forfeited abstainer fees
    function settle(
        uint256 taskId,
        TaskRecord storage t,
        SettlementParams storage params,
        mapping(address => uint256) storage memberWords,
        uint256[] memory words,
        mapping(address => uint256) storage claimable,
        mapping(address => Node) storage nodes,
        EvaluatorRegistry registry,
        uint256 fee
    ) external returns (uint256 refund, uint256 credited, uint256 burned) {
        (Settlement.Outcome memory o, Committee memory c) = _judge(taskId, t, params, memberWords, words, registry, fee);
        (credited, burned) = _apply(c, t, o, claimable, nodes, registry);
        refund = o.refund;
    }

    /// @dev The committee as settlement sees it: members in draw order, who revealed, and the
    ///      mask of the silent (bit i: member i did not reveal).
    struct Committee {
        uint256 taskId;
        address[] addrs;
        bool[] revealed;
        uint256 silent;
        uint256[] trustSet; // from the registry's settlement
        uint256[] slashed;
    }

    /// @dev Loads the members and runs the pure settlement; records the outcome in the task.
    function _judge(
        uint256 taskId,
        TaskRecord storage t,
        SettlementParams storage params,
        mapping(address => uint256) storage memberWords,
        uint256[] memory words,
        EvaluatorRegistry registry,
        uint256 fee
    ) private returns (Settlement.Outcome memory o, Committee memory c) {
        c.taskId = taskId;
        uint256[] memory weights;
        (c.addrs, weights) = TaskBlob.readCommittee(TaskBlob.ref(t.committee, t.committeeAt), t.k);
        if (words.length == 0) {
            words = new uint256[](c.addrs.length);
            for (uint256 i; i < c.addrs.length; ++i) {
                words[i] = memberWords[c.addrs[i]];
            }
        }
        c.revealed = new bool[](c.addrs.length);
        Settlement.Member[] memory mem;
        (mem, c.silent) = _loadMembers(registry, c.addrs, weights, words, c.revealed);

        o = Settlement.settle(uint8(t.rule), params, mem, t.m, t.nodeBudget, fee);

        t.status = TaskStatus.FINALIZED;
        t.hasConsensus = o.hasConsensus;
        // the consensus replaces a seal (o.consensus is zero without a consensus)
        if (o.hasConsensus || t.sealOrConsensus != 0) t.sealOrConsensus = o.consensus;
    }

    /// @dev Moves trust and slashes (registry), credits members and nodes, logs the task's end.
    function _apply(
        Committee memory c,
        TaskRecord storage t,
        Settlement.Outcome memory o,
        mapping(address => uint256) storage claimable,
        mapping(address => Node) storage nodes,
        EvaluatorRegistry registry
    ) private returns (uint256 credited, uint256 burned) {
        uint256 slashTotal;
        (c.trustSet, c.slashed, slashTotal) = registry.settleMembers(c.addrs, c.silent, o.newTrust, o.slashed);
        (credited, burned) = _payMembers(c, claimable, o, slashTotal);
        burned += o.forfeited;
        if (o.hasConsensus) credited += _payNodes(c.taskId, nodes, TaskBlob.readNodes(TaskBlob.ref(t.blob, t.blobAt), t.m), o);
        emit TaskFinalized(c.taskId, o.hasConsensus, o.consensus, o.refund, slashTotal, burned);
    }

    /// @dev Each member's trust, weight, and either its scores (revealed) or its slashable stake;
    ///      `silent` has bit i set when member i did not reveal.
    function _loadMembers(
        EvaluatorRegistry registry,
        address[] memory addrs,
        uint256[] memory weights,
        uint256[] memory words,
        bool[] memory revealed
    ) private view returns (Settlement.Member[] memory mem, uint256 silent) {
        uint256 k = addrs.length;
        for (uint256 i; i < k; ++i) {
            if (words[i] & ScorePacking.REVEALED_BIT == 0) silent |= uint256(1) << i;
        }
        (uint256[] memory trust, uint256[] memory slashable) = registry.memberStates(addrs, silent);
        mem = new Settlement.Member[](k);
        for (uint256 i; i < k; ++i) {
            Settlement.Member memory x = mem[i];
            x.trust = trust[i];
            x.weight = weights[i];
            if (words[i] & ScorePacking.REVEALED_BIT != 0) {
                x.revealed = true;
                x.abstained = words[i] & ScorePacking.ABSTAINED_BIT != 0;
                revealed[i] = true;
                x.scores = words[i] & ScorePacking.SCORES_MASK;
            } else {
                x.stake = slashable[i];
            }
        }
    }

    /// @dev Credits each revealer's fee and, to the honest ones, equal shares of the stake
    ///      actually slashed (the remainder of the division to the first honest one); with no
    ///      honest revealer the slashed stake is burned. Returns what it credited and burned.
    function _payMembers(
        Committee memory c,
        mapping(address => uint256) storage claimable,
        Settlement.Outcome memory o,
        uint256 slashTotal
    ) private returns (uint256 credited, uint256 burned) {
        uint256 share;
        uint256 extra;
        if (slashTotal != 0) {
            if (o.honestCount == 0) {
                burned = slashTotal;
            } else {
                share = slashTotal / o.honestCount;
                extra = slashTotal - share * o.honestCount;
            }
        }
        address[] memory addrs = c.addrs;
        for (uint256 i; i < addrs.length; ++i) {
            uint256 mine;
            if (o.honest[i]) {
                mine = share + extra;
                extra = 0;
            }
            uint256 credit = o.evaluatorPay[i] + mine;
            if (credit != 0) {
                claimable[addrs[i]] += credit;
                credited += credit;
            }
            _logMember(c, o, i, mine);
        }
    }

    function _logMember(Committee memory c, Settlement.Outcome memory o, uint256 i, uint256 slashShare) private {
        emit EvaluatorSettled(c.taskId, c.addrs[i], c.revealed[i], o.deviation[i], c.trustSet[i], o.evaluatorPay[i], c.slashed[i], slashShare);
    }

    /// @dev Credits each output's node its pay (pending and lifetime); returns the total.
    function _payNodes(uint256 taskId, mapping(address => Node) storage nodes, address[] memory outputs, Settlement.Outcome memory o)
        private
        returns (uint256 total)
    {
        for (uint256 j; j < outputs.length; ++j) {
            uint256 pay = o.nodePay[j];
            address node = outputs[j];
            if (pay != 0) {
                Node storage nd = nodes[node];
                nd.pending += uint128(pay);
                nd.lifetime += uint128(pay);
                total += pay;
            }
            emit OutputSettled(taskId, j, node, o.consensus.get(j), pay);
        }
    }
}
