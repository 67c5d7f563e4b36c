// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Aggregation, Rule} from "./Aggregation.sol";
import {ScorePacking} from "./ScorePacking.sol";
import {Trust} from "./Trust.sol";

/// @notice Settlement parameters, snapshotted into each task at creation (one storage word).
/// @dev Bounds are enforced by ProofOfQuality governance; see docs/contract.md.
struct SettlementParams {
    uint16 lambdaBps; // trust learning rate
    uint16 deviationScaleBps; // mean abs deviation mapping to d = 1
    uint16 trimBps; // TRIMMED_MEAN fraction dropped from each side
    uint16 qualityFloorBps; // consensus at or below this pays a node nothing
    uint16 slashBps; // fraction of a non-revealer's stake slashed
    uint16 missPenaltyBps; // multiplicative trust penalty of a non-revealer
    uint32 wMin; // trust lower bound
    uint32 wMax; // trust upper bound
}

/// @title Settlement
/// @notice The pure settlement of one task: consensus per output, leave-one-out deviations,
///         trust updates, slashes and payouts. ProofOfQuality loads storage into `Member`s,
///         calls `settle`, and writes the `Outcome` back; the TypeScript mirror is
///         oracle/rules/settle.ts.
library Settlement {
    using ScorePacking for uint256;

    uint256 internal constant BPS = 10_000;

    /// @notice One committee member at finalisation.
    struct Member {
        uint256 trust; // current trust (bps)
        uint256 stake; // slashable stake (only read for non-revealers)
        uint256 cost; // fee snapshotted at sampling
        bool revealed;
        uint256 scores; // packed uint16 scores (ScorePacking)
    }

    /// @notice Result of `settle`; member arrays follow committee order, `nodePay` output order.
    struct Outcome {
        bool hasConsensus;
        uint256 consensus; // packed uint16 per output
        uint256[] deviation; // raw leave-one-out mean absolute deviation (bps)
        uint256[] dNorm; // normalised deviation (bps)
        uint256[] newTrust;
        uint256[] slashed;
        uint256[] evaluatorPay;
        uint256[] nodePay;
        uint256 refund;
        uint256 treasury;
    }

    /// @notice Settles a task; see docs/contract.md ("Settlement") for the exact steps.
    /// @param ruleId the task's `Rule` as uint8 (library ABIs would otherwise carry the enum's
    ///        name as a type, which some ABI parsers reject)
    function settle(
        uint8 ruleId,
        SettlementParams memory p,
        Member[] memory members,
        uint256 m,
        uint256 nodeBudget,
        uint256 evalBudget
    ) external pure returns (Outcome memory o) {
        uint256 k = members.length;
        o.deviation = new uint256[](k);
        o.dNorm = new uint256[](k);
        o.newTrust = new uint256[](k);
        o.slashed = new uint256[](k);
        o.evaluatorPay = new uint256[](k);
        o.nodePay = new uint256[](m);

        // revealers in committee order
        uint256[] memory rev = new uint256[](k);
        uint256 n;
        for (uint256 i; i < k; ++i) {
            o.newTrust[i] = members[i].trust;
            if (members[i].revealed) rev[n++] = i;
        }

        uint256 paid;
        if (n > 0) {
            o.hasConsensus = true;
            uint256[] memory absDev;
            (o.consensus, absDev) = _consensusAndDeviation(Rule(ruleId), p.trimBps, members, rev, n, m);
            uint256 per = nodeBudget / m;
            for (uint256 j; j < m; ++j) {
                paid += o.nodePay[j] = _nodePay(per, o.consensus.get(j), p.qualityFloorBps);
            }
            paid += _scoreRevealers(p, members, rev, n, absDev, m, o);
        }
        for (uint256 i; i < k; ++i) {
            if (members[i].revealed) continue;
            o.newTrust[i] = Trust.penaliseMiss(members[i].trust, p.missPenaltyBps, p.wMin, p.wMax);
            o.treasury += o.slashed[i] = (members[i].stake * p.slashBps) / BPS;
        }
        o.refund = nodeBudget + evalBudget - paid;
    }

    /// @dev Deviation, trust update and fee of each revealer; returns the fees' sum.
    function _scoreRevealers(
        SettlementParams memory p,
        Member[] memory members,
        uint256[] memory rev,
        uint256 n,
        uint256[] memory absDev,
        uint256 m,
        Outcome memory o
    ) private pure returns (uint256 paid) {
        for (uint256 r; r < n; ++r) {
            uint256 i = rev[r];
            if (n >= 2) {
                uint256 d = Trust.normalisedDeviation(o.deviation[i] = absDev[r] / m, p.deviationScaleBps);
                o.dNorm[i] = d;
                o.newTrust[i] = Trust.update(members[i].trust, d, p.lambdaBps, p.wMin, p.wMax);
            }
            paid += o.evaluatorPay[i] = (members[i].cost * (BPS - o.dNorm[i])) / BPS;
        }
    }

    /// @dev Packed consensus per output and, when n >= 2, each revealer's summed absolute
    ///      deviation from its leave-one-out consensus.
    function _consensusAndDeviation(
        Rule rule,
        uint256 trimBps,
        Member[] memory members,
        uint256[] memory rev,
        uint256 n,
        uint256 m
    ) private pure returns (uint256 packed, uint256[] memory absDev) {
        uint256[] memory w = new uint256[](n);
        for (uint256 r; r < n; ++r) w[r] = members[rev[r]].trust;
        absDev = new uint256[](n);
        uint256[] memory col = new uint256[](n);
        for (uint256 j; j < m; ++j) {
            for (uint256 r; r < n; ++r) col[r] = members[rev[r]].scores.get(j);
            uint256 c;
            if (n >= 2) {
                uint256[] memory loo;
                (c, loo) = Aggregation.consensusWithLeaveOneOut(rule, col, w, trimBps);
                for (uint256 r; r < n; ++r) {
                    absDev[r] += col[r] > loo[r] ? col[r] - loo[r] : loo[r] - col[r];
                }
            } else {
                c = Aggregation.consensus(rule, col, w, trimBps);
            }
            packed |= c << (16 * j);
        }
    }

    /// @dev floor(per * (c - floor) / (10000 - floor)) when c > floor, else 0.
    function _nodePay(uint256 per, uint256 c, uint256 floorBps) private pure returns (uint256) {
        if (c <= floorBps) return 0;
        return (per * (c - floorBps)) / (BPS - floorBps);
    }
}
