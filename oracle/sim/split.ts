/**
 * Splits scored records by group into a calibration half and a simulation half, so the
 * calibrated profile the simulation uses is learned on other questions/articles than the ones
 * it is simulated on (no in-sample optimism). Deterministic: a group's side depends only on
 * its dataset, id and the seed.
 */
import { readFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { InputError } from "../core/errors.js";
import { hashSeed } from "./rng.js";

export interface SplitResult {
  fit: number;
  sim: number;
  fitGroups: number;
  simGroups: number;
}

/** Whether a group goes to the calibration side. */
export function isFitGroup(dataset: string, group: string, fraction: number, seed: number): boolean {
  return hashSeed(seed, dataset, group) / 4294967296 < fraction;
}

export async function splitScored(inputs: readonly string[], fitOut: string, simOut: string, fraction = 0.5, seed = 1): Promise<SplitResult> {
  if (!(fraction > 0 && fraction < 1)) throw new InputError(`--fraction must be in (0,1), got ${fraction}`, { field: "fraction", reason: "out of range" });
  const fit: string[] = [];
  const sim: string[] = [];
  const fitGroups = new Set<string>();
  const simGroups = new Set<string>();
  for (const file of inputs) {
    const lines = (await readFile(file, "utf8")).split("\n");
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let r: { dataset?: unknown; group?: unknown };
      try {
        r = JSON.parse(line) as typeof r;
      } catch {
        throw new InputError(`${file}:${i + 1}: not JSON`, { line: i + 1, reason: "not JSON" });
      }
      if (typeof r.dataset !== "string" || typeof r.group !== "string") {
        throw new InputError(`${file}:${i + 1}: record needs string fields dataset and group`, { line: i + 1, field: "group", reason: "missing" });
      }
      const key = `${r.dataset}:${r.group}`;
      if (isFitGroup(r.dataset, r.group, fraction, seed)) {
        fit.push(line);
        fitGroups.add(key);
      } else {
        sim.push(line);
        simGroups.add(key);
      }
    });
  }
  for (const [out, rows] of [[fitOut, fit], [simOut, sim]] as const) {
    await mkdir(path.dirname(path.resolve(out)), { recursive: true });
    await writeFile(out, rows.join("\n") + (rows.length ? "\n" : ""));
  }
  return { fit: fit.length, sim: sim.length, fitGroups: fitGroups.size, simGroups: simGroups.size };
}
