import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Abi, Address } from "viem";
import { PoqError } from "../core/errors.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Reads a compiled artifact's ABI + bytecode (run `npx hardhat compile` first). */
export interface Artifact {
  abi: Abi;
  bytecode: `0x${string}`;
  /** source name (e.g. "project/contracts/libraries/Governance.sol") -> library -> byte offsets. */
  linkReferences: Record<string, Record<string, { start: number; length: number }[]>>;
}

export function loadArtifact(name: string, file = `${name}.sol`, dir = "contracts"): Artifact {
  const candidates = [path.join(root, "artifacts", dir, file, `${name}.json`)];
  for (const f of candidates) {
    if (existsSync(f)) {
      const j = JSON.parse(readFileSync(f, "utf8")) as Artifact;
      return { abi: j.abi, bytecode: j.bytecode, linkReferences: j.linkReferences ?? {} };
    }
  }
  throw new PoqError("E_ARTIFACT", `no compiled artifact for ${name} (looked in ${candidates.join(", ")}); run npx hardhat compile`);
}

/** The ProofOfQuality ABI. */
export function poqAbi(): Abi {
  return loadArtifact("ProofOfQuality").abi;
}

/** Address of ProofOfQuality on `chainId` from deployments/<chainId>.json, unless given. */
export function resolvePoqAddress(chainId: number, explicit?: string): Address {
  if (explicit) return explicit as Address;
  const f = path.join(root, "deployments", `${chainId}.json`);
  if (!existsSync(f)) throw new PoqError("E_NO_DEPLOYMENT", `no ProofOfQuality address: set POQ_CONTRACT or deploy (deployments/${chainId}.json missing)`);
  const j = JSON.parse(readFileSync(f, "utf8")) as Record<string, unknown>;
  const c = (j.contracts as Record<string, unknown> | undefined) ?? j;
  const a = (c.ProofOfQuality ?? c.proofOfQuality ?? c.poq) as string | { address: string } | undefined;
  const addr = typeof a === "string" ? a : a?.address;
  if (!addr) throw new PoqError("E_NO_DEPLOYMENT", `deployments/${chainId}.json has no ProofOfQuality address`);
  return addr as Address;
}
