import type { PublicClient } from "viem";

/**
 * The chain's clock between blocks. A chain that mines only when there are transactions (a
 * local Hardhat node) leaves its latest block's timestamp behind: after ten idle minutes that
 * block is ten minutes old, deadlines computed from it are already past, and deadlines
 * compared with it never come. The pending block carries the time the next block would get
 * (Hardhat includes `evm_increaseTime` offsets; other clients build it from their clock).
 * A node that does not serve a pending block (or serves one that does not follow the latest
 * block) leaves the latest block's time, plus one second for the next block.
 */
export async function chainClock(client: PublicClient): Promise<{ latest: { number: bigint; timestamp: bigint }; next: bigint }> {
  const [latest, pending] = await Promise.all([
    client.getBlock({ blockTag: "latest" }),
    client.getBlock({ blockTag: "pending" }).catch(() => null),
  ]);
  // Only a pending block that follows the latest one counts (viem leaves a pending block's
  // number null on nodes that omit it); anything else reads as "no pending block".
  const follows = pending !== null && (pending.number === null || pending.number === latest.number + 1n);
  const next = follows && pending.timestamp > latest.timestamp ? pending.timestamp : latest.timestamp + 1n;
  return { latest: { number: latest.number, timestamp: latest.timestamp }, next };
}

/** The latest second that has surely passed on chain (deadlines up to it are over). */
export async function chainNow(client: PublicClient): Promise<bigint> {
  return (await chainClock(client)).next - 1n;
}

/** The time a transaction sent now is mined at, at the earliest: the base for new deadlines. */
export async function nextBlockTime(client: PublicClient): Promise<bigint> {
  return (await chainClock(client)).next;
}
