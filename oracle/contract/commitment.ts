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

/** The seal of a committee's commitment list (committee order): keccak256(abi.encode(bytes32[])). */
export function sealOf(commitments: readonly Hex[]): Hex {
  return keccak256(encodeAbiParameters([{ type: "bytes32[]" }], [[...commitments]]));
}

/**
 * The sealed list of a task, as `revealSealed` and `finalizeSealed` take it, from the task's
 * Committed events: member i's commitment from the event that the seal transaction
 * (`commitAll`, hash `sealTx`) emitted for it, or 0 for a member that committed alone before the
 * seal (the seal emitted nothing for it; its own commitment stands).
 */
export function sealedList(
  members: readonly Address[],
  committed: readonly { transactionHash: Hex | null; args: { evaluator?: Address; commitment?: Hex } }[],
  sealTx: Hex,
): Hex[] {
  const zero = `0x${"00".repeat(32)}` as Hex;
  const bySeal = new Map<string, Hex>();
  for (const e of committed) {
    if (e.transactionHash?.toLowerCase() === sealTx.toLowerCase() && e.args.evaluator && e.args.commitment) {
      bySeal.set(e.args.evaluator.toLowerCase(), e.args.commitment);
    }
  }
  return members.map((m) => bySeal.get(m.toLowerCase()) ?? zero);
}
