/**
 * Headless chart rendering shared by the audit and simulation reports: a vega-lite spec is
 * compiled to vega and rendered to SVG with View.toSVG() (no browser, no canvas).
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

export type { TopLevelSpec };

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
