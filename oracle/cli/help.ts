import type { Command, Help, Option } from "commander";

/** What `--config <file>` takes, the same words on every command. */
export const CONFIG_HELP =
  "JSON config file (else $POQ_CONFIG): rpcUrl, contract, redis {url, prefix}, keys {keystores} (never a private key), content, worker, tx, metrics, logLevel; environment variables override it. Schema: docs/config.schema.json; guide: docs/operations.md#configuration";

/** The environment the CLI reads (oracle/config/load.ts and the key loader), for `--help`. */
export const ENV_HELP = `
Environment (overrides the --config file; flags override both):
  POQ_RPC_URL             JSON-RPC endpoint, http(s):// or ws(s):// (default http://127.0.0.1:8545)
  POQ_CONTRACT            ProofOfQuality address (default: deployments/<chainId>.json)
  POQ_PRIVATE_KEYS        comma-separated 0x private keys that sign (or:)
  POQ_KEYSTORES           comma-separated encrypted keystore files (npx poq keys new|import)
  POQ_KEYSTORE_PASSWORD   their password (else a hidden prompt on a terminal)
  POQ_CONFIG              config file, as --config
  REDIS_URL               redis:// URL of the worker's queue and state (default redis://127.0.0.1:6379)
  POQ_REDIS_PREFIX        prefix of every Redis key (default poq)
  POQ_CONTENT_DIR         content store directory (default .poq/content), or:
  POQ_CONTENT_URL         an HTTP content store
  POQ_PROFILES            comma-separated extra scoring profiles the worker serves
  POQ_WORKER_CONCURRENCY  jobs in flight in one worker (default 64)
  POQ_SCORING_THREADS     onnxruntime threads of the worker's scoring thread
  POQ_CONFIRMATIONS       blocks behind the head before a worker acts on an event (default 2)
  POQ_POLL_INTERVAL_MS    how often a worker polls for events (default 2000)
  POQ_TX_BATCH_MAX_CALLS, POQ_TX_BATCH_LINGER_MS, POQ_TX_LEARN_GAS   transaction batching (docs/operations.md)
  POQ_METRICS_PORT        serve /metrics, /healthz and /readyz on this port
  POQ_MODEL_CACHE         where the built scoring model is cached (default .cache/models)
  POQ_LOG_LEVEL           fatal, error, warn, info (default), debug, trace, silent
  POQ_DEBUG=1             print stack traces with errors (as --debug)
`;

/** Help that marks required options: "(required)" after the description of a requiredOption. */
export function helpConfig(): Partial<Help> {
  return {
    optionDescription(this: Help, option: Option): string {
      // commander's own text (default values, choices), then the mark
      const base = Object.getPrototypeOf(this).optionDescription.call(this, option) as string;
      return option.mandatory ? `${base} (required)` : base;
    },
  };
}

/** Applies the shared help: required options marked, the environment listed after every command's help. */
export function withHelp(program: Command): Command {
  return program.configureHelp(helpConfig()).addHelpText("afterAll", ENV_HELP);
}
