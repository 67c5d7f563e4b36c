/**
 * Figures of an audit, rendered headless to SVG with vega-lite -> vega (View.toSVG(), no
 * browser, no canvas): a correlation heatmap of signals by task, ablation bars with their
 * intervals, and composite-vs-human scatter (default and calibrated, per task).
 */
import { renderSvg, VEGA_LITE_SCHEMA as SCHEMA, type TopLevelSpec } from "../core/charts.js";
import type { AuditReport, AuditResult, ScopeReport } from "./audit.js";
import { hashString } from "./rng.js";
import { ABLATIONS } from "./signals.js";


function scopes(report: AuditReport): Array<[string, ScopeReport]> {
  return [["all tasks", report.overall], ...Object.entries(report.tasks)];
}

/** Pearson of every signal (rows) in every task (columns); undefined cells say n/a. */
export function heatmapSpec(report: AuditReport): TopLevelSpec {
  const values: Array<Record<string, unknown>> = [];
  const order: string[] = [];
  for (const [scope, s] of scopes(report)) {
    for (const [name, sig] of Object.entries(s.signals)) {
      if (!order.includes(name)) order.push(name);
      values.push({
        signal: name,
        scope,
        pearson: sig.pearson,
        label: sig.pearson === null ? "n/a" : sig.pearson.toFixed(2),
        ci: sig.ci95.pearson ? `[${sig.ci95.pearson[0].toFixed(2)}, ${sig.ci95.pearson[1].toFixed(2)}]` : "",
      });
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: "Pearson correlation with the human score", subtitle: "signals by task; grey = undefined (constant signal); calibrated = out-of-fold" },
    data: { values },
    width: { step: 90 },
    height: { step: 18 },
    layer: [
      {
        mark: "rect",
        encoding: {
          x: { field: "scope", type: "nominal", title: null, axis: { orient: "top", labelAngle: 0 } },
          y: { field: "signal", type: "nominal", sort: order, title: null },
          color: {
            field: "pearson",
            type: "quantitative",
            scale: { scheme: "redblue", domain: [-1, 1] },
            legend: { title: "Pearson" },
          },
        },
      },
      {
        mark: { type: "text", fontSize: 10 },
        encoding: {
          x: { field: "scope", type: "nominal" },
          y: { field: "signal", type: "nominal", sort: order },
          text: { field: "label", type: "nominal" },
          color: { condition: { test: "datum.pearson !== null && abs(datum.pearson) > 0.6", value: "white" }, value: "black" },
        },
      },
    ],
    config: { view: { stroke: null }, background: "white" },
  } as TopLevelSpec;
}

/** Pearson of each ablation variant with its 95% group-bootstrap interval, one panel per task. */
export function ablationSpec(report: AuditReport): TopLevelSpec {
  const values = scopes(report).flatMap(([scope, s]) =>
    ABLATIONS.map((a) => ({
      scope,
      variant: a,
      pearson: s.ablations[a].pearson,
      lo: s.ablations[a].ci95.pearson?.[0] ?? null,
      hi: s.ablations[a].ci95.pearson?.[1] ?? null,
      calibrated: a === "calibrated" ? "calibrated (out-of-fold)" : "fixed weights",
    })),
  );
  return {
    $schema: SCHEMA,
    title: { text: "Ablations: Pearson of the composite with the human score", subtitle: "bars: point estimate; lines: 95% group-bootstrap interval" },
    data: { values },
    facet: { column: { field: "scope", type: "nominal", title: null } },
    spec: {
      width: 220,
      height: { step: 20 },
      layer: [
        {
          mark: "bar",
          encoding: {
            y: { field: "variant", type: "nominal", sort: [...ABLATIONS], title: null },
            x: { field: "pearson", type: "quantitative", title: "Pearson", scale: { domain: [-0.2, 1] } },
            color: { field: "calibrated", type: "nominal", title: null, scale: { range: ["#1f77b4", "#b0b0b0"], domain: ["calibrated (out-of-fold)", "fixed weights"] } },
          },
        },
        {
          mark: { type: "rule", color: "black" },
          encoding: {
            y: { field: "variant", type: "nominal", sort: [...ABLATIONS] },
            x: { field: "lo", type: "quantitative" },
            x2: { field: "hi" },
          },
        },
      ],
    },
    config: { background: "white" },
  } as TopLevelSpec;
}

/** Composite (default and calibrated) against the human score, per task, at most `maxPoints` a panel. */
export function scatterSpec(points: AuditResult["points"], maxPoints = 400): TopLevelSpec {
  const byTask = new Map<string, AuditResult["points"]>();
  for (const p of points) {
    let l = byTask.get(p.task);
    if (!l) byTask.set(p.task, (l = []));
    l.push(p);
  }
  const values: Array<Record<string, unknown>> = [];
  for (const [task, list] of [...byTask.entries()].sort()) {
    const levels = new Set(list.map((p) => p.human)).size;
    // deterministic subsample and jitter (by id hash), so the SVG is reproducible
    const sample = list.length > maxPoints ? list.filter((p) => hashString(`s:${p.id}`) % list.length < maxPoints) : list;
    for (const p of sample) {
      const jitter = levels <= 12 ? ((hashString(`j:${p.id}`) % 1000) / 1000 - 0.5) * (0.6 / Math.max(1, levels - 1)) : 0;
      values.push({ task, composite: "default", score: p.composite, human: p.human + jitter });
      values.push({ task, composite: "calibrated (out-of-fold)", score: p.calibrated, human: p.human + jitter });
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: "Composite vs human score", subtitle: "one point per output (jittered where human scores are discrete); subsampled for size" },
    data: { values },
    facet: { row: { field: "composite", type: "nominal", title: null }, column: { field: "task", type: "nominal", title: null } },
    spec: {
      width: 260,
      height: 200,
      mark: { type: "circle", size: 10, opacity: 0.35 },
      encoding: {
        x: { field: "human", type: "quantitative", title: "human score", scale: { domain: [-0.15, 1.15] } },
        y: { field: "score", type: "quantitative", title: "composite", scale: { domain: [0, 1] } },
        color: { field: "composite", type: "nominal", legend: null, scale: { range: ["#1f77b4", "#ff7f0e"] } },
      },
    },
    config: { background: "white" },
  } as TopLevelSpec;
}

export interface RenderedFigures {
  heatmap: string;
  ablations: string;
  scatter: string;
}

export async function renderAuditFigures(result: AuditResult): Promise<RenderedFigures> {
  return {
    heatmap: await renderSvg(heatmapSpec(result.report)),
    ablations: await renderSvg(ablationSpec(result.report)),
    scatter: await renderSvg(scatterSpec(result.points)),
  };
}
