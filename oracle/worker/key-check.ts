import type { Address, PublicClient } from "viem";
import type { Logger } from "pino";
import type { PoqReader } from "../sdk/index.js";

export interface KeyReadiness {
  address: Address;
  /** Why the key cannot serve yet; empty when it can. */
  problems: string[];
}

/**
 * What keeps a worker's key from ever being sampled or from sending its transactions: not a
 * registered evaluator, stake under the contract's minimum, no ether for gas. A worker with
 * such a key would otherwise run silently and never commit.
 */
export async function checkEvaluatorKeys(reader: PoqReader, client: PublicClient, accounts: readonly Address[]): Promise<KeyReadiness[]> {
  const minStake = (await reader.read<{ minStake: bigint }>("params")).minStake;
  return Promise.all(
    accounts.map(async (address) => {
      const [e, wei] = await Promise.all([reader.getEvaluator(address), client.getBalance({ address })]);
      const problems: string[] = [];
      if (!e.registered) problems.push("not a registered evaluator: never sampled into a committee (poq register evaluator --stake N --cost C)");
      else if (e.stake < minStake) problems.push(`stake ${e.stake} is under the minimum ${minStake}: not sampled`);
      if (wei === 0n) problems.push("holds no ether: cannot pay gas for commits and reveals"); // too little for gas shows at the first send
      return { address, problems };
    }),
  );
}

/** Logs one warning per key that cannot serve; returns how many cannot. */
export async function warnUnreadyKeys(reader: PoqReader, client: PublicClient, accounts: readonly Address[], log: Logger): Promise<number> {
  const r = await checkEvaluatorKeys(reader, client, accounts);
  for (const k of r) if (k.problems.length) log.warn({ evaluator: k.address, problems: k.problems }, "key cannot serve yet");
  return r.filter((k) => k.problems.length).length;
}
