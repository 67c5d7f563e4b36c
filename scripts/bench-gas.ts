/**
 * Gas benchmark of ProofOfQuality on the in-process Hardhat network.
 *
 *   npm run bench:gas [-- --json FILE]
 *
 * For k in {3,5,7,11,21} evaluators, m in {1,4,8} outputs and every aggregation rule it runs a
 * full v2 task (createTask, drawCommittee, k commits, k reveals, finalize, one evaluator claim)
 * and records the gas of each operation (commit/reveal: the most expensive member), plus an
 * all-in row: (createTask + draw + k commits + k reveals + finalize) / (k m) gas per
 * evaluator-output. Each k runs on a fresh chain with k + 4 registered evaluators after one
 * warm-up task (steady state: evaluators, nodes and the requester have been paid before).
 * Prints tables; --json writes rows { op, k, m, rule, n, gas } and all-in rows { op: "allIn", k,
 * m, rule, n, batch, gasPerEvaluatorOutput } (batch 1: plain calls; 16: sixteen tasks a
 * transaction: one createTasks, one drawCommittees, then one multicall per sender and step); --md writes docs/gas.md. Scale rows: k = 7, m = 4 at n = 10, 100, 1,000 and 10,000
 * registered evaluators (--scale 10,100 and --ks 7,21 for a quicker run), with the registry's own writes
 * (register, addStake, setCost, requestUnbond) at each n.
 * A second section batches n calls of one sender into one `multicall` transaction (how the
 * workers send draws, commits, reveals and finalizations) and reports the gas per call.
 * Machine load does not change gas, and two runs give the same figures: draws are seeded by
 * task id and every chain's clock starts at the same instant (BENCH_EPOCH).
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { encodeFunctionData, getAddress, keccak256, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { commitmentHash, sealedCommitTypedData } from "../oracle/contract/commitment.js";
import { deployLocalStack } from "../oracle/contract/local.js";
import { RULES, RULE_NAMES, Rule } from "../oracle/rules/index.js";

const PROFILE = keccak256(toHex("poq.bench-profile"));

let KS = [3, 5, 7, 11, 21];
const MS = [1, 4, 8];
const E18 = 10n ** 18n;

type Op = "commit" | "reveal" | "finalize" | "createTask" | "drawCommittee" | "claim" | "commitAll" | "finalizeSealed";

/**
 * How the committee commits and reveals: "perMember", a commit and a reveal transaction per
 * member then finalize; "sealed", the sealed round (one commitAll carrying every member's signed
 * commitment, then one finalizeSealed carrying every opening; docs/contract.md, "Sealed round").
 */
type Round = "perMember" | "sealed";

/** Gas of one operation with n registered evaluators. */
interface Row {
  op: Op;
  k: number;
  m: number;
  rule: string;
  /** Registered evaluators. */
  n: number;
  gas: number;
}

/**
 * Gas per evaluator-output of whole tasks: (createTask + drawCommittee + k commits + k reveals
 * + finalize) / (k m), over `batch` tasks whose calls are sent `batch` at a time (one
 * transaction per sender and step: the requester's creates and draws, each member's commits,
 * each member's reveals, the finalizations).
 */
interface AllInRow {
  op: "allIn";
  k: number;
  m: number;
  rule: string;
  n: number;
  batch: number;
  round: Round;
  gasPerEvaluatorOutput: number;
}

/** The in-process chain's per-transaction gas cap (EIP-7825). */
const TX_GAS_CAP = 16_777_216n;
/** Where every benchmark chain's clock starts (2033-05-18, a multiple of one day). */
const BENCH_EPOCH = 2_000_073_600;
/** Tasks a transaction of the batched all-in rows. */
const BATCH = 16;
/**
 * Plain tasks averaged in the rows the targets read (TRUST_WEIGHTED_MEDIAN, and every scale
 * row): a draw's gas depends on its seed (how many proposals it takes), by up to a third.
 */
const REPS = 8;
/** Gas of one registry write with n registered evaluators (the sum trees' updates). */
interface RegistryRow {
  op: "register" | "addStake" | "setCost" | "requestUnbond";
  n: number;
  gas: number;
}

/** Registered evaluators of the scale rows (k = 7, m = 4, TRUST_WEIGHTED_MEDIAN). */
const DEFAULT_SCALE_NS = [10, 100, 1_000, 10_000];
let SCALE_NS = DEFAULT_SCALE_NS;

function addr(n: number): Address {
  return getAddress(`0x${(0x6000_0000n + BigInt(n)).toString(16).padStart(40, "0")}`);
}

/** Deterministic pseudo-random scores: honest members near a per-output truth, member 0 off. */
function scoresFor(k: number, m: number, seed: number): number[][] {
  let x = seed * 2654435761 + 1;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const truth = Array.from({ length: m }, () => 3_000 + Math.floor(rnd() * 6_000));
  return Array.from({ length: k }, (_, i) =>
    truth.map((t) => (i === 0 ? 10_000 - t : Math.min(10_000, Math.max(0, t + Math.floor((rnd() - 0.5) * 1_200))))),
  );
}

/** A fresh in-process chain with the stack deployed, and helpers to fund and register actors. */
async function freshChain() {
  const { viem, networkHelpers } = await network.create();
  // every chain starts at the same instant, at the start of a trust period: draws read the
  // trust of the current period, so a chain started at another phase of the wall clock could
  // cross a period boundary mid-run and draw (and settle) differently
  await networkHelpers.time.increaseTo(BENCH_EPOCH);
  const { poq, token, registry } = await deployLocalStack(viem, { profiles: [PROFILE] });
  // seeds by task id, not by block hash (which moves with the wall clock): every run, and every
  // version of the code, draws the same committees, so the figures compare exactly
  const seeds = await viem.deployContract("TaskSeededRandomness", [keccak256(toHex("poq.bench.gas"))]);
  await poq.write.setRandomnessSource([seeds.address]);
  const publicClient = await viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const gasOf = async (hash: Hex) => Number((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
  const keys = new Map<Address, PrivateKeyAccount>();
  /** Every member's commitment and its signature for a sealed round, and the openings. */
  const sealFor = async (taskId: bigint, members: readonly Address[], scores: number[][], tag: string) => {
    const salts = members.map((_, i) => keccak256(toHex(`seal-${tag}-${taskId}-${i}`)));
    const commitments = members.map((a, i) => commitmentHash({ chainId, contract: poq.address, taskId, evaluator: a, scores: scores[i]!, salt: salts[i]! }));
    const signatures = await Promise.all(
      members.map((a, i) => keys.get(a)!.signTypedData(sealedCommitTypedData({ chainId, contract: poq.address, taskId, commitment: commitments[i]! }))),
    );
    return { commitAll: [taskId, commitments, signatures] as const, finalizeSealed: [taskId, { commitments, scores, salts }] as const };
  };
  const fund = async (a: Address, tokens: bigint) => {
    await networkHelpers.impersonateAccount(a);
    await networkHelpers.setBalance(a, 10n ** 22n);
    if (tokens > 0n) {
      await token.write.mint([a, tokens]);
      await token.write.approve([poq.address, 2n ** 256n - 1n], { account: a });
      await token.write.approve([registry.address, 2n ** 256n - 1n], { account: a });
    }
  };
  /** A funded requester (actor 1), `evaluators` registered evaluators (100..) and `nodes` inference nodes (300..). */
  const populate = async (evaluators: number, nodes: number) => {
    const requester = addr(1);
    await fund(requester, 10n ** 9n * E18);
    const evs: Address[] = [];
    for (let i = 0; i < evaluators; i++) {
      // evaluators hold keys: a sealed round needs each member's signature
      const key = privateKeyToAccount(keccak256(toHex(`poq.bench-evaluator-${i}`)));
      keys.set(key.address, key);
      const a = key.address;
      await networkHelpers.impersonateAccount(a);
      await networkHelpers.setBalance(a, 10n ** 22n);
      await token.write.mint([a, 10_000n * E18]);
      await token.write.approve([registry.address, 2n ** 256n - 1n], { account: a });
      await registry.write.register([1_000n * E18, 1n * E18, [PROFILE]], { account: a });
      evs.push(a);
    }
    await networkHelpers.time.increase(3_600n); // past the activation delay
    const ns: Address[] = [];
    for (let j = 0; j < nodes; j++) {
      const a = addr(300 + j);
      await fund(a, 0n);
      await poq.write.registerNode([addr(400 + j), keccak256(toHex(`model-${j}`))], { account: a });
      ns.push(a);
    }
    return { requester, evaluators: evs, nodes: ns };
  };
  return { poq, registry, publicClient, chainId, gasOf, fund, populate, sealFor };
}

type Chain = Awaited<ReturnType<typeof freshChain>>;

/**
 * Runs `count` whole tasks (k members, m outputs, `rule`) with every step batched: one
 * transaction per sender and step (a plain call when the sender has one call, a multicall
 * otherwise). Returns the total gas of create, draw, commit, reveal and finalize transactions.
 */
async function runBatch(c: Chain, requester: Address, nodes: Address[], k: number, m: number, rule: Rule, count: number, tag: string, round: Round = "perMember"): Promise<number> {
  const { poq, chainId, gasOf } = c;
  const send = async (from: Address | undefined, calls: Hex[], perTx = count) => {
    if (calls.length === 1) {
      const hash = await c.publicClient.request({ method: "eth_sendTransaction", params: [{ from: from ?? requester, to: poq.address, data: calls[0]! }] } as never);
      return gasOf(hash as Hex);
    }
    // an explicit limit (the chain's per-transaction cap): estimates of long multicalls fall
    // short under the 63/64 rule
    let gas = 0;
    for (let i = 0; i < calls.length; i += perTx) {
      gas += await gasOf(await poq.write.multicall([calls.slice(i, i + perTx)], { account: from ?? requester, gas: TX_GAS_CAP }));
    }
    return gas;
  };
  // draws and finalizations of k = 21 committees: 16 of them exceed one transaction's gas cap
  const heavy = k > 11 ? 8 : count;
  const specs = Array.from({ length: count }, (_, t) => taskSpec(rule, k, nodes.slice(0, m), `${tag}-${t}`));
  // the batch entry points: one transaction and one blob for all the tasks (createTasks), and for
  // all the committees of a transaction (drawCommittees)
  let total = await send(requester, [count === 1
    ? encodeFunctionData({ abi: poq.abi, functionName: "createTask", args: [specs[0]!] })
    : encodeFunctionData({ abi: poq.abi, functionName: "createTasks", args: [specs] })]);
  const last = await poq.read.taskCount();
  const ids = Array.from({ length: count }, (_, t) => last - BigInt(count - 1 - t));
  for (let i = 0; i < count; i += heavy) {
    const chunk = ids.slice(i, i + heavy);
    total += await send(requester, [chunk.length === 1
      ? encodeFunctionData({ abi: poq.abi, functionName: "drawCommittee", args: [chunk[0]!] })
      : encodeFunctionData({ abi: poq.abi, functionName: "drawCommittees", args: [chunk] })]);
  }
  if (round === "sealed") {
    // one relayer (here the requester) posts every task's seal, then every task's openings
    const sealed = await Promise.all(ids.map(async (id, t) => c.sealFor(id, (await poq.read.getCommittee([id]))[0], scoresFor(k, m, t + 1), tag)));
    total += await send(requester, sealed.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "commitAll", args: x.commitAll })));
    total += await send(requester, sealed.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "finalizeSealed", args: x.finalizeSealed })), heavy);
    return total;
  }
  const seats = new Map<Address, { id: bigint; scores: number[]; salt: Hex }[]>();
  for (const [t, id] of ids.entries()) {
    const [members] = await poq.read.getCommittee([id]);
    if (members.length !== k) throw new Error(`task ${id} was not drawn`);
    const scores = scoresFor(k, m, t + 1);
    for (const [i, a] of members.entries()) {
      const list = seats.get(a) ?? [];
      list.push({ id, scores: scores[i]!, salt: keccak256(toHex(`salt-${tag}-${id}-${i}`)) });
      seats.set(a, list);
    }
  }
  for (const [a, list] of seats) {
    const calls = list.map((x) =>
      encodeFunctionData({ abi: poq.abi, functionName: "commit", args: [x.id, commitmentHash({ chainId, contract: poq.address, taskId: x.id, evaluator: a, scores: x.scores, salt: x.salt })] }),
    );
    total += await send(a, calls);
  }
  for (const [a, list] of seats) total += await send(a, list.map((x) => encodeFunctionData({ abi: poq.abi, functionName: "reveal", args: [x.id, x.scores, x.salt] })));
  total += await send(undefined, ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "finalize", args: [id] })), heavy);
  return total;
}

/** A v2 TaskSpec with the dev chain's windows. */
function taskSpec(rule: Rule, k: number, nodes: Address[], tag: string) {
  return {
    family: 0,
    rule,
    k,
    commitWindow: 600,
    revealWindow: 600,
    nodeBudget: 100n * E18,
    evalBudget: BigInt(k) * E18,
    queryHash: keccak256(toHex(`q-${tag}`)),
    profileHash: PROFILE,
    refundTo: "0x0000000000000000000000000000000000000000" as Address,
    nodes,
    outputHashes: nodes.map((_, j) => keccak256(toHex(`o-${tag}-${j}`))),
  };
}

async function benchK(k: number, rows: Row[], allIn: AllInRow[]): Promise<void> {
  const chain = await freshChain();
  const { poq, chainId, gasOf, populate } = chain;
  const n = k + 4;
  const { requester, nodes } = await populate(n, 8);

  let serial = 0;
  const runTask = async (m: number, rule: Rule) => {
    const spec = taskSpec(rule, k, nodes.slice(0, m), `${serial}`);
    const createGas = await gasOf(await poq.write.createTask([spec], { account: requester }));
    const taskId = await poq.read.taskCount();
    const drawGas = await gasOf(await poq.write.drawCommittee([taskId], { account: requester }));
    const [members] = await poq.read.getCommittee([taskId]);
    const scores = scoresFor(k, m, ++serial);
    let commitGas = 0;
    let revealGas = 0;
    let total = createGas + drawGas;
    for (let i = 0; i < k; i++) {
      const salt = keccak256(toHex(`salt-${serial}-${i}`));
      const c = commitmentHash({ chainId, contract: poq.address, taskId, evaluator: members[i]!, scores: scores[i]!, salt });
      const g = await gasOf(await poq.write.commit([taskId, c], { account: members[i]! }));
      commitGas = Math.max(commitGas, g);
      total += g;
    }
    for (let i = 0; i < k; i++) {
      const salt = keccak256(toHex(`salt-${serial}-${i}`));
      const g = await gasOf(await poq.write.reveal([taskId, scores[i]!, salt], { account: members[i]! }));
      revealGas = Math.max(revealGas, g);
      total += g;
    }
    const finalizeGas = await gasOf(await poq.write.finalize([taskId]));
    total += finalizeGas;
    // claim by a member that earned a fee (member 0 is the outlier and may earn nothing)
    let claimGas = 0;
    for (const mem of members) {
      if ((await poq.read.claimableOf([mem])) > 0n) {
        claimGas = await gasOf(await poq.write.claim([mem], { account: mem }));
        break;
      }
    }
    if (claimGas === 0) claimGas = await gasOf(await poq.write.claim([requester], { account: requester })); // no fee earned: time the refund claim
    else await poq.write.claim([requester], { account: requester });
    return { createTask: createGas, drawCommittee: drawGas, commit: commitGas, reveal: revealGas, finalize: finalizeGas, claim: claimGas, total };
  };
  /** `reps` tasks of (m, rule): the mean of each operation and of the all-in total. */
  const record = async (m: number, rule: Rule, reps: number) => {
    const runs: Awaited<ReturnType<typeof runTask>>[] = [];
    for (let r = 0; r < reps; r++) runs.push(await runTask(m, rule));
    const mean = (f: (x: (typeof runs)[number]) => number) => Math.round(runs.reduce((a, x) => a + f(x), 0) / runs.length);
    const name = RULE_NAMES[rule];
    for (const op of ["createTask", "drawCommittee", "commit", "reveal", "finalize", "claim"] as const) rows.push({ op, k, m, rule: name, n, gas: mean((x) => x[op]) });
    allIn.push({ op: "allIn", k, m, rule: name, n, batch: 1, round: "perMember", gasPerEvaluatorOutput: Math.round(mean((x) => x.total) / (k * m)) });
  };

  await runTask(8, Rule.MEAN); // warm-up: every account has been credited once
  // the draw's gas depends on the seed (how many proposals it takes): TRUST_WEIGHTED_MEDIAN, the
  // rule of the targets, is the mean of REPS tasks
  for (const m of MS) for (const rule of RULES) await record(m, rule, rule === Rule.TRUST_WEIGHTED_MEDIAN ? REPS : 1);
  for (const m of MS) {
    const rule = Rule.TRUST_WEIGHTED_MEDIAN;
    const total = await runBatch(chain, requester, nodes, k, m, rule, BATCH, `b${k}-${m}`);
    allIn.push({ op: "allIn", k, m, rule: RULE_NAMES[rule], n, batch: BATCH, round: "perMember", gasPerEvaluatorOutput: Math.round(total / (BATCH * k * m)) });
    await runSealed(chain, requester, nodes, k, m, n, `s${k}-${m}`, rows, allIn, REPS);
    const sealed = await runBatch(chain, requester, nodes, k, m, rule, BATCH, `sb${k}-${m}`, "sealed");
    allIn.push({ op: "allIn", k, m, rule: RULE_NAMES[rule], n, batch: BATCH, round: "sealed", gasPerEvaluatorOutput: Math.round(sealed / (BATCH * k * m)) });
  }
}

/**
 * One sealed round (TRUST_WEIGHTED_MEDIAN), plain calls: createTask, drawCommittee, commitAll
 * and finalizeSealed, each sent by one relayer (here the requester). Records the commitAll and
 * finalizeSealed rows and the sealed all-in row (batch 1).
 */
async function runSealed(c: Chain, requester: Address, nodes: Address[], k: number, m: number, n: number, tag: string, rows: Row[], allIn: AllInRow[], reps: number) {
  const { poq, gasOf } = c;
  const rule = Rule.TRUST_WEIGHTED_MEDIAN;
  let commitAllGas = 0;
  let finalizeGas = 0;
  let total = 0;
  for (let r = 0; r < reps; r++) {
    const createGas = await gasOf(await poq.write.createTask([taskSpec(rule, k, nodes.slice(0, m), `${tag}-${r}`)], { account: requester }));
    const taskId = await poq.read.taskCount();
    const drawGas = await gasOf(await poq.write.drawCommittee([taskId], { account: requester }));
    const [members] = await poq.read.getCommittee([taskId]);
    const x = await c.sealFor(taskId, members, scoresFor(k, m, Number(taskId)), tag);
    const a = await gasOf(await poq.write.commitAll(x.commitAll as never, { account: requester }));
    const f = await gasOf(await poq.write.finalizeSealed(x.finalizeSealed as never, { account: requester }));
    commitAllGas += a;
    finalizeGas += f;
    total += createGas + drawGas + a + f;
  }
  const name = RULE_NAMES[rule];
  rows.push({ op: "commitAll", k, m, rule: name, n, gas: Math.round(commitAllGas / reps) });
  rows.push({ op: "finalizeSealed", k, m, rule: name, n, gas: Math.round(finalizeGas / reps) });
  allIn.push({ op: "allIn", k, m, rule: name, n, batch: 1, round: "sealed", gasPerEvaluatorOutput: Math.round(total / reps / (k * m)) });
}

/**
 * k = 7, m = 4, TRUST_WEIGHTED_MEDIAN with n registered evaluators: each operation of one
 * plain task, and the all-in gas unbatched and with BATCH tasks per multicall.
 */
async function benchScale(n: number, rows: Row[], allIn: AllInRow[], regRows: RegistryRow[]): Promise<void> {
  const k = 7;
  const m = 4;
  const rule = Rule.TRUST_WEIGHTED_MEDIAN;
  const name = RULE_NAMES[rule];
  const chain = await freshChain();
  const { poq, chainId, gasOf } = chain;
  const { requester, nodes, evaluators } = await chain.populate(n, m);
  await runBatch(chain, requester, nodes, k, m, rule, 1, `warm-${n}`);
  const sum = { createTask: 0, drawCommittee: 0, commit: 0, reveal: 0, finalize: 0 };
  let total = 0;
  for (let r = 0; r < REPS; r++) {
    const spec = taskSpec(rule, k, nodes, `scale-${n}-${r}`);
    const createGas = await gasOf(await poq.write.createTask([spec], { account: requester }));
    const taskId = await poq.read.taskCount();
    const drawGas = await gasOf(await poq.write.drawCommittee([taskId], { account: requester }));
    const [members] = await poq.read.getCommittee([taskId]);
    const scores = scoresFor(k, m, n + r);
    let commitGas = 0;
    let revealGas = 0;
    total += createGas + drawGas;
    for (const [i, a] of members.entries()) {
      const salt = keccak256(toHex(`scale-salt-${r}-${i}`));
      const c = commitmentHash({ chainId, contract: poq.address, taskId, evaluator: a, scores: scores[i]!, salt });
      const g = await gasOf(await poq.write.commit([taskId, c], { account: a }));
      commitGas = Math.max(commitGas, g);
      total += g;
    }
    for (const [i, a] of members.entries()) {
      const g = await gasOf(await poq.write.reveal([taskId, scores[i]!, keccak256(toHex(`scale-salt-${r}-${i}`))], { account: a }));
      revealGas = Math.max(revealGas, g);
      total += g;
    }
    const finalizeGas = await gasOf(await poq.write.finalize([taskId]));
    total += finalizeGas;
    sum.createTask += createGas;
    sum.drawCommittee += drawGas;
    sum.commit += commitGas;
    sum.reveal += revealGas;
    sum.finalize += finalizeGas;
  }
  for (const op of ["createTask", "drawCommittee", "commit", "reveal", "finalize"] as const) rows.push({ op, k, m, rule: name, n, gas: Math.round(sum[op] / REPS) });
  allIn.push({ op: "allIn", k, m, rule: name, n, batch: 1, round: "perMember", gasPerEvaluatorOutput: Math.round(total / REPS / (k * m)) });
  const batched = await runBatch(chain, requester, nodes, k, m, rule, BATCH, `scale-b-${n}`);
  allIn.push({ op: "allIn", k, m, rule: name, n, batch: BATCH, round: "perMember", gasPerEvaluatorOutput: Math.round(batched / (BATCH * k * m)) });
  await runSealed(chain, requester, nodes, k, m, n, `scale-s-${n}`, rows, allIn, REPS);
  const sealed = await runBatch(chain, requester, nodes, k, m, rule, BATCH, `scale-sb-${n}`, "sealed");
  allIn.push({ op: "allIn", k, m, rule: name, n, batch: BATCH, round: "sealed", gasPerEvaluatorOutput: Math.round(sealed / (BATCH * k * m)) });
  // the registry's writes with n evaluators registered: each moves the sum trees
  const { registry } = chain;
  const newcomer = addr(90_000);
  await chain.fund(newcomer, 10_000n * E18);
  regRows.push({ op: "register", n, gas: await gasOf(await registry.write.register([1_000n * E18, 1n * E18, [PROFILE]], { account: newcomer })) });
  const old = evaluators[Math.floor(n / 2)]!;
  regRows.push({ op: "addStake", n, gas: await gasOf(await registry.write.addStake([500n * E18], { account: old })) });
  regRows.push({ op: "setCost", n, gas: await gasOf(await registry.write.setCost([2n * E18], { account: old })) });
  regRows.push({ op: "requestUnbond", n, gas: await gasOf(await registry.write.requestUnbond([200n * E18], { account: old })) });
}

function registryTable(rows: RegistryRow[]): string {
  const ops: RegistryRow["op"][] = ["register", "addStake", "setCost", "requestUnbond"];
  const lines = [`| n | ${ops.join(" | ")} |`, `|---:|${ops.map(() => "---:").join("|")}|`];
  for (const n of SCALE_NS) lines.push(`| ${fmt(n)} | ${ops.map((op) => fmt(rows.find((r) => r.op === op && r.n === n)?.gas ?? 0)).join(" | ")} |`);
  return lines.join("\n");
}

interface BatchRow {
  op: "drawCommittee" | "commit" | "reveal" | "finalize";
  n: number;
  /** Gas of the transaction: one plain call for n = 1, one multicall otherwise. */
  gas: number;
  perCall: number;
}

/** k = 5 evaluators, m = 4 outputs, TRUST_WEIGHTED_MEDIAN: n tasks' calls of one sender in one transaction. */
async function benchBatched(): Promise<BatchRow[]> {
  const { poq, publicClient, chainId, gasOf, populate } = await freshChain();
  const k = 5;
  const m = 4;
  const { requester, evaluators, nodes } = await populate(k, m);
  const out: BatchRow[] = [];
  let serial = 0;
  const send = async (from: Address | undefined, calls: Hex[], single: () => Promise<Hex>) =>
    gasOf(calls.length === 1 ? await single() : await poq.write.multicall([calls], from ? { account: from } : {}));
  for (const n of [1, 1, 2, 4, 8, 16]) {
    const record = serial > 0; // the first round warms every account up
    const ids: bigint[] = [];
    for (let t = 0; t < n; t++) {
      await poq.write.createTask([taskSpec(Rule.TRUST_WEIGHTED_MEDIAN, k, nodes, `b-${serial}-${t}`)], { account: requester });
      ids.push(await poq.read.taskCount());
    }
    const drawGas = await send(requester, ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "drawCommittee", args: [id] })), () => poq.write.drawCommittee([ids[0]!], { account: requester }));
    const scores = scoresFor(k, m, ++serial);
    const salt = (i: number, id: bigint) => keccak256(toHex(`bsalt-${id}-${i}`));
    const gas = { drawCommittee: drawGas, commit: 0, reveal: 0, finalize: 0 };
    for (const [i, ev] of evaluators.entries()) {
      const c = (id: bigint) => commitmentHash({ chainId, contract: poq.address, taskId: id, evaluator: ev, scores: scores[i]!, salt: salt(i, id) });
      const calls = ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "commit", args: [id, c(id)] }));
      const g = await send(ev, calls, () => poq.write.commit([ids[0]!, c(ids[0]!)], { account: ev }));
      if (i === 1) gas.commit = g; // an honest member (member 0 is the outlier)
    }
    for (const [i, ev] of evaluators.entries()) {
      const calls = ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "reveal", args: [id, scores[i]!, salt(i, id)] }));
      const g = await send(ev, calls, () => poq.write.reveal([ids[0]!, scores[i]!, salt(i, ids[0]!)], { account: ev }));
      if (i === 1) gas.reveal = g;
    }
    gas.finalize = await send(undefined, ids.map((id) => encodeFunctionData({ abi: poq.abi, functionName: "finalize", args: [id] })), () => poq.write.finalize([ids[0]!]));
    if (record) for (const op of ["drawCommittee", "commit", "reveal", "finalize"] as const) out.push({ op, n, gas: gas[op], perCall: Math.round(gas[op] / n) });
  }
  return out;
}

function batchTable(rows: BatchRow[]): string {
  const ns = [...new Set(rows.map((r) => r.n))];
  const lines = ["| calls in the transaction | draw: tx gas / per call | commit: tx gas / per call | reveal: tx gas / per call | finalize: tx gas / per call |", "|---:|---:|---:|---:|---:|"];
  for (const n of ns) {
    const cell = (op: BatchRow["op"]) => {
      const r = rows.find((x) => x.op === op && x.n === n)!;
      return `${r.gas.toLocaleString("en-US")} / ${r.perCall.toLocaleString("en-US")}`;
    };
    lines.push(`| ${n === 1 ? "1 (plain call)" : `${n} (multicall)`} | ${cell("drawCommittee")} | ${cell("commit")} | ${cell("reveal")} | ${cell("finalize")} |`);
  }
  return lines.join("\n");
}

const fmt = (g: number) => g.toLocaleString("en-US");

function table(rows: Row[], allIn: AllInRow[]): string {
  const ops: Op[] = ["createTask", "drawCommittee", "commit", "reveal", "finalize", "claim"];
  const lines = [`| rule | k | m | n | ${ops.join(" | ")} | allIn |`, `|---|---:|---:|---:|${ops.map(() => "---:").join("|")}|---:|`];
  for (const rule of RULES.map((r) => RULE_NAMES[r])) {
    for (const k of KS) {
      for (const m of MS) {
        const n = k + 4;
        const cells = ops.map((op) => rows.find((r) => r.op === op && r.k === k && r.m === m && r.n === n && r.rule === rule)?.gas ?? 0);
        const a = allIn.find((r) => r.k === k && r.m === m && r.n === n && r.rule === rule && r.batch === 1 && r.round === "perMember")?.gasPerEvaluatorOutput ?? 0;
        lines.push(`| ${rule} | ${k} | ${m} | ${n} | ${cells.map(fmt).join(" | ")} | ${fmt(a)} |`);
      }
    }
  }
  return lines.join("\n");
}

/** All-in gas per evaluator-output, unbatched and batched, per (k, m) (TRUST_WEIGHTED_MEDIAN). */
function allInTable(allIn: AllInRow[]): string {
  const rule = "TRUST_WEIGHTED_MEDIAN";
  const lines = [`| k | m | n | per member, batch = 1 | per member, batch = ${BATCH} | sealed, batch = 1 | sealed, batch = ${BATCH} |`, "|---:|---:|---:|---:|---:|---:|---:|"];
  const keys = [...new Set(allIn.filter((r) => r.rule === rule).map((r) => `${r.k}/${r.m}/${r.n}`))];
  for (const key of keys) {
    const [k, m, n] = key.split("/").map(Number) as [number, number, number];
    const cell = (batch: number, round: Round = "perMember") => {
      const r = allIn.find((x) => x.rule === rule && x.k === k && x.m === m && x.n === n && x.batch === batch && x.round === round);
      return r ? fmt(r.gasPerEvaluatorOutput) : "-";
    };
    lines.push(`| ${k} | ${m} | ${n} | ${cell(1)} | ${cell(BATCH)} | ${cell(1, "sealed")} | ${cell(BATCH, "sealed")} |`);
  }
  return lines.join("\n");
}

/** k = 7, m = 4, TRUST_WEIGHTED_MEDIAN against the number of registered evaluators. */
function scaleTable(rows: Row[], allIn: AllInRow[]): string {
  const ops: Op[] = ["createTask", "drawCommittee", "commit", "reveal", "finalize", "commitAll", "finalizeSealed"];
  const lines = [
    `| n | ${ops.join(" | ")} | allIn, batch = 1 | allIn, batch = ${BATCH} | sealed allIn, batch = 1 | sealed allIn, batch = ${BATCH} |`,
    `|---:|${ops.map(() => "---:").join("|")}|---:|---:|---:|---:|`,
  ];
  for (const n of SCALE_NS) {
    const pick = (op: Op) => rows.find((r) => r.op === op && r.k === 7 && r.m === 4 && r.n === n && r.rule === "TRUST_WEIGHTED_MEDIAN")?.gas ?? 0;
    const a = (batch: number, round: Round = "perMember") =>
      allIn.find((r) => r.k === 7 && r.m === 4 && r.n === n && r.rule === "TRUST_WEIGHTED_MEDIAN" && r.batch === batch && r.round === round)?.gasPerEvaluatorOutput ?? 0;
    lines.push(`| ${fmt(n)} | ${ops.map((op) => fmt(pick(op))).join(" | ")} | ${fmt(a(1))} | ${fmt(a(BATCH))} | ${fmt(a(1, "sealed"))} | ${fmt(a(BATCH, "sealed"))} |`);
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { json: { type: "string" }, md: { type: "string" }, scale: { type: "string" }, ks: { type: "string" } } });
  if (values.scale) SCALE_NS = values.scale.split(",").map(Number);
  // --ks 7,21: a quicker run over some committee sizes (the targets need 7 and 21)
  if (values.ks) KS = values.ks.split(",").map(Number);
  const rows: Row[] = [];
  const allIn: AllInRow[] = [];
  const regRows: RegistryRow[] = [];
  for (const k of KS) await benchK(k, rows, allIn);
  for (const n of SCALE_NS) {
    const t0 = Date.now();
    await benchScale(n, rows, allIn, regRows);
    process.stderr.write(`bench-gas: n = ${n} in ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
  process.stdout.write(`${table(rows, allIn)}\n`);
  process.stdout.write(`\nAll-in gas per evaluator-output (TRUST_WEIGHTED_MEDIAN):\n${allInTable(allIn)}\n`);
  process.stdout.write(`\nScale (k=7, m=4, TRUST_WEIGHTED_MEDIAN):\n${scaleTable(rows, allIn)}\n`);
  const batched = await benchBatched();
  process.stdout.write(`\nBatched calls (k=5, m=4, TRUST_WEIGHTED_MEDIAN):\n${batchTable(batched)}\n`);
  process.stdout.write(`\nRegistry writes:\n${registryTable(regRows)}\n`);
  const g = (op: Op, k: number, n = k + 4) =>
    rows.find((r) => r.op === op && r.k === k && r.m === 4 && r.n === n && r.rule === "TRUST_WEIGHTED_MEDIAN")!.gas;
  const a = (batch: number, round: Round = "perMember") =>
    allIn.find((r) => r.k === 7 && r.m === 4 && r.n === 11 && r.rule === "TRUST_WEIGHTED_MEDIAN" && r.batch === batch && r.round === round)!.gasPerEvaluatorOutput;
  const nMax = SCALE_NS[SCALE_NS.length - 1]!;
  const createRatio = g("createTask", 7, nMax) / g("createTask", 7, 100);
  const checks = [
    ["commit k=7 m=4 < 60k", g("commit", 7) < 60_000, g("commit", 7)],
    ["reveal k=7 m=4 < 90k", g("reveal", 7) < 90_000, g("reveal", 7)],
    ["finalize k=7 m=4 TW_MEDIAN < 450k", g("finalize", 7) < 450_000, g("finalize", 7)],
    ["finalize k=21 / k=7 < 3.5", g("finalize", 21) / g("finalize", 7) < 3.5, (g("finalize", 21) / g("finalize", 7)).toFixed(2)],
    [`createTask n=${fmt(nMax)} / n=100 <= 1.5`, createRatio <= 1.5, createRatio.toFixed(2)],
    ["all-in per evaluator-output k=7 m=4, unbatched <= 40k (per-member round)", a(1) <= 40_000, a(1)],
    [`all-in per evaluator-output k=7 m=4, ${BATCH} tasks a transaction <= 25k (per-member round)`, a(BATCH) <= 25_000, a(BATCH)],
    ["all-in per evaluator-output k=7 m=4, unbatched <= 40k (sealed round)", a(1, "sealed") <= 40_000, a(1, "sealed")],
    [`all-in per evaluator-output k=7 m=4, ${BATCH} tasks a transaction <= 25k (sealed round)`, a(BATCH, "sealed") <= 25_000, a(BATCH, "sealed")],
  ] as const;
  process.stdout.write("\nTargets (k=7, m=4, TRUST_WEIGHTED_MEDIAN):\n");
  for (const [name, ok, v] of checks) process.stdout.write(`  ${ok ? "PASS" : "FAIL"}  ${name}: ${v}\n`);
  if (values.json) await writeFile(values.json, `${JSON.stringify({ rows: [...rows, ...allIn, ...regRows], batched }, null, 2)}\n`);
  if (values.md) {
    const md = [
      "# ProofOfQuality gas",
      "",
      "Generated by `npm run bench:gas -- --md docs/gas.md` (in-process Hardhat network, solc 0.8.28,",
      "optimizer 200 runs, the linked libraries TaskSettlement and Sealing 20,000, cancun). Steady state: each k runs on a fresh chain with n = k + 4 registered",
      "evaluators after one warm-up task. commit/reveal: the most expensive committee member.",
      "claim: one evaluator's `claim(to)`. TRUST_WEIGHTED_MEDIAN rows and every scale row are the mean",
      "of 8 tasks (a draw's gas depends on its seed); the other rules', one task. drawCommittee samples over all n evaluators (v2: the",
      "committee is drawn in a later block than createTask). Each task's seed is keccak256(salt, taskId) from a benchmark",
      "randomness source (contracts/test/TaskSeededRandomness.sol) instead of the create block's hash, which moves with the",
      "clock: two runs, or two versions of the code, draw the same committees (before session 13 a rerun moved a draw by up to 20k).",
      "allIn: (createTask + drawCommittee + k commits + k reveals + finalize) / (k m), gas per",
      "evaluator-output; the draw is counted because v2 needs it (v1's createTask drew the committee",
      "itself). Scores: honest members near a per-output truth, one outlier.",
      "",
      "Two ways to run a committee's round are measured. **Per member**: each member sends its own",
      "commit and reveal, then anyone finalizes. **Sealed round**: the members sign their commitments",
      "(EIP-712) and one relayer posts them all with `commitAll`; once every member has shared its",
      "opening, one `finalizeSealed` checks every opening and settles (docs/contract.md, \"Sealed",
      "round\"). sealed allIn = (createTask + drawCommittee + commitAll + finalizeSealed) / (k m). A",
      "sealed round that a member leaves falls back to per-member reveals (`revealSealed`) and",
      "`finalize`, at per-member cost.",
      "",
      "createTask stores two words and writes the task's windows, requester, fee per member, output",
      "nodes and the content hash of its query and output hashes (they are in TaskCreated) once as the",
      "code of a data contract (`contracts/libraries/TaskBlob.sol`, 200 gas a byte instead of 22,100 a",
      "word; the task keeps its blobs' CREATE nonces, not their addresses); the settlement parameters",
      "are a version number. The draw writes the committee (members and voting weights) as a second",
      "blob and a member's word is first written at its commit; a sealed round's seal takes the task's",
      "third word, which its settlement rewrites with the consensus. A batch (`createTasks`,",
      "`drawCommittees`) writes one blob for all its tasks or committees, each task keeping its",
      "record's offset. Finalisation",
      "runs in the linked library TaskSettlement on ProofOfQuality's storage (docs/contract.md,",
      "\"Task storage\"). `npm run bench:gas:profile` splits a sealed task's gas by kind of work and",
      "by contract (docs/gas-profile.md).",
      "",
      "## Targets (k = 7, m = 4, TRUST_WEIGHTED_MEDIAN)",
      "",
      "| target | measured | ok |",
      "|---|---:|:---:|",
      ...checks.map(([name, ok, v]) => `| ${name} | ${typeof v === "number" ? fmt(v) : v} | ${ok ? "yes" : "NO"} |`),
      "",
      "For comparison (figures quoted in issue 13): Chainlink FluxAggregator pays about 94,000 gas",
      "per oracle-value, OCR about 12,000-24,000 by verifying one signed report.",
      "",
      "## Registered evaluators (n)",
      "",
      "k = 7, m = 4, TRUST_WEIGHTED_MEDIAN on a chain with n registered evaluators (each registered",
      "by its own `register` transaction, 1,000 tokens at cost 1, one profile; then one warm-up",
      "task). The draw is O(k log n): each proposal walks one profile's sum tree (log2 of the slot",
      "count, rounded up, nodes read as of the task's creation time), reads the slot's owner, the",
      "owner's state and its trust (each history's latest entry is one storage read), and is accepted",
      "with probability trust / 2^tb (about 0.6 for a new identity at trust 5,000 under the bound",
      "8,192), so a committee of 7 takes about 12 proposals (docs/contract.md, \"Committee draw\").",
      "createTask does not read the registry.",
      "",
      scaleTable(rows, allIn),
      "",
      "### Registry writes (the sum trees' updates)",
      "",
      "Each write pushes the evaluator's state to its activation history and moves its leaf in the",
      "draw tree (up to 14 checkpointed Fenwick nodes), its price bucket (up to 12) and the network",
      "sum, for each profile it serves: register a new evaluator, add stake, change the cost (moves",
      "between price buckets), request a partial unbonding. Finalize moves no tree: it pushes one",
      "checkpoint to the history of each slashed member (docs/contract.md, \"Committee draw\").",
      "",
      registryTable(regRows),
      "",
      "## All-in gas per evaluator-output",
      "",
      `batch = 1: plain calls. batch = ${BATCH}: ${BATCH} tasks whose calls go ${BATCH} at a time, one`,
      "transaction per sender and step: the requester's creates in one `createTasks` and the draws in",
      "one `drawCommittees` (each writes one blob for the whole batch: one CREATE instead of 16), each",
      "member's commits, each member's reveals (or the relayer's `commitAll`s and `finalizeSealed`s)",
      "and the finalizations through OpenZeppelin Multicall; at k = 21 the draws and finalizations go",
      "8 at a time (16 exceed the 16,777,216 transaction gas cap). The same 16 tasks sent as 16",
      "`createTask` and 16 `drawCommittee` calls in multicalls cost about 81,000 gas more a sealed",
      "task (`npm run bench:gas:profile -- --batch 16 --reps 1 --multicall`, docs/gas-profile-batched.md).",
      "",
      allInTable(allIn),
      "",
      "## Batched calls (OpenZeppelin Multicall)",
      "",
      "One sender's calls for n tasks in one `multicall` transaction (k = 5, m = 4,",
      "TRUST_WEIGHTED_MEDIAN; commit and reveal: an honest member; each row on tasks created for it).",
      "The workers send commits, reveals and finalizations this way when several are waiting",
      "(`tx.batchMaxCalls`, `tx.batchLingerMs`). Per-call gas falls because the 21,000-gas",
      "transaction overhead and the calldata of one transaction are shared.",
      "",
      batchTable(batched),
      "",
      "## All rows",
      "",
      table(rows, allIn),
      "",
    ].join("\n");
    await writeFile(values.md, md);
  }
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

await main().catch((e: unknown) => {
  process.stderr.write(`bench-gas: ${(e as { shortMessage?: string }).shortMessage ?? String(e).slice(0, 2_000)}\n${String((e as { details?: string }).details ?? "")}\n`);
  process.exit(1);
});
