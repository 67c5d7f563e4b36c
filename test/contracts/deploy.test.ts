/** The deploy path (Ignition module + deployments file) and the generated ABI file. */
import { mkdir, mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import hre, { network } from "hardhat";
import { checkJournal, deployPoQ } from "../../oracle/contract/deploy.js";
import { loadDeployment, parseDeployment } from "../../oracle/contract/deployments.js";
import { poqTestTokenAbi, proofOfQualityAbi, randomnessSourceAbi } from "../../oracle/contract/abi.js";
import { renderAbiFile, ABI_FILE } from "../../scripts/export-abi.js";
import { keccak256, toHex, zeroAddress } from "viem";
import { DEV_PROTOCOL_PARAMS, Family, Rule } from "../../oracle/rules/index.js";
import { payingProfiles, shippedProfiles } from "../../oracle/contract/shipped-profiles.js";
import { defaultProfile, profileHash } from "../../oracle/scoring/profile.js";
import { PoqError } from "../../oracle/core/errors.js";

describe("deploy path", () => {
  it("moves aside an Ignition journal whose contracts a restarted local chain lacks; elsewhere refuses; keeps a live one", async () => {
    const root = await mkdtemp(path.join(tmpdir(), "poq-journal-"));
    const journal = async (chainId: number) => {
      const dir = path.join(root, "ignition/deployments", `chain-${chainId}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "deployed_addresses.json"), JSON.stringify({ "PoQDev#ProofOfQuality": "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9" }));
    };
    await journal(31337);
    expect(await checkJournal(31337, async () => true, root)).toBeUndefined(); // the contract is there: Ignition resumes
    expect(await readdir(path.join(root, "ignition/deployments"))).toEqual(["chain-31337"]);
    const aside = await checkJournal(31337, async () => false, root);
    expect(aside).toMatch(/chain-31337\.stale-\d+$/);
    expect(await readdir(path.join(root, "ignition/deployments"))).toEqual([path.basename(aside!)]);
    await journal(11155111);
    await expect(checkJournal(11155111, async () => false, root)).rejects.toThrow(/chain 11155111 has no code there; if this chain was reset, move that folder away/);
    expect(await checkJournal(1, async () => false, root)).toBeUndefined(); // no journal: nothing to check
  });

  it("deploys with Ignition on the in-process network and writes a valid deployments file", async () => {
    const conn = await network.create();
    const dir = await mkdtemp(path.join(tmpdir(), "poq-deploy-"));
    const { deployment, file } = await deployPoQ(conn, { outDir: dir });
    expect(path.basename(file)).toBe(`${deployment.chainId}.json`);
    const loaded = await loadDeployment(deployment.chainId, dir);
    expect(loaded.proofOfQuality).toBe(deployment.proofOfQuality);
    const poq = await conn.viem.getContractAt("ProofOfQuality", loaded.proofOfQuality);
    const registry = await conn.viem.getContractAt("EvaluatorRegistry", loaded.registry);
    const profiles = await conn.viem.getContractAt("ProfileRegistry", loaded.profiles);
    expect((await poq.read.token()).toLowerCase()).toBe(loaded.token.toLowerCase());
    expect((await poq.read.registry()).toLowerCase()).toBe(loaded.registry.toLowerCase());
    expect((await registry.read.settlement()).toLowerCase()).toBe(loaded.proofOfQuality.toLowerCase());
    // the in-process network is chain 31337: the dev parameters (short clocks)
    expect((await poq.read.params()).tasks.minK).toBe(DEV_PROTOCOL_PARAMS.governance.tasks.minK);
    expect((await registry.read.params()).activationDelay).toBe(DEV_PROTOCOL_PARAMS.staking.activationDelay);
    // the profiles meant for money are registered and active; the uncalibrated default is not
    // registered at all (not for money): a task naming it reverts UnknownProfile (attack 9)
    const paying = payingProfiles();
    expect(paying.map((p) => p.name)).toEqual(["calibrated"]);
    for (const p of paying) expect((await profiles.read.getProfile([p.hash])).active).toBe(true);
    const def = shippedProfiles().find((p) => p.name === "default")!;
    expect(def.hash).toBe(profileHash(defaultProfile()));
    expect((await profiles.read.getProfile([def.hash])).registered).toBe(false);
    expect(await profiles.read.profileCount()).toBe(BigInt(paying.length));
    {
      const [w] = await conn.viem.getWalletClients();
      const token = await conn.viem.getContractAt("PoQTestToken", loaded.token);
      await poq.write.registerNode([w!.account.address, keccak256(toHex("model"))]);
      await token.write.approve([poq.address, 2n ** 256n - 1n]);
      const spec = (profileHash: `0x${string}`) => ({
        family: Family.QA, rule: Rule.MEDIAN, k: 3, commitWindow: 60, revealWindow: 60, nodeBudget: 10n * 10n ** 18n, evalBudget: 3n * 10n ** 18n,
        queryHash: keccak256(toHex("q")), profileHash, refundTo: zeroAddress, nodes: [w!.account.address], outputHashes: [keccak256(toHex("o"))],
      });
      await conn.viem.assertions.revertWithCustomErrorWithArgs(poq.write.createTask([spec(def.hash)]), poq, "UnknownProfile", [def.hash]);
      await poq.write.createTask([spec(paying[0]!.hash)]); // the same spec naming the calibrated profile is accepted
      expect(await poq.read.taskCount()).toBe(1n);
    }
    // governance roles sit with the timelock; the deployer keeps only the guardian's pause
    const [admin] = await conn.viem.getWalletClients();
    const me = admin!.account.address;
    const tl = loaded.timelock!;
    const roles = async (c: { read: { hasRole: (a: [`0x${string}`, `0x${string}`]) => Promise<boolean> } }, r: `0x${string}`) => [await c.read.hasRole([r, me]), await c.read.hasRole([r, tl])];
    const DEFAULT_ADMIN = `0x${"00".repeat(32)}` as const;
    expect(await roles(poq, await poq.read.GOVERNOR_ROLE())).toEqual([false, true]);
    expect(await roles(poq, await poq.read.TREASURER_ROLE())).toEqual([false, true]);
    expect(await roles(poq, DEFAULT_ADMIN)).toEqual([false, true]);
    expect(await roles(poq, await poq.read.PAUSER_ROLE())).toEqual([true, false]);
    expect(await roles(registry, await registry.read.GOVERNOR_ROLE())).toEqual([false, true]);
    expect(await roles(registry, DEFAULT_ADMIN)).toEqual([false, true]);
    expect(await roles(profiles, await profiles.read.PROFILE_ADMIN_ROLE())).toEqual([false, true]);
    const timelock = await conn.viem.getContractAt("PoQTimelock", tl);
    expect(await timelock.read.getMinDelay()).toBe(60n);
    const code = await (await conn.viem.getPublicClient()).getCode({ address: loaded.proofOfQuality });
    expect(code && code.length > 2).toBe(true);
  });

  it("rejects malformed deployment files with the field and reason", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "poq-deploy-"));
    await expect(loadDeployment(7, dir)).rejects.toMatchObject({ code: "E_DEPLOYMENT_MISSING" });
    await writeFile(path.join(dir, "7.json"), JSON.stringify({ chainId: 7, proofOfQuality: "0x12", registry: "0x" + "33".repeat(20), profiles: "0x" + "44".repeat(20), token: "0x" + "11".repeat(20), blockNumber: 1 }));
    await expect(loadDeployment(7, dir)).rejects.toThrow(/proofOfQuality/);
    await writeFile(path.join(dir, "7.json"), JSON.stringify({ chainId: 8, proofOfQuality: "0x" + "22".repeat(20), registry: "0x" + "33".repeat(20), profiles: "0x" + "44".repeat(20), token: "0x" + "11".repeat(20), blockNumber: 1 }));
    await expect(loadDeployment(7, dir)).rejects.toThrow(/does not match/);
    expect(() => parseDeployment({ chainId: 1 })).toThrow(PoqError);
  });
});

describe("generated ABI (oracle/contract/abi.ts)", () => {
  it("matches the compiled artifacts (run scripts/export-abi.ts when this fails)", async () => {
    expect(await readFile(ABI_FILE, "utf8")).toBe(await renderAbiFile());
    expect(proofOfQualityAbi).toEqual((await hre.artifacts.readArtifact("ProofOfQuality")).abi);
    expect(poqTestTokenAbi).toEqual((await hre.artifacts.readArtifact("PoQTestToken")).abi);
    expect(randomnessSourceAbi).toEqual((await hre.artifacts.readArtifact("IRandomnessSource")).abi);
  });
});
