/**
 * Payouts and trust history from the PoQ indexer's JSON routes (`GET /payouts/:address`,
 * `GET /trust/:address`; shape in wire.ts and docs/sdk.md): the same types the log reader
 * returns, one HTTP request each, fast at any history length.
 */
import type { Address } from "viem";
import { checkAddress } from "./address.js";
import { PoqSdkError } from "./errors.js";
import type { PayoutSource, Payouts, TrustHistory } from "./types.js";
import { emptyPayouts, parsePayouts, parseTrustHistory } from "./wire.js";

export interface IndexerReaderOptions {
  /** The indexer's base URL, e.g. http://127.0.0.1:42069 (routes are appended to it). */
  url: string;
  /** Per-request timeout (ms, default 10000). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
}

export class IndexerReader implements PayoutSource {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(o: IndexerReaderOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch {
      throw new PoqSdkError("E_INPUT", `indexer url: not a URL: ${JSON.stringify(o.url)}`, { field: "url" });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new PoqSdkError("E_INPUT", `indexer url: expected http(s), got ${u.protocol}`, { field: "url" });
    this.url = u.href.replace(/\/+$/, "");
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.fetchFn = o.fetch ?? fetch;
  }

  /** GET a route; undefined for a 404; PoqSdkError E_INDEXER_HTTP for anything else that is not 2xx JSON. */
  private async get(route: string): Promise<unknown | undefined> {
    const url = `${this.url}${route}`;
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new PoqSdkError("E_INDEXER_HTTP", `indexer ${url}: unreachable (${(err as Error).message})`, { url }, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) {
      const body = (await res.text().catch(() => "")).slice(0, 200);
      throw new PoqSdkError("E_INDEXER_HTTP", `indexer ${url}: HTTP ${res.status}${body ? `: ${body}` : ""}`, { url, status: res.status });
    }
    try {
      return await res.json();
    } catch (err) {
      throw new PoqSdkError("E_INDEXER_SHAPE", `indexer ${url}: the body is not JSON`, { url }, { cause: err });
    }
  }

  async payouts(address: Address): Promise<Payouts> {
    const a = checkAddress(address);
    const route = `/payouts/${a.toLowerCase()}`;
    const json = await this.get(route);
    if (json === undefined) return emptyPayouts(a);
    const p = parsePayouts(json, `indexer ${this.url}${route}`);
    if (p.address !== a) throw new PoqSdkError("E_INDEXER_SHAPE", `indexer ${this.url}${route}: answered for ${p.address}, asked for ${a}`, { field: "address" });
    return p;
  }

  async trustHistory(address: Address): Promise<TrustHistory> {
    const a = checkAddress(address);
    const route = `/trust/${a.toLowerCase()}`;
    const json = await this.get(route);
    if (json === undefined) return { address: a, history: [] };
    const h = parseTrustHistory(json, `indexer ${this.url}${route}`);
    if (h.address !== a) throw new PoqSdkError("E_INDEXER_SHAPE", `indexer ${this.url}${route}: answered for ${h.address}, asked for ${a}`, { field: "address" });
    return h;
  }
}
