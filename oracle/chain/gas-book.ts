/**
 * Gas limits learnt from receipts, per gas key (a function, or a function and the shape of its
 * task): the most gas one call has used (a lone call's receipt includes the 21,000 base cost;
 * a batch's is shared out evenly, so the figure only errs high for larger batches). The limit
 * for n calls is 1.5x their figures' sum plus 30,000.
 *
 * Why: `eth_estimateGas` executes the call on the node (Hardhat's EDR searches for the limit,
 * executing it several times), and the transaction executes it again. On a local node the
 * estimates were about half of the node's CPU per settled task, finalize's most of all. A
 * transaction sent without one can fail on chain (a revert, or out of gas): its gas is then
 * spent and its calls are re-sent with estimates, so each caller gets its decoded error.
 */
export class GasBook {
  private perCall = new Map<string, bigint>();

  /** The limit for calls of these keys, or undefined when any key is unknown (undefined: not learnable). */
  limitFor(keys: readonly (string | undefined)[]): bigint | undefined {
    let sum = 0n;
    for (const k of keys) {
      const g = k === undefined ? undefined : this.perCall.get(k);
      if (g === undefined) return undefined;
      sum += g;
    }
    return (sum * 3n) / 2n + 30_000n;
  }

  /** Records a successful transaction of calls of these keys that used `gasUsed` in all. */
  learn(keys: readonly (string | undefined)[], gasUsed: bigint): void {
    if (!keys.length) return;
    const each = (gasUsed + BigInt(keys.length) - 1n) / BigInt(keys.length);
    for (const k of new Set(keys)) if (k !== undefined && each > (this.perCall.get(k) ?? 0n)) this.perCall.set(k, each);
  }
}
