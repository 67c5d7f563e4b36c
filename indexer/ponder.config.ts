/**
 * Ponder configuration of the PoQ indexer. The chain id, the start block and the contract
 * addresses come from deployments/<chainId>.json (scripts/deploy.ts writes it); the ABIs from
 * the generated oracle/contract/abi.ts, so the handlers follow the contracts.
 *
 * Environment: POQ_CHAIN_ID (default 31337), POQ_RPC_URL (default http://127.0.0.1:8545),
 * POQ_DEPLOYMENTS_DIR (default the repository's deployments/), DATABASE_URL (PostgreSQL;
 * PGlite under POQ_PGLITE_DIR or indexer/.ponder/pglite otherwise).
 */
import { createConfig } from "ponder";
import { evaluatorRegistryAbi, profileRegistryAbi, proofOfQualityAbi } from "../oracle/contract/abi.js";
import { loadIndexerSettings } from "./settings.js";

const s = loadIndexerSettings(process.env);

export default createConfig({
  database: s.databaseUrl
    ? { kind: "postgres", connectionString: s.databaseUrl }
    : { kind: "pglite", directory: s.pgliteDir },
  chains: {
    poq: { id: s.deployment.chainId, rpc: s.rpcUrl, pollingInterval: s.pollingMs, ...(s.disableCache ? { disableCache: true } : {}) },
  },
  contracts: {
    ProofOfQuality: { chain: "poq", abi: proofOfQualityAbi, address: s.deployment.proofOfQuality, startBlock: s.deployment.blockNumber },
    EvaluatorRegistry: { chain: "poq", abi: evaluatorRegistryAbi, address: s.deployment.registry, startBlock: s.deployment.blockNumber },
    ProfileRegistry: { chain: "poq", abi: profileRegistryAbi, address: s.deployment.profiles, startBlock: s.deployment.blockNumber },
  },
});
