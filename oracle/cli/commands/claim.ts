import type { Command } from "commander";
import { formatEther } from "viem";
import { addressArg } from "../args.js";
import { cliContext, cliSigner, toJson } from "../../sdk/context.js";
import { CONFIG_HELP } from "../help.js";

export function register(program: Command): void {
  program
    .command("claim")
    .description("withdraw your claimable balance (refunds, evaluator fees, slash shares) to --to (default: your key), or (--node) pay a node's pending payouts to its payout address")
    .option("--to <address>", "where your claimable balance is sent (default: the signing key)")
    .option("--node <address>", "pay out this inference node instead")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { to?: string; node?: string; config?: string; json?: boolean }) => {
      const node = o.node !== undefined ? addressArg("--node", o.node) : undefined;
      const to = o.to !== undefined ? addressArg("--to", o.to) : undefined;
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      const who = node ?? signer.sender.address;
      const amount = node ? (await ctx.reader.getNode(who)).pending : await ctx.reader.claimableOf(who);
      const paidTo = node ? (await ctx.reader.getNode(who)).payout : (to ?? who);
      const tx = node ? await signer.claimNode(who) : await signer.claim(paidTo);
      if (o.json) process.stdout.write(toJson({ account: who, to: paidTo, amount, tx }));
      else process.stdout.write(`claimed ${formatEther(amount)} for ${who} to ${paidTo}\ntx ${tx}\n`);
    });
}
