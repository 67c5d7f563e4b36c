/**
 * `npm run demo`: PoQ end to end on a local chain.
 * Deploys the contracts (in-process Hardhat network, or --rpc URL of a running Hardhat
 * node), registers inference nodes and evaluators (some dishonest) serving the paying
 * (calibrated) profile, waits out the registry's activation delay (a time warp on the dev
 * chain), creates tasks from examples/demo-tasks.jsonl paying with that profile, and lets the
 * evaluator worker code draw the committees, score, commit, reveal and finalize them through
 * BullMQ (Redis at REDIS_URL) or, without Redis, the same handlers in-process. Prints
 * per-task consensus, trust over the rounds and payouts; --json writes the run, with one row
 * per output of the final round ({task, node, verdict, consensusBps, paid}).
 */
import { Command } from "commander";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import pino from "pino";
import { createLogger } from "../oracle/core/log.js";
import { tmpdir } from "node:os";
import path from "node:path";
import { formatEther, parseEther, type Address, type EIP1193Provider, type Hex, type PublicClient } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { loadConfig } from "../oracle/config/index.js";
import { DirContentStore } from "../oracle/content/index.js";
import { MemoryNonceCoordinator } from "../oracle/chain/nonce.js";
import { TxSender } from "../oracle/chain/tx.js";
import { activateRegistrations, deployPoqStack, devChainAt, fund, increaseTime, modelIdOf, type DevChain } from "../oracle/ops/devchain.js";
import { PoqReader, PoqActions, type TaskInfo } from "../oracle/sdk/index.js";
import { readTaskFile, prepareTask } from "../oracle/sdk/tasks.js";
import { redisConnection, redisReachable } from "../oracle/queue/redis.js";
import { createWorkerRuntime, type WorkerRuntime } from "../oracle/worker/runtime.js";
import { EngineTaskScorer } from "../oracle/worker/scorer.js";
import { StrategyScorer, parseStrategy, type Strategy } from "../oracle/worker/strategies.js";
import { loadUseLite } from "../oracle/models/index.js";
import { profileHash } from "../oracle/scoring/profile.js";
import { payingProfile } from "../oracle/scoring/paying-profile.js";
import { startHardhatNode } from "../oracle/ops/devnode.js";
import { serveExplorer } from "../indexer/serve.js";

const program = new Command("demo")
  .option("--rpc <url>", "use a running Hardhat node instead of the in-process network")
  .option("--tasks <file>", "task file (JSONL)", "examples/demo-tasks.jsonl")
  .option("--rounds <n>", "rounds of tasks", "3")
  .option("--honest <n>", "honest evaluators", "5")
  .option("--dishonest <list>", "dishonest evaluator strategies (random,inverse,constant,offline)", "random,inverse,constant,offline")
  .option("--k <n>", "committee size", "5")
  .option("--rule <rule>", "aggregation rule", "TRUST_WEIGHTED_MEDIAN")
  .option("--no-redis", "run the job handlers in-process even if Redis answers")
  .option("--json <file>", "write the run as JSON: `outputs` holds one row per output of the final round {task, node, verdict, consensusBps, paid}")
  .option("--explorer", "afterwards keep the chain up with the indexer and web explorer and print its URL (starts a Hardhat node unless --rpc); Ctrl-C stops")
  .option("--explorer-port <n>", "the explorer's port", "42069")
  .option("--log <file>", "the workers' log (pino JSON, POQ_LOG_LEVEL, default warn); summarised at the end", ".poq/demo.log")
  .parse();
const opts = program.opts<{ rpc?: string; tasks: string; rounds: string; honest: string; dishonest: string; k: string; rule: string; redis: boolean; json?: string; log: string; explorer?: boolean; explorerPort: string }>();

// The workers' warnings (the offline evaluator fails every job, by design) go to a file, not
// between the demo's lines; the end of the run counts them.
const logFile = path.resolve(opts.log);
/** Evaluator and node addresses (lower case) to their names in the demo's tables. */
const labels = new Map<string, string>();
mkdirSync(path.dirname(logFile), { recursive: true });
const log = createLogger("demo", process.env.POQ_LOG_LEVEL ?? "warn", pino.destination({ dest: logFile, sync: true, append: false }));
const say = (s = "") => process.stdout.write(s + "\n");
const t0 = Date.now();
const secs = () => ((Date.now() - t0) / 1000).toFixed(1);

/** Counts the log's warnings and errors by message and evaluator (labelled), in order of count. */
function summariseLog(label: Map<string, string>) {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, "utf8").split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as { level: number; msg: string; evaluator?: string; job?: string };
    if (r.level < 40) continue;
    const who = (r.evaluator ?? r.job?.match(/0x[0-9a-fA-F]{40}/)?.[0])?.toLowerCase();
    const key = `${r.level >= 50 ? "error" : "warning"}: ${r.msg}${who ? ` (${label.get(who) ?? who})` : ""}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  say(`\nworker log: ${path.relative(process.cwd(), logFile) || logFile}, ${total} warnings and errors${total ? ":" : ""}`);
  for (const [k, n] of [...counts].sort((a, b) => b[1] - a[1])) say(`  ${String(n).padStart(3)} x ${k}`);
}

function table(rows: (string | number)[][], head: string[]) {
  const all = [head, ...rows].map((r) => r.map(String));
  const w = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => "  " + r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join("  ");
  say(line(all[0]!));
  say("  " + w.map((n) => "-".repeat(n)).join("  "));
  for (const r of all.slice(1)) say(line(r));
}

async function main() {
  // ---------------------------------------------------------------- chain
  let dc: DevChain;
  let mode: string;
  // the explorer's indexer reads the chain over JSON-RPC: --explorer runs the demo on a Hardhat node
  const explorerNode = opts.explorer && !opts.rpc ? await startHardhatNode({ quiet: true }) : undefined;
  if (explorerNode) {
    opts.rpc = explorerNode.url;
    process.on("exit", () => {
      try {
        process.kill(-explorerNode.proc.pid!, "SIGTERM");
      } catch {
        /* gone */
      }
    });
  }
  if (opts.rpc) {
    dc = await devChainAt(opts.rpc);
    mode = `Hardhat node at ${opts.rpc}`;
  } else {
    const { network } = await import("hardhat");
    const conn = await network.create();
    dc = { client: (await conn.viem.getPublicClient()) as unknown as PublicClient, provider: conn.provider as unknown as EIP1193Provider, viem: conn.viem };
    mode = "in-process Hardhat network";
  }
  const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const useRedis = opts.redis && (await redisReachable(redisUrl));
  say(`PoQ demo: ${mode}; jobs ${useRedis ? `through BullMQ on Redis at ${redisUrl}` : opts.redis ? `IN-PROCESS (Redis not reachable at ${redisUrl}; same job handlers, no queue)` : "IN-PROCESS (--no-redis)"}`);

  const mk = () => privateKeyToAccount(generatePrivateKey());
  const admin = mk();
  const requester = mk();
  const nodeNames = ["node-a", "node-b", "node-c", "node-d"];
  const nodeModels = ["gpt4", "chatgpt", "fid", "gpt35"];
  const nodes = nodeNames.map(() => mk());
  const strategies: Strategy[] = [...Array(Number(opts.honest)).fill("honest"), ...opts.dishonest.split(",").filter(Boolean).map(parseStrategy)];
  const evaluators = strategies.map(() => mk());
  await fund(dc, [admin, requester, ...nodes, ...evaluators].map((a) => a.address));

  const dep = await deployPoqStack(dc, admin);
  say(`deployed ProofOfQuality at ${dep.poq}, EvaluatorRegistry at ${dep.registry} (token ${dep.token}) [${secs()} s]`);
  const reader = new PoqReader(dc.client, dep.poq);
  const nonces = new MemoryNonceCoordinator();
  const txCfg = { maxRetries: 3, backoffMs: 100, receiptTimeoutMs: 30_000, feeBumpPercent: 20, maxFeeBumps: 3 };
  const actions = (a: PrivateKeyAccount) => new PoqActions(reader, new TxSender(dc.client, a, nonces, txCfg, log));

  const adminA = actions(admin);
  const stake = parseEther("1000");
  const cost = parseEther("1");
  await adminA.tokenTransfer(requester.address, parseEther("100000"));
  for (const e of evaluators) await adminA.tokenTransfer(e.address, stake);
  for (const [i, n] of nodes.entries()) await actions(n).registerNode(n.address, modelIdOf(nodeModels[i]!));
  // Tasks pay with the calibrated profile; every evaluator declares it (and its workers load it).
  const profile = await payingProfile();
  const pHash = profileHash(profile);
  for (const e of evaluators) await actions(e).registerEvaluator(stake, cost, [pHash]);
  const label = labels;
  evaluators.forEach((e, i) => label.set(e.address.toLowerCase(), `E${i + 1} ${strategies[i]}`));
  nodes.forEach((n, i) => label.set(n.address.toLowerCase(), `${nodeNames[i]} (${nodeModels[i]})`));
  const staking = await reader.stakingParams();
  say(`registered ${nodes.length} inference nodes and ${evaluators.length} evaluators (${strategies.join(", ")}), serving the calibrated profile ${pHash.slice(0, 10)}… [${secs()} s]`);
  const warped = await activateRegistrations(dc, dep.registry);
  say(`advanced chain time ${warped} s: registrations count for sampling after the registry's ${staking.activationDelay} s activation delay`);

  // ---------------------------------------------------------------- workers
  const encoder = await loadUseLite({ intraOpThreads: 1, logger: log });
  const honestScorer = new EngineTaskScorer([profile], encoder);
  const contentDir = mkdtempSync(path.join(tmpdir(), "poq-demo-content-"));
  const content = new DirContentStore(contentDir);
  const runId = Math.random().toString(36).slice(2, 8);
  // One operator runs all honest keys; each dishonest evaluator is its own operator.
  const operators: { keys: PrivateKeyAccount[]; strategy: Strategy }[] = [{ keys: evaluators.filter((_, i) => strategies[i] === "honest"), strategy: "honest" }];
  evaluators.forEach((e, i) => strategies[i] !== "honest" && operators.push({ keys: [e], strategy: strategies[i]! }));
  const runtimes: WorkerRuntime[] = [];
  const redisConns: ReturnType<typeof redisConnection>[] = [];
  for (const [i, op] of operators.entries()) {
    const cfg = loadConfig({
      env: {},
      overrides: {
        redis: { url: redisUrl, prefix: `poq-demo-${runId}-op${i}` },
        // The honest operator draws committees and finalizes (anyone may; one is enough here).
        worker: { confirmations: 0, reorgWindow: 2, pollIntervalMs: 150, concurrency: 4, attempts: 3, autoFinalize: i === 0, autoDraw: i === 0 },
        tx: txCfg,
      },
    });
    const redis = useRedis ? redisConnection(redisUrl) : null;
    if (redis) redisConns.push(redis);
    const rt = await createWorkerRuntime({
      cfg,
      accounts: op.keys,
      scorer: new StrategyScorer(honestScorer, op.strategy),
      redis,
      log,
      client: dc.client,
      contract: dep.poq,
      content,
      autoFinalize: i === 0,
      autoDraw: i === 0,
    });
    rt.service.start();
    runtimes.push(rt);
  }
  say(`started ${operators.length} evaluator operators (worker code, ${useRedis ? "BullMQ" : "in-process jobs"}) [${secs()} s]`);

  // ---------------------------------------------------------------- rounds
  const lines = readTaskFile(opts.tasks);
  const req = actions(requester);
  const k = Number(opts.k);
  const trustHistory: Record<string, number[]> = {};
  const record = async () => {
    for (const e of await reader.getEvaluators()) (trustHistory[e.address.toLowerCase()] ??= []).push(e.trust);
  };
  await record();
  const allTasks: TaskInfo[] = [];
  const commitWindow = 600;
  const revealWindow = 600;
  const nodeBudget = parseEther("40");
  let lastRoundFrom = 0n;
  for (let round = 1; round <= Number(opts.rounds); round++) {
    lastRoundFrom = (await dc.client.getBlockNumber()) + 1n;
    const ids: bigint[] = [];
    for (const line of lines) {
      const spec = await prepareTask(line, content, {
        rule: opts.rule as never,
        k,
        commitWindow,
        revealWindow,
        nodeBudget,
        evalBudget: cost * BigInt(k),
        profileHash: pHash,
        nodes: Object.fromEntries(nodeNames.map((n, i) => [n, nodes[i]!.address])),
      });
      ids.push(await req.createTask(spec));
    }
    // The workers draw each committee in a block after the task's; then score, commit, reveal,
    // finalize. When they are idle (an offline member blocks the early reveal), move time on.
    let last = "";
    let idleSince = Date.now();
    for (;;) {
      const ts = await Promise.all(ids.map((id) => reader.getTask(id)));
      const sig = ts.map((t) => `${t.status}${t.commits}${t.reveals}`).join();
      if (ts.every((t) => t.status === "finalized" || t.status === "cancelled")) {
        allTasks.push(...ts);
        break;
      }
      if (sig !== last) (last = sig), (idleSince = Date.now());
      else if (Date.now() - idleSince > 2500) {
        const pending = ts.filter((t) => t.status === "pending");
        if (pending.length) {
          // nothing was mined after the last creation: the requester draws (anyone may)
          say(`  round ${round}: ${pending.length} committees not drawn yet; the requester draws them`);
          await req.drawCommittees(pending.map((t) => t.taskId));
        } else {
          // Past the latest deadline still ahead (the round's tasks were drawn seconds apart).
          const open = ts.filter((t) => t.status === "open");
          const block = (await dc.client.getBlock()).timestamp;
          const beforeCommit = open.some((t) => block <= t.commitDeadline);
          const max = (xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a));
          const target = beforeCommit ? max(open.filter((t) => block <= t.commitDeadline).map((t) => t.commitDeadline)) : max(open.map((t) => t.revealDeadline));
          const step = Number(target - block) + 1;
          say(`  round ${round}: workers idle, advancing chain time by ${step} s past the ${beforeCommit ? "commit" : "reveal"} deadline`);
          await increaseTime(dc, Math.max(1, step));
        }
        idleSince = Date.now();
      }
      if (Date.now() - t0 > 170_000) throw new Error("demo did not settle in time");
      await new Promise((r) => setTimeout(r, 200));
    }
    await record();
    const cancelled = allTasks.slice(-ids.length).filter((t) => t.status === "cancelled").length;
    const voids = allTasks.slice(-ids.length).filter((t) => t.status === "finalized" && t.consensus.length === 0).length;
    const notes = [cancelled ? `${cancelled} cancelled (no committee)` : "", voids ? `${voids} void (no weighted majority of the revealers agreed)` : ""].filter(Boolean);
    say(`round ${round}: ${ids.length} tasks settled (ids ${ids[0]}..${ids.at(-1)})${notes.length ? `, ${notes.join(", ")}` : ""} [${secs()} s]`);
    if (round < Number(opts.rounds)) {
      // Rounds a trust period apart: sampling and voting weigh the trust each evaluator had when
      // the current trust period began (trust moved by this round's finalizations counts from the
      // next period: nobody can re-roll a visible draw by finalizing other tasks first).
      const period = BigInt(staking.trustPeriod);
      const block = (await dc.client.getBlock()).timestamp;
      const step = Number((block / period + 1n) * period + 1n - block);
      await increaseTime(dc, step);
      say(`  advanced chain time ${step} s to the next trust period: round ${round}'s trust counts for round ${round + 1}'s draws and votes`);
    }
  }

  // ---------------------------------------------------------------- report
  const verdictOf = (line: (typeof lines)[number], j: number) => line.outputs[j]?.verdict ?? "-";
  say("\nPer-task consensus of the last round (basis points under the calibrated profile; node payouts need consensus > 5000):");
  const lastRound = allTasks.slice(-lines.length);
  const rows: (string | number)[][] = [];
  for (const [i, t] of lastRound.entries()) {
    const line = lines[i]!;
    // a void task (no weighted majority of its revealers agreed) has no consensus and pays no node
    const cells = nodeNames.map((_, j) => `${t.consensus.length ? t.consensus[j] : "void"} ${verdictOf(line, j)[0]}`);
    rows.push([`#${t.taskId} ${line.id}`, t.family, ...cells, t.committee.map((c) => label.get(c.toLowerCase())!.split(" ")[0]).join(",")]);
  }
  table(rows, ["task", "family", ...nodeNames, "committee"]);
  say("  (c = correct, w = wrong, g = gibberish: the verdict examples/demo-tasks.jsonl gives each output; void: no weighted majority of the revealers agreed, no node paid)");

  // What each output of the final round was paid, with its verdict.
  const settledLogs = (await dc.client.getContractEvents({ address: dep.poq, abi: reader.abi, eventName: "OutputSettled", fromBlock: lastRoundFrom } as never)) as unknown as {
    args: { taskId: bigint; output: bigint; node: Address; consensus: bigint; pay: bigint };
  }[];
  const payOf = new Map(settledLogs.map((l) => [`${l.args.taskId}:${l.args.output}`, l.args.pay]));
  const outputRows = lastRound.flatMap((t, i) =>
    lines[i]!.outputs.map((o, j) => ({
      task: lines[i]!.id,
      taskId: t.taskId.toString(),
      node: o.node,
      verdict: o.verdict ?? null,
      consensusBps: t.consensus[j] ?? null,
      paid: Number(formatEther(payOf.get(`${t.taskId}:${j}`) ?? 0n)),
    })),
  );
  const byVerdict = new Map<string, { n: number; paid: number; consensus: number }>();
  for (const r of outputRows) {
    const v = byVerdict.get(r.verdict ?? "-") ?? { n: 0, paid: 0, consensus: 0 };
    byVerdict.set(r.verdict ?? "-", { n: v.n + 1, paid: v.paid + r.paid, consensus: v.consensus + (r.consensusBps ?? 0) });
  }
  say(`\nPaid by verdict, last round (node budget ${formatEther(nodeBudget)} a task, ${formatEther(nodeBudget / BigInt(nodeNames.length))} an output at most):`);
  table(
    [...byVerdict].map(([v, x]) => [v, x.n, Math.round(x.consensus / x.n), (x.paid / x.n).toFixed(2), x.paid.toFixed(2)]),
    ["verdict", "outputs", "mean consensus", "mean paid", "total paid"],
  );

  say(`\nEvaluator trust after each round (bps, 10000 = 1.0). New identities start at ${staking.initialTrust}; a rise is capped at +${staking.trustGainPerPeriod} per trust period (${staking.trustPeriod} s of chain time here); a non-revealer loses 20% and part of its stake:`);
  table(
    evaluators.map((e) => {
      const h = trustHistory[e.address.toLowerCase()] ?? [];
      return [label.get(e.address.toLowerCase())!, ...h.map(String)];
    }),
    ["evaluator", ...Array.from({ length: Number(opts.rounds) + 1 }, (_, r) => `r${r}`)],
  );
  const finalTrust = (pred: (s: Strategy) => boolean) => {
    const xs = evaluators.filter((_, i) => pred(strategies[i]!)).map((e) => trustHistory[e.address.toLowerCase()]!.at(-1)!);
    return xs.length ? Math.round(xs.reduce((a, b) => a + b, 0) / xs.length) : NaN;
  };
  say(`  mean trust now: honest ${finalTrust((x) => x === "honest")}, dishonest ${finalTrust((x) => x !== "honest")} (all started at ${staking.initialTrust})`);

  say("\nPayouts, in POQT (the settlement token, whole tokens):");
  const evs = await reader.getEvaluators();
  table(
    evs.map((e) => [label.get(e.address.toLowerCase())!, e.tasksAssigned, e.tasksAssigned - e.tasksMissed, e.tasksMissed, formatEther(e.lifetimeEarned), formatEther(stake - e.stake)]),
    ["evaluator", "assigned", "revealed", "missed", "earned (POQT)", "slashed (POQT)"],
  );
  const nodeInfo = await Promise.all(nodes.map((n) => reader.getNode(n.address)));
  say("");
  table(
    nodeInfo.map((n) => [label.get(n.address.toLowerCase())!, formatEther(n.lifetime), formatEther(n.pending)]),
    ["inference node", "lifetime (POQT)", "claimable (POQT)"],
  );
  const refund = await reader.refundedOf(requester.address);
  const escrowed = allTasks.reduce((a, t) => a + t.nodeBudget + t.evalBudget, 0n);
  say(`\nrequester refunds: ${formatEther(refund)} POQT of ${formatEther(escrowed)} escrowed (claimable with poq claim; protocol fees not refunded)`);
  const totals = await reader.totals();
  say(`contract accounts: escrowed ${formatEther(totals.escrowed)}, claimable ${formatEther(totals.claimable)}, treasury ${formatEther(totals.treasury)}, burned ${formatEther(totals.burned)}`);
  const failed = (await Promise.all(runtimes.map((r) => r.queue.failed()))).flat();
  if (failed.length) say(`failed jobs kept with their reason: ${failed.length} (e.g. ${failed[0]!.id}: ${failed[0]!.reason})`);
  summariseLog(label);
  say(`done: ${allTasks.length} tasks settled in ${secs()} s`);

  if (opts.json)
    writeFileSync(
      opts.json,
      JSON.stringify(
        {
          mode: useRedis ? "bullmq" : "in-process",
          profileHash: pHash,
          rounds: Number(opts.rounds),
          outputs: outputRows,
          tasks: allTasks.map((t) => ({ taskId: t.taskId.toString(), status: t.status, family: t.family, consensus: t.consensus, committee: t.committee.map((c) => label.get(c.toLowerCase())) })),
          trust: Object.fromEntries(evaluators.map((e) => [label.get(e.address.toLowerCase())!, trustHistory[e.address.toLowerCase()]])),
          initialTrust: staking.initialTrust,
          nodes: Object.fromEntries(nodeInfo.map((n) => [label.get(n.address.toLowerCase())!, n.lifetime.toString()])),
          requesterRefunded: refund.toString(),
          seconds: (Date.now() - t0) / 1000,
        },
        null,
        2,
      ),
    );

  for (const r of runtimes) await r.close();
  for (const r of redisConns) {
    const keys = await r.keys(`poq-demo-${runId}-*`);
    for (let i = 0; i < keys.length; i += 500) await r.del(...keys.slice(i, i + 500));
    r.disconnect();
  }
  await encoder.close?.();
  rmSync(contentDir, { recursive: true, force: true });
  if (opts.explorer) await keepExplorer(dc, dep, explorerNode);
}

/** --explorer: indexes the demo's chain and serves the explorer until Ctrl-C. */
async function keepExplorer(dc: DevChain, dep: { poq: Address; registry: Address; profiles: Address; token: Address }, node?: { stop: () => Promise<void> }) {
  const chainId = await dc.client.getChainId();
  const dir = mkdtempSync(path.join(tmpdir(), "poq-demo-deployments-"));
  writeFileSync(path.join(dir, `${chainId}.json`), JSON.stringify({ chainId, proofOfQuality: dep.poq, registry: dep.registry, profiles: dep.profiles, token: dep.token, blockNumber: 0 }));
  say(`\nexplorer: indexing the demo's chain at ${opts.rpc} ...`);
  const ix = await serveExplorer({ rpcUrl: opts.rpc!, port: Number(opts.explorerPort), deploymentsDir: dir });
  say(`explorer: ${ix.url}/  (the chain stays up at ${opts.rpc}; Ctrl-C stops both)`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await ix.stop();
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    try {
      summariseLog(labels); // the workers' side of the story
    } catch {
      process.stderr.write(`worker log: ${logFile}\n`);
    }
    process.exit(1);
  },
);
