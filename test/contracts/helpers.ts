/** Shared setup for the contract integration tests (in-process Hardhat network, viem). */
import { network } from "hardhat";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { commitmentHash } from "../../oracle/contract/commitment.js";
import { deployLocalStack, type LocalStackOptions } from "../../oracle/contract/local.js";
import { DEV_PROTOCOL_PARAMS, Family, Rule } from "../../oracle/rules/index.js";

export const E18 = 10n ** 18n;

/** The profile every helper-made task names (registered by setupChain). */
export const TEST_PROFILE: Hex = keccak256(toHex("poq.test-profile"));

/** Deterministic address for the n-th synthetic actor (impersonated on the in-process chain). */
export function actorAddress(n: number): Address {
  return getAddress(`0x${(0x5000_0000n + BigInt(n)).toString(16).padStart(40, "0")}`);
}

/**
 * A fresh in-process chain with the PoQ stack deployed (DEV_PROTOCOL_PARAMS unless given:
 * activation delay 60 s, windows from 10 s). `reentrantToken` / `feeOnTransferToken` deploy
 * the malicious ReentrantToken / FeeOnTransferToken as the stake token instead of PoQTestToken.
 */
export async function setupChain(opts: LocalStackOptions & { reentrantToken?: boolean; feeOnTransferToken?: boolean } = {}) {
  const conn = await network.create();
  const { viem, networkHelpers } = conn;
  if (opts.reentrantToken || opts.feeOnTransferToken) {
    const evil = await viem.deployContract(opts.reentrantToken ? "ReentrantToken" : "FeeOnTransferToken");
    opts = { ...opts, tokenAddress: evil.address };
  }
  const stack = await deployLocalStack(viem, { profiles: [TEST_PROFILE], ...opts });
  const params = opts.params ?? DEV_PROTOCOL_PARAMS;
  const publicClient = await viem.getPublicClient();
  const [admin] = await viem.getWalletClients();
  const chainId = await publicClient.getChainId();

  /** An impersonated, ETH-funded actor with `tokens` minted to it and approved to both contracts. */
  async function actor(n: number, tokens = 1_000_000n * E18) {
    const address = actorAddress(n);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 22n);
    const wallet = await viem.getWalletClient(address);
    if (tokens > 0n) {
      await stack.token.write.mint([address, tokens]);
      await stack.token.write.approve([stack.poq.address, 2n ** 256n - 1n], { account: address });
      await stack.token.write.approve([stack.registry.address, 2n ** 256n - 1n], { account: address });
    }
    return { address, wallet };
  }

  /** Moves the chain's clock forward (and mines a block). */
  async function warp(seconds: number | bigint) {
    await networkHelpers.time.increase(BigInt(seconds));
  }

  /**
   * Moves the clock to the start of the next trust period (+1 s), so a test that plays a
   * period's worth of tasks does not straddle a boundary of the wall-clock-based chain time.
   */
  async function alignToTrustPeriod() {
    const period = BigInt(params.staking.trustPeriod);
    const t = (await publicClient.getBlock()).timestamp;
    await networkHelpers.time.increaseTo((t / period + 1n) * period + 1n);
  }

  /** Lets every pending registration or change become effective (activation delay). */
  async function activate() {
    await warp(params.staking.activationDelay + 1);
  }

  /**
   * Registers `count` evaluators (actors `first`..) with the given stake and cost, serving
   * `profiles`, and (by default) waits out the activation delay.
   */
  async function evaluators(
    count: number,
    stake = 1_000n * E18,
    cost = 1n * E18,
    o: { first?: number; profiles?: Hex[]; wait?: boolean } = {},
  ) {
    const out: Address[] = [];
    for (let i = 0; i < count; i++) {
      const a = await actor((o.first ?? 100) + i);
      await stack.registry.write.register([stake, cost, o.profiles ?? [TEST_PROFILE]], { account: a.address });
      out.push(a.address);
    }
    if (o.wait !== false) await activate();
    return out;
  }

  /**
   * Registers evaluators whose addresses come from private keys (they can sign, e.g. a sealed
   * round's SealedCommit), funded and approved like `actor`, with the given stake and cost, and
   * waits out the activation delay. Transactions are still sent from them as impersonated accounts.
   */
  async function keyedEvaluators(keys: readonly { address: Address }[], stake = 1_000n * E18, cost = 1n * E18) {
    for (const { address } of keys) {
      await networkHelpers.impersonateAccount(address);
      await networkHelpers.setBalance(address, 10n ** 22n);
      await stack.token.write.mint([address, 1_000_000n * E18]);
      await stack.token.write.approve([stack.poq.address, 2n ** 256n - 1n], { account: address });
      await stack.token.write.approve([stack.registry.address, 2n ** 256n - 1n], { account: address });
      await stack.registry.write.register([stake, cost, [TEST_PROFILE]], { account: address });
    }
    await activate();
  }

  /** Registers `count` inference nodes (actors 300..), each paying to actor 400+i. */
  async function nodes(count: number, first = 300) {
    const out: Address[] = [];
    for (let i = 0; i < count; i++) {
      const a = await actor(first + i, 0n);
      await stack.poq.write.registerNode([actorAddress(first + 100 + i), keccak256(toHex(`model-${i}`))], { account: a.address });
      out.push(a.address);
    }
    return out;
  }

  async function now(): Promise<bigint> {
    return (await publicClient.getBlock()).timestamp;
  }

  /** A valid TaskSpec (override any field): k = 3, fee 2 tokens a member, 60 s windows. */
  function spec(nodeList: readonly Address[], over: Partial<TaskSpecInput> = {}): TaskSpecInput {
    return {
      family: Family.QA,
      rule: Rule.TRUST_WEIGHTED_MEDIAN,
      k: 3,
      commitWindow: 60,
      revealWindow: 60,
      nodeBudget: 100n * E18,
      evalBudget: 6n * E18,
      queryHash: keccak256(toHex("query")),
      profileHash: TEST_PROFILE,
      refundTo: "0x0000000000000000000000000000000000000000",
      nodes: [...nodeList],
      outputHashes: nodeList.map((_, j) => keccak256(toHex(`output-${j}`))),
      ...over,
    };
  }

  /** Creates a task from `requester` (not drawn yet); returns its id. */
  async function create(requester: Address, s: TaskSpecInput): Promise<bigint> {
    await stack.poq.write.createTask([s], { account: requester });
    return stack.poq.read.taskCount();
  }

  /** Draws a pending task's committee (from `drawer`, default the admin) in the next block. */
  async function draw(taskId: bigint, drawer?: Address) {
    await stack.poq.write.drawCommittee([taskId], drawer ? { account: drawer } : {});
    const [members, fee] = await stack.poq.read.getCommittee([taskId]);
    return { members: [...members], fee };
  }

  /** Creates a task and draws its committee; returns the id, the committee and the fee. */
  async function createTask(requester: Address, s: TaskSpecInput) {
    const taskId = await create(requester, s);
    const { members, fee } = await draw(taskId);
    return { taskId, members, fee };
  }

  function commitment(taskId: bigint, evaluator: Address, scores: readonly number[], salt: Hex) {
    return commitmentHash({ chainId, contract: stack.poq.address, taskId, evaluator, scores, salt });
  }

  async function commit(taskId: bigint, evaluator: Address, scores: readonly number[], salt: Hex) {
    return stack.poq.write.commit([taskId, commitment(taskId, evaluator, scores, salt)], { account: evaluator });
  }

  async function reveal(taskId: bigint, evaluator: Address, scores: readonly number[], salt: Hex) {
    return stack.poq.write.reveal([taskId, [...scores], salt], { account: evaluator });
  }

  /** Commits then reveals `scores[i]` for each member i that has scores (undefined: stays silent). */
  async function play(taskId: bigint, members: readonly Address[], scores: readonly (readonly number[] | undefined)[]) {
    for (let i = 0; i < members.length; i++) if (scores[i]) await commit(taskId, members[i]!, scores[i]!, salt(i));
    const t = await stack.poq.read.getTask([taskId]);
    const everyone = scores.every((s) => s !== undefined);
    if (!everyone) await warp(BigInt(t.commitDeadline) - (await now()) + 1n);
    for (let i = 0; i < members.length; i++) if (scores[i]) await reveal(taskId, members[i]!, scores[i]!, salt(i));
  }

  /** Finalizes after the reveal deadline (warping there if needed). */
  async function finalize(taskId: bigint) {
    const t = await stack.poq.read.getTask([taskId]);
    if (t.reveals < t.k) {
      const left = BigInt(t.revealDeadline) - (await now()) + 1n;
      if (left > 0n) await warp(left);
    }
    return stack.poq.write.finalize([taskId]);
  }

  /**
   * Who a task created at `asOf` (default: the latest block's time) could draw now, from the
   * registry's replay views: the eligible evaluators in slot order with their acceptance weights
   * min(trust, 2^tb) x min(stake, cap), and the draw's bar, the eligible stake weight against the
   * network's (`eligibleStake`, the requester's own in neither).
   */
  async function candidates(profileBit: bigint, fee: bigint, exclude: Address, asOf?: bigint) {
    const at = asOf ?? (await now());
    const [slots, , accept] = await stack.registry.read.drawInputs([profileBit, fee, exclude, at]);
    const [eligible, network] = await stack.registry.read.eligibleStake([profileBit, fee, exclude, at]);
    const cand = slots.filter((_, i) => accept[i]! > 0n);
    const weights = accept.filter((w) => w > 0n);
    return { cand, weights, eligible, network };
  }

  /** Token conservation of both contracts: balance == accounted. */
  async function conserved() {
    const balance = await stack.token.read.balanceOf([stack.poq.address]);
    const accounted = await stack.poq.read.accountedBalance();
    const registryBalance = await stack.token.read.balanceOf([stack.registry.address]);
    const staked = await stack.registry.read.totalStaked();
    return { balance, accounted, registryBalance, staked };
  }

  return {
    conn, viem, networkHelpers, publicClient, admin: admin!, chainId, params, ...stack,
    actor, warp, activate, alignToTrustPeriod, evaluators, keyedEvaluators, nodes, now, spec, create, draw, createTask, commitment, commit, reveal, play, finalize, conserved, candidates,
  };
}

export type Chain = Awaited<ReturnType<typeof setupChain>>;

export interface TaskSpecInput {
  family: number;
  rule: number;
  k: number;
  commitWindow: number;
  revealWindow: number;
  nodeBudget: bigint;
  evalBudget: bigint;
  queryHash: Hex;
  profileHash: Hex;
  refundTo: Address;
  nodes: Address[];
  outputHashes: Hex[];
}

export function salt(n: number): Hex {
  return keccak256(toHex(`salt-${n}`));
}

export { DEV_PROTOCOL_PARAMS };
