/**
 * Hardhat Ignition module: PoQTestToken, PrevrandaoRandomness, the Settlement and Governance
 * libraries and ProofOfQuality (admin = deployer; default governance parameters).
 *
 *   npx hardhat ignition deploy ignition/modules/PoQ.ts --network localhost
 *
 * (scripts/deploy.ts runs this module and also writes deployments/<chainId>.json.)
 */
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { toGovernanceTuple } from "../../oracle/contract/params.js";
import { DEFAULT_PARAMS } from "../../oracle/rules/index.js";

export default buildModule("PoQ", (m) => {
  const admin = m.getAccount(0);
  const initialSupply = m.getParameter("initialSupply", 10n ** 27n);
  const token = m.contract("PoQTestToken", [admin, initialSupply]);
  const randomness = m.contract("PrevrandaoRandomness");
  const settlement = m.library("Settlement");
  const governance = m.library("Governance");
  const proofOfQuality = m.contract("ProofOfQuality", [token, randomness, admin, toGovernanceTuple(DEFAULT_PARAMS) as never], {
    libraries: { Settlement: settlement, Governance: governance },
  });
  return { token, randomness, settlement, governance, proofOfQuality };
});
