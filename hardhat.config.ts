import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import { configVariable } from "hardhat/config";
import hardhatToolboxViemPlugin from "@nomicfoundation/hardhat-toolbox-viem";

const require = createRequire(import.meta.url);

/**
 * The compiler comes from the `solc` npm package (soljson), so nothing is downloaded.
 * Keep `version` equal to the installed `solc` package's version.
 */
const solcPath = require.resolve("solc/soljson.js");
const solcVersion: string = require("solc/package.json").version;

const compiler = { version: solcVersion, path: solcPath, settings: { optimizer: { enabled: true, runs: 200 }, viaIR: false } };
/**
 * The linked libraries that run on every settlement (TaskSettlement, Sealing) are far from the
 * 24,576-byte code limit: they are optimised for runtime (20,000 runs, about 3,500 gas less per
 * sealed task; docs/gas.md). ProofOfQuality and EvaluatorRegistry keep 200 (at 2,000 both would
 * exceed the limit).
 */
const runtime = { ...compiler, settings: { ...compiler.settings, optimizer: { enabled: true, runs: 20_000 } } };
const overrides = {
  "contracts/libraries/TaskSettlement.sol": runtime,
  "contracts/libraries/Sealing.sol": runtime,
};

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    profiles: {
      default: { compilers: [compiler], overrides },
      production: { compilers: [compiler], overrides },
    },
  },
  paths: {
    sources: "./contracts",
    tests: { solidity: "./test/solidity" },
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    testnet: {
      type: "http",
      chainType: "l1",
      url: configVariable("POQ_RPC_URL"),
      accounts: [configVariable("POQ_DEPLOYER_KEY")],
    },
  },
};

export default config;
