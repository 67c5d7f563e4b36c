// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Aggregation, Rule} from "./Aggregation.sol";
import {ScorePacking} from "./ScorePacking.sol";
import {Trust} from "./Trust.sol";

/// @notice Settlement parameters, snapshotted into each task at creation (one storage word).
/// @dev Bounds are enforced by the Governance library; see docs/contract.md.
struct SettlementParams {
    uint16 lambdaBps; // trust learning rate
    uint16 deviationScaleBps; // largest leave-one-out deviation mapping to d = 1
    uint16 trimBps; // TRIMMED_MEAN fraction dropped from each side
    uint16 qualityFloorBps; // consensus at or below this pays a node nothing
    uint16 slashBps; // fraction of a non-revealer's stake slashed
    uint16 missPenaltyBps; // multiplicative trust penalty of a non-revealer
    uint32 wMin; // trust lower bound
    uint32 wMax; // trust upper bound
}

/// @title Settlement
/// @notice The pure settlement of one task: consensus per output, leave-one-out deviations,
///         trust updates, slashes and payouts. TaskSettlement (ProofOfQuality's linked
///         finalisation library) loads storage into `Member`s, calls `settle` (internal: compiled
///         into TaskSettlement, so members and outcome never cross an ABI boundary), and writes
///         the `Outcome` back; the TypeScript mirror is oracle/rules/settle.ts.
library Settlement {
    using ScorePacking for uint256;

    uint256 internal constant BPS = 10_000;
    /// @notice Fewest revealers whose scores can tell an outlier from the others: below this
    ///         nobody's trust or pay moves, and each output's consensus is the revealers'
    ///         weighted median (the heavier of two; the lower one at equal weight), whatever the
    ///         task's rule: going silent cannot turn a weighted-out member into the decider.
    uint256 internal constant MIN_REVEALERS_FOR_DEVIATION = 3;
    /// @notice A revealer whose normalised deviation is at most this is "honest": its trust does
    ///         not fall, and it shares the stake slashed from the task's non-revealers. With
    ///         fewer than MIN_REVEALERS_FOR_DEVIATION revealers nobody is honest (nobody could
    ///         be checked), so a silent member's slash is burned, not paid to its partner.
    uint256 internal constant HONEST_MAX_DNORM = 5_000;

    /// @notice One committee member at finalisation.
    struct Member {
        uint256 trust; // current trust (bps)
        uint256 weight; // voting weight of the trust-weighted rules (trust x stake, > 0)
        uint256 stake; // slashable stake (only read for non-revealers)
        bool revealed;
        bool abstained; // revealed an empty score list: could not score the task
        uint256 scores; // packed uint16 scores (ScorePacking; zero for an abstainer)
    }

    /// @notice Result of `settle`; member arrays follow committee order, `nodePay` output order.
    struct Outcome {
        bool hasConsensus;
        uint256 consensus; // packed uint16 per output
        uint256[] deviation; // largest absolute deviation from the per-output weighted median of all scorers (bps); BPS for an outweighed abstainer
        uint256[] dNorm; // normalised deviation (bps)
        uint256[] newTrust;
        uint256[] slashed;
        uint256[] evaluatorPay;
        uint256[] nodePay;
        bool[] honest; // revealed with dNorm <= HONEST_MAX_DNORM, among >= 3 revealers
        uint256 honestCount;
        uint256 slashTotal;
        uint256 refund; // nodeBudget + fee x k - everything paid - forfeited
        uint256 forfeited; // abstainers' fees in a void that somebody scored: burned, not refunded
    }

    /// @notice Settles a task; see docs/contract.md ("Settlement") for the exact steps.
    /// @param ruleId the task's `Rule` as uint8 (library ABIs would otherwise carry the enum's
    ///        name as a type, which some ABI parsers reject)
    /// @param fee the price of one committee member (the task's eval budget / k)
    function settle(
        uint8 ruleId,
        SettlementParams memory p,
        Member[] memory members,
        uint256 m,
        uint256 nodeBudget,
        uint256 fee
    ) internal pure returns (Outcome memory o) {
        uint256 k = members.length;
        o.deviation = new uint256[](k);
        o.dNorm = new uint256[](k);
        o.newTrust = new uint256[](k);
        o.slashed = new uint256[](k);
        o.evaluatorPay = new uint256[](k);
        o.nodePay = new uint256[](m);
        o.honest = new bool[](k);

        Tally memory t = _partition(members, o);
        uint256 paid;
        if (t.n > 0) {
            paid = _settleOrVoid(ruleId, p, members, t, m, nodeBudget, fee, o);
        } else if (t.abstainWeight != 0) {
            paid = _payVoid(members, true, fee, o);
        }
        for (uint256 i; i < k; ++i) {
            if (members[i].revealed) continue;
            o.newTrust[i] = Trust.penaliseMiss(members[i].trust, p.missPenaltyBps, p.wMin, p.wMax);
            o.slashTotal += o.slashed[i] = (members[i].stake * p.slashBps) / BPS;
        }
        o.refund = nodeBudget + fee * k - paid - o.forfeited;
    }

    /// @dev Who revealed what: the scorers (revealers that did not abstain) in committee order
    ///      and their count, the abstainers' voting weight and every revealer's.
    struct Tally {
        uint256[] rev;
        uint256 n;
        uint256 abstainWeight;
        uint256 revealWeight;
    }

    /// @dev The task's Tally; sets each member's newTrust to its current trust.
    function _partition(Member[] memory members, Outcome memory o) private pure returns (Tally memory t) {
        t.rev = new uint256[](members.length);
        for (uint256 i; i < members.length; ++i) {
            Member memory x = members[i];
            o.newTrust[i] = x.trust;
            if (!x.revealed) continue;
            t.revealWeight += x.weight;
            if (x.abstained) t.abstainWeight += x.weight;
            else t.rev[t.n++] = i;
        }
    }

    /// @dev With at least one scorer: the consensus, then either the settlement over the scorers
    ///      or, when the scorers that agree with the consensus reference do not hold more than
    ///      half of ALL the revealed weight, a void. Members kept from the texts cannot hand the
    ///      task to the few who were given them, and a committee split into two halves of equal
    ///      weight is not decided for the lower half (the weighted median's tie-break), which
    ///      would let half of a committee, e.g. 2 sybils of an even k = 4, set the consensus and
    ///      the trust of the other half (eighth review, V7-1). Returns everything paid.
    function _settleOrVoid(
        uint8 ruleId,
        SettlementParams memory p,
        Member[] memory members,
        Tally memory t,
        uint256 m,
        uint256 nodeBudget,
        uint256 fee,
        Outcome memory o
    ) private pure returns (uint256 paid) {
        uint256[] memory maxDev;
        (o.consensus, maxDev) = _consensusAndDeviation(Rule(ruleId), p.trimBps, members, t.rev, t.n, m);
        if (2 * _agreeingWeight(p, members, t.rev, maxDev) > t.revealWeight) {
            o.hasConsensus = true;
            paid = _settleScored(p, members, t.rev, t.n, m, maxDev, nodeBudget, fee, o);
        } else {
            o.consensus = 0;
            paid = _payVoid(members, false, fee, o);
        }
    }

    /// @dev Voting weight of the scorers within HONEST_MAX_DNORM of every output's weighted median.
    function _agreeingWeight(SettlementParams memory p, Member[] memory members, uint256[] memory rev, uint256[] memory maxDev)
        private
        pure
        returns (uint256 w)
    {
        for (uint256 r; r < maxDev.length; ++r) {
            if (Trust.normalisedDeviation(maxDev[r], p.deviationScaleBps) <= HONEST_MAX_DNORM) w += members[rev[r]].weight;
        }
    }

    /// @dev A void task: nothing can be judged (no consensus, no node pay, no trust change,
    ///      nobody honest; the silent are still penalised, their slash burned). Each scorer is paid
    ///      its fee (it did the work); abstainers are paid only when nobody scored (the texts were
    ///      withheld from everyone: the requester pays for its task), so abstaining never earns
    ///      more than scoring. When somebody scored, the abstainers' fees are forfeited (burned),
    ///      not refunded: a requester that gives the texts only to its own scorer still pays
    ///      every revealer's fee. Returns everything paid.
    function _payVoid(Member[] memory members, bool nobodyScored, uint256 fee, Outcome memory o) private pure returns (uint256 paid) {
        for (uint256 i; i < members.length; ++i) {
            if (!members[i].revealed) continue;
            if (nobodyScored || !members[i].abstained) paid += o.evaluatorPay[i] = fee;
            else o.forfeited += fee;
        }
    }

    /// @dev Node pay, the scorers' deviations, trust and fees, and the outweighed abstainers'
    ///      judgement; returns everything paid.
    function _settleScored(
        SettlementParams memory p,
        Member[] memory members,
        uint256[] memory rev,
        uint256 n,
        uint256 m,
        uint256[] memory maxDev,
        uint256 nodeBudget,
        uint256 fee,
        Outcome memory o
    ) private pure returns (uint256 paid) {
        uint256 per = nodeBudget / m;
        for (uint256 j; j < m; ++j) {
            paid += o.nodePay[j] = _nodePay(per, o.consensus.get(j), p.qualityFloorBps);
        }
        paid += _scoreRevealers(p, members, rev, n, maxDev, fee, o);
        _judgeAbstainers(p, members, n, o);
    }

    /// @dev Abstainers outweighed by members that scored: judged as the largest deviation
    ///      (d = 1: no fee, and the trust of a maximal outlier when the scorers can be checked).
    ///      Abstaining is never better than scoring the task, nor than revealing garbage; it is
    ///      only better than staying silent (no slash).
    function _judgeAbstainers(SettlementParams memory p, Member[] memory members, uint256 n, Outcome memory o) private pure {
        for (uint256 i; i < members.length; ++i) {
            if (!members[i].abstained) continue;
            o.deviation[i] = BPS;
            o.dNorm[i] = BPS;
            if (n >= MIN_REVEALERS_FOR_DEVIATION) o.newTrust[i] = Trust.update(members[i].trust, BPS, p.lambdaBps, p.wMin, p.wMax);
        }
    }

    /// @dev Deviation, trust update, fee and honesty of each revealer; returns the fees' sum.
    function _scoreRevealers(
        SettlementParams memory p,
        Member[] memory members,
        uint256[] memory rev,
        uint256 n,
        uint256[] memory maxDev,
        uint256 fee,
        Outcome memory o
    ) private pure returns (uint256 paid) {
        for (uint256 r; r < n; ++r) {
            uint256 i = rev[r];
            if (n >= MIN_REVEALERS_FOR_DEVIATION) {
                uint256 d = Trust.normalisedDeviation(o.deviation[i] = maxDev[r], p.deviationScaleBps);
                o.dNorm[i] = d;
                o.newTrust[i] = Trust.update(members[i].trust, d, p.lambdaBps, p.wMin, p.wMax);
            }
            paid += o.evaluatorPay[i] = (fee * (BPS - o.dNorm[i])) / BPS;
            if (n >= MIN_REVEALERS_FOR_DEVIATION && o.dNorm[i] <= HONEST_MAX_DNORM) {
                o.honest[i] = true;
                ++o.honestCount;
            }
        }
    }

    /// @dev Packed consensus per output and each scorer's largest absolute deviation over the
    ///      outputs from the output's WEIGHTED MEDIAN of all scorers (voting weights fixed at the
    ///      draw, whatever the task's rule). The deviations decide whether the task settles (step
    ///      0); they move trust and pay only with n >= MIN_REVEALERS_FOR_DEVIATION. No member holding less than half the weight moves it, so one
    ///      outlier neither escapes nor drags honest members' deviations up (a leave-one-out MEAN
    ///      would: with k = 3, each honest member's reference would be halfway to the outlier),
    ///      and many light sybils cannot outvote heavy honest members on who deviated; a boost on
    ///      one output counts in full rather than averaged over the outputs. With fewer scorers
    ///      the consensus is their weighted median.
    function _consensusAndDeviation(
        Rule rule,
        uint256 trimBps,
        Member[] memory members,
        uint256[] memory rev,
        uint256 n,
        uint256 m
    ) private pure returns (uint256 packed, uint256[] memory maxDev) {
        uint256[] memory w = new uint256[](n);
        for (uint256 r; r < n; ++r) w[r] = members[rev[r]].weight;
        maxDev = new uint256[](n);
        uint256[] memory col = new uint256[](n);
        for (uint256 j; j < m; ++j) {
            _column(members, rev, j, col);
            uint256 ref = Aggregation.consensus(Rule.TRUST_WEIGHTED_MEDIAN, col, w, 0);
            packed |= _ruleConsensus(rule, trimBps, col, w, ref) << (16 * j);
            _raiseMax(maxDev, col, ref);
        }
    }

    /// @dev The task's rule over one output's scores (with >= MIN_REVEALERS_FOR_DEVIATION scorers;
    ///      with fewer, and for TRUST_WEIGHTED_MEDIAN, `ref`: the scorers' weighted median). MEDIAN
    ///      over an even number of scorers is one of its two middle scores: the one nearest `ref`
    ///      (`ref` clamped between them). The midpoint let two light sybils scoring 0 drag two
    ///      heavy honest 7000s to 3500, under the quality floor (V7-1c); `ref` alone let one heavy
    ///      member decide an even MEDIAN, where it holds one seat (V8-1).
    function _ruleConsensus(Rule rule, uint256 trimBps, uint256[] memory col, uint256[] memory w, uint256 ref)
        private
        pure
        returns (uint256)
    {
        uint256 n = col.length;
        if (n < MIN_REVEALERS_FOR_DEVIATION || rule == Rule.TRUST_WEIGHTED_MEDIAN) return ref;
        if (rule == Rule.MEDIAN && n % 2 == 0) return _clampToMiddles(col, ref);
        return Aggregation.consensus(rule, col, w, trimBps);
    }

    /// @dev `ref` clamped between the two middle scores of an even column (insertion sort of a
    ///      copy; n <= 32).
    function _clampToMiddles(uint256[] memory col, uint256 ref) private pure returns (uint256) {
        uint256 n = col.length;
        uint256[] memory s = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            uint256 v = col[i];
            uint256 j = i;
            while (j != 0 && s[j - 1] > v) {
                s[j] = s[j - 1];
                --j;
            }
            s[j] = v;
        }
        uint256 lo = s[n / 2 - 1];
        uint256 hi = s[n / 2];
        return ref < lo ? lo : ref > hi ? hi : ref;
    }

    /// @dev col[r] = score of revealer r on output j. Written in assembly (it runs k m times a
    ///      settlement): rev[r] < members.length and col.length <= rev.length by construction
    ///      (_partition, _consensusAndDeviation); a Member's `scores` is its sixth word.
    function _column(Member[] memory members, uint256[] memory rev, uint256 j, uint256[] memory col) private pure {
        assembly ("memory-safe") {
            let n := mload(col)
            let cp := add(col, 0x20)
            let rp := add(rev, 0x20)
            let mp := add(members, 0x20)
            let shift := shl(4, j)
            for { let r := 0 } lt(r, n) { r := add(r, 1) } {
                let member := mload(add(mp, shl(5, mload(add(rp, shl(5, r))))))
                mstore(add(cp, shl(5, r)), and(shr(shift, mload(add(member, 0xa0))), 0xffff))
            }
        }
    }

    /// @dev maxDev[r] = max(maxDev[r], |col[r] - ref|) (maxDev and col have the same length).
    function _raiseMax(uint256[] memory maxDev, uint256[] memory col, uint256 ref) private pure {
        assembly ("memory-safe") {
            let n := mload(col)
            let cp := add(col, 0x20)
            let dp := add(maxDev, 0x20)
            for { let r := 0 } lt(r, n) { r := add(r, 1) } {
                let c := mload(add(cp, shl(5, r)))
                let d := sub(ref, c)
                if gt(c, ref) { d := sub(c, ref) }
                let p := add(dp, shl(5, r))
                if gt(d, mload(p)) { mstore(p, d) }
            }
        }
    }

    /// @dev floor(per * (c - floor) / (10000 - floor)) when c > floor, else 0.
    function _nodePay(uint256 per, uint256 c, uint256 floorBps) private pure returns (uint256) {
        if (c <= floorBps) return 0;
        return (per * (c - floorBps)) / (BPS - floorBps);
    }
}
