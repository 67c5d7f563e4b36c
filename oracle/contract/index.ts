/**
 * The chain boundary for the oracle: typed ABIs (generated), deployment files, the
 * commit-reveal commitment and parameter tuples. Local/test deployment helpers live in
 * ./local.js and ./deploy.js (they import Hardhat, so they are not re-exported here).
 */
export { proofOfQualityAbi, evaluatorRegistryAbi, profileRegistryAbi, timelockAbi, poqTestTokenAbi, randomnessSourceAbi } from "./abi.js";
export {
  deploymentSchema,
  deploymentPath,
  parseDeployment,
  loadDeployment,
  writeDeployment,
  DEFAULT_DEPLOYMENTS_DIR,
  type Deployment,
} from "./deployments.js";
export { commitmentHash } from "./commitment.js";
export { contentHashOf, contentFromLogs, type TaskContent } from "./content.js";
export {
  toGovernanceTuple,
  toStakingTuple,
  fromSettlementTuple,
  type GovernanceParamsTuple,
  type SettlementParamsTuple,
  type StakingParamsTuple,
  type TaskParamsTuple,
} from "./params.js";
