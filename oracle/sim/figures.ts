/**
 * Figures of a simulation: vega-lite specs compiled to vega and rendered headless to SVG
 * (vega View.toSVG(), no browser, no canvas).
 */
import { renderSvg, VEGA_LITE_SCHEMA as SCHEMA, type TopLevelSpec } from "../core/charts.js";
import type { SimRow, Trajectory } from "./sweep.js";


/** Trust of honest members vs attackers over rounds, one panel per attack. */
export function trustTrajectorySpec(trajs: readonly Trajectory[], title: string): TopLevelSpec {
  const values = trajs.flatMap((t) =>
    t.round.flatMap((r, i) => [
      { attack: t.attack, dataset: t.dataset, round: r, group: "honest", trust: t.honest[i] },
      ...(Number.isFinite(t.attacker[i]) ? [{ attack: t.attack, dataset: t.dataset, round: r, group: "malicious", trust: t.attacker[i] }] : []),
    ]),
  );
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { row: { field: "dataset", type: "nominal" }, column: { field: "attack", type: "nominal" } },
    spec: {
      width: 160,
      height: 120,
      mark: { type: "line", strokeWidth: 2 },
      encoding: {
        x: { field: "round", type: "quantitative", title: "round" },
        y: { field: "trust", type: "quantitative", title: "mean trust (1 = initial)" },
        color: {
          field: "group",
          type: "nominal",
          scale: { domain: ["honest", "malicious"], range: ["#1f77b4", "#d62728"] },
          title: "evaluators",
        },
      },
    },
  } as TopLevelSpec;
}

/** A metric by attacker ratio, one line per defense, one panel per signal (rows: dataset). */
export function byRatioSpec(rows: readonly SimRow[], metric: keyof SimRow & string, yTitle: string, title: string, zeroLine = false): TopLevelSpec {
  const ci = `${metric}Ci95` as keyof SimRow;
  const values = rows
    .filter((r) => typeof r[metric] === "number")
    .map((r) => {
      const band = r[ci] as [number, number] | null | undefined;
      return {
        dataset: r.dataset,
        signal: r.signal,
        defense: r.defense,
        attackerRatio: r.attackerRatio,
        value: r[metric] as number,
        lo: band ? band[0] : (r[metric] as number),
        hi: band ? band[1] : (r[metric] as number),
      };
    });
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { row: { field: "dataset", type: "nominal" }, column: { field: "signal", type: "nominal" } },
    spec: {
      width: 170,
      height: 140,
      layer: [
        {
          mark: { type: "area", opacity: 0.15 },
          encoding: {
            x: { field: "attackerRatio", type: "quantitative", title: "attacker ratio" },
            y: { field: "lo", type: "quantitative", title: yTitle },
            y2: { field: "hi" },
            color: { field: "defense", type: "nominal" },
          },
        },
        {
          mark: { type: "line", point: true },
          encoding: {
            x: { field: "attackerRatio", type: "quantitative" },
            y: { field: "value", type: "quantitative" },
            color: { field: "defense", type: "nominal", title: "defense", legend: { labelLimit: 400 } },
          },
        },
        ...(zeroLine ? [{ mark: { type: "rule", color: "#555", strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } }] : []),
      ],
    },
    resolve: { scale: { y: "shared" } },
  } as TopLevelSpec;
}

/** A metric by committee size for one attack and ratio, one line per defense. */
export function byCommitteeSpec(rows: readonly SimRow[], metric: keyof SimRow & string, yTitle: string, title: string): TopLevelSpec {
  const values = rows
    .filter((r) => typeof r[metric] === "number")
    .map((r) => ({ dataset: r.dataset, signal: r.signal, defense: r.defense, committeeSize: r.committeeSize, value: r[metric] as number }));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { row: { field: "dataset", type: "nominal" }, column: { field: "signal", type: "nominal" } },
    spec: {
      width: 170,
      height: 140,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "committeeSize", type: "quantitative", title: "committee size k" },
        y: { field: "value", type: "quantitative", title: yTitle },
        color: { field: "defense", type: "nominal", title: "defense", legend: { labelLimit: 400 } },
      },
    },
  } as TopLevelSpec;
}

/** A metric by price per committee member, one line per attack and ratio, one panel per dataset. */
export function byFeeSpec(rows: readonly SimRow[], metric: keyof SimRow & string, yTitle: string, title: string): TopLevelSpec {
  const values = rows
    .filter((r) => typeof r[metric] === "number")
    .map((r) => ({ dataset: r.dataset, series: `${r.attack} ${Math.round(r.attackerRatio * 100)}% (${r.defense})`, fee: r.feePerMember, value: r[metric] as number }));
  return {
    $schema: SCHEMA,
    title,
    data: { values },
    facet: { column: { field: "dataset", type: "nominal" } },
    spec: {
      width: 220,
      height: 160,
      mark: { type: "line", point: true },
      encoding: {
        x: { field: "fee", type: "quantitative", title: "price per member (tokens)" },
        y: { field: "value", type: "quantitative", title: yTitle },
        color: { field: "series", type: "nominal", title: "configuration", legend: { labelLimit: 400 } },
      },
    },
  } as TopLevelSpec;
}
