/**
 * Deploys the full PoQ stack (test token, linked libraries, ProfileRegistry,
 * EvaluatorRegistry, ProofOfQuality) on a Hardhat network connection, binds the registry to
 * ProofOfQuality and registers profiles (by default the paying ones, like the deployment): used by contract tests, the gas benchmark and local
 * demos. The admin keeps every role here (tests change parameters directly); public networks
 * use the Ignition module (ignition/modules/PoQ.ts), which hands them to a TimelockController.
 */
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import type { Address, Hex } from "viem";
import { DEV_PROTOCOL_PARAMS, type ProtocolParams } from "../rules/index.js";
import { toGovernanceTuple, toStakingTuple } from "./params.js";
import { payingProfiles } from "./shipped-profiles.js";

export interface LocalStackOptions {
  /** Protocol parameters (default: DEV_PROTOCOL_PARAMS, the dev chain's short clocks). */
  params?: ProtocolParams;
  /** Admin (all roles) and token owner; default: the first wallet. */
  admin?: Address;
  /** Initial token supply minted to the admin (default 1e9 tokens). */
  initialSupply?: bigint;
  /** Use an existing token instead of deploying PoQTestToken (e.g. a malicious test token). */
  tokenAddress?: Address;
  /** Profile hashes to register (default: the shipped profiles meant for money, `payingProfiles()`; never the default profile). */
  profiles?: readonly Hex[];
}

/** Deploys and wires the stack; returns every contract. */
export async function deployLocalStack(viem: HardhatViemHelpers, opts: LocalStackOptions = {}) {
  const [wallet] = await viem.getWalletClients();
  const admin = opts.admin ?? wallet!.account.address;
  const params = opts.params ?? DEV_PROTOCOL_PARAMS;
  const token = opts.tokenAddress
    ? await viem.getContractAt("PoQTestToken", opts.tokenAddress)
    : await viem.deployContract("PoQTestToken", [admin, opts.initialSupply ?? 10n ** 27n]);
  const settlement = await viem.deployContract("TaskSettlement");
  const governance = await viem.deployContract("Governance");
  const sealing = await viem.deployContract("Sealing");
  const profileRegistry = await viem.deployContract("ProfileRegistry", [admin]);
  const registry = await viem.deployContract(
    "EvaluatorRegistry",
    [token.address, profileRegistry.address, admin, toStakingTuple(params.staking)],
    { libraries: { Governance: governance.address } },
  );
  const poq = await viem.deployContract(
    "ProofOfQuality",
    [token.address, registry.address, profileRegistry.address, admin, toGovernanceTuple(params.governance)],
    { libraries: { TaskSettlement: settlement.address, Governance: governance.address, Sealing: sealing.address } },
  );
  await registry.write.bindSettlement([poq.address]);
  const profiles = opts.profiles ?? payingProfiles().map((p) => p.hash);
  for (const h of profiles) await profileRegistry.write.register([h, `local:${h}`]);
  return { token, settlement, governance, sealing, profileRegistry, registry, poq, profiles: [...profiles] };
}

export type LocalStack = Awaited<ReturnType<typeof deployLocalStack>>;
