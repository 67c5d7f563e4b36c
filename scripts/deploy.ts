/**
 * Deploys PoQ with Hardhat Ignition and writes deployments/<chainId>.json.
 *
 *   npx tsx scripts/deploy.ts --network localhost     # a running `npm run node:local`
 *   POQ_RPC_URL=... POQ_DEPLOYER_KEY=0x... npx tsx scripts/deploy.ts --network testnet
 *
 * The testnet network reads POQ_RPC_URL and POQ_DEPLOYER_KEY through Hardhat config variables
 * (hardhat.config.ts); nothing is stored.
 */
import { parseArgs } from "node:util";
import { network } from "hardhat";
import { deployPoQ } from "../oracle/contract/deploy.js";
import { createLogger } from "../oracle/core/log.js";

const log = createLogger("deploy");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { network: { type: "string", default: "localhost" }, out: { type: "string" } },
  });
  const conn = await network.create(values.network!);
  const { deployment, file } = await deployPoQ(conn, { outDir: values.out });
  // Printed once, on stdout (the same JSON as the file); the log says only where it went.
  process.stdout.write(`${JSON.stringify(deployment, null, 2)}\n`);
  log.info({ network: values.network, file }, "deployment written");
}

main().catch((err: unknown) => {
  process.stderr.write(`deploy: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
