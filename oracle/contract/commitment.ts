/** The commit-reveal commitment, computed exactly as ProofOfQuality checks it. */
import { encodeAbiParameters, keccak256, type Address, type Hex } from "viem";

/**
 * keccak256(abi.encode(chainId, contract, taskId, evaluator, uint16[] scores, salt)).
 * Binding the chain, contract, task and evaluator makes a copied commitment useless to anyone else.
 */
export function commitmentHash(args: {
  chainId: number | bigint;
  contract: Address;
  taskId: bigint;
  evaluator: Address;
  scores: readonly number[];
  salt: Hex;
}): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "address" }, { type: "uint256" }, { type: "address" }, { type: "uint16[]" }, { type: "bytes32" }],
      [BigInt(args.chainId), args.contract, args.taskId, args.evaluator, [...args.scores], args.salt],
    ),
  );
}

/**
 * The EIP-712 message a committee member signs so that anyone may post its commitment in a
 * sealed round (ProofOfQuality.commitAll): SealedCommit(taskId, commitment) in the domain
 * ("ProofOfQuality", "1", chainId, the ProofOfQuality address). Pass it to viem's
 * `signTypedData`.
 */
export function sealedCommitTypedData(args: { chainId: number | bigint; contract: Address; taskId: bigint; commitment: Hex }) {
  return {
    domain: { name: "ProofOfQuality", version: "1", chainId: Number(args.chainId), verifyingContract: args.contract },
    types: { SealedCommit: [{ name: "taskId", type: "uint256" }, { name: "commitment", type: "bytes32" }] },
    primaryType: "SealedCommit" as const,
    message: { taskId: args.taskId, commitment: args.commitment },
  };
}

/**
 * The seal of a committee's commitment list (committee order), as ProofOfQuality stores it
 * (ignoring its lowest bit, which says whether some members committed alone):
 * keccak256(abi.encode(uint256[] of each commitment's low 240 bits)).
 */
export function sealOf(commitments: readonly Hex[]): Hex {
  const low = (1n << 240n) - 1n;
  return keccak256(encodeAbiParameters([{ type: "uint256[]" }], [commitments.map((c) => BigInt(c) & low)]));
}

/**
 * The sealed list of a task, as `revealSealed` and `finalizeSealed` take it, from the task's
 * Committed events: each member's commitment as its Committed event carries it (a member has one
 * per task, from its lone `commit` or from the seal), in committee order. The contract compares
 * the commitments' low 240 bits, as a member word keeps them.
 */
export function sealedList(members: readonly Address[], committed: readonly { args: { evaluator?: Address; commitment?: Hex } }[]): Hex[] {
  const byMember = new Map<string, Hex>();
  for (const e of committed) {
    if (!e.args.evaluator || !e.args.commitment) continue;
    const who = e.args.evaluator.toLowerCase();
    // ProofOfQuality emits one per member and task: a second means the events were not
    // filtered by the contract's address and task id
    if (byMember.has(who)) throw new Error(`sealedList: two Committed events for ${e.args.evaluator}; read the task's events from the ProofOfQuality address only`);
    byMember.set(who, e.args.commitment);
  }
  return members.map((m) => {
    const c = byMember.get(m.toLowerCase());
    if (!c) throw new Error(`sealedList: no Committed event for ${m}`);
    return c;
  });
}
