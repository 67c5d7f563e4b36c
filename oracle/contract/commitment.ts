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
