/**
 * Payouts and trust history from the PoQ indexer's JSON routes (`GET /payouts/:address`,
 * `GET /trust/:address`; shape in wire.ts and docs/sdk.md): the same types the log reader
 * returns. The routes are paged; the reader follows each page's `next` cursor to the end, so
 * a history of n rows costs about n / pageSize requests.
 */
import type { Address } from "viem";
import { checkAddress } from "./address.js";
import { PoqSdkError } from "./errors.js";
import type { PayoutSource, Payouts, TrustHistory } from "./types.js";
import { emptyPayouts, mergePayouts, mergeTrustHistories, parseNext, parsePayouts, parseTrustHistory } from "./wire.js";

/** The most rows a page the indexer serves (`?limit=`). */
export const MAX_PAGE_SIZE = 1000;

export interface IndexerReaderOptions {
  /** The indexer's base URL, e.g. http://127.0.0.1:42069 (routes are appended to it). */
  url: string;
  /** Per-request timeout (ms, default 10000). */
  timeoutMs?: number;
  /** A fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
  /** Rows a list per request (`?limit=`, 1..1000; default 1000, the indexer's maximum: fewest requests). */
  pageSize?: number;
}

export class IndexerReader implements PayoutSource {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly pageSize: number;

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
    const n = o.pageSize ?? MAX_PAGE_SIZE;
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_PAGE_SIZE) throw new PoqSdkError("E_INPUT", `indexer pageSize: expected an integer from 1 to ${MAX_PAGE_SIZE}, got ${n}`, { field: "pageSize" });
    this.pageSize = n;
  }

  /**
   * Every page of a paged route, each parsed by `parse`: follows `next` until it is null. A
   * 404 on the first page is undefined (an address with no activity); a cursor that repeats is
   * E_INDEXER_SHAPE (a loop).
   */
  private async pages<T>(route: string, parse: (json: unknown, source: string) => T): Promise<T[] | undefined> {
    const out: T[] = [];
    const seen = new Set<string>();
    let next: string | null = null;
    do {
      const path: string = `${route}?limit=${this.pageSize}${next === null ? "" : `&after=${encodeURIComponent(next)}`}`;
      const json = await this.get(path);
      const source = `indexer ${this.url}${path}`;
      if (json === undefined) {
        if (out.length === 0) return undefined;
        throw new PoqSdkError("E_INDEXER_HTTP", `${source}: HTTP 404 in the middle of the pages`, { url: `${this.url}${path}`, status: 404 });
      }
      out.push(parse(json, source));
      next = parseNext(json, source);
      if (next !== null && seen.has(next)) throw new PoqSdkError("E_INDEXER_SHAPE", `${source}: field next: the cursor ${JSON.stringify(next)} repeats`, { source, field: "next" });
      if (next !== null) seen.add(next);
    } while (next !== null);
    return out;
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
    const pages = await this.pages(route, (json, source) => {
      const p = parsePayouts(json, source);
      if (p.address !== a) throw new PoqSdkError("E_INDEXER_SHAPE", `${source}: answered for ${p.address}, asked for ${a}`, { field: "address" });
      return p;
    });
    return pages === undefined ? emptyPayouts(a) : mergePayouts(pages);
  }

  async trustHistory(address: Address): Promise<TrustHistory> {
    const a = checkAddress(address);
    const route = `/trust/${a.toLowerCase()}`;
    const pages = await this.pages(route, (json, source) => {
      const h = parseTrustHistory(json, source);
      if (h.address !== a) throw new PoqSdkError("E_INDEXER_SHAPE", `${source}: answered for ${h.address}, asked for ${a}`, { field: "address" });
      return h;
    });
    return pages === undefined ? { address: a, history: [] } : mergeTrustHistories(pages);
  }
}
