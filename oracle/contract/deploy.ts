/**
 * The deploy path: runs the Ignition module on a Hardhat network connection and writes
 * deployments/<chainId>.json. scripts/deploy.ts is the CLI around it.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import PoQModule from "../../ignition/modules/PoQ.js";
import { writeDeployment, DEFAULT_DEPLOYMENTS_DIR, type Deployment } from "./deployments.js";

/** Block of the ProofOfQuality deployment from Ignition's journal (persistent networks only). */
async function journalBlock(chainId: number): Promise<number | undefined> {
  const file = path.resolve("ignition/deployments", `chain-${chainId}`, "journal.jsonl");
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (!text) return undefined;
  let block: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.includes("PoQ#ProofOfQuality")) continue;
    const entry = JSON.parse(line) as { futureId?: string; receipt?: { blockNumber?: number } };
    if (entry.futureId === "PoQ#ProofOfQuality" && typeof entry.receipt?.blockNumber === "number") block = entry.receipt.blockNumber;
  }
  return block;
}

/**
 * Deploys (or resumes) the PoQ Ignition module and records the addresses.
 * @param conn a connection with the viem and ignition plugins (hardhat-toolbox-viem)
 * @param outDir where <chainId>.json goes (default: the repository's deployments/)
 */
export async function deployPoQ(
  conn: NetworkConnection,
  opts: { outDir?: string; parameters?: { initialSupply?: bigint } } = {},
): Promise<{ deployment: Deployment; file: string }> {
  const publicClient = await conn.viem.getPublicClient();
  const chainId = await publicClient.getChainId();
  const headBefore = Number(await publicClient.getBlockNumber());
  const parameters = opts.parameters?.initialSupply !== undefined ? { PoQ: { initialSupply: opts.parameters.initialSupply } } : undefined;
  const r = await conn.ignition.deploy(PoQModule, { parameters, displayUi: false });
  const blockNumber = (await journalBlock(chainId)) ?? headBefore;
  const deployment: Deployment = {
    chainId,
    proofOfQuality: r.proofOfQuality.address,
    token: r.token.address,
    blockNumber,
    randomness: r.randomness.address,
    libraries: { Settlement: r.settlement.address, Governance: r.governance.address },
    deployedAt: new Date().toISOString(),
  };
  const file = await writeDeployment(deployment, opts.outDir ?? DEFAULT_DEPLOYMENTS_DIR);
  return { deployment, file };
}
