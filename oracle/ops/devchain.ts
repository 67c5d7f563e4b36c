import {
  createWalletClient,
  custom,
  parseEther,
  type Address,
  type Hex,
  type LocalAccount,
  type PublicClient,
  type EIP1193Provider,
} from "viem";
import path from "node:path";
import { loadArtifact } from "../chain/contract.js";
import { DEFAULT_PARAMS } from "../rules/constants.js";
import { PoqError } from "../core/errors.js";

/**
 * Local development chain helpers (demo, tests, benchmark): deploy the PoQ stack, fund and
 * register actors, move time. Works on the in-process Hardhat network and on `hardhat node`.
 */
export interface DevChain {
  client: PublicClient;
  provider: EIP1193Provider;
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
  poq: Address;
  randomness: Address;
  deployBlock: bigint;
}

async function deploy(dc: DevChain, admin: LocalAccount, name: string, file: string, dir: string, args: readonly unknown[], linked = new Map<string, Address>()): Promise<Address> {
  const { abi, bytecode: raw, linkReferences } = loadArtifact(name, file, dir);
  let bytecode = raw;
  // Link external libraries (deployed once per stack, recursively).
  for (const [source, libs] of Object.entries(linkReferences)) {
    for (const [lib, refs] of Object.entries(libs)) {
      const key = `${source}:${lib}`;
      let addr = linked.get(key);
      if (!addr) {
        const rel = source.replace(/^project\//, "");
        addr = await deploy(dc, admin, lib, path.basename(rel), path.dirname(rel), [], linked);
        linked.set(key, addr);
      }
      for (const r of refs) bytecode = (bytecode.slice(0, 2 + r.start * 2) + addr.slice(2).toLowerCase() + bytecode.slice(2 + (r.start + r.length) * 2)) as Hex;
    }
  }
  const { encodeDeployData } = await import("viem");
  const data = encodeDeployData({ abi, bytecode, args } as never);
  const r = await sendAndWait(dc, admin, undefined, undefined, 0n, data);
  return r.contractAddress!;
}

/** Deploys test token, prevrandao randomness and ProofOfQuality with the default parameters. */
export async function deployPoqStack(dc: DevChain, admin: LocalAccount, supply = parseEther("1000000000")): Promise<Deployment> {
  const token = await deploy(dc, admin, "PoQTestToken", "PoQTestToken.sol", "contracts/token", [admin.address, supply]);
  const randomness = await deploy(dc, admin, "PrevrandaoRandomness", "PrevrandaoRandomness.sol", "contracts/randomness", []);
  const p = DEFAULT_PARAMS;
  const poq = await deploy(dc, admin, "ProofOfQuality", "ProofOfQuality.sol", "contracts", [
    token,
    randomness,
    admin.address,
    { minStake: p.minStake, stakeCap: p.stakeCap, unbondingDelay: p.unbondingDelay, settlement: p.settlement },
  ]);
  return { token, poq, randomness, deployBlock: await dc.client.getBlockNumber() };
}

export { modelIdOf } from "../chain/poq.js";
