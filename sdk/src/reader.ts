import { IndexerReader } from "./indexer.js";
import { LogReader, type LogReaderOptions } from "./logs.js";
import type { PayoutSource } from "./types.js";

export interface PayoutReaderOptions extends LogReaderOptions {
  /** The indexer's base URL: when set, payouts and trust history come from its JSON routes instead of logs. */
  indexerUrl?: string;
}

/** The payout source to use: the indexer when `indexerUrl` is set, event logs otherwise (same results). */
export function createPayoutReader(o: PayoutReaderOptions): PayoutSource {
  return o.indexerUrl ? new IndexerReader({ url: o.indexerUrl }) : new LogReader(o);
}
