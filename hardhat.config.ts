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
 * ProofOfQuality sits at the 24,576-byte code limit: it is optimised for 150 runs (about 280
 * bytes smaller than 200; see docs/gas.md for its figures), everything else for 200.
 */
const small = { ...compiler, settings: { ...compiler.settings, optimizer: { enabled: true, runs: 150 } } };
const overrides = {
  "contracts/ProofOfQuality.sol": small,
  // the Solidity test that deploys it compiles it in its own job
  "test/solidity/Conservation.t.sol": small,
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
