/** The shapes the explorer renders: the indexer's JSON routes (indexer/src/api/queries.ts). */
export interface OverviewData {
  tasks: Record<string, number>;
  tasksSettled: number;
  paidOut: { total: string; nodes: string; evaluators: string };
  activeEvaluators: number;
  trust: { evaluator: string; trust: number }[];
  totals: { escrowed: string; claimable: string; treasury: string; burned: string } | null;
  recent: { taskId: string; status: string; k: number; m: number; requester: string; createdAt: string; refund: string | null }[];
}

export interface TaskData {
  taskId: string;
  status: string;
  spec: { requester: string; refundTo: string; profileHash: string; profileUri: string | null; queryHash: string; family: number; rule: number; k: number; m: number; commitWindow: number; revealWindow: number; nodeBudget: string; evalBudget: string; fee: string; protocolFee: string };
  seed: string | null;
  commitDeadline: string | null;
  revealDeadline: string | null;
  commits: number;
  reveals: number;
  hasConsensus: boolean | null;
  refund: string | null;
  slashed: string | null;
  burned: string | null;
  nodePaid: string | null;
  evaluatorPaid: string | null;
  createdAt: string;
  settledAt: string | null;
  outputs: { output: number; node: string; outputHash: string; consensus: number | null; pay: string | null }[];
  committee: { evaluator: string; position: number; committed: boolean; revealed: boolean; scores: number[] | null; settled: boolean; deviation: string | null; trustBefore: number | null; trustAfter: number | null; pay: string | null; fee: string | null; slash: string | null; slashShare: string | null }[];
}

export interface EvaluatorData {
  address: string;
  registered: boolean;
  stake: string;
  unbonding: string;
  cost: string;
  trust: number;
  tasksAssigned: number;
  tasksMissed: number;
  earned: string;
  slashed: string;
  claimable: string;
  claimed: string;
  trustHistory: { taskId: string; block: string; timestamp: string; trustBefore: number; trustAfter: number }[];
  stakeHistory: { block: string; timestamp: string; stake: string; unbonding: string; reason: string }[];
  tasks: { taskId: string; revealed: boolean; settled: boolean; deviation: string | null; trustBefore: number | null; trustAfter: number | null; pay: string | null; fee: string | null; slash: string | null; slashShare: string | null }[];
}

export interface NodeData {
  address: string;
  payout: string;
  modelId: string;
  earned: string;
  pending: string;
  paid: string;
  outputsSettled: number;
  meanConsensus: number | null;
  outputs: { taskId: string; output: number; consensus: number | null; pay: string | null }[];
}

export interface ProfileData {
  hash: string;
  profileId: number;
  uri: string;
  retired: boolean;
  registeredBlock: string;
  tasks: number;
}

/** Where the pages get their data (the indexer's queries). */
export interface ExplorerData {
  overview: () => Promise<OverviewData>;
  task: (id: bigint) => Promise<TaskData | undefined>;
  evaluator: (a: `0x${string}`) => Promise<EvaluatorData | undefined>;
  node: (a: `0x${string}`) => Promise<NodeData | undefined>;
  profile: (h: `0x${string}`) => Promise<ProfileData | undefined>;
}
