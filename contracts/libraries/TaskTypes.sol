// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Rule} from "./Aggregation.sol";

// The stored shapes of ProofOfQuality's tasks and inference nodes, at file level so that the
// linked TaskSettlement library reads and writes the same storage.

/// @notice Task family (what kind of query the outputs answer).
enum Family {
    QA,
    SUMMARIZATION,
    OPEN
}

/// @notice Task lifecycle: PENDING (created, committee not drawn) -> OPEN (drawn) ->
///         FINALIZED; or PENDING -> CANCELLED when no committee can be filled.
enum TaskStatus {
    NONE,
    PENDING,
    OPEN,
    FINALIZED,
    CANCELLED
}

/// @notice An inference node. `pending` and `lifetime` share a word: both are bounded by
///         the tokens this contract ever received, so they cannot overflow for any token
///         whose total supply is under 2^128 wei (docs/contract.md, "Numbers").
struct Node {
    address payout;
    uint64 registeredAt;
    bytes32 modelId;
    uint128 pending; // credited, not yet paid out
    uint128 lifetime; // total ever credited
}

/// @dev A task in storage: two words at creation (the second gets the committee at the
///      draw), a third at a sealed round's `commitAll` or at a finalisation with a consensus.
///      What only the draw, the settlement and the views read (windows, requester, fee per
///      member, query hash, nodes, output hashes) lives in the task's blob, the committee in a second blob
///      (TaskBlob); the task keeps each blob's CREATE nonce, not its address (TaskBlob.at gives
///      the address: 4 bytes instead of 20, so both fit word 1 with the draw's inputs) and,
///      since a batch shares one blob between its tasks (createTasks, drawCommittees), the
///      offset of the task's record in each (TaskBlob.ref). The
///      settlement parameters are those of version `paramsId` and the draw's
///      `minEligibleBps` is the one in force at creation; refundTo is stored only when it is
///      not the requester.
struct TaskRecord {
    // word 0: everything commit/reveal touch
    TaskStatus status;
    Rule rule;
    Family family;
    uint8 k;
    uint8 m;
    uint8 commits;
    uint8 reveals;
    bool hasConsensus;
    uint40 commitDeadline; // set at the draw
    uint40 revealDeadline;
    uint96 nodeBudget;
    // word 1 (the requester and the fee per member are in the blob)
    uint32 blob; // CREATE nonce of the TaskBlob data contract
    uint32 committee; // CREATE nonce of the committee blob (members and voting weights in draw order); 0 before the draw
    uint40 seedBlock; // the block whose hash seeds the draw
    uint8 profileId;
    uint32 paramsId; // _settlementParams version
    uint16 minEligibleBps; // the draw's eligibility bar, as governance set it at creation
    uint40 createdAt; // the committee is drawn from the registry as it stood then
    uint16 blobAt; // where the task's record starts in its blob (0 unless a batch created it)
    uint16 committeeAt; // where the committee's record starts in its blob (0 unless a batch drew it)
    // word 2: a sealed round's seal (Sealing.seal) while the task is open, then the packed
    // consensus from finalisation (zero without one): a sealed round writes the word once
    // and its settlement rewrites it instead of filling a fresh one
    uint256 sealOrConsensus;
}
