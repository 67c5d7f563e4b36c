/**
 * The deploy path: runs the Ignition module on a Hardhat network connection and writes
 * deployments/<chainId>.json. scripts/deploy.ts is the CLI around it.
 */
import { readFile, rename } from "node:fs/promises";
import path from "node:path";
import type { NetworkConnection } from "hardhat/types/network";
import PoQModule, { poqModule } from "../../ignition/modules/PoQ.js";

/** The dev chain's module: same contracts and hand-over, DEV_PROTOCOL_PARAMS (short clocks). */
const PoQDevModule = poqModule("PoQDev", true);
import { writeDeployment, DEFAULT_DEPLOYMENTS_DIR, type Deployment } from "./deployments.js";

/** Block of the ProofOfQuality deployment from Ignition's journal (persistent networks only). */
async function journalBlock(chainId: number): Promise<number | undefined> {
  const file = path.join(journalDir(chainId), "journal.jsonl");
  const text = await readFile(file, "utf8").catch(() => undefined);
  if (!text) return undefined;
  let block: number | undefined;
  for (const line of text.split("\n")) {
    if (!line.includes("#ProofOfQuality")) continue;
    const entry = JSON.parse(line) as { futureId?: string; receipt?: { blockNumber?: number } };
    if (/^PoQ(Dev)?#ProofOfQuality$/.test(entry.futureId ?? "") && typeof entry.receipt?.blockNumber === "number") block = entry.receipt.blockNumber;
  }
  return block;
}

/** Ignition's record of earlier deployments on this chain id. */
const journalDir = (chainId: number, root = process.cwd()) => path.resolve(root, "ignition/deployments", `chain-${chainId}`);

/**
 * Ignition resumes from its journal, keyed by chain id only. A local node restarted from
 * genesis has the same chain id but none of the journal's contracts, and Ignition would report
 * them deployed without sending anything. When the journal's ProofOfQuality has no code on the
 * chain: on the local dev chain (31337) the stale journal is moved aside (its path is
 * returned); on any other chain that is an error, since the journal may be the only record.
 */
export async function checkJournal(chainId: number, hasCode: (a: `0x${string}`) => Promise<boolean>, root = process.cwd()): Promise<string | undefined> {
  const dir = journalDir(chainId, root);
  const text = await readFile(path.join(dir, "deployed_addresses.json"), "utf8").catch(() => undefined);
  const recorded = text ? (JSON.parse(text) as Record<string, `0x${string}`>) : {};
  const poq = recorded["PoQ#ProofOfQuality"] ?? recorded["PoQDev#ProofOfQuality"];
  if (!poq || (await hasCode(poq))) return undefined;
  if (chainId !== 31337)
    throw new Error(`Ignition's journal ${dir} records ProofOfQuality at ${poq}, but chain ${chainId} has no code there; if this chain was reset, move that folder away and deploy again`);
  const aside = `${dir}.stale-${Date.now()}`;
  await rename(dir, aside);
  return aside;
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
  // Ignition keeps a journal only for networks reached over HTTP (the in-process one is ephemeral).
  const stale = conn.networkConfig.type === "http" ? await checkJournal(chainId, async (address) => ((await publicClient.getCode({ address })) ?? "0x") !== "0x") : undefined;
  if (stale) process.stderr.write(`deploy: chain ${chainId} was restarted (the journal's contracts are gone); moved the stale Ignition journal to ${stale}\n`);
  const parameters = opts.parameters?.initialSupply !== undefined ? { PoQ: { initialSupply: opts.parameters.initialSupply } } : undefined;
  // the local dev chain gets short clocks (activation 60 s, windows from 10 s); others the defaults
  const module = chainId === 31337 ? PoQDevModule : PoQModule;
  const r = await conn.ignition.deploy(module, { parameters: parameters && { [module.id]: parameters.PoQ }, displayUi: false });
  // A task stores its blobs' CREATE nonces (TaskBlob.at): ProofOfQuality's own nonce must start
  // at 1 (EIP-161), or every createTask reverts BlobWriteFailed. Say so now, not at the first task.
  const poqNonce = await publicClient.getTransactionCount({ address: r.proofOfQuality.address });
  if (poqNonce < 1)
    throw new Error(`ProofOfQuality at ${r.proofOfQuality.address} has nonce ${poqNonce}: chain ${chainId} does not start contract nonces at 1 (EIP-161), so its task blobs would not land where their nonces say and every createTask would revert BlobWriteFailed`);
  const blockNumber = (await journalBlock(chainId)) ?? headBefore;
  const deployment: Deployment = {
    chainId,
    proofOfQuality: r.proofOfQuality.address,
    registry: r.registry.address,
    profiles: r.profileRegistry.address,
    timelock: r.timelock.address,
    token: r.token.address,
    blockNumber,
    libraries: { TaskSettlement: r.settlement.address, Governance: r.governance.address, Sealing: r.sealing.address },
    deployedAt: new Date().toISOString(),
  };
  const file = await writeDeployment(deployment, opts.outDir ?? DEFAULT_DEPLOYMENTS_DIR);
  return { deployment, file };
}
