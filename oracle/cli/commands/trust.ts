import type { Command } from "commander";
import { formatEther } from "viem";
import { cliContext, formatTable, formatUtc, toJson } from "../../sdk/context.js";
import { chainNow } from "../../chain/clock.js";
import { CONFIG_HELP } from "../help.js";

export function register(program: Command): void {
  program
    .command("trust")
    .description("evaluators in the EvaluatorRegistry: trust, stake and cost (declared and effective for sampling), profiles served, history")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { config?: string; json?: boolean }) => {
      const ctx = await cliContext(o.config);
      const evs = await ctx.reader.getEvaluators();
      if (o.json) return void process.stdout.write(toJson(evs));
      const now = await chainNow(ctx.client);
      const profiles = await ctx.reader.profiles();
      const name = (h: string) => {
        const p = profiles.find((x) => x.hash.toLowerCase() === h.toLowerCase());
        return p ? `#${p.id}` : h.slice(0, 10);
      };
      process.stdout.write(
        formatTable(
          ["evaluator", "trust", "stake", "effective stake", "cost", "profiles", "pending until (UTC)", "assigned", "missed", "earned", "claimable"],
          evs.map((e) => [
            e.address,
            (e.trust / 10_000).toFixed(4),
            formatEther(e.stake),
            formatEther(e.effectiveStake),
            formatEther(e.cost),
            e.profiles.map(name).join(" ") || "-",
            e.pendingAt > now ? formatUtc(e.pendingAt) : "-",
            e.tasksAssigned,
            e.tasksMissed,
            formatEther(e.lifetimeEarned),
            formatEther(e.rewards),
          ]),
        ),
      );
      if (profiles.length) process.stdout.write(`profiles: ${profiles.map((p) => `#${p.id} ${p.hash} (${p.uri}${p.active ? "" : ", retired"})`).join("; ")}\n`);
    });
}
