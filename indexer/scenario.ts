/**
 * Random but reproducible activity on a dev chain (a running `hardhat node`): evaluators,
 * inference nodes and requesters, then rounds of tasks where each committee member reveals
 * honestly, reveals an outlier, abstains, commits without revealing or stays silent (and some
 * tasks' texts are "withheld": every member abstains, the task is void), so finalizations
 * pay, slash and refund; plus claims, node payouts, stake changes, a cancelled and a pending
 * task. The indexer tests, the browser tests, the benchmark and the explorer demo use it.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { encodeFunctionData, keccak256, parseEther, toHex, type Address, type Hex } from "viem";
import { commitmentHash } from "../oracle/contract/commitment.js";
import { deployLocalStack, type LocalStack } from "../oracle/contract/local.js";
import { devChainAt, increaseTime, mine, type DevChain } from "../oracle/ops/devchain.js";
import { Family, Rule } from "../oracle/rules/index.js";

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

export interface Actors {
  admin: Address;
  evaluators: Address[];
  nodes: Address[];
  payouts: Address[];
  requesters: Address[];
  /** A refundTo target some tasks name instead of their requester. */
  refundTarget: Address;
}

export interface World {
  dc: DevChain;
  url: string;
  chainId: number;
  stack: LocalStack;
  actors: Actors;
  profile: Hex;
  deploymentsDir: string;
  deployBlock: bigint;
}

/** Deploys the stack on the node at `url`, writes deployments/<chainId>.json to a temp folder, registers actors. */
export async function setupWorld(url: string, o: { evaluators?: number; nodes?: number } = {}): Promise<World> {
  const dc = await devChainAt(url);
  const viem = dc.viem!;
  const wallets = await viem.getWalletClients();
  const addr = wallets.map((w) => w.account.address);
  const nEval = o.evaluators ?? 7;
  const nNodes = o.nodes ?? 3;
  const deployBlock = await dc.client.getBlockNumber();
  const stack = await deployLocalStack(viem, { initialSupply: parseEther("1000000000") });
  const chainId = await dc.client.getChainId();
  const actors: Actors = {
    admin: addr[0]!,
    evaluators: addr.slice(1, 1 + nEval),
    nodes: addr.slice(1 + nEval, 1 + nEval + nNodes),
    payouts: addr.slice(1 + nEval, 1 + nEval + nNodes).map((_, i) => keccakAddress(`payout-${i}`)),
    requesters: addr.slice(1 + nEval + nNodes, 4 + nEval + nNodes),
    refundTarget: addr[4 + nEval + nNodes]!,
  };
  const profile = stack.profiles[0]!;
  for (const a of [...actors.evaluators, ...actors.requesters]) {
    await stack.token.write.transfer([a, parseEther("1000000")]);
    for (const spender of [stack.poq.address, stack.registry.address]) await stack.token.write.approve([spender, 2n ** 256n - 1n], { account: a });
  }
  for (const e of actors.evaluators) await stack.registry.write.register([parseEther("1000"), parseEther("1"), [profile]], { account: e });
  for (const [i, n] of actors.nodes.entries()) await stack.poq.write.registerNode([actors.payouts[i]!, keccak256(toHex(`model-${i}`))], { account: n });
  const p = await stack.registry.read.params();
  await increaseTime(dc, Number(p.activationDelay) + 1);
  const deploymentsDir = mkdtempSync(path.join(tmpdir(), "poq-indexer-dep-"));
  writeFileSync(
    path.join(deploymentsDir, `${chainId}.json`),
    JSON.stringify({ chainId, proofOfQuality: stack.poq.address, registry: stack.registry.address, profiles: stack.profileRegistry.address, token: stack.token.address, blockNumber: Number(deployBlock) }, null, 2),
  );
  return { dc, url, chainId, stack, actors, profile, deploymentsDir, deployBlock };
}

function keccakAddress(label: string): Address {
  return `0x${keccak256(toHex(label)).slice(26)}` as Address;
}

export interface RoundOptions {
  tasks: number;
  rand: ReturnType<typeof rng>;
  /** Probabilities of a member's behaviour (the rest reveals honestly). */
  outlier?: number;
  commitOnly?: number;
  silent?: number;
  /** Probability that a member abstains (reveals an empty score list). */
  abstain?: number;
  /** Probability that a task's texts are "withheld": every member that acts abstains (the task is void). */
  withheld?: number;
}

type Plan = { taskId: bigint; m: number; truth: number[]; members: Address[] };

/** Creates `tasks` tasks, draws them, lets the committees act, finalizes them. Returns the task ids. */
export async function playRound(w: World, o: RoundOptions): Promise<bigint[]> {
  const { stack, actors, dc } = w;
  const r = o.rand;
  const ids: bigint[] = [];
  const plans: Plan[] = [];
  for (let i = 0; i < o.tasks; i++) {
    const k = r.int(3, 5);
    const m = r.int(1, 3);
    const nodes = Array.from({ length: m }, () => r.pick(actors.nodes));
    const requester = r.pick(actors.requesters);
    await stack.poq.write.createTask(
      [
        {
          family: Family.QA,
          rule: r.pick([Rule.TRUST_WEIGHTED_MEDIAN, Rule.MEDIAN, Rule.TRIMMED_MEAN, Rule.MEAN, Rule.TRUST_WEIGHTED_MEAN]),
          k,
          commitWindow: 60,
          revealWindow: 60,
          nodeBudget: parseEther(String(r.int(5, 50))),
          evalBudget: parseEther(String(2 * k)),
          queryHash: keccak256(toHex(`query-${r.next()}`)),
          profileHash: w.profile,
          refundTo: r.next() < 0.3 ? actors.refundTarget : "0x0000000000000000000000000000000000000000",
          nodes,
          outputHashes: nodes.map(() => keccak256(toHex(`out-${r.next()}`))),
        },
      ],
      { account: requester },
    );
    const taskId = await stack.poq.read.taskCount();
    ids.push(taskId);
    plans.push({ taskId, m, truth: Array.from({ length: m }, () => r.int(2000, 9000)), members: [] });
  }
  await mine(dc);
  for (const p of plans) {
    await stack.poq.write.drawCommittee([p.taskId]);
    const [members] = await stack.poq.read.getCommittee([p.taskId]);
    p.members = [...members];
  }
  const reveals: { p: Plan; ev: Address; scores: number[]; salt: Hex }[] = [];
  for (const p of plans) {
    const withheld = r.next() < (o.withheld ?? 0.08);
    for (const ev of p.members) {
      const x = r.next();
      const silent = o.silent ?? 0.08;
      const commitOnly = o.commitOnly ?? 0.08;
      const outlier = o.outlier ?? 0.12;
      const abstain = o.abstain ?? 0.06;
      if (x < silent) continue;
      const scores =
        withheld || x >= 1 - abstain
          ? [] // an abstention
          : x < silent + outlier
            ? p.truth.map((t) => (t > 5000 ? r.int(0, 1500) : r.int(8500, 10000)))
            : p.truth.map((t) => Math.min(10000, Math.max(0, t + r.int(-300, 300))));
      const salt = keccak256(toHex(`salt-${r.next()}`));
      const c = commitmentHash({ chainId: w.chainId, contract: stack.poq.address, taskId: p.taskId, evaluator: ev, scores, salt });
      await stack.poq.write.commit([p.taskId, c], { account: ev });
      if (x >= silent + outlier && x < silent + outlier + commitOnly) continue;
      reveals.push({ p, ev, scores, salt });
    }
  }
  await increaseTime(dc, 61);
  for (const v of reveals) await stack.poq.write.reveal([v.p.taskId, v.scores, v.salt], { account: v.ev });
  await increaseTime(dc, 61);
  const abi = stack.poq.abi;
  await stack.poq.write.multicall([plans.map((p) => encodeFunctionData({ abi, functionName: "finalize", args: [p.taskId] }))]);
  return ids;
}

/** Random pull payments and stake changes. */
export async function playClaims(w: World, rand: ReturnType<typeof rng>) {
  const { stack, actors } = w;
  for (const a of [...actors.evaluators, ...actors.requesters, actors.refundTarget]) {
    if (rand.next() < 0.4 && (await stack.poq.read.claimableOf([a])) > 0n) {
      await stack.poq.write.claim([rand.next() < 0.5 ? a : actors.refundTarget], { account: a });
    }
  }
  for (const n of actors.nodes) {
    if (rand.next() < 0.5 && (await stack.poq.read.getNode([n])).pending > 0n) await stack.poq.write.claimNode([n]);
  }
  const e = rand.pick(actors.evaluators);
  await stack.registry.write.addStake([parseEther(String(rand.int(1, 50)))], { account: e });
  const u = rand.pick(actors.evaluators);
  const ev = await stack.registry.read.getEvaluator([u]);
  if (ev.registered && ev.stake > parseEther("150")) await stack.registry.write.requestUnbond([parseEther("10")], { account: u });
}

/**
 * Mines `n` empty blocks (evm_mine, one at a time). On a dev chain Ponder backfills up to
 * head - 30 and indexes the last 30 blocks live, one block at a time and much slower: tests
 * and the benchmark mine past that window so every event is in the backfill.
 */
export async function mineEmpty(w: World, n = 31) {
  for (let i = 0; i < n; i++) await mine(w.dc);
}

/** A task whose committee cannot be filled (k above the number of evaluators): cancelled and refunded at the draw. */
export async function cancelledTask(w: World): Promise<bigint> {
  const { stack, actors } = w;
  const k = actors.evaluators.length + 1;
  await stack.poq.write.createTask(
    [
      {
        family: Family.QA,
        rule: Rule.MEDIAN,
        k,
        commitWindow: 60,
        revealWindow: 60,
        nodeBudget: parseEther("7"),
        evalBudget: parseEther(String(2 * k)),
        queryHash: keccak256(toHex("cancelled")),
        profileHash: w.profile,
        refundTo: "0x0000000000000000000000000000000000000000",
        nodes: [actors.nodes[0]!],
        outputHashes: [keccak256(toHex("cancelled-out"))],
      },
    ],
    { account: actors.requesters[0]! },
  );
  const id = await stack.poq.read.taskCount();
  await mine(w.dc);
  await stack.poq.write.drawCommittee([id]);
  return id;
}
