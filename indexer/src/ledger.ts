/**
 * Shared bookkeeping of the handlers: the account and totals rows that mirror the settlement
 * contract's claimableOf / refundedOf / totals(), created on first use.
 */
import type { Context } from "ponder:registry";
import { account, totals } from "ponder:schema";

type Db = Context["db"];

export const lower = (a: string) => a.toLowerCase() as `0x${string}`;

export async function touchAccount(db: Db, address: string) {
  return db.insert(account).values({ address: lower(address), claimable: 0n, refunded: 0n, claimed: 0n, escrow: 0n }).onConflictDoNothing();
}

/** Credits `amount` to claimableOf(address) (a refund also to refundedOf). */
export async function credit(db: Db, address: string, amount: bigint, isRefund: boolean) {
  if (amount === 0n) return;
  await touchAccount(db, address);
  await db.update(account, { address: lower(address) }).set((r) => ({
    claimable: r.claimable + amount,
    refunded: isRefund ? r.refunded + amount : r.refunded,
  }));
  await moveTotals(db, { claimable: amount });
}

export async function moveTotals(db: Db, d: Partial<Record<"escrowed" | "claimable" | "treasury" | "burned", bigint>>) {
  await db.insert(totals).values({ id: 1, escrowed: 0n, claimable: 0n, treasury: 0n, burned: 0n }).onConflictDoNothing();
  await db.update(totals, { id: 1 }).set((r) => ({
    escrowed: r.escrowed + (d.escrowed ?? 0n),
    claimable: r.claimable + (d.claimable ?? 0n),
    treasury: r.treasury + (d.treasury ?? 0n),
    burned: r.burned + (d.burned ?? 0n),
  }));
}
