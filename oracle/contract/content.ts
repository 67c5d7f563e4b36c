/**
 * A task's content hash: what ProofOfQuality keeps of its query and output hashes
 * (`getTask(id).contentHash`, TaskBlob's content field). The hashes themselves are in the
 * task's TaskCreated event; a reader that takes them from a log checks them against this.
 */
import { concat, keccak256, type Hex } from "viem";
import { PoqError } from "../core/errors.js";

/** keccak256(abi.encodePacked(queryHash, outputHashes)), as `TaskBlob.putTask` computes it. */
export function contentHashOf(queryHash: Hex, outputHashes: readonly Hex[]): Hex {
  return keccak256(concat([queryHash, ...outputHashes]));
}

/** A task's query and output hashes as its TaskCreated event carries them. */
export interface TaskContent {
  queryHash: Hex;
  outputHashes: Hex[];
}

/**
 * The query and output hashes from the TaskCreated logs of `taskId` (its creation block), checked
 * against the content hash the contract keeps: a log that does not match (a wrong or lying RPC
 * answer) is an error, never content to score.
 */
export function contentFromLogs(taskId: bigint, logs: readonly { args: { spec?: { queryHash: Hex; outputHashes: readonly Hex[] } } }[], contentHash: Hex): TaskContent {
  for (const l of logs) {
    const spec = l.args.spec;
    if (spec && contentHashOf(spec.queryHash, spec.outputHashes).toLowerCase() === contentHash.toLowerCase()) {
      return { queryHash: spec.queryHash, outputHashes: [...spec.outputHashes] };
    }
  }
  throw new PoqError("E_TASK_CONTENT", `no TaskCreated event of task ${taskId} matches its content hash ${contentHash} (${logs.length} log(s) read)`);
}
