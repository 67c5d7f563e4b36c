import type { Address, LocalAccount, PublicClient } from "viem";
import { closeRpcClient, createRpcClient } from "../chain/client.js";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { PoqConfig } from "../config/schema.js";
import { PoqChain } from "../chain/poq.js";
import { poqAbi, resolvePoq } from "../chain/contract.js";
import { MemoryNonceCoordinator, RedisNonceCoordinator } from "../chain/nonce.js";
import { MemoryCursorStore, RedisCursorStore } from "../chain/cursor.js";
import { withRetry } from "../chain/tx.js";
import { PoqError } from "../core/errors.js";
import { createContentStore, type ContentStore } from "../content/store.js";
import { CachedContentStore } from "../content/cache.js";
import { WorkerMetrics } from "../ops/metrics.js";
import { BullJobQueue, InProcessJobQueue, type JobQueue } from "./jobs.js";
import { MemoryStateStore, RedisStateStore, type StateStore } from "./store.js";
import { EvaluatorService } from "./service.js";
import type { TaskScorer } from "./types.js";
import { deploymentNamespace } from "./namespace.js";

export interface RuntimeOptions {
  cfg: PoqConfig;
  accounts: LocalAccount[];
  scorer: TaskScorer;
  /** A Redis connection (BullMQ + state), or null for the in-process fallback. */
  redis: Redis | null;
  /**
   * The connection for worker state, nonces and the cursor (default: `redis`). The worker CLI
   * passes one with ioredis auto-pipelining: commands issued in the same event-loop turn by
   * concurrent jobs go out in one write. BullMQ keeps its own plain connection (auto-pipelining
   * is not supported there).
   */
  stateRedis?: Redis;
  log: Logger;
  metrics?: WorkerMetrics;
  autoFinalize?: boolean;
  /** Draw pending tasks' committees (default: cfg.worker.autoDraw). */
  autoDraw?: boolean;
  /** Inject a client (in-process Hardhat network); default: HTTP to cfg.rpcUrl. */
  client?: PublicClient;
  contract?: Address;
  content?: ContentStore;
  fault?: (point: string) => void;
  /**
   * Retries of the first connection to the RPC (default: cfg.tx.maxRetries). A worker starting
   * under a service manager fails fast on an unreachable RPC instead of backing off for long.
   */
  connectRetries?: number;
}

export interface WorkerRuntime {
  /** Redis namespace of this deployment's worker state: `<prefix>:<chain id>:<genesis>:<contract>`. */
  namespace: string;
  service: EvaluatorService;
  chain: PoqChain;
  queue: JobQueue;
  store: StateStore;
  metrics: WorkerMetrics;
  close(): Promise<void>;
}

/** Wires a worker from configuration: chain port, nonce coordination, queue, state, cursor. */
export async function createWorkerRuntime(o: RuntimeOptions): Promise<WorkerRuntime> {
  const { cfg, log } = o;
  const client = o.client ?? createRpcClient(cfg.rpcUrl);
  const connectTx = o.connectRetries === undefined ? cfg.tx : { ...cfg.tx, maxRetries: Math.min(cfg.tx.maxRetries, o.connectRetries) };
  const chainId = await withRetry(() => client.getChainId(), connectTx, `connect to ${cfg.rpcUrl}`, log);
  // Connected: a client created here is closed here (on a later start-up error or by close()).
  const closeClient = () => (o.client ? Promise.resolve() : closeRpcClient(client));
  try {
    return await wire(o, client, chainId, closeClient);
  } catch (err) {
    await closeClient();
    throw err;
  }
}

async function wire(o: RuntimeOptions, client: PublicClient, chainId: number, closeClient: () => Promise<void>): Promise<WorkerRuntime> {
  const { cfg, log } = o;
  if (chainId === 31337 && cfg.worker.confirmations > 0)
    log.warn({ chainId, confirmations: cfg.worker.confirmations }, "chain 31337 is a local dev chain, which may mine only on transactions: a task waits for this many later blocks before it is acted on; set POQ_CONFIRMATIONS=0 unless the chain mines on a timer");
  const resolved = o.contract ? { address: o.contract, startBlock: undefined } : await resolvePoq(chainId, cfg.contract);
  const address = resolved.address;
  // A wrong address (another chain's deployment, a typo) would be watched forever for events
  // that never come: refuse to start.
  const code = await withRetry(() => client.getCode({ address }), cfg.tx, `read the code at ${address}`, log);
  if (!code || code === "0x")
    throw new PoqError("E_NO_CONTRACT", `no contract at ${address} on chain ${chainId} (${cfg.rpcUrl}): check POQ_CONTRACT, the config file's "contract", or deployments/${chainId}.json`);
  const metrics = o.metrics ?? new WorkerMetrics(true);
  // Queues, records, cursor and nonces live under the deployment's own namespace (see deploymentNamespace).
  const prefix = await deploymentNamespace(client, cfg.redis.prefix, chainId, address, cfg.tx);
  const stateRedis = o.redis ? (o.stateRedis ?? o.redis) : null;
  const nonces = stateRedis ? new RedisNonceCoordinator(stateRedis, prefix) : new MemoryNonceCoordinator();
  const chain = new PoqChain({ client, address, abi: poqAbi(), accounts: o.accounts, nonces, tx: cfg.tx, log });
  const onFailed = (stage: string, code: string) => metrics.failures.inc({ stage, code });
  const queue: JobQueue = o.redis
    ? new BullJobQueue({
        connection: o.redis,
        prefix,
        concurrency: cfg.worker.concurrency,
        attempts: cfg.worker.attempts,
        lockDurationMs: cfg.worker.lockDurationMs,
        stalledIntervalMs: cfg.worker.stalledIntervalMs,
        log,
        onFailed,
      })
    : new InProcessJobQueue({ concurrency: cfg.worker.concurrency, attempts: cfg.worker.attempts, log, onFailed });
  const store: StateStore = stateRedis ? new RedisStateStore(stateRedis, prefix) : new MemoryStateStore();
  const cursor = stateRedis ? new RedisCursorStore(stateRedis, `${prefix}:cursor`) : new MemoryCursorStore();
  const service = new EvaluatorService({
    chain,
    queue,
    store,
    cursor,
    content: new CachedContentStore(o.content ?? createContentStore(cfg.content)),
    scorer: o.scorer,
    metrics,
    log,
    confirmations: cfg.worker.confirmations,
    reorgWindow: cfg.worker.reorgWindow,
    startBlock: BigInt(cfg.worker.startBlock ?? resolved.startBlock ?? 0),
    pollIntervalMs: cfg.worker.pollIntervalMs,
    autoFinalize: o.autoFinalize ?? cfg.worker.autoFinalize,
    autoDraw: o.autoDraw ?? cfg.worker.autoDraw,
    fault: o.fault,
  });
  return {
    namespace: prefix,
    service,
    chain,
    queue,
    store,
    metrics,
    close: async () => {
      await service.stop();
      await closeClient();
    },
  };
}
