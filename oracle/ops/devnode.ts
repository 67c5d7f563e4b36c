/**
 * Local development network helpers shared by the end-to-end tests and the e2e benchmark:
 * a Hardhat node on loopback, a deployed and populated PoQ stack, task creation.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomUUID } from "node:crypto";
import { createPublicClient, http, parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import { activateRegistrations, deployPoqStack, devChainAt, fund, modelIdOf, type DevChain, type Deployment } from "./devchain.js";
import { MemoryNonceCoordinator } from "../chain/nonce.js";
import { TxSender } from "../chain/tx.js";
import { PoqActions, PoqReader } from "../sdk/index.js";
import { DirContentStore } from "../content/index.js";
import { prepareTask, type TaskLine } from "../sdk/tasks.js";
import { profileHash } from "../scoring/profile.js";
import { payingProfile } from "../scoring/paying-profile.js";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const txCfg = { maxRetries: 3, backoffMs: 100, receiptTimeoutMs: 30_000, feeBumpPercent: 20, maxFeeBumps: 3 };

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
    s.on("error", reject);
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, every = 200): Promise<T> {
  const end = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ""}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * Starts `npx hardhat node` on a free loopback port. `quiet`: turn off the node's console log of every RPC
 * call and transaction (`hardhat_setLoggingEnabled`), work a production node does not do;
 * the benchmark measures the pipeline, not Hardhat's console. `cpus`: run it on these cores
 * only (`taskset -c`, a list such as "0" or "0,1"; Linux).
 */
export async function startHardhatNode(o: { quiet?: boolean; cpus?: string } = {}): Promise<{ url: string; proc: ChildProcess; stop: () => Promise<void> }> {
  const port = await freePort();
  const proc = spawn(...pinned(o.cpus, "npx", ["hardhat", "node", "--hostname", "127.0.0.1", "--port", String(port)]), {
    cwd: root,
    env: { ...process.env, HARDHAT_DISABLE_TELEMETRY: "true" },
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }) });
  await waitFor("hardhat node", async () => (await client.getChainId()) > 0, 90_000, 300);
  if (o.quiet) await client.request({ method: "hardhat_setLoggingEnabled", params: [false] } as never);
  return {
    url,
    proc,
    stop: async () => {
      try {
        process.kill(-proc.pid!, "SIGTERM");
      } catch {
        /* gone */
      }
      await new Promise((r) => setTimeout(r, 200));
    },
  };
}

/** A command line run on the cores `cpus` only (taskset execs the command: the pid is the command's). */
export function pinned(cpus: string | undefined, cmd: string, args: string[]): [string, string[]] {
  return cpus === undefined ? [cmd, args] : ["taskset", ["-c", cpus, cmd, ...args]];
}

export interface Stack {
  dc: DevChain;
  dep: Deployment;
  reader: PoqReader;
  admin: PrivateKeyAccount;
  requester: PrivateKeyAccount;
  requesterKey: `0x${string}`;
  nodes: PrivateKeyAccount[];
  evaluators: PrivateKeyAccount[];
  evaluatorKeys: `0x${string}`[];
  contentDir: string;
  content: DirContentStore;
  actions: (a: PrivateKeyAccount) => PoqActions;
  /** The paying (calibrated) profile: what the evaluators serve and tasks name by default. */
  profileHash: `0x${string}`;
}

/** Models of the inference nodes a stack registers (node `n<i>` serves model i). */
export const DEFAULT_NODE_MODELS = ["gpt4", "chatgpt", "fid"];

/** Deploys and registers one inference node per model (default 3) and `nEval` evaluators on the node at `url`. */
export async function setupStack(url: string, nEval = 5, nodeModels = DEFAULT_NODE_MODELS): Promise<Stack> {
  return setupStackOn(await devChainAt(url), nEval, nodeModels);
}

/**
 * The same on a chain given with its Hardhat viem helpers (`dc.viem`). The evaluators (stake
 * 1000, cost 1, serving the paying profile) are made sampleable by moving the chain's clock
 * past the registry's activation delay.
 */
export async function setupStackOn(dc: DevChain, nEval = 5, nodeModels = DEFAULT_NODE_MODELS): Promise<Stack> {
  const client = dc.client;
  const mk = () => privateKeyToAccount(generatePrivateKey());
  const admin = mk();
  const requesterKey = generatePrivateKey();
  const requester = privateKeyToAccount(requesterKey);
  const nodes = nodeModels.map(() => mk());
  const evaluatorKeys = Array.from({ length: nEval }, () => generatePrivateKey());
  const evaluators = evaluatorKeys.map((k) => privateKeyToAccount(k));
  await fund(dc, [admin, requester, ...nodes, ...evaluators].map((a) => a.address));
  const dep = await deployPoqStack(dc, admin);
  const reader = new PoqReader(client, dep.poq);
  const nonces = new MemoryNonceCoordinator();
  const actions = (a: PrivateKeyAccount) => new PoqActions(reader, new TxSender(client, a, nonces, txCfg));
  const adm = actions(admin);
  await adm.tokenTransfer(requester.address, parseEther("100000"));
  for (const e of evaluators) await adm.tokenTransfer(e.address, parseEther("1000"));
  for (const [i, n] of nodes.entries()) await actions(n).registerNode(n.address, modelIdOf(nodeModels[i]!));
  const paying = profileHash(await payingProfile());
  for (const e of evaluators) await actions(e).registerEvaluator(parseEther("1000"), parseEther("1"), [paying]);
  await activateRegistrations(dc, dep.registry);
  const contentDir = mkdtempSync(path.join(tmpdir(), "poq-e2e-content-"));
  return { dc, dep, reader, admin, requester, requesterKey, nodes, evaluators, evaluatorKeys, contentDir, content: new DirContentStore(contentDir), actions, profileHash: paying };
}

export function qaTask(i: number): TaskLine {
  return {
    id: `t${i}`,
    task: "qa",
    query: `What is ${i} plus ${i}?`,
    references: [`${2 * i}`],
    outputs: [
      { node: "n0", text: `${i} plus ${i} is ${2 * i}.` },
      { node: "n1", text: `${2 * i}` },
      { node: "n2", text: `It is ${2 * i + 1}.` },
    ],
  };
}

/**
 * Creates tasks as a requester would (`poq task create`): k = all evaluators unless given,
 * fee 1 token a member, windows of an hour; then draws their committees (`draw: false` leaves
 * them pending for the workers to draw).
 */
export async function createTasks(
  s: Stack,
  lines: TaskLine[],
  o: { k?: number; commitWindow?: number; revealWindow?: number; profileHash?: `0x${string}`; parallel?: boolean; draw?: boolean } = {},
): Promise<bigint[]> {
  const req = s.actions(s.requester);
  const specs = [];
  for (const line of lines) {
    const spec = await prepareTask(line, s.content, {
      rule: "TRUST_WEIGHTED_MEDIAN",
      k: o.k ?? s.evaluators.length,
      commitWindow: o.commitWindow ?? 3_600,
      revealWindow: o.revealWindow ?? 3_600,
      nodeBudget: parseEther("30"),
      evalBudget: parseEther("1") * BigInt(o.k ?? s.evaluators.length),
      profileHash: o.profileHash ?? s.profileHash,
      nodes: Object.fromEntries(s.nodes.map((n, i) => [`n${i}`, n.address])),
    });
    specs.push(spec);
  }
  let ids: bigint[];
  if (o.parallel) ids = await req.createTasks(specs); // one approval, up to 16 creations a transaction
  else {
    ids = [];
    for (const spec of specs) ids.push(await req.createTask(spec));
  }
  if (o.draw !== false) await req.drawCommittees(ids);
  return ids;
}

export interface WorkerProc {
  proc: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<void>;
}

/**
 * Spawns `poq worker` (bin/poq.mjs on this Node) with the given evaluator keys and environment.
 * Its log (stderr) is collected through a pipe, or with `logFile` written to that file as an
 * operator's would be: then a log line does not wake this process (the benchmark's choice).
 * `cpus`: run it on these cores only (see pinned).
 */
export function spawnWorker(env: Record<string, string>, args: string[] = [], o: { logFile?: string; cpus?: string; nodeArgs?: string[] } = {}): WorkerProc {
  const logFd = o.logFile ? openSync(o.logFile, "w") : undefined;
  const proc = spawn(...pinned(o.cpus, process.execPath, [...(o.nodeArgs ?? []), path.join(root, "bin/poq.mjs"), "worker", "--no-batch", ...args]), {
    cwd: root,
    env: { ...process.env, POQ_LOG_LEVEL: "info", VITEST: "", ...env },
    stdio: ["ignore", "ignore", logFd ?? "pipe"],
  });
  if (logFd !== undefined) closeSync(logFd); // the child holds its own copy
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
    if (err.length > 2_000_000) err = err.slice(-1_000_000);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.on("exit", (code, signal) => r({ code, signal })));
  return {
    proc,
    stderr: () => (o.logFile ? readFileSync(o.logFile, "utf8") : err),
    exited,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
        if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      }
    },
  };
}

/**
 * Environment for a test or benchmark worker. By default BullMQ gives a dead worker's jobs
 * back after 2 s (crash tests); `productionLocks` keeps the worker's defaults (30 s / 15 s).
 */
export function workerEnv(s: Stack, rpcUrl: string, prefix: string, keys: string[], extra: Record<string, string> = {}, o: { productionLocks?: boolean } = {}): Record<string, string> {
  const cfgFile = path.join(s.contentDir, `cfg-${randomUUID().slice(0, 6)}.json`);
  const locks = o.productionLocks ? {} : { lockDurationMs: 2_000, stalledIntervalMs: 1_000 };
  writeFileSync(cfgFile, JSON.stringify({ worker: { ...locks, reorgWindow: 4, autoFinalize: true, attempts: 8 }, tx: txCfg }));
  return {
    POQ_CONFIG: cfgFile,
    POQ_RPC_URL: rpcUrl,
    POQ_CONTRACT: s.dep.poq,
    REDIS_URL,
    POQ_REDIS_PREFIX: prefix,
    POQ_CONTENT_DIR: s.contentDir,
    POQ_PRIVATE_KEYS: keys.join(","),
    POQ_CONFIRMATIONS: "0",
    POQ_POLL_INTERVAL_MS: "200",
    ...extra,
  };
}

export async function committedEvents(s: Stack, taskId?: bigint): Promise<{ taskId: bigint; evaluator: Address }[]> {
  const logs = await s.dc.client.getContractEvents({ address: s.dep.poq, abi: s.reader.abi, eventName: "Committed", fromBlock: 0n } as never);
  return (logs as unknown as { args: { taskId: bigint; evaluator: Address } }[]).map((l) => l.args).filter((a) => taskId === undefined || a.taskId === taskId);
}

export const uniquePrefix = () => `poqtest-${randomUUID().slice(0, 8)}`;

export { runCli } from "./cli-runner.js";
