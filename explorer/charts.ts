/** Charts drawn with vega-lite, rendered on the server to SVG (no script or CDN in the page). */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const theme = { background: "transparent", config: { font: "system-ui, sans-serif", axis: { labelFontSize: 11, titleFontSize: 11 }, view: { stroke: null } } };

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...theme, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  // scale to the container width (phones)
  return svg.replace("<svg ", '<svg preserveAspectRatio="xMinYMin meet" style="max-width:100%;height:auto" ');
}

/** Histogram of trust values (bps) of the active evaluators. */
export function trustDistribution(trust: number[]) {
  return renderSvg({
    width: 320,
    height: 140,
    data: { values: trust.map((t) => ({ trust: t / 10_000 })) },
    mark: { type: "bar", color: "#3b6ea5" },
    encoding: {
      x: { field: "trust", type: "quantitative", bin: { extent: [0, 1], step: 0.1 }, title: "trust" },
      y: { aggregate: "count", type: "quantitative", title: "evaluators" },
    },
  });
}

/** A step line of `value` over `x` (a trust or stake history). */
export function stepLine(points: { x: number; value: number }[], xTitle: string, yTitle: string, color = "#3b6ea5") {
  return renderSvg({
    width: 320,
    height: 140,
    data: { values: points },
    mark: { type: "line", interpolate: "step-after", point: true, color },
    encoding: {
      x: { field: "x", type: "quantitative", title: xTitle, scale: { zero: false }, axis: { tickMinStep: 1, format: "d" } },
      y: { field: "value", type: "quantitative", title: yTitle, scale: { zero: false } },
    },
  });
}
