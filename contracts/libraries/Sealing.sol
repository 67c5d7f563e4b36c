// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ScorePacking} from "./ScorePacking.sol";
import {TaskBlob} from "./TaskBlob.sol";

/// @title Sealing
/// @notice The sealed round: a committee's k commitments posted in one transaction, each signed
///         by its member (EIP-712), and, once every member has shared its opening off chain,
///         all k openings checked in the transaction that settles the task. It replaces 2 k
///         member transactions by two, and never weakens commit-then-reveal: every commitment is
///         on chain before any opening can count, a member's opening is checked against its own
///         signed commitment, and a settlement that leaves anybody out cannot use this path
///         (members reveal one by one instead, docs/contract.md "Sealed round").
/// @dev A linked (external) library: ProofOfQuality delegatecalls it, so `address(this)` is the
///      settlement contract and the events below are that contract's (the same signatures it
///      declares). Only plain-key (ECDSA) signatures: an evaluator that is a contract uses the
///      per-member commit and reveal. `committee` is the committee's `TaskBlob.ref` (its blob and
///      its record's offset there).
library Sealing {
    uint256 internal constant BPS = 10_000;

    /// @notice EIP-712 domain of the settlement contract: name "ProofOfQuality", version "1".
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("ProofOfQuality");
    bytes32 internal constant VERSION_HASH = keccak256("1");
    /// @notice What a member signs: its commitment for one task.
    bytes32 internal constant SEALED_COMMIT_TYPEHASH = keccak256("SealedCommit(uint256 taskId,bytes32 commitment)");

    /// @notice Every member's opening of a sealed round, in committee order: the sealed
    ///         commitment list, and each member's scores (empty: an abstention) and salt.
    struct Openings {
        bytes32[] commitments;
        uint16[][] scores;
        bytes32[] salts;
    }

    event Committed(uint256 indexed taskId, address indexed evaluator, bytes32 commitment);
    event Revealed(uint256 indexed taskId, address indexed evaluator, uint256 packedScores);
    event Abstained(uint256 indexed taskId, address indexed evaluator);

    /// @notice The seal needs exactly one entry per member, in committee order.
    error SealLength(uint256 k, uint256 got);
    /// @notice Signature `index` is not member `index`'s over its commitment for this task.
    error BadSealSignature(uint256 index);
    /// @notice The commitment list is not the one sealed for this task.
    error SealMismatch();
    /// @notice The task has no sealed round (its members commit one by one).
    error NotSealed(uint256 taskId);
    /// @notice Opening `index` does not open member `index`'s sealed commitment.
    error OpeningMismatch(uint256 index);
    error InvalidCommitment();
    error WrongScoreCount(uint256 expected, uint256 got);
    error ScoreOutOfRange(uint256 index, uint256 score);

    /// @notice Checks that `signatures[i]` is `members[i]`'s signature over its commitment for
    ///         `taskId`, emits each Committed event, and returns the seal (`sealOf` the list), its
    ///         lowest bit set when `mixed`. `mixed`: some members committed alone before the
    ///         seal; their own commitments stand (their entries and signatures are ignored and
    ///         their slots hold their own commitments), so a member committing alone in the
    ///         seal's block cannot make the seal revert and leave the others uncommitted. `args`
    ///         is the ABI encoding of (taskId, commitments, signatures), as
    ///         ProofOfQuality.commitAll received them.
    function seal(mapping(address => uint256) storage words, uint256 committee, uint256 k, bool mixed, bytes calldata args)
        external
        returns (bytes32)
    {
        (address[] memory members,) = TaskBlob.readCommittee(committee, k);
        (uint256 taskId, bytes32[] memory commitments, bytes[] memory signatures) =
            abi.decode(args, (uint256, bytes32[], bytes[]));
        if (commitments.length != k) revert SealLength(k, commitments.length);
        if (signatures.length != k) revert SealLength(k, signatures.length);
        bytes32 domain = domainSeparator();
        for (uint256 i; i < k; ++i) {
            uint256 w = mixed ? words[members[i]] : 0;
            if (w != 0) {
                // its own commitment stands, and its slot in the sealed list is that commitment
                // (as stored: its low 240 bits), whatever was sent: the list is every member's
                // Committed commitment, whichever transaction emitted it, and every poster seals
                // the same one (redteam V11-1, V11-2, V12-1..3)
                commitments[i] = bytes32(w & ScorePacking.SCORES_MASK);
                continue;
            }
            bytes32 c = commitments[i];
            if (c == bytes32(0)) revert InvalidCommitment();
            bytes32 digest = keccak256(abi.encodePacked(hex"1901", domain, keccak256(abi.encode(SEALED_COMMIT_TYPEHASH, taskId, c))));
            // OpenZeppelin's recover: 65-byte signatures only, low s, never the zero address
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError || signer != members[i]) revert BadSealSignature(i);
            emit Committed(taskId, members[i], c);
        }
        uint256 root = uint256(sealOf(commitments));
        return bytes32(mixed ? root | 1 : root & ~uint256(1));
    }

    /// @notice Opens every member's commitment: `o.scores[i]` (empty: an abstention) and
    ///         `o.salts[i]` must hash, as `commitmentFor` does, to a commitment whose low 240
    ///         bits (what `reveal` checks) are those of `o.commitments[i]` (the list must be the
    ///         sealed one) or, for a member that committed alone, of its stored commitment; a member
    ///         that already revealed alone keeps its stored reveal (its opening is not read). Emits each new Revealed
    ///         or Abstained event and returns the member words (ScorePacking's layout) the
    ///         settlement reads. Member words are read only when the seal is mixed or
    ///         `someRevealed`. `args` is the ABI encoding of (taskId, Openings), as
    ///         ProofOfQuality.finalizeSealed received them.
    function open(
        mapping(address => uint256) storage stored,
        uint256 committee,
        uint256 k,
        uint256 m,
        bytes32 sealWord,
        bool someRevealed,
        bytes calldata args
    ) external returns (uint256[] memory words) {
        (address[] memory members,) = TaskBlob.readCommittee(committee, k);
        (uint256 taskId, Openings memory o) = abi.decode(args, (uint256, Openings));
        if (sealWord == bytes32(0)) revert NotSealed(taskId);
        if (o.commitments.length != k) revert SealLength(k, o.commitments.length);
        if (o.scores.length != k) revert SealLength(k, o.scores.length);
        if (o.salts.length != k) revert SealLength(k, o.salts.length);
        if (!matches(sealWord, o.commitments)) revert SealMismatch();
        bool read = someRevealed || uint256(sealWord) & 1 == 1;
        words = new uint256[](k);
        for (uint256 i; i < k; ++i) {
            uint256 w = read ? stored[members[i]] : 0;
            // revealed alone: its stored reveal stands
            words[i] = w & ScorePacking.REVEALED_BIT != 0 ? w : _openMember(taskId, members[i], m, o, i, w);
        }
    }

    /// @dev Member i's opening against its commitment: its stored word when it committed alone
    ///      (`w` != 0), else its entry in the sealed list.
    function _openMember(uint256 taskId, address member, uint256 m, Openings memory o, uint256 i, uint256 w)
        private
        returns (uint256)
    {
        return _openOne(taskId, member, m, o.scores[i], o.salts[i], w != 0 ? bytes32(w) : o.commitments[i], i);
    }

    /// @dev One member's opening, checked on the commitment's low 240 bits as a plain reveal
    ///      checks it: its event emitted, its member word returned.
    function _openOne(uint256 taskId, address member, uint256 m, uint16[] memory s, bytes32 salt, bytes32 commitment, uint256 i)
        private
        returns (uint256)
    {
        bool abstain = s.length == 0;
        if (!abstain && s.length != m) revert WrongScoreCount(m, s.length);
        for (uint256 j; j < s.length; ++j) {
            if (s[j] > BPS) revert ScoreOutOfRange(j, s[j]);
        }
        uint256 opened = uint256(keccak256(abi.encode(block.chainid, address(this), taskId, member, s, salt)));
        if ((opened ^ uint256(commitment)) & ScorePacking.SCORES_MASK != 0) revert OpeningMismatch(i);
        if (abstain) {
            emit Abstained(taskId, member);
            return ScorePacking.COMMITTED_BIT | ScorePacking.REVEALED_BIT | ScorePacking.ABSTAINED_BIT;
        }
        uint256 packed = ScorePacking.packMemory(s);
        emit Revealed(taskId, member, packed);
        return ScorePacking.COMMITTED_BIT | ScorePacking.REVEALED_BIT | packed;
    }

    /// @notice Writes the caller's member word from a sealed list, when it has none yet (its
    ///         reveal then proceeds as an unsealed one). `args` is the ABI encoding of
    ///         ProofOfQuality.revealSealed's arguments (taskId, commitments, scores, salt); the
    ///         list must be the sealed one (`sealWord`).
    function admit(mapping(address => uint256) storage words, uint256 committee, uint256 k, bytes32 sealWord, bytes calldata args)
        external
    {
        (uint256 taskId, bytes32[] memory commitments) = abi.decode(args, (uint256, bytes32[]));
        if (sealWord == bytes32(0)) revert NotSealed(taskId);
        if (words[msg.sender] != 0) return;
        if (commitments.length != k || !matches(sealWord, commitments)) revert SealMismatch();
        (address[] memory members,) = TaskBlob.readCommittee(committee, k);
        for (uint256 i; i < k; ++i) {
            if (members[i] == msg.sender) {
                words[msg.sender] = ScorePacking.COMMITTED_BIT | (uint256(commitments[i]) & ScorePacking.SCORES_MASK);
                return;
            }
        }
        // not a member: the reveal that follows says so
    }

    /// @notice The seal of a commitment list: keccak256(abi.encode(each commitment's low 240
    ///         bits)), what a member word keeps of a commitment (its lowest bit is not compared:
    ///         the stored seal uses it to say "mixed"). The list is every member's commitment as
    ///         its Committed event carries it, in committee order.
    function sealOf(bytes32[] memory commitments) internal pure returns (bytes32) {
        uint256[] memory low = new uint256[](commitments.length);
        for (uint256 i; i < low.length; ++i) low[i] = uint256(commitments[i]) & ScorePacking.SCORES_MASK;
        return keccak256(abi.encode(low));
    }

    /// @notice Whether `commitments` is the sealed list (all bits but the lowest).
    function matches(bytes32 sealWord, bytes32[] memory commitments) internal pure returns (bool) {
        return uint256(sealOf(commitments)) | 1 == uint256(sealWord) | 1;
    }

    /// @notice The EIP-712 domain separator of the calling settlement contract.
    function domainSeparator() internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
    }
}
