/**
 * The simulation's written outputs: simulation.json (rows, trajectories, breaking points,
 * the headline check), summary.md and the SVG figures.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { AttackId } from "./attacks/index.js";
import type { DefenseId, SimConfig } from "./config.js";
import { renderSvg } from "../core/charts.js";
import { byCommitteeSpec, byFeeSpec, byRatioSpec, trustTrajectorySpec } from "./figures.js";
import type { PreparedData } from "./prepare.js";
import { readFile } from "node:fs/promises";
import type { SignalId } from "./signals.js";
import type { SimRow, SweepResult, Trajectory } from "./sweep.js";

export interface BreakPoint {
  sweep: string;
  dataset: string;
  attack: AttackId;
  signal: SignalId;
  defense: DefenseId;
  committeeSize: number;
  feePerMember: number;
  /** First swept ratio where rewardSpearman < threshold x clean; null = held at every swept ratio (or undefined). */
  fidelityBreaksAt: number | null;
  /** The attack-free reward ranking is not positively related to quality: there is no fidelity to lose. */
  cleanNotPositive: boolean;
  /** First swept ratio where attacking earns more than honest work (attackerExcessProfit > 0); null = never. */
  profitableFrom: number | null;
  maxRatioSwept: number;
}

export interface HeadlineCheck {
  found: boolean;
  row: SimRow | null;
  /** Attack-free row of the same defense, signal, committee and dataset. */
  fidelityTarget: number;
  fidelityMet: boolean | null;
  /**
   * Attacking does not pay: the attackers' expected excess profit (their fees - slashing - work
   * cost + extra pay to their target, minus what honest participation earns) is negative.
   */
  unprofitable: boolean | null;
  /** Whether the 95% interval of the excess profit lies entirely below 0. */
  unprofitableSignificant: boolean | null;
  note: string;
}

export function breakPoints(rows: readonly SimRow[], threshold: number): BreakPoint[] {
  const groups = new Map<string, SimRow[]>();
  for (const r of rows) {
    if (r.attack === "none") continue;
    const key = [r.sweep, r.dataset, r.attack, r.signal, r.defense, r.committeeSize, r.feePerMember].join("|");
    const g = groups.get(key) ?? [];
    g.push(r);
    groups.set(key, g);
  }
  const out: BreakPoint[] = [];
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => a.attackerRatio - b.attackerRatio);
    const attacked = sorted.filter((r) => r.attackers > 0);
    if (attacked.length === 0) continue;
    const first = sorted[0]!;
    const cleanNotPositive = attacked.every((r) => r.rewardSpearmanClean === null || r.rewardSpearmanClean <= 0);
    const fid = attacked.find((r) => r.rewardFidelity !== null && r.rewardFidelity < threshold);
    const prof = attacked.find((r) => r.attackerExcessProfit !== null && r.attackerExcessProfit > 0);
    out.push({
      sweep: first.sweep,
      dataset: first.dataset,
      attack: first.attack,
      signal: first.signal,
      defense: first.defense,
      committeeSize: first.committeeSize,
      feePerMember: first.feePerMember,
      fidelityBreaksAt: fid ? fid.attackerRatio : null,
      cleanNotPositive,
      profitableFrom: prof ? prof.attackerRatio : null,
      maxRatioSwept: sorted[sorted.length - 1]!.attackerRatio,
    });
  }
  return out;
}

export function headlineChecks(rows: readonly SimRow[], cfg: SimConfig): HeadlineCheck[] {
  const h = cfg.report.headline;
  const fee = Number(cfg.economics.feePerMember) / 1e18;
  const candidates = rows.filter(
    (r) => r.attack === h.attack && r.defense === h.defense && r.signal === h.signal && Math.abs(r.attackerRatio - h.attackerRatio) < 1e-9 && Math.abs(r.feePerMember - fee) < 1e-12,
  );
  const ks = [...new Set(candidates.map((r) => r.committeeSize))];
  const k = h.committeeSize ?? ks.sort((a, b) => Math.abs(a - 7) - Math.abs(b - 7) || a - b)[0];
  // The same configuration can appear in several grids (same seeds, same numbers): keep the
  // first grid's row per dataset.
  const order = cfg.sweep.map((g) => g.name);
  const chosen = candidates
    .filter((r) => r.committeeSize === k)
    .sort((a, b) => order.indexOf(a.sweep) - order.indexOf(b.sweep))
    .filter((r, i, all) => all.findIndex((x) => x.dataset === r.dataset) === i);
  if (chosen.length === 0) {
    return [
      {
        found: false,
        row: null,
        fidelityTarget: cfg.report.fidelityThreshold,
        fidelityMet: null,
        unprofitable: null,
        unprofitableSignificant: null,
        note: `no row for ${h.attack} at ratio ${h.attackerRatio} with ${h.defense} and signal ${h.signal} in this sweep`,
      },
    ];
  }
  return chosen.map((row) => {
    const fidelityMet = row.rewardFidelity === null ? null : row.rewardFidelity >= cfg.report.fidelityThreshold;
    const unprofitable = row.attackerExcessProfit === null ? null : row.attackerExcessProfit < 0;
    const unprofitableSignificant = row.attackerExcessProfitCi95 === null ? null : row.attackerExcessProfitCi95[1] < 0;
    return { found: true, row, fidelityTarget: cfg.report.fidelityThreshold, fidelityMet, unprofitable, unprofitableSignificant, note: "" };
  });
}

const f = (x: number | null | undefined, d = 3): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d));
const ci = (c: [number, number] | null | undefined, d = 3): string => (c ? `[${c[0].toFixed(d)}, ${c[1].toFixed(d)}]` : "");
const pct = (x: number | null): string => (x === null ? "none up to max" : `${Math.round(x * 100)}%`);

/** What the outputs say about the data (kept in simulation.json, so reports can be re-rendered). */
export interface DataSummary {
  records: number;
  calibratedSource: string;
  partitions: Array<{ name: string; tasks: number; nodes: Array<{ node: string; quality: number }>; evaluatorPool: Record<string, string[]> }>;
}

/** Absolute paths under the working directory, written relative to it (outputs are committed). */
export function relativizePaths(text: string, cwd = process.cwd()): string {
  return text.split(cwd + path.sep).join("");
}

export function summarizeData(data: PreparedData): DataSummary {
  return {
    records: data.records,
    calibratedSource: relativizePaths(data.calibratedSource),
    partitions: data.partitions.map((p) => ({
      name: p.name,
      tasks: p.dataset.tasks.length,
      nodes: p.dataset.nodes.map((n, i) => ({ node: n, quality: p.dataset.nodeQuality[i]! })),
      evaluatorPool: p.dataset.pools,
    })),
  };
}

export interface SummaryMeta {
  configFile: string;
  data: DataSummary;
  elapsedMs: number;
}

export function renderSummary(cfg: SimConfig, res: SweepResult, meta: SummaryMeta): string {
  const L: string[] = [];
  L.push(`# PoQ adversarial simulation: ${cfg.name}`);
  L.push("");
  L.push(`- config: \`${meta.configFile}\``);
  L.push(`- data: ${meta.data.records} scored records, partitions: ${meta.data.partitions.map((p) => `${p.name} (${p.tasks} tasks, ${p.nodes.length} nodes)`).join(", ")}`);
  L.push(`- calibrated signal: ${relativizePaths(meta.data.calibratedSource)}`);
  L.push(`- ${cfg.rounds} rounds x ${cfg.seeds} seeds per configuration, pool of ${cfg.evaluatorPool} evaluators, up to ${cfg.outputsPerTask} outputs per task`);
  // the same (rounded) elapsed time as simulation.json stores, so --rerender reproduces this line
  const elapsedMs = Math.max(1, Math.round(meta.elapsedMs));
  L.push(`- ${res.runs} runs, ${res.roundsSimulated} rounds in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round(res.roundsSimulated / (elapsedMs / 1000))} rounds/s)`);
  L.push(`- rules: oracle/rules (the contract's v2 mirror) for the committee draw (sum trees as of the task's creation, price grid, acceptance by trust x stake), consensus, max leave-one-out deviation, trust (rise capped per period), slashing and its split among honest revealers, fees per member and payouts`);
  L.push(`- economics: declared costs ${cfg.economics.evaluatorCosts.map((c) => (Number(c) / 1e18).toString()).join(" / ")} tokens (work cost ${cfg.economics.workCostBps / 100}% of it), price per member ${Number(cfg.economics.feePerMember) / 1e18} tokens unless a grid sweeps it, node budget ${Number(cfg.economics.nodeBudget) / 1e18} tokens, stake ${Number(cfg.economics.stake) / 1e18} tokens; one honest task every ${cfg.secondsPerTask} s`);
  L.push("");
  L.push("Metrics are means over seeds with 95% t-intervals. `rewardSpearman`: Spearman of node reward rates (pay per output served) vs node quality (mean human score); `clean`: the same configuration without attackers on the same task stream; `fidelity` = rewardSpearman / clean. Profits are per attacker over the whole run in tokens: `profit` = fees + shares of slashed stake - slashing - work cost + extra pay to the attackers' target nodes - what the attacker spends as a requester (escrow + protocol fees - refunds; self-dealing and griefing); `excess` = profit minus an honest member's profit in the clean run. `stiffed node pay`: node pay the attacker's own tasks withheld compared with what the honest consensus would have paid (its gain if it wanted the outputs); `cancelled`: share of tasks no committee fits at that price.");
  L.push("");
  L.push("## Headline check");
  const h = cfg.report.headline;
  for (const c of headlineChecks(res.rows, cfg)) {
    if (!c.found || c.row === null) {
      L.push(`- ${c.note}`);
      continue;
    }
    const r = c.row;
    L.push("");
    L.push(`${r.dataset}, ${h.attack} at ${Math.round(r.attackerRatio * 100)}%, ${r.defense}, signal ${r.signal}, k = ${r.committeeSize} (grid "${r.sweep}"):`);
    L.push(`- rewardSpearman ${f(r.rewardSpearman)} ${ci(r.rewardSpearmanCi95)} vs attack-free ${f(r.rewardSpearmanClean)}: fidelity ${f(r.rewardFidelity)} (target >= ${c.fidelityTarget}): **${c.fidelityMet === null ? "undefined" : c.fidelityMet ? "met" : "NOT met"}**`);
    L.push(
      `- attacking vs honest participation (excess profit per attacker): ${f(r.attackerExcessProfit, 2)} ${ci(r.attackerExcessProfitCi95, 2)} tokens: **${c.unprofitable === null ? "undefined" : c.unprofitable ? `negative expected profit${c.unprofitableSignificant ? " (95% interval below 0)" : " (95% interval includes 0)"}` : "attacking pays"}**`,
    );
    L.push(
      `- absolute attacker profit ${f(r.attackerProfit, 2)} ${ci(r.attackerProfitCi95, 2)} tokens = fees ${f(r.attackerFees, 2)} + slash shares ${f(r.attackerSlashShares, 2)} - slashing ${f(r.attackerSlashed, 2)} - work ${f(r.attackerWorkCost, 2)} + target gain ${f(r.attackerTargetGain, 2)} - spend as requester ${f(r.requesterSpend ?? 0, 2)}; an honest member earns ${f(r.honestProfit, 2)}`,
    );
  }
  L.push("");
  L.push(`## Breaking points (first swept attacker ratio where fidelity < ${cfg.report.fidelityThreshold})`);
  L.push("");
  const bps = breakPoints(res.rows, cfg.report.fidelityThreshold);
  L.push("| sweep | dataset | attack | signal | k | fee | " + [...new Set(bps.map((b) => b.defense))].join(" | ") + " |");
  const defs = [...new Set(bps.map((b) => b.defense))];
  L.push("|---|---|---|---|---:|---:|" + defs.map(() => "---|").join(""));
  const keyOf = (b: BreakPoint) => [b.sweep, b.dataset, b.attack, b.signal, b.committeeSize, b.feePerMember].join("|");
  const byKey = new Map<string, BreakPoint[]>();
  for (const b of bps) byKey.set(keyOf(b), [...(byKey.get(keyOf(b)) ?? []), b]);
  for (const group of byKey.values()) {
    const b0 = group[0]!;
    const cells = defs.map((d) => {
      const b = group.find((x) => x.defense === d);
      if (!b) return "";
      const fb = b.cleanNotPositive
        ? "n/a (clean ranking <= 0)"
        : b.fidelityBreaksAt === null
          ? `> ${Math.round(b.maxRatioSwept * 100)}%`
          : pct(b.fidelityBreaksAt);
      const pb = b.profitableFrom === null ? "" : ` (pays from ${pct(b.profitableFrom)})`;
      return fb + pb;
    });
    L.push(`| ${b0.sweep} | ${b0.dataset} | ${b0.attack} | ${b0.signal} | ${b0.committeeSize} | ${b0.feePerMember} | ${cells.join(" | ")} |`);
  }
  L.push("");
  L.push("\"pays from\": first ratio where attacking earns more than honest work (excess profit > 0). \"n/a\": without attackers the reward ranking is already not positively related to quality.");
  L.push("");
  const priced = cfg.sweep.filter((g) => (g.feesPerMember?.length ?? 0) > 1).map((g) => g.name);
  if (priced.length > 0) {
    L.push("## Price sweep (the cost filter)");
    L.push("");
    L.push("| sweep | dataset | attack | ratio | defense | k | fee | cancelled | rewardSpearman | honest profit | attacker excess | honest seat share |");
    L.push("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of res.rows.filter((x) => priced.includes(x.sweep))) {
      L.push(
        `| ${r.sweep} | ${r.dataset} | ${r.attack} | ${r.attackerRatio} | ${r.defense} | ${r.committeeSize} | ${r.feePerMember} | ${f(r.unfillableShare, 2)} | ${f(r.rewardSpearman)} | ${f(r.honestProfit, 1)} | ${f(r.attackerExcessProfit, 1)} | ${f(r.honestSeatShare, 2)} |`,
      );
    }
    L.push("");
  }
  const scen = res.rows.filter((r) => r.attack === "self-deal" || r.attack === "whitewash" || r.attack === "short-window");
  if (scen.length > 0) {
    L.push("## Protocol attacks (self-dealing, whitewashing, short-window griefing)");
    L.push("");
    L.push(
      "| sweep | dataset | attack | ratio | defense | k | fee | attacker profit | excess | spend as requester (protocol fees) | stiffed node pay | honest seat share (own tasks) | attacker weight share | attacker trust | washes (trust left at / honest then) | griefed tasks / honest misses | honest slashed |",
    );
    L.push("|---|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of scen) {
      L.push(
        `| ${r.sweep} | ${r.dataset} | ${r.attack} | ${r.attackerRatio} | ${r.defense} | ${r.committeeSize} | ${r.feePerMember} | ${f(r.attackerProfit, 1)} ${ci(r.attackerProfitCi95, 1)} | ${f(r.attackerExcessProfit, 1)} | ${f(r.requesterSpend, 1)} (${f(r.requesterProtocolFees, 1)}) | ${f(r.stiffedNodePay, 1)} | ${f(r.honestSeatShare, 2)} (${f(r.selfHonestSeatShare, 2)}) | ${f(r.attackerWeightShare, 3)} | ${f(r.attackerTrust, 2)} | ${f(r.washes, 1)} (${f(r.washTrustBefore, 2)} / ${f(r.washHonestTrust, 2)}) | ${f(r.griefedTasks, 0)} / ${f(r.honestMisses, 0)} | ${f(r.honestSlashed, 2)} |`,
      );
    }
    L.push("");
  }
  L.push("## All configurations");
  L.push("");
  L.push(
    "| sweep | dataset | attack | ratio | defense | signal | k | fee | cancelled | rewardSpearman | clean | fidelity | output-level Spearman (clean) | lowQualityShare (clean) | consensusError | honest trust | attacker trust | honest profit | attacker profit | excess |",
  );
  L.push("|---|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of res.rows) {
    L.push(
      `| ${r.sweep} | ${r.dataset} | ${r.attack} | ${r.attackerRatio} | ${r.defense} | ${r.signal} | ${r.committeeSize} | ${r.feePerMember} | ${f(r.unfillableShare, 2)} | ${f(r.rewardSpearman)} ${ci(r.rewardSpearmanCi95, 2)} | ${f(r.rewardSpearmanClean)} | ${f(r.rewardFidelity, 2)} | ${f(r.outputRewardSpearman)} (${f(r.outputRewardSpearmanClean)}) | ${f(r.lowQualityRewardShare)} (${f(r.lowQualityRewardShareClean)}) | ${f(r.consensusError)} | ${f(r.honestTrust, 2)} | ${f(r.attackerTrust, 2)} | ${f(r.honestProfit, 1)} | ${f(r.attackerProfit, 1)} | ${f(r.attackerExcessProfit, 1)} |`,
    );
  }
  L.push("");
  return L.join("\n");
}

/** Which trajectories the trust figure shows: headline defense/signal/k, ratio nearest `trajectoryRatio`. */
export function pickTrajectories(trajs: readonly Trajectory[], cfg: SimConfig): Trajectory[] {
  const h = cfg.report.headline;
  const has = <T>(xs: T[], x: T) => xs.includes(x);
  const defenses = [...new Set(trajs.map((t) => t.defense))];
  const signals = [...new Set(trajs.map((t) => t.signal))];
  const defense = has(defenses, h.defense) ? h.defense : defenses[defenses.length - 1];
  const signal = has(signals, h.signal) ? h.signal : signals[signals.length - 1];
  const pool = trajs.filter((t) => t.defense === defense && t.signal === signal && t.attack !== "none");
  const ks = [...new Set(pool.map((t) => t.committeeSize))];
  const k = h.committeeSize ?? ks.sort((a, b) => Math.abs(a - 7) - Math.abs(b - 7) || a - b)[0];
  const atK = pool.filter((t) => t.committeeSize === k && t.attacker.some((x) => Number.isFinite(x)));
  const out: Trajectory[] = [];
  const seen = new Set<string>();
  for (const t of atK) {
    const key = `${t.sweep}|${t.dataset}|${t.attack}`;
    if (seen.has(key)) continue;
    const same = atK.filter((u) => u.sweep === t.sweep && u.dataset === t.dataset && u.attack === t.attack);
    const best = same.sort((a, b) => Math.abs(a.attackerRatio - cfg.report.trajectoryRatio) - Math.abs(b.attackerRatio - cfg.report.trajectoryRatio))[0]!;
    seen.add(key);
    out.push(best);
  }
  return out;
}

export interface WrittenOutputs {
  json: string;
  summary: string;
  figures: string[];
}

/** Writes simulation.json, summary.md and the figures into `dir`. */
export async function writeOutputs(dir: string, cfg: SimConfig, res: SweepResult, meta: SummaryMeta): Promise<WrittenOutputs> {
  await mkdir(dir, { recursive: true });
  const figDir = path.join(dir, "figures");
  await mkdir(figDir, { recursive: true });
  const figures: string[] = [];
  const write = async (name: string, svg: string) => {
    const p = path.join(figDir, name);
    await writeFile(p, svg);
    figures.push(p);
  };
  // One trust figure per grid (grids can share a configuration with other settlement parameters).
  for (const g of cfg.sweep) {
    const fee0 = Number((g.feesPerMember ?? [cfg.economics.feePerMember])[0]!) / 1e18;
    const trajs = pickTrajectories(res.trajectories.filter((t) => t.sweep === g.name && t.feePerMember === fee0), cfg);
    if (trajs.length === 0) continue;
    const t0 = trajs[0]!;
    const suffix = cfg.sweep.length > 1 ? `-${g.name}` : "";
    await write(
      `trust-trajectories${suffix}.svg`,
      await renderSvg(
        trustTrajectorySpec(
          trajs,
          `Trust over rounds, honest vs malicious (${t0.defense}, signal ${t0.signal}, k=${t0.committeeSize}, ~${Math.round(cfg.report.trajectoryRatio * 100)}% attackers${suffix ? `, grid ${g.name}` : ""})`,
        ),
      ),
    );
  }
  for (const g of cfg.sweep) {
    const fee0 = Number((g.feesPerMember ?? [cfg.economics.feePerMember])[0]!) / 1e18;
    const rows = res.rows.filter((r) => r.sweep === g.name && r.feePerMember === fee0);
    const ks = [...new Set(rows.map((r) => r.committeeSize))].sort((a, b) => a - b);
    const k = ks.sort((a, b) => Math.abs(a - 7) - Math.abs(b - 7) || a - b)[0]!;
    const suffix = cfg.sweep.length > 1 ? `-${g.name}` : "";
    for (const attack of g.attacks) {
      if (attack === "none") continue;
      // This attack's rows (its ratio-0 row is the clean run) at the committee size closest to 7.
      const uniq = rows.filter((r) => r.attack === attack && r.committeeSize === k);
      if (g.attackerRatios.length > 1) {
        await write(
          `fidelity-${attack}${suffix}.svg`,
          await renderSvg(byRatioSpec(uniq, "rewardSpearman", "Spearman(node reward, quality)", `Reward fidelity under "${attack}" by attacker ratio (k=${k})`)),
        );
        await write(
          `profit-${attack}${suffix}.svg`,
          await renderSvg(
            byRatioSpec(uniq, "attackerExcessProfit", "attacker excess profit (tokens)", `Attacker excess profit under "${attack}" (k=${k}; > 0: attacking beats honest work)`, true),
          ),
        );
      }
      if (ks.length > 1) {
        const ratio = g.attackerRatios.filter((r) => r > 0).sort((a, b) => Math.abs(a - 0.3) - Math.abs(b - 0.3))[0];
        if (ratio !== undefined) {
          const selK = rows.filter((r) => r.attack === attack && r.attackerRatio === ratio);
          await write(
            `committee-${attack}${suffix}.svg`,
            await renderSvg(byCommitteeSpec(selK, "rewardSpearman", "Spearman(node reward, quality)", `Reward fidelity by committee size ("${attack}" at ${Math.round(ratio * 100)}%)`)),
          );
        }
      }
    }
  }
  for (const g of cfg.sweep) {
    if ((g.feesPerMember?.length ?? 0) < 2) continue;
    const rows = res.rows.filter((r) => r.sweep === g.name);
    const suffix = cfg.sweep.length > 1 ? `-${g.name}` : "";
    await write(`price-cancelled${suffix}.svg`, await renderSvg(byFeeSpec(rows.filter((r) => r.attack === "none" || r.attackerRatio === 0), "unfillableShare", "share of tasks cancelled", "Tasks no committee fits, by price per member (attack-free)")));
    await write(`price-honest-profit${suffix}.svg`, await renderSvg(byFeeSpec(rows.filter((r) => r.attackerRatio === 0), "honestProfit", "honest member profit (tokens)", "Honest member profit by price per member (attack-free)")));
    await write(`price-excess${suffix}.svg`, await renderSvg(byFeeSpec(rows.filter((r) => r.attackerRatio > 0), "attackerExcessProfit", "attacker excess profit (tokens)", "Attacker excess profit by price per member")));
  }
  const json = path.join(dir, "simulation.json");
  const doc = {
    schema: "poq.simulation/v2",
    name: cfg.name,
    config: {
      ...cfg,
      data: {
        ...cfg.data,
        scored: cfg.data.scored.map((p) => relativizePaths(p)),
        profile: cfg.data.profile === undefined ? undefined : relativizePaths(cfg.data.profile),
        calibratedScored: cfg.data.calibratedScored?.map((p) => relativizePaths(p)),
      },
    },
    data: { ...meta.data, calibratedSource: relativizePaths(meta.data.calibratedSource) },
    runs: res.runs,
    roundsSimulated: res.roundsSimulated,
    elapsedMs: Math.round(meta.elapsedMs),
    headline: headlineChecks(res.rows, cfg),
    breakPoints: breakPoints(res.rows, cfg.report.fidelityThreshold),
    rows: res.rows,
    trajectories: res.trajectories,
  };
  await writeFile(json, JSON.stringify(doc, (_k, v) => (typeof v === "bigint" ? v.toString() : typeof v === "number" && !Number.isFinite(v) ? null : v)) + "\n");
  const summary = path.join(dir, "summary.md");
  await writeFile(summary, renderSummary(cfg, res, meta));
  return { json, summary, figures };
}

/** Re-renders summary.md and the figures from an existing DIR/simulation.json (no simulation). */
export async function rerenderOutputs(dir: string, cfg: SimConfig, configFile: string): Promise<WrittenOutputs> {
  const doc = JSON.parse(await readFile(path.join(dir, "simulation.json"), "utf8")) as {
    rows: SimRow[];
    trajectories: Array<Omit<Trajectory, "attacker"> & { attacker: Array<number | null> }>;
    runs: number;
    roundsSimulated: number;
    elapsedMs: number;
    data: DataSummary;
  };
  const res: SweepResult = {
    rows: doc.rows,
    trajectories: doc.trajectories.map((t) => ({ ...t, attacker: t.attacker.map((x) => (x === null ? Number.NaN : x)) })),
    runs: doc.runs,
    roundsSimulated: doc.roundsSimulated,
    elapsedMs: doc.elapsedMs,
  };
  return writeOutputs(dir, cfg, res, { configFile, data: doc.data, elapsedMs: doc.elapsedMs });
}
