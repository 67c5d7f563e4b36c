import { z } from "zod";

const hexAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte hex address");

/** Where the operator's evaluator key(s) come from. Never a plaintext key in a file. */
export const keySourceSchema = z
  .object({
    /** Encrypted JSON keystore files (ethers/geth "Web3 Secret Storage" format). */
    keystores: z.array(z.string().min(1)).default([]),
    /** Name of the environment variable holding the keystore password (default POQ_KEYSTORE_PASSWORD). */
    passwordEnv: z.string().min(1).default("POQ_KEYSTORE_PASSWORD"),
    /** Name of the environment variable holding comma-separated 0x private keys (default POQ_PRIVATE_KEYS). */
    privateKeysEnv: z.string().min(1).default("POQ_PRIVATE_KEYS"),
  })
  .strict();

export const contentSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("dir"), dir: z.string().min(1) }).strict(),
  z.object({ kind: z.literal("http"), url: z.url(), timeoutMs: z.number().int().positive().default(10_000) }).strict(),
]);

export const txSchema = z
  .object({
    /** Attempts for a transient RPC failure before giving up. */
    maxRetries: z.number().int().min(0).max(20).default(5),
    /** First backoff delay; doubles each retry. */
    backoffMs: z.number().int().min(1).max(60_000).default(250),
    /** How long to wait for a receipt before bumping the fee of the same nonce. */
    receiptTimeoutMs: z.number().int().min(100).default(30_000),
    /** Fee bump for a replacement (nodes require >= 10%). */
    feeBumpPercent: z.number().int().min(10).max(500).default(20),
    /** Replacements before the transaction is reported stuck. */
    maxFeeBumps: z.number().int().min(0).max(10).default(3),
    /**
     * Most calls one key sends in a single multicall transaction: commits, reveals and
     * finalizations that queue up while the key's previous transaction is in flight go out
     * together. 1 sends every call as its own transaction.
     */
    batchMaxCalls: z.number().int().min(1).max(64).default(16),
    /**
     * How long an idle key's first call waits for others to join its transaction. A commit or
     * reveal window is minutes long; waiting 100 ms lets the calls of the next few scored tasks
     * share a transaction (each call spared saves its 21,000-gas transaction overhead).
     */
    batchLingerMs: z.number().int().min(0).max(10_000).default(100),
    /**
     * Send commits and reveals with a gas limit learnt from earlier receipts instead of an
     * `eth_estimateGas` each (their gas does not vary). The estimate re-executes the call on the
     * node; on a local Hardhat node it was half of the node's CPU per task. The price: a call
     * that reverts is found on chain (its gas is spent), then re-sent with an estimate.
     */
    learnGas: z.boolean().default(true),
  })
  .strict();

export const workerSchema = z
  .object({
    /**
     * Concurrent jobs in one worker process. Scoring runs on its own thread and most of a job
     * is waiting for the chain, so many jobs in flight keep the scoring thread fed and let a
     * key's calls share transactions (bench:e2e, EVOUNA tasks, one process: with 16 the
     * scoring thread was busy 67% of the run, with 64 all of it; 573 -> 641 tasks/min).
     */
    concurrency: z.number().int().min(1).max(256).default(64),
    /**
     * onnxruntime intra-op threads of the worker's scoring thread (default: the encoder's, 2).
     * Several worker processes on one machine: give each about cores / processes.
     */
    scoringThreads: z.number().int().min(1).max(256).optional(),
    /** Blocks behind the head before an event is acted on. */
    confirmations: z.number().int().min(0).max(128).default(2),
    /** Blocks below the cursor re-scanned on every poll (shallow reorgs). */
    reorgWindow: z.number().int().min(0).max(1024).default(12),
    pollIntervalMs: z.number().int().min(10).max(600_000).default(2_000),
    /** Block to start scanning from when no cursor is stored (default: deployment block or 0). */
    startBlock: z.number().int().min(0).optional(),
    /** BullMQ lock duration: a job whose worker died is retried after about this long. */
    lockDurationMs: z.number().int().min(1_000).default(30_000),
    stalledIntervalMs: z.number().int().min(500).default(15_000),
    /** Attempts of one job before it stays in the failed set. */
    attempts: z.number().int().min(1).max(50).default(5),
    /** Also send finalize() for tasks this operator revealed in, once allowed. */
    autoFinalize: z.boolean().default(false),
    /**
     * Draw the committee of every pending task seen (drawCommittee, anyone may), once a block
     * follows the one that created it. Several workers racing for one draw is harmless: the
     * loser's call reverts NotPending before it is sent.
     */
    autoDraw: z.boolean().default(true),
  })
  .strict();

export const configSchema = z
  .object({
    rpcUrl: z.url().default("http://127.0.0.1:8545"),
    /** ProofOfQuality address; default: deployments/<chainId>.json. */
    contract: hexAddress.optional(),
    redis: z
      .object({
        url: z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL").default("redis://127.0.0.1:6379"),
        /** Key prefix for every queue, cursor, nonce and state key. */
        prefix: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only").default("poq"),
      })
      .strict()
      .default({ url: "redis://127.0.0.1:6379", prefix: "poq" }),
    keys: keySourceSchema.default({ keystores: [], passwordEnv: "POQ_KEYSTORE_PASSWORD", privateKeysEnv: "POQ_PRIVATE_KEYS" }),
    content: contentSchema.default({ kind: "dir", dir: ".poq/content" }),
    worker: workerSchema.default(workerSchema.parse({})),
    tx: txSchema.default(txSchema.parse({})),
    /**
     * Scoring profiles the worker serves besides the paying (calibrated) one, which it always
     * loads: JSON files, or the names "calibrated" / "default".
     */
    profiles: z.array(z.string().min(1)).default([]),
    metrics: z
      .object({ port: z.number().int().min(0).max(65535).optional(), host: z.string().default("127.0.0.1") })
      .strict()
      .default({ host: "127.0.0.1" }),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type PoqConfig = z.infer<typeof configSchema>;
export type ContentConfig = z.infer<typeof contentSchema>;
export type TxConfig = z.infer<typeof txSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
