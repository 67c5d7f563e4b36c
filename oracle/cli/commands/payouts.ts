import type { Command } from "commander";
import { formatEther, type Address } from "viem";
import { addressArg } from "../args.js";
import { cliContext, formatTable, toJson } from "../../sdk/context.js";

export function register(program: Command): void {
  program
    .command("payouts")
    .description("inference-node payouts (pending and lifetime) and evaluator rewards")
    .option("--node <address>", "only this inference node")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (o: { node?: string; config?: string; json?: boolean }) => {
      const only = o.node !== undefined ? addressArg("--node", o.node) : undefined;
      const ctx = await cliContext(o.config);
      const addrs: Address[] = only ? [only] : await ctx.reader.knownNodes();
      const nodes = await Promise.all(addrs.map((a) => ctx.reader.getNode(a)));
      const evaluators = o.node ? [] : await ctx.reader.getEvaluators();
      if (o.json) return void process.stdout.write(toJson({ nodes, evaluators: evaluators.map((e) => ({ address: e.address, rewards: e.rewards, lifetimeEarned: e.lifetimeEarned })) }));
      process.stdout.write(formatTable(["inference node", "model", "pending", "lifetime", "payout address"], nodes.map((n) => [n.address, n.model, formatEther(n.pending), formatEther(n.lifetime), n.payout])));
      if (evaluators.length) process.stdout.write("\n" + formatTable(["evaluator", "claimable rewards", "lifetime earned"], evaluators.map((e) => [e.address, formatEther(e.rewards), formatEther(e.lifetimeEarned)])));
    });
}
