/**
 * report.md: the tables a reader wants, from report.json alone: the correlation table of the
 * published study (every signal: Pearson, Spearman, Kendall with 95% group-bootstrap
 * intervals) per scope, the per-task table, the ablation table, the best single evaluator and
 * how the calibrated composite compares, the calibrated profile, and the failure modes.
 */
import { DIMENSIONS } from "../scoring/profile.js";
import type { AuditReport, ProbabilityMetrics, ScopeReport, SignalReport } from "./audit.js";
import type { Interval } from "./bootstrap.js";
import { ABLATIONS } from "./signals.js";

const f2 = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : x.toFixed(3));
const ci = (x: Interval | null | undefined): string => (x ? `[${x[0].toFixed(2)}, ${x[1].toFixed(2)}]` : "");
const cell = (x: number | null, iv: Interval | null): string => (x === null ? "n/a" : `${f2(x)} ${ci(iv)}`.trim());

function row(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}
function table(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly string[]): string {
  return [row(header), row(align ?? header.map((_, i) => (i === 0 ? "---" : "---:"))), ...rows.map(row)].join("\n");
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`);

function probabilityRow(name: string, m: ProbabilityMetrics): string[] {
  return [
    name,
    String(m.n),
    cell(m.pearson, m.ci95),
    f2(m.spearman),
    f2(m.ece),
    m.pay ? pct(m.pay.wrongPaid) : "—",
    m.pay ? pct(m.pay.correctPaid) : "—",
  ];
}

/** The calibrated composite as a probability: ECE, pay decisions, the alternative mixes and unseen systems. */
function probabilitySection(r: AuditReport): string[] {
  const out: string[] = [];
  if (!r.probability || Object.keys(r.probability).length === 0) return out;
  out.push("## Probability scale, unseen systems, no references (out-of-fold)", "");
  out.push(
    "The calibrated composite is mapped by the task's monotone calibration map (isotonic regression, or a least-squares line where that calibrated better on held-out groups) onto the human scale: for 0/1 human scores P(a human judges the output correct), " +
      "for graded ones the expected human rating in [0,1]. ECE: expected calibration error over 10 equal-width bins. Pay decision: the share of wrong (human 0) and " +
      "of correct (human 1) outputs scored above 0.5 (the 5000-bp floor); targets: wrong paid <= 10%, correct paid >= 90%.",
    "",
  );
  for (const [task, t] of Object.entries(r.probability)) {
    out.push(`### ${task}: ${t.target ?? "raw composite"}`, "");
    const rows: string[][] = [
      probabilityRow("**calibrated composite** (main mix, map)", t.calibrated),
      probabilityRow("same composite before the map", t.raw),
      probabilityRow("every model treated as unrated (prior-free mix)", t.priorFree),
      probabilityRow("references withheld (reference-free mix)", t.referenceFree),
      probabilityRow("references withheld, old fallback (main weights, query cosine)", t.referenceFree.fallback),
      probabilityRow("references withheld and model unrated", t.referenceFreePriorFree),
    ];
    if (t.leaveOneSystemOut) {
      rows.push(probabilityRow("**leave-one-system-out** (held-out system unrated: prior-free mix)", t.leaveOneSystemOut));
      rows.push(probabilityRow("leave-one-system-out, main mix with the cold-start prior", t.leaveOneSystemOut.coldStart));
    }
    out.push(
      table(["variant", "n", "Pearson [95% CI]", "Spearman", "ECE", "wrong paid", "correct paid"], rows, ["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
      "",
    );
    const bins = t.calibrated.bins.filter((b) => b.n > 0);
    if (bins.length > 0) {
      out.push(
        `Reliability bins of the calibrated composite: ${bins.map((b) => `[${b.lo.toFixed(1)}, ${b.hi.toFixed(1)}) n ${b.n}: predicted ${f2(b.meanPredicted)}, human ${f2(b.meanHuman)}`).join("; ")}.`,
        "",
      );
    }
    if (t.leaveOneSystemOut) {
      out.push(
        `Leave-one-system-out, per held-out system (Pearson within the system; mean predicted vs mean human): ${Object.entries(t.leaveOneSystemOut.systems)
          .map(([m, v]) => `${m} ${f2(v.pearson)} (${v.meanPredicted.toFixed(3)} vs ${v.meanHuman.toFixed(3)}, n ${v.n})`)
          .join("; ")}.`,
        "",
      );
    }
  }
  return out;
}

function label(name: string, s: SignalReport): string {
  return `${s.outOfFold ? "**" : ""}${name}${s.outOfFold ? "** (out-of-fold)" : ""}`;
}

function correlationTable(s: ScopeReport): string {
  const rows = Object.entries(s.signals).map(([name, sig]) => [
    label(name, sig),
    sig.kind,
    String(sig.n),
    cell(sig.pearson, sig.ci95.pearson),
    cell(sig.spearman, sig.ci95.spearman),
    cell(sig.kendall, sig.ci95.kendall),
  ]);
  return table(["signal", "kind", "n", "Pearson [95% CI]", "Spearman [95% CI]", "Kendall tau-b [95% CI]"], rows, ["---", "---", "---:", "---:", "---:", "---:"]);
}

export function renderReportMarkdown(r: AuditReport, figures?: { heatmap: string; ablations: string; scatter: string }): string {
  const tasks = Object.keys(r.tasks);
  const scopes: Array<[string, ScopeReport]> = [["all tasks", r.overall], ...tasks.map((t) => [t, r.tasks[t]!] as [string, ScopeReport])];
  const out: string[] = [];
  out.push("# Reliability audit of the PoQ quality signal", "");
  out.push(
    `Input: ${r.inputs.files.map((f) => `\`${f.split("/").pop()}\``).join(", ")}: ${r.inputs.records} labelled records ` +
      `(${tasks.map((t) => `${t}: ${r.inputs.tasks[t]!.records} in ${r.inputs.tasks[t]!.groups} groups`).join("; ")}). ` +
      `Skipped without a human score: ${r.inputs.skipped.count}.`,
  );
  out.push(
    `Base profile \`${r.inputs.baseProfile.name}\` (${r.inputs.baseProfile.hash.slice(0, 10)}…)${r.inputs.baseProfile.matchesRecords ? ", the one the records were scored with" : ", **not** the profile hash in (all) the records"}. ` +
      `Intervals: ${r.options.resamples} group-bootstrap resamples (whole ${"`group`"}s: one question or article with all its outputs), ${Math.round(r.options.level * 100)}% percentile, seed ${r.options.seed}.`,
  );
  out.push(`Calibrated composite: ${r.calibrated.description}. Profile \`${r.calibrated.profile.name}\` ${r.calibrated.profile.hash}.`, "");

  out.push("## Headline", "");
  const head = scopes.map(([name, s]) => {
    const best = s.bestSingleEvaluator;
    const med = s.signals["consensus.median"];
    return [
      name,
      best ? `${best.name} ${f2(best.pearson)}` : "n/a",
      med ? f2(med.pearson) : "n/a",
      f2(s.signals["composite.default"]?.pearson),
      `**${f2(s.ablations.calibrated.pearson)}** ${ci(s.ablations.calibrated.ci95.pearson)}`,
      s.comparisons.map((c) => `${c.versus.replace(/^evaluator\./, "")}: ${c.pearsonDiff === null ? "n/a" : (c.pearsonDiff >= 0 ? "+" : "") + c.pearsonDiff.toFixed(3)} ${ci(c.ci95)}`).join("; "),
    ];
  });
  out.push(
    table(["scope", "best single evaluator (Pearson)", "median consensus", "default composite", "calibrated composite, out-of-fold [95% CI]", "calibrated minus … (paired 95% CI)"], head, [
      "---",
      "---",
      "---:",
      "---:",
      "---:",
      "---",
    ]),
    "",
  );

  out.push("## Per-task table (Pearson)", "");
  const names: string[] = [];
  for (const [, s] of scopes) for (const n of Object.keys(s.signals)) if (!names.includes(n)) names.push(n);
  out.push(
    table(
      ["signal", ...scopes.map(([n]) => n)],
      names.map((n) => [n, ...scopes.map(([, s]) => (s.signals[n] ? cell(s.signals[n]!.pearson, s.signals[n]!.ci95.pearson) : "—"))]),
    ),
    "",
  );

  out.push("## Ablations (Pearson [95% CI])", "");
  out.push(
    table(
      ["variant", ...scopes.map(([n]) => n), "weights"],
      ABLATIONS.map((a) => [a, ...scopes.map(([, s]) => cell(s.ablations[a].pearson, s.ablations[a].ci95.pearson)), r.overall.ablations[a].description]),
      ["---", ...scopes.map(() => "---:"), "---"],
    ),
    "",
  );

  out.push(...probabilitySection(r));
  if (r.sensitivity && Object.keys(r.sensitivity).length > 0) {
    out.push("## Weight sensitivity (Dirichlet-sampled weights)", "");
    out.push(
      "Pearson of the composite of the records' own dimension values (identity normalisation, no gates) for weight vectors drawn uniformly from the simplex over the six dimensions.",
      "",
    );
    out.push(
      table(
        ["task", "draws", "min", "5%", "25%", "median", "75%", "95%", "max", "published weights", "share of draws above it", "best draw's weights"],
        Object.entries(r.sensitivity).map(([t, x]) => [
          t,
          String(x.draws),
          f2(x.quantiles.min),
          f2(x.quantiles.p05),
          f2(x.quantiles.p25),
          f2(x.quantiles.median),
          f2(x.quantiles.p75),
          f2(x.quantiles.p95),
          f2(x.quantiles.max),
          f2(x.published),
          pct(x.shareAbovePublished),
          DIMENSIONS.map((d) => `${d} ${x.best[d].toFixed(2)}`).join(", "),
        ]),
        ["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---"],
      ),
      "",
    );
  }

  for (const [name, s] of scopes) {
    out.push(`## Correlation table: ${name} (${s.records} records, ${s.groups} groups, ${s.models} models)`, "");
    out.push(correlationTable(s), "");
    const b = s.bestSingleEvaluator;
    if (b) out.push(`Best single evaluator: **${b.name}** (Pearson ${f2(b.pearson)} ${ci(b.ci95.pearson)}, Spearman ${f2(b.spearman)}, Kendall ${f2(b.kendall)}).`, "");
  }

  out.push("## Calibrated profile", "");
  out.push(`Mode: ${r.calibrated.mode}; every figure of the calibrated composite above is out-of-fold (never scored by a fit that saw its group's human labels).`, "");
  for (const [task, c] of Object.entries(r.calibrated.tasks)) {
    out.push(`### ${task}: strategy \`${c.strategy}\``, "");
    if (c.selection && Object.keys(c.selection).length > 0) {
      out.push(`Inner grouped-CV Pearson per strategy: ${Object.entries(c.selection).map(([k, v]) => `${k} ${f2(v ?? null)}`).join(", ")}.`, "");
    }
    out.push(
      table(
        ["dimension", "weight", "gate (CI low ≥ threshold)", "Pearson 95% CI on calibration rows", "normalisation"],
        DIMENSIONS.map((d) => {
          const g = c.gates[d];
          const n = c.normalization[d];
          return [
            d,
            c.weights[d].toFixed(3),
            g.open ? `open (${f2(g.reliability)} ≥ ${g.threshold})` : `**closed** (${f2(g.reliability)} < ${g.threshold})`,
            ci(g.ci95 ?? null) || "n/a",
            n ? (n.method === "minmax" ? `minmax ${n.lo}..${n.hi}` : n.method === "zscore" ? `zscore ${n.mean}±${n.std}` : "identity") : "identity",
          ];
        }),
        ["---", "---:", "---", "---", "---"],
      ),
      "",
    );
    out.push(`Semantic evaluator mix: ${c.semanticEvaluators.map((e) => `${e.id} ${e.weight.toFixed(3)}`).join(", ")}.`, "");
    if (c.target) out.push(`Calibration map (${c.calibrationMethod ?? "isotonic"}): ${c.calibrationPoints} breakpoints, onto ${c.target}.`, "");
    const mixes = Object.entries(c.mixes ?? {});
    if (mixes.length > 0) {
      out.push(
        table(
          ["mix", ...DIMENSIONS, "semantic evaluators", "strategy", "map"],
          mixes.map(([m, x]) => [
            m,
            ...DIMENSIONS.map((d) => x.weights[d].toFixed(3)),
            x.semanticEvaluators.map((e) => `${e.id} ${e.weight.toFixed(2)}`).join(", "),
            x.strategy,
            `${x.calibrationMethod ?? "isotonic"}, ${x.calibrationPoints} points`,
          ]),
          ["---", ...DIMENSIONS.map(() => "---:"), "---", "---", "---"],
        ),
        "",
      );
    }
    out.push(
      `Model ratings (Elo scale, from training human scores): ${Object.entries(c.modelRatings)
        .map(([m, v]) => `${m} ${v.rating.toFixed(0)} (mean human ${v.meanHuman.toFixed(3)}, ${v.rows} rows)`)
        .join("; ")}.`,
      "",
    );
    for (const note of c.notes) out.push(`- ${note}`);
    if (c.notes.length) out.push("");
  }
  if (r.calibrated.folds.length > 0) {
    out.push(
      `Strategies chosen on the outer training folds: ${r.calibrated.folds.map((f) => `${f.task}/fold ${f.fold}: ${f.strategy}`).join(", ")}.`,
      "",
    );
  }

  out.push("## Failure modes", "");
  for (const [name, s] of scopes) {
    const dims = s.failureModes.dimensions;
    out.push(
      `- **${name}**: ${dims.length === 0 ? "every dimension correlates positively with its interval above 0" : dims.map((d) => `${d.signal} ${d.reason}${d.pearson === null ? "" : ` (${f2(d.pearson)} ${ci(d.ci95)})`}`).join("; ")}`,
    );
  }
  out.push("");
  for (const [name, s] of scopes.slice(1)) {
    out.push(`Largest disagreements, ${name} (calibrated out-of-fold composite vs human):`, "");
    out.push(
      table(
        ["record id", "model", "human", "calibrated", "default"],
        s.failureModes.disagreements.calibrated.map((d) => [`\`${d.id}\``, d.model, d.human.toFixed(3), d.composite.toFixed(3), d.other.toFixed(3)]),
        ["---", "---", "---:", "---:", "---:"],
      ),
      "",
    );
  }
  if (figures) {
    out.push("## Figures", "");
    out.push(`![correlation heatmap](${figures.heatmap})`, "", `![ablations](${figures.ablations})`, "", `![composite vs human](${figures.scatter})`, "");
  }
  return out.join("\n");
}
