import type { AttackStrategy } from "./types.js";

/**
 * Self-dealing requester with sybils. The attackers are sybil evaluators the requester
 * registered at the protocol's minimum stake, declaring cost 0 (so the cost filter never
 * excludes them). Besides the honest requesters' stream, the attacker creates
 * `selfDealTasksPerRound` tasks of its own per round at the protocol minimum (k = minK, fee =
 * minFeePerMember, real outputs of real nodes with the usual node budget) and pays their
 * escrow and protocol fee. In its own tasks the sybils score every output `sabotageScore`
 * (mode "stiff": the requester wants its node budget back after the nodes delivered) or
 * honestly (mode "farm": they only farm trust). In honest requesters' tasks they vote as one
 * block for the attacker's node (consensus capture), like `collude`. The engine handles the
 * requester side; this module scores honest requesters' tasks.
 */
export const selfDeal: AttackStrategy = {
  id: "self-deal",
  description: "requester with sybils at minStake: own minimum-price tasks (stiff nodes / farm trust), then block votes for its node",
  doesWork: false,
  target: "shared",
  kind: "self-deal",
  score: (ctx) => ctx.groupHonest.map((s, j) => (ctx.targets.has(ctx.nodes[j]!) ? ctx.params.boostScore : s)),
};
