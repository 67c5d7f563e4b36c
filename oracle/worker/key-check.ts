import type { Address, Hex, PublicClient } from "viem";
import type { Logger } from "pino";
import type { PoqReader } from "../sdk/index.js";

const formatUtc = (ts: bigint) => new Date(Number(ts) * 1000).toISOString().replace("T", " ").slice(0, 19);

export interface KeyReadiness {
  address: Address;
  /** Why the key cannot serve (or cannot serve well) yet; empty when it can. */
  problems: string[];
}

/**
 * What keeps a worker's key from being sampled, from serving what it is sampled for, or from
 * sending its transactions, read from the EvaluatorRegistry: not registered, stake under the
 * minimum, registration or change not effective yet, a profile this worker scores that the key
 * does not declare (never sampled for it), a profile the key declares that this worker cannot
 * score (sampled, then refuses and is slashed as a non-revealer), no ether for gas. A worker
 * with such a key would otherwise run silently.
 * @param profiles hashes of the profiles this worker loads (omit to skip the profile checks)
 */
export async function checkEvaluatorKeys(reader: PoqReader, client: PublicClient, accounts: readonly Address[], profiles?: readonly Hex[]): Promise<KeyReadiness[]> {
  const [params, now] = await Promise.all([reader.stakingParams(), client.getBlock().then((b) => b.timestamp)]);
  const minStake = params.minStake;
  return Promise.all(
    accounts.map(async (address) => {
      const [e, wei] = await Promise.all([reader.getEvaluator(address), client.getBalance({ address })]);
      const problems: string[] = [];
      if (!e.registered) problems.push("not a registered evaluator: never sampled into a committee (poq register evaluator --stake N --cost C [--profile P])");
      else {
        if (e.stake < minStake) problems.push(`stake ${e.stake} is under the minimum ${minStake}: not sampled`);
        else if (e.effectiveStake < minStake && e.pendingAt > now) problems.push(`registration not effective yet: sampled from ${formatUtc(e.pendingAt)} UTC (activation delay)`);
        if (profiles) {
          const declared = new Set(e.profiles.map((p) => p.toLowerCase()));
          const loaded = new Set(profiles.map((p) => p.toLowerCase()));
          const missing = profiles.filter((p) => !declared.has(p.toLowerCase()));
          const unscorable = e.profiles.filter((p) => !loaded.has(p.toLowerCase()));
          if (missing.length) problems.push(`does not serve profile(s) ${missing.join(", ")} that this worker loads: never sampled for their tasks (declare them with poq register evaluator --profile, or setProfiles)`);
          if (unscorable.length) problems.push(`declares profile(s) ${unscorable.join(", ")} that this worker does not load: sampled for their tasks, it would refuse and be slashed (load them with --profile or config "profiles")`);
        }
      }
      if (wei === 0n) problems.push("holds no ether: cannot pay gas for commits and reveals"); // too little for gas shows at the first send
      return { address, problems };
    }),
  );
}

/** Logs one warning per key that cannot serve; returns how many cannot. */
export async function warnUnreadyKeys(reader: PoqReader, client: PublicClient, accounts: readonly Address[], log: Logger, profiles?: readonly Hex[]): Promise<number> {
  const r = await checkEvaluatorKeys(reader, client, accounts, profiles);
  for (const k of r) if (k.problems.length) log.warn({ evaluator: k.address, problems: k.problems }, "key cannot serve yet");
  return r.filter((k) => k.problems.length).length;
}
