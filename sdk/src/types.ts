import type { Address } from "viem";

/**
 * What the readers return. Both sources (event logs and the indexer's JSON routes) return
 * exactly these types: amounts, task ids, blocks and timestamps as bigint; output indexes,
 * consensus and trust (basis points, 10000 = 1.0) as numbers; addresses checksummed. Lists
 * are sorted (by task id, then output; claims by block, then log order).
 */

/** One output of a finalized task that had consensus, paid to its inference node. */
export interface OutputPay {
  taskId: bigint;
  /** Index of the output in the task. */
  output: number;
  /** The output's consensus score (bps). */
  consensus: number;
  /** Node budget share credited to the node (wei). */
  pay: bigint;
}

/** One committee seat of a finalized task, from the evaluator's side. */
export interface EvaluatorTaskPay {
  taskId: bigint;
  /** Everything the task credited the evaluator: its fee share plus its share of others' slashed stake (wei). */
  pay: bigint;
  /** Stake slashed for not revealing (wei). */
  slash: bigint;
  /** Trust (bps) before and after the task settled. */
  trustBefore: number;
  trustAfter: number;
  /** Did not reveal (counted in the registry's tasksMissed). Always `!revealed`. */
  missed: boolean;
  revealed: boolean;
}

export interface Refund {
  taskId: bigint;
  /** Escrow credited back to the task's refund address (cancelled task, or unpaid budget at finalize). */
  amount: bigint;
}

export interface Claim {
  /** Where `claim(to)` sent the tokens. */
  to: Address;
  amount: bigint;
  block: bigint;
}

/** Everything an address was paid, refunded, slashed and claimed on ProofOfQuality. */
export interface Payouts {
  address: Address;
  /** As an inference node: per-output pay (sum `earned` = the contract's getNode(...).lifetime). */
  node: { earned: bigint; outputs: OutputPay[] };
  /** As an evaluator: per-task pay, slash and trust change. */
  evaluator: { earned: bigint; slashed: bigint; tasks: EvaluatorTaskPay[] };
  /** As a refund recipient (a task's refundTo, the requester by default); `refunded` = refundedOf(address). */
  requester: { refunded: bigint; refunds: Refund[] };
  /** `claim` payouts of this account; claimableOf(address) = evaluator.earned + requester.refunded - claimed. */
  claimed: bigint;
  claims: Claim[];
}

/** One change of an evaluator's trust: the settlement of a task it sat on. */
export interface TrustPoint {
  taskId: bigint;
  block: bigint;
  /** Block timestamp (s). */
  timestamp: bigint;
  trustBefore: number;
  trustAfter: number;
}

export interface TrustHistory {
  address: Address;
  /** In settlement order; the last trustAfter is the registry's current trust. */
  history: TrustPoint[];
}

/** What a source of payouts answers: event logs (LogReader) or the indexer (IndexerReader). */
export interface PayoutSource {
  payouts(address: Address): Promise<Payouts>;
  trustHistory(address: Address): Promise<TrustHistory>;
}

/** One output of one task, as it settled. */
export interface TaskOutputPay {
  output: number;
  node: Address;
  consensus: number;
  pay: bigint;
}

/** One committee member of one task, as it settled. */
export interface TaskMemberPay {
  evaluator: Address;
  revealed: boolean;
  missed: boolean;
  /** Largest leave-one-out deviation (bps) that moved its trust. */
  deviation: number;
  pay: bigint;
  slash: bigint;
  trustBefore: number;
  trustAfter: number;
}

/** How one task settled: per output and per committee member, plus the refund. */
export interface TaskSettlement {
  taskId: bigint;
  requester: Address;
  refundTo: Address;
  /** "finalized" or "cancelled"; "unsettled" while pending or open (nothing paid yet). */
  outcome: "finalized" | "cancelled" | "unsettled";
  hasConsensus: boolean;
  /** In output order (empty unless finalized with consensus). */
  outputs: TaskOutputPay[];
  /** In committee (draw) order (empty unless finalized). */
  members: TaskMemberPay[];
  refund: bigint;
  /** Stake slashed from non-revealers, and the part of it burned (no honest revealer to share it). */
  slashed: bigint;
  burned: bigint;
  /** Block of the finalize or cancellation (undefined while unsettled). */
  block?: bigint;
}
