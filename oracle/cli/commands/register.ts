import type { Command } from "commander";
import { formatEther } from "viem";
import { modelIdOf } from "../../chain/poq.js";
import { addressArg, tokensArg } from "../args.js";
import { cliContext, cliSigner, toJson } from "../../sdk/context.js";

export function register(program: Command): void {
  const reg = program.command("register").description("register the signing key as an evaluator (stake) or an inference node (payout address, model)");
  reg
    .command("evaluator")
    .description("approve and bond --stake tokens, declare the --cost charged a task; the first configured key signs")
    .requiredOption("--stake <tokens>", "tokens to bond (at least the contract's minimum stake)")
    .requiredOption("--cost <tokens>", "tokens charged per task (committees are sampled under the requester's budget)")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (o: { stake: string; cost: string; config?: string; json?: boolean }) => {
      const stake = tokensArg("--stake", o.stake);
      const cost = tokensArg("--cost", o.cost, { allowZero: true });
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      await signer.registerEvaluator(stake, cost);
      const e = await ctx.reader.getEvaluator(signer.sender.address);
      if (o.json) process.stdout.write(toJson(e));
      else process.stdout.write(`registered evaluator ${e.address}: stake ${formatEther(e.stake)}, cost ${formatEther(e.cost)}, trust ${(e.trust / 10_000).toFixed(4)}\n`);
    });
  reg
    .command("node")
    .description("register the signing key as an inference node serving --model; payouts go to --payout (default: the key's own address)")
    .requiredOption("--model <name>", "model name (at most 32 bytes; the scoring engine's model prior reads it)")
    .option("--payout <address>", "where payouts are sent")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (o: { model: string; payout?: string; config?: string; json?: boolean }) => {
      const payout = o.payout !== undefined ? addressArg("--payout", o.payout) : undefined;
      const modelId = modelIdOf(o.model);
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      const me = signer.sender.address;
      await signer.registerNode(payout ?? me, modelId);
      const n = await ctx.reader.getNode(me);
      if (o.json) process.stdout.write(toJson(n));
      else process.stdout.write(`registered inference node ${n.address}: model ${n.model}, payouts to ${n.payout}\n`);
    });
}
