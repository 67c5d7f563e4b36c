/**
 * Deploys the full PoQ stack (test token, randomness source, linked libraries, ProofOfQuality)
 * on a Hardhat network connection: used by contract tests, the gas benchmark and local demos.
 * Public networks use the Ignition module (ignition/modules/PoQ.ts) via scripts/deploy.ts.
 */
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import type { Address } from "viem";
import { DEFAULT_PARAMS, type GovernanceParams } from "../rules/index.js";
import { toGovernanceTuple } from "./params.js";

export interface LocalStackOptions {
  /** Governance parameters (default: DEFAULT_PARAMS). */
  params?: GovernanceParams;
  /** Admin (all roles) and token owner; default: the first wallet. */
  admin?: Address;
  /** Initial token supply minted to the admin (default 1e9 tokens). */
  initialSupply?: bigint;
  /** Use an existing token instead of deploying PoQTestToken (e.g. a malicious test token). */
  tokenAddress?: Address;
}

/** Deploys token (unless given), PrevrandaoRandomness, Settlement + Governance libraries and ProofOfQuality. */
export async function deployLocalStack(viem: HardhatViemHelpers, opts: LocalStackOptions = {}) {
  const [wallet] = await viem.getWalletClients();
  const admin = opts.admin ?? wallet!.account.address;
  const token = opts.tokenAddress
    ? await viem.getContractAt("PoQTestToken", opts.tokenAddress)
    : await viem.deployContract("PoQTestToken", [admin, opts.initialSupply ?? 10n ** 27n]);
  const randomness = await viem.deployContract("PrevrandaoRandomness");
  const settlement = await viem.deployContract("Settlement");
  const governance = await viem.deployContract("Governance");
  const poq = await viem.deployContract(
    "ProofOfQuality",
    [token.address, randomness.address, admin, toGovernanceTuple(opts.params ?? DEFAULT_PARAMS)],
    { libraries: { Settlement: settlement.address, Governance: governance.address } },
  );
  return { token, randomness, settlement, governance, poq };
}

export type LocalStack = Awaited<ReturnType<typeof deployLocalStack>>;
