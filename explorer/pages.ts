/** The explorer's pages: overview, task, evaluator, node, profile (HTML strings). */
import { formatEther } from "viem";
import { stepLine, trustDistribution } from "./charts.js";
import { card, FAMILIES, h, page, raw, RULES, short, STATUS_LABEL, tokens, trust, type Html } from "./html.js";
import type { EvaluatorData, NodeData, OverviewData, ProfileData, TaskData } from "./types.js";

const addr = (kind: "evaluator" | "node" | "account", a: string, testid?: string) =>
  kind === "account" ? h`<code title="${a}">${short(a)}</code>` : h`<a href="/${kind}/${a}" title="${a}"${testid ? raw(` data-testid="${testid}"`) : raw("")}><code>${short(a)}</code></a>`;
const taskLink = (id: string) => h`<a href="/task/${id}">#${id}</a>`;
const statusTag = (s: string) => h`<span class="tag ${s === "cancelled" ? "bad" : s === "finalized" ? "good" : ""}">${STATUS_LABEL[s] ?? s}</span>`;
const time = (ts: string | null) => (ts ? new Date(Number(ts) * 1000).toISOString().replace("T", " ").slice(0, 19) : "–");
const table = (head: string[], rows: Html[], testid: string) =>
  h`<div class="scroll"><table data-testid="${testid}"><thead><tr>${head.map((c) => h`<th>${c}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;

export async function overviewPage(d: OverviewData, chain: string): Promise<string> {
  const chart = await trustDistribution(d.trust.map((t) => t.trust));
  const body = h`<h1>Overview</h1>
<div class="cards">
${card("tasks settled", String(d.tasksSettled), "tasks-settled")}
${card("paid out", tokens(d.paidOut.total), "paid-out")}
${card("active evaluators", String(d.activeEvaluators), "active-evaluators")}
${card("open / pending / cancelled", `${d.tasks.open ?? 0} / ${d.tasks.pending ?? 0} / ${d.tasks.cancelled ?? 0}`)}
${card("in escrow", tokens(d.totals?.escrowed), "escrowed")}
${card("claimable", tokens(d.totals?.claimable), "claimable")}
</div>
<div class="charts"><div class="chart"><h2>Trust of the active evaluators</h2>${raw(chart)}</div>
<div class="chart"><h2>Paid out</h2><dl><dt>inference nodes</dt><dd>${tokens(d.paidOut.nodes)}</dd><dt>evaluators</dt><dd>${tokens(d.paidOut.evaluators)}</dd><dt>burned (slashed, no honest revealer)</dt><dd>${tokens(d.totals?.burned)}</dd><dt>treasury</dt><dd>${tokens(d.totals?.treasury)}</dd></dl></div></div>
<h2>Recent tasks</h2>
${table(["task", "status", "k", "outputs", "requester", "created"], d.recent.map((t) => h`<tr><td>${taskLink(t.taskId)}</td><td>${statusTag(t.status)}</td><td class="num">${t.k}</td><td class="num">${t.m}</td><td>${addr("account", t.requester)}</td><td>${time(t.createdAt)}</td></tr>`), "recent-tasks")}
<h2>Evaluators</h2>
${table(["evaluator", "trust"], [...d.trust].sort((a, b) => b.trust - a.trust).map((e) => h`<tr><td>${addr("evaluator", e.evaluator)}</td><td class="num">${trust(e.trust)}</td></tr>`), "evaluators")}`;
  return page("Overview", body, chain);
}

export function taskPageHtml(t: TaskData, chain: string): string {
  const s = t.spec;
  const body = h`<h1>Task #${t.taskId} ${statusTag(t.status)}</h1>
<dl data-testid="spec">
<dt>requester</dt><dd><code>${s.requester}</code></dd>
<dt>refunds to</dt><dd><code>${s.refundTo}</code></dd>
<dt>profile</dt><dd><a href="/profile/${s.profileHash}"><code>${short(s.profileHash)}</code></a> ${s.profileUri ?? ""}</dd>
<dt>family · rule</dt><dd>${FAMILIES[s.family] ?? s.family} · ${RULES[s.rule] ?? s.rule}</dd>
<dt>committee · outputs</dt><dd>k = ${s.k} · m = ${s.m}</dd>
<dt>node budget</dt><dd>${tokens(s.nodeBudget)}</dd>
<dt>fee per member</dt><dd>${tokens(s.fee)}</dd>
<dt>commits · reveals</dt><dd>${t.commits} · ${t.reveals}</dd>
<dt>created · settled</dt><dd>${time(t.createdAt)} · ${time(t.settledAt)}</dd>
<dt>refund</dt><dd data-testid="refund">${tokens(t.refund)}</dd>
<dt>slashed · burned</dt><dd>${tokens(t.slashed)} · ${tokens(t.burned)}</dd>
</dl>
<h2>Outputs</h2>
${table(["#", "node", "consensus", "pay"], t.outputs.map((o) => h`<tr data-output="${o.output}"><td>${o.output}</td><td>${addr("node", o.node)}</td><td class="num" data-k="consensus">${o.consensus ?? "–"}</td><td class="num" data-k="pay">${tokens(o.pay)}</td></tr>`), "outputs")}
<h2>Committee</h2>
${table(
  ["evaluator", "committed", "revealed", "scores", "deviation", "trust before → after", "fee", "slash share", "paid", "slashed"],
  t.committee.map(
    (m) => h`<tr data-evaluator="${m.evaluator}"><td>${addr("evaluator", m.evaluator, "member-link")}</td><td>${m.committed ? "yes" : "no"}</td><td>${m.revealed ? h`<span class="tag good">yes</span>` : h`<span class="tag bad">missed</span>`}</td><td data-k="scores">${m.scores ? (m.revealed && m.scores.length === 0 ? h`<span class="tag">abstained</span>` : m.scores.join(", ")) : "–"}</td><td class="num">${m.deviation ?? "–"}</td><td class="num" data-k="trust">${trust(m.trustBefore)} → ${trust(m.trustAfter)}</td><td class="num">${tokens(m.fee)}</td><td class="num">${tokens(m.slashShare)}</td><td class="num" data-k="pay">${tokens(m.pay)}</td><td class="num" data-k="slash">${tokens(m.slash)}</td></tr>`,
  ),
  "committee",
)}`;
  return page(`Task #${t.taskId}`, body, chain);
}

export async function evaluatorPageHtml(e: EvaluatorData, chain: string): Promise<string> {
  const trustChart = await stepLine(
    e.trustHistory.length ? [{ x: 0, value: e.trustHistory[0]!.trustBefore / 10_000 }, ...e.trustHistory.map((p, i) => ({ x: i + 1, value: p.trustAfter / 10_000 }))] : [],
    "settled tasks",
    "trust",
  );
  const stakeChart = await stepLine(
    e.stakeHistory.map((p, i) => ({ x: i, value: Number(formatEther(BigInt(p.stake) + BigInt(p.unbonding))) })),
    "stake changes",
    "stake + unbonding (tokens)",
    "#8a5a00",
  );
  const body = h`<h1>Evaluator <code>${e.address}</code></h1>
<div class="cards">
${card("trust", trust(e.trust), "trust")}
${card("stake", tokens(e.stake), "stake")}
${card("unbonding", tokens(e.unbonding), "unbonding")}
${card("earned", tokens(e.earned), "earned")}
${card("slashed", tokens(e.slashed), "slashed")}
${card("missed / assigned", `${e.tasksMissed} / ${e.tasksAssigned}`, "missed")}
${card("claimable", tokens(e.claimable), "claimable")}
${card("status", e.registered ? "registered" : "exited")}
</div>
<div class="charts"><div class="chart"><h2>Trust over time</h2>${raw(trustChart)}</div><div class="chart"><h2>Stake over time</h2>${raw(stakeChart)}</div></div>
<h2>Tasks</h2>
${table(
  ["task", "revealed", "deviation", "trust before → after", "fee", "slash share", "paid", "slashed"],
  e.tasks.map(
    (m) => h`<tr><td>${taskLink(m.taskId)}</td><td>${!m.settled ? "…" : m.revealed ? "yes" : h`<span class="tag bad">missed</span>`}</td><td class="num">${m.deviation ?? "–"}</td><td class="num">${trust(m.trustBefore)} → ${trust(m.trustAfter)}</td><td class="num">${tokens(m.fee)}</td><td class="num">${tokens(m.slashShare)}</td><td class="num">${tokens(m.pay)}</td><td class="num">${tokens(m.slash)}</td></tr>`,
  ),
  "evaluator-tasks",
)}`;
  return page(`Evaluator ${short(e.address)}`, body, chain);
}

export function nodePageHtml(n: NodeData, chain: string): string {
  const body = h`<h1>Inference node <code>${n.address}</code></h1>
<div class="cards">
${card("earned", tokens(n.earned), "earned")}
${card("pending", tokens(n.pending), "pending")}
${card("paid out", tokens(n.paid), "paid")}
${card("mean consensus", n.meanConsensus == null ? "–" : (n.meanConsensus / 10_000).toFixed(4), "mean-consensus")}
${card("outputs settled", String(n.outputsSettled))}
</div>
<dl><dt>payout address</dt><dd><code>${n.payout}</code></dd><dt>model</dt><dd><code>${n.modelId}</code></dd></dl>
<h2>Outputs</h2>
${table(["task", "output", "consensus", "pay"], n.outputs.map((o) => h`<tr><td>${taskLink(o.taskId)}</td><td class="num">${o.output}</td><td class="num">${o.consensus ?? "–"}</td><td class="num">${tokens(o.pay)}</td></tr>`), "node-outputs")}`;
  return page(`Node ${short(n.address)}`, body, chain);
}

export function profilePageHtml(p: ProfileData, shipped: { name: string; description?: string } | undefined, chain: string): string {
  const calibrated = shipped?.name === "calibrated";
  const body = h`<h1>Profile <code>${p.hash}</code></h1>
<dl><dt>name</dt><dd>${shipped?.name ?? "(not shipped with this repository)"}</dd><dt>registry id</dt><dd>${p.profileId}</dd><dt>uri</dt><dd>${p.uri}</dd><dt>status</dt><dd>${p.retired ? "retired" : "active"}</dd><dt>tasks</dt><dd>${p.tasks}</dd><dt>description</dt><dd>${shipped?.description ?? "–"}</dd></dl>
${
  calibrated
    ? h`<h2>Calibration (docs/validation)</h2><p class="muted">Out-of-fold figures of the audit that fitted this profile.</p><div class="charts"><img class="fig" src="/figures/scatter.svg" alt="composite vs human"><img class="fig" src="/figures/heatmap.svg" alt="Pearson heatmap"><img class="fig" src="/figures/ablations.svg" alt="ablations"></div>`
    : h`<p class="muted">${shipped?.name === "default" ? "Published weights, not for money: see docs/validation." : ""}</p>`
}`;
  return page(`Profile ${short(p.hash)}`, body, chain);
}

export function notFound(what: string, chain: string): string {
  return page("Not found", h`<h1>Not found</h1><p>${what}</p><p><a href="/">Back to the overview</a></p>`, chain);
}
