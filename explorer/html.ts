/** Small HTML helpers: escaping, the page shell (phone-width CSS), tables, amounts. */
import { formatEther } from "viem";

export const esc = (s: unknown) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** A raw HTML fragment (already escaped). */
export class Html {
  constructor(readonly html: string) {}
  toString() {
    return this.html;
  }
}

/** Tagged template that escapes interpolations unless they are Html (or arrays of Html). */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((v, i) => {
    const part = Array.isArray(v) ? v.map((x) => (x instanceof Html ? x.html : esc(x))).join("") : v instanceof Html ? v.html : esc(v);
    out += part + strings[i + 1]!;
  });
  return new Html(out);
}

export const raw = (s: string) => new Html(s);

/** A wei amount as exact tokens (18 decimals), with the wei in data-wei. */
export function tokens(wei: string | null | undefined): Html {
  if (wei == null) return h`<span class="muted">–</span>`;
  return h`<span class="amount" data-wei="${wei}">${formatEther(BigInt(wei))}</span>`;
}

export const short = (a: string) => `${a.slice(0, 8)}…${a.slice(-4)}`;
export const trust = (bps: number | null | undefined) => (bps == null ? "–" : (bps / 10_000).toFixed(4));

export const STATUS_LABEL: Record<string, string> = { pending: "pending draw", open: "open", finalized: "settled", cancelled: "cancelled" };
export const RULES = ["mean", "median", "trimmed mean", "trust-weighted mean", "trust-weighted median"];
export const FAMILIES = ["QA", "summarization", "open"];

const CSS = `
:root{color-scheme:light;--b:#d9dee5;--m:#667085;--a:#1d4f91}
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1a1f29;background:#f6f7f9}
header{background:#0f2a4a;color:#fff;padding:.6rem 1rem;display:flex;gap:1rem;align-items:baseline;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;font-weight:600}header span{color:#b8c7da;font-size:.85rem}
main{max-width:1080px;margin:0 auto;padding:1rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem;word-break:break-all}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
a{color:var(--a)}.muted{color:var(--m)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:.6rem}
.card{background:#fff;border:1px solid var(--b);border-radius:8px;padding:.6rem .8rem}
.card .k{color:var(--m);font-size:.8rem}.card .v{font-size:1.1rem;font-weight:600;word-break:break-all}
.scroll{overflow-x:auto;background:#fff;border:1px solid var(--b);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{padding:.35rem .6rem;text-align:left;border-bottom:1px solid #eef0f3;white-space:nowrap}
th{color:var(--m);font-weight:500;background:#fafbfc}td.num{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:.6rem}
.chart{background:#fff;border:1px solid var(--b);border-radius:8px;padding:.5rem}
.tag{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.8rem;background:#eef2f7}
.tag.bad{background:#fde8e8;color:#9b1c1c}.tag.good{background:#e6f4ea;color:#1e6b34}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;background:#fff;border:1px solid var(--b);border-radius:8px;padding:.6rem .8rem;margin:0}
dt{color:var(--m)}dd{margin:0;word-break:break-all}
img.fig{max-width:100%;background:#fff;border:1px solid var(--b);border-radius:8px}
`;

export function page(title: string, body: Html, chain = ""): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)} · PoQ explorer</title><style>${CSS}</style></head><body><header><a href="/">PoQ explorer</a><span>${esc(chain)}</span></header><main>${body.html}</main></body></html>`;
}

export function card(k: string, v: Html | string | number, testid?: string): Html {
  return h`<div class="card"${testid ? raw(` data-testid="${esc(testid)}"`) : raw("")}><div class="k">${k}</div><div class="v">${v}</div></div>`;
}
