/** Shared setup for the contract integration tests (in-process Hardhat network, viem). */
import { network } from "hardhat";
import { getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { commitmentHash } from "../../oracle/contract/commitment.js";
import { deployLocalStack, type LocalStackOptions } from "../../oracle/contract/local.js";
import { DEFAULT_PARAMS, Family, Rule } from "../../oracle/rules/index.js";

export const E18 = 10n ** 18n;

/** Deterministic address for the n-th synthetic actor (impersonated on the in-process chain). */
export function actorAddress(n: number): Address {
  return getAddress(`0x${(0x5000_0000n + BigInt(n)).toString(16).padStart(40, "0")}`);
}

/**
 * A fresh in-process chain with the PoQ stack deployed. `reentrantToken` deploys the
 * malicious ReentrantToken as the stake token instead of PoQTestToken.
 */
export async function setupChain(opts: LocalStackOptions & { reentrantToken?: boolean } = {}) {
  const conn = await network.create();
  const { viem, networkHelpers } = conn;
  if (opts.reentrantToken) {
    const evil = await viem.deployContract("ReentrantToken");
    opts = { ...opts, tokenAddress: evil.address };
  }
  const stack = await deployLocalStack(viem, opts);
  const publicClient = await viem.getPublicClient();
  const [admin] = await viem.getWalletClients();
  const chainId = await publicClient.getChainId();

  /** An impersonated, ETH-funded actor with `tokens` minted to it and approved to PoQ. */
  async function actor(n: number, tokens = 1_000_000n * E18) {
    const address = actorAddress(n);
    await networkHelpers.impersonateAccount(address);
    await networkHelpers.setBalance(address, 10n ** 22n);
    const wallet = await viem.getWalletClient(address);
    if (tokens > 0n) {
      await stack.token.write.mint([address, tokens]);
      await stack.token.write.approve([stack.poq.address, 2n ** 256n - 1n], { account: address });
    }
    return { address, wallet };
  }

  /** Registers `count` evaluators (actors 100..) with the given stake and cost. */
  async function evaluators(count: number, stake = 1_000n * E18, cost = 10n * E18) {
    const out: Address[] = [];
    for (let i = 0; i < count; i++) {
      const a = await actor(100 + i);
      await stack.poq.write.registerEvaluator([stake, cost], { account: a.address });
      out.push(a.address);
    }
    return out;
  }

  /** Registers `count` inference nodes (actors 300..), each paying to actor 400+i. */
  async function nodes(count: number) {
    const out: Address[] = [];
    for (let i = 0; i < count; i++) {
      const a = await actor(300 + i, 0n);
      await stack.poq.write.registerNode([actorAddress(400 + i), keccak256(toHex(`model-${i}`))], { account: a.address });
      out.push(a.address);
    }
    return out;
  }

  async function now(): Promise<bigint> {
    return (await publicClient.getBlock()).timestamp;
  }

  /** A valid TaskSpec (override any field). */
  async function spec(nodeList: readonly Address[], over: Partial<TaskSpecInput> = {}): Promise<TaskSpecInput> {
    const t = await now();
    return {
      family: Family.QA,
      rule: Rule.TRUST_WEIGHTED_MEDIAN,
      k: 3,
      commitDeadline: Number(t + 1_000n),
      revealDeadline: Number(t + 2_000n),
      nodeBudget: 100n * E18,
      evalBudget: 100n * E18,
      queryHash: keccak256(toHex("query")),
      profileHash: keccak256(toHex("profile")),
      nodes: [...nodeList],
      outputHashes: nodeList.map((_, j) => keccak256(toHex(`output-${j}`))),
      ...over,
    };
  }

  /** Creates a task from `requester` and returns its id and committee. */
  async function createTask(requester: Address, s: TaskSpecInput) {
    await stack.poq.write.createTask([s], { account: requester });
    const taskId = await stack.poq.read.taskCount();
    const [members, costs] = await stack.poq.read.getCommittee([taskId]);
    return { taskId, members: [...members], costs: [...costs] };
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

  /** Asserts token conservation: balance == stakes + escrows + claimable + treasury. */
  async function conserved(): Promise<{ balance: bigint; accounted: bigint }> {
    const balance = await stack.token.read.balanceOf([stack.poq.address]);
    const accounted = await stack.poq.read.accountedBalance();
    return { balance, accounted };
  }

  return {
    conn, viem, networkHelpers, publicClient, admin: admin!, chainId, ...stack,
    actor, evaluators, nodes, now, spec, createTask, commitment, commit, reveal, conserved,
  };
}

export interface TaskSpecInput {
  family: number;
  rule: number;
  k: number;
  commitDeadline: number;
  revealDeadline: number;
  nodeBudget: bigint;
  evalBudget: bigint;
  queryHash: Hex;
  profileHash: Hex;
  nodes: Address[];
  outputHashes: Hex[];
}

export function salt(n: number): Hex {
  return keccak256(toHex(`salt-${n}`));
}

export { DEFAULT_PARAMS };
