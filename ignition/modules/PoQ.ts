/**
 * Hardhat Ignition module: PoQTestToken, the Settlement and Governance libraries,
 * ProfileRegistry (with the shipped profiles meant for money registered: `payingProfiles()`,
 * never the uncalibrated profiles/default.json), EvaluatorRegistry,
 * ProofOfQuality, and a PoQTimelock that ends up holding every governance role:
 *
 * - ProofOfQuality: DEFAULT_ADMIN, GOVERNOR (parameters, randomness source), TREASURER
 * - EvaluatorRegistry: DEFAULT_ADMIN, GOVERNOR (staking parameters)
 * - ProfileRegistry: DEFAULT_ADMIN, PROFILE_ADMIN
 *
 * The deployer keeps only PAUSER_ROLE (a guardian that can stop new business at once, never
 * move money) and the timelock's proposer role; executors: anyone. Parameters:
 * `initialSupply`, `timelockDelay` (seconds; default 2 days, 60 s on the dev chain through
 * scripts/deploy.ts), `dev` (true: DEV_PROTOCOL_PARAMS with short clocks).
 *
 *   npx hardhat ignition deploy ignition/modules/PoQ.ts --network localhost
 *
 * (scripts/deploy.ts runs this module and also writes deployments/<chainId>.json.)
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { keccak256, stringToBytes, zeroAddress } from "viem";
import { toGovernanceTuple, toStakingTuple } from "../../oracle/contract/params.js";
import { payingProfiles } from "../../oracle/contract/shipped-profiles.js";
import { DEFAULT_PROTOCOL_PARAMS, DEV_PROTOCOL_PARAMS } from "../../oracle/rules/index.js";

const role = (name: string) => keccak256(stringToBytes(name));
const DEFAULT_ADMIN = `0x${"00".repeat(32)}` as const;
const GOVERNOR = role("GOVERNOR_ROLE");
const TREASURER = role("TREASURER_ROLE");
const PROFILE_ADMIN = role("PROFILE_ADMIN_ROLE");

/** Builds the module for one parameter set (dev chain or public network). */
export function poqModule(id: string, dev: boolean) {
  return buildModule(id, (m) => {
    const params = dev ? DEV_PROTOCOL_PARAMS : DEFAULT_PROTOCOL_PARAMS;
    const admin = m.getAccount(0);
    const initialSupply = m.getParameter("initialSupply", 10n ** 27n);
    const timelockDelay = m.getParameter("timelockDelay", dev ? 60n : 2n * 24n * 3600n);
    const token = m.contract("PoQTestToken", [admin, initialSupply]);
    const settlement = m.library("TaskSettlement");
    const governance = m.library("Governance");
    const sealing = m.library("Sealing");
    const profileRegistry = m.contract("ProfileRegistry", [admin]);
    const registry = m.contract("EvaluatorRegistry", [token, profileRegistry, admin, toStakingTuple(params.staking) as never], {
      libraries: { Governance: governance },
    });
    const proofOfQuality = m.contract(
      "ProofOfQuality",
      [token, registry, profileRegistry, admin, toGovernanceTuple(params.governance) as never],
      { libraries: { TaskSettlement: settlement, Governance: governance, Sealing: sealing } },
    );
    const bound = m.call(registry, "bindSettlement", [proofOfQuality]);
    const registered = payingProfiles().map((p) => m.call(profileRegistry, "register", [p.hash, p.uri], { id: `register_${p.name.replace(/[^A-Za-z0-9_]/g, "_")}` }));

    const timelock = m.contract("PoQTimelock", [timelockDelay, [admin], [zeroAddress]]);
    const handOver = (contract: typeof registry, roles: readonly (readonly [string, `0x${string}`])[], after: unknown[]) => {
      const grants = roles.map(([name, r]) => m.call(contract, "grantRole", [r, timelock], { id: `${contract.contractName}_grant_${name}`, after: after as never }));
      return roles.map(([name, r]) => m.call(contract, "renounceRole", [r, admin], { id: `${contract.contractName}_renounce_${name}`, after: grants }));
    };
    handOver(proofOfQuality as never, [["GOVERNOR", GOVERNOR], ["TREASURER", TREASURER], ["ADMIN", DEFAULT_ADMIN]], []);
    handOver(registry, [["GOVERNOR", GOVERNOR], ["ADMIN", DEFAULT_ADMIN]], [bound]);
    handOver(profileRegistry as never, [["PROFILE_ADMIN", PROFILE_ADMIN], ["ADMIN", DEFAULT_ADMIN]], registered);
    return { token, settlement, governance, sealing, profileRegistry, registry, proofOfQuality, timelock };
  });
}

export default poqModule("PoQ", false);
