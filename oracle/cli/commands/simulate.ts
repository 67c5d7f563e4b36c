/**
 * `poq simulate --config FILE --out DIR`: the adversarial Monte Carlo on the contract's
 * mirrored v2 rules: scoring attacks by evaluators (boost, collude, copy, ...), and the
 * protocol attacks "self-deal" (a requester with sybil evaluators), "whitewash" (low-trust
 * identities re-registering) and "short-window" (a requester using the minimum windows), over
 * evaluators with different declared costs and a sweep of task prices. The config is validated
 * in full (and the scored data loaded) before any simulation starts.
 */
import type { Command } from "commander";
import cliProgress from "cli-progress";
import { createLogger } from "../../core/log.js";
import { countRuns, loadSimConfig, prepareData, runSweep, writeOutputs } from "../../sim/index.js";
import { rerenderOutputs, summarizeData } from "../../sim/report.js";
import { splitScored } from "../../sim/split.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function register(program: Command): void {
  program
    .command("simulate")
    .description(
      "adversarial PoQ simulation on the v2 rules: attacks (incl. self-deal, whitewash, short-window) x attacker ratios x defenses x quality signals x committee sizes x prices",
    )
    .requiredOption("--config <file>", "simulation config (JSON)")
    .requiredOption("--out <dir>", "output directory (simulation.json, summary.md, figures/)")
    .option("--no-progress", "no progress bar")
    .option("--rerender", "only re-render summary.md and figures from an existing DIR/simulation.json")
    .action(async (o: { config: string; out: string; progress: boolean; rerender?: boolean }) => {
      const log = createLogger("simulate");
      const cfg = await loadSimConfig(o.config);
      if (o.rerender) {
        const out = await rerenderOutputs(o.out, cfg, o.config);
        process.stdout.write(`wrote ${out.summary}\n${out.figures.map((f) => `wrote ${f}`).join("\n")}\n`);
        return;
      }
      const data = await prepareData(cfg);
      const total = countRuns(cfg, data.partitions.length);
      log.info({ runs: total, rounds: cfg.rounds, partitions: data.partitions.map((p) => p.name) }, "simulation starts");
      const bar =
        o.progress && process.stderr.isTTY
          ? new cliProgress.SingleBar({ format: "simulate [{bar}] {value}/{total} runs | {eta_formatted} left", stream: process.stderr }, cliProgress.Presets.shades_classic)
          : null;
      bar?.start(total, 0);
      const t0 = performance.now();
      // Without a terminal, a log line every 10% of the runs instead of the bar.
      let nextLog = 0.1;
      const res = runSweep(cfg, data.partitions, (p) => {
        if (bar) bar.update(p.done);
        else if (p.done / p.total >= nextLog) {
          log.info({ done: p.done, total: p.total, seconds: Math.round((performance.now() - t0) / 1000) }, "simulation progress");
          nextLog += 0.1;
        }
      });
      bar?.stop();
      const elapsedMs = performance.now() - t0;
      const out = await writeOutputs(o.out, cfg, res, { configFile: o.config, data: summarizeData(data), elapsedMs });
      log.info({ runs: res.runs, roundsPerSec: Math.round(res.roundsSimulated / (elapsedMs / 1000)) }, "simulation done");
      process.stdout.write(`wrote ${out.json}\nwrote ${out.summary}\n${out.figures.map((f) => `wrote ${f}`).join("\n")}\n`);
    });

  program
    .command("simulate-split")
    .description("split scored records by group into a calibration half (for poq audit --calibrate-on) and a simulation half")
    .requiredOption("--in <file>", "scored JSONL (repeatable)", collect)
    .requiredOption("--fit <file>", "output: records of the calibration groups")
    .requiredOption("--sim <file>", "output: records of the simulation groups")
    .option("--fraction <x>", "share of groups used for calibration", "0.5")
    .option("--seed <n>", "split seed", "1")
    .action(async (o: { in: string[]; fit: string; sim: string; fraction: string; seed: string }) => {
      const r = await splitScored(o.in, o.fit, o.sim, Number(o.fraction), Number(o.seed));
      process.stdout.write(`fit: ${r.fit} records (${r.fitGroups} groups) -> ${o.fit}\nsim: ${r.sim} records (${r.simGroups} groups) -> ${o.sim}\n`);
    });
}
