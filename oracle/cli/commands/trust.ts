import type { Command } from "commander";
import { formatEther } from "viem";
import { cliContext, formatTable, toJson } from "../../sdk/context.js";

export function register(program: Command): void {
  program
    .command("trust")
    .description("evaluators' trust, stake and history")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (o: { config?: string; json?: boolean }) => {
      const ctx = await cliContext(o.config);
      const evs = await ctx.reader.getEvaluators();
      if (o.json) return void process.stdout.write(toJson(evs));
      process.stdout.write(
        formatTable(
          ["evaluator", "trust", "stake", "cost", "assigned", "revealed", "missed", "earned"],
          evs.map((e) => [e.address, (e.trust / 10_000).toFixed(4), formatEther(e.stake), formatEther(e.cost), e.tasksAssigned, e.tasksRevealed, e.tasksMissed, formatEther(e.lifetimeEarned)]),
        ),
      );
    });
}
