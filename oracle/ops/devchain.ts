import {
  createPublicClient,
  createWalletClient,
  custom,
  http,
  parseEther,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type EIP1193Provider,
} from "viem";
import type { HardhatViemHelpers } from "@nomicfoundation/hardhat-viem/types";
import { PoqError } from "../core/errors.js";
import { evaluatorRegistryAbi } from "../contract/abi.js";
import { deployLocalStack } from "../contract/local.js";

/**
 * Local development chain helpers (demo, tests, benchmark): deploy the PoQ stack, fund and
 * register actors, move time (evm_increaseTime: the registry's activation delay, deadlines).
 * Works on the in-process Hardhat network and on `hardhat node`.
 */
export interface DevChain {
  client: PublicClient;
  provider: EIP1193Provider;
  /** The Hardhat connection's viem helpers (deployment); see devChainAt for a node over HTTP. */
  viem?: HardhatViemHelpers;
}

export async function sendAndWait(dc: DevChain, account: LocalAccount, to: Address | undefined, data: Hex | undefined, value = 0n, deployData?: Hex): Promise<{ hash: Hex; contractAddress?: Address | null }> {
  const wallet = createWalletClient({ account, transport: custom(dc.provider) });
  const chainId = await dc.client.getChainId();
  const chain = { id: chainId, name: "dev", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [] } } } as never;
  const hash = deployData
    ? await wallet.sendTransaction({ chain, data: deployData, value } as never)
    : await wallet.sendTransaction({ chain, to: to!, data, value } as never);
  const r = await dc.client.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (r.status !== "success") throw new PoqError("E_TX", `transaction ${hash} reverted`);
  return { hash, contractAddress: r.contractAddress };
}

export async function fund(dc: DevChain, accounts: Address[], eth = "100"): Promise<void> {
  for (const a of accounts) await dc.provider.request({ method: "hardhat_setBalance" as never, params: [a, `0x${parseEther(eth).toString(16)}`] as never });
}

export async function increaseTime(dc: DevChain, seconds: number): Promise<void> {
  await dc.provider.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await dc.provider.request({ method: "evm_mine" as never, params: [] as never });
}

export async function mine(dc: DevChain): Promise<void> {
  await dc.provider.request({ method: "evm_mine" as never, params: [] as never });
}

export interface Deployment {
  token: Address;
  /** ProofOfQuality */
  poq: Address;
  /** EvaluatorRegistry */
  registry: Address;
  /** ProfileRegistry */
  profiles: Address;
  /** Registered profile hashes (the paying profiles, payingProfiles()). */
  profileHashes: Hex[];
  deployBlock: bigint;
}

/**
 * A dev chain reached over HTTP (a running `hardhat node`): viem clients plus a Hardhat
 * connection to it, whose viem helpers deploy the stack (deployLocalStack).
 */
export async function devChainAt(url: string): Promise<DevChain> {
  const client = createPublicClient({ transport: http(url, { retryCount: 0 }), pollingInterval: 50 }) as PublicClient;
  const { network } = await import("hardhat");
  const conn = await network.create({ network: "localhost", override: { url } });
  return { client, provider: client as unknown as EIP1193Provider, viem: conn.viem };
}

/**
 * Deploys the PoQ stack with deployLocalStack (the contract tests' deployment: token, linked
 * libraries, ProfileRegistry with the paying profiles (never the default one), EvaluatorRegistry bound to
 * ProofOfQuality, DEV_PROTOCOL_PARAMS: activation delay 60 s, windows from 10 s) from the
 * connection's first account, then hands the whole token supply to `funder`, the key that
 * funds the demo's or test's actors.
 */
export async function deployPoqStack(dc: DevChain, funder: LocalAccount, supply = parseEther("1000000000")): Promise<Deployment> {
  if (!dc.viem) throw new PoqError("E_DEVCHAIN", "deployPoqStack needs the chain's Hardhat viem helpers (DevChain.viem): see devChainAt");
  const stack = await deployLocalStack(dc.viem, { initialSupply: supply });
  await stack.token.write.transfer([funder.address, supply]);
  return {
    token: stack.token.address,
    poq: stack.poq.address,
    registry: stack.registry.address,
    profiles: stack.profileRegistry.address,
    profileHashes: stack.profiles,
    deployBlock: await dc.client.getBlockNumber(),
  };
}

/**
 * Moves the chain past the EvaluatorRegistry's activation delay (evm_increaseTime + a block):
 * what was registered or changed so far counts for sampling. Dev chains only.
 */
export async function activateRegistrations(dc: DevChain, registry: Address): Promise<number> {
  const p = (await dc.client.readContract({ address: registry, abi: evaluatorRegistryAbi, functionName: "params" })) as { activationDelay: number };
  const seconds = Number(p.activationDelay) + 1;
  await increaseTime(dc, seconds);
  return seconds;
}

export { modelIdOf } from "../chain/poq.js";
