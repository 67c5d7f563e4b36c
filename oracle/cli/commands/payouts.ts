import type { Command } from "commander";
import { formatEther, zeroAddress, type Address } from "viem";
import { InputError } from "../../core/errors.js";
import { addressArg } from "../args.js";
import { cliContext, formatTable, toJson } from "../../sdk/context.js";
import { CONFIG_HELP } from "../help.js";

export function register(program: Command): void {
  program
    .command("payouts")
    .description("inference-node payouts (pending and lifetime), and what ProofOfQuality owes evaluators and requesters: claimable, earned (fees + slash shares), refunded")
    .option("--node <address>", "only this inference node")
    .option("--account <address>", "only this account's claimable, earned and refunded balances")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { node?: string; account?: string; config?: string; json?: boolean }) => {
      const onlyNode = o.node !== undefined ? addressArg("--node", o.node) : undefined;
      const onlyAccount = o.account !== undefined ? addressArg("--account", o.account) : undefined;
      const ctx = await cliContext(o.config);
      const parts = onlyNode || onlyAccount ? undefined : await ctx.reader.participants();
      const nodeAddrs: Address[] = onlyNode ? [onlyNode] : onlyAccount ? [] : parts!.nodes;
      const nodes = await Promise.all(nodeAddrs.map((a) => ctx.reader.getNode(a)));
      // An address that never registered reads as zeros: say so instead of printing them.
      if (onlyNode && nodes[0]!.payout === zeroAddress)
        throw new InputError(`${onlyNode} is not a registered inference node (npx poq register node); for an evaluator's or requester's balances use --account`, { field: "node", reason: "not registered" });
      // Evaluators (registry order), then requesters / refund recipients not already listed.
      let accounts: { address: Address; role: string }[] = [];
      if (onlyAccount) accounts = [{ address: onlyAccount, role: "account" }];
      else if (!onlyNode) {
        const evaluators = await ctx.reader.readRegistry<readonly Address[]>("getEvaluators");
        const seen = new Set(evaluators.map((a) => a.toLowerCase()));
        accounts = [...evaluators.map((address) => ({ address, role: "evaluator" })), ...parts!.refundees.filter((a) => !seen.has(a.toLowerCase())).map((address) => ({ address, role: "requester" }))];
      }
      const earned = accounts.length ? await ctx.reader.earnings(onlyAccount) : new Map<string, bigint>();
      const balances = await Promise.all(accounts.map(async (a) => ({ ...a, ...(await ctx.reader.payoutsOf(a.address, earned.get(a.address.toLowerCase()) ?? 0n)) })));
      if (o.json) return void process.stdout.write(toJson({ nodes, accounts: balances }));
      if (nodes.length || onlyNode)
        process.stdout.write(formatTable(["inference node", "model", "pending", "lifetime", "payout address"], nodes.map((n) => [n.address, n.model, formatEther(n.pending), formatEther(n.lifetime), n.payout])));
      if (balances.length)
        process.stdout.write(
          (nodes.length ? "\n" : "") +
            formatTable(["account", "role", "claimable", "earned", "refunded"], balances.map((b) => [b.address, b.role, formatEther(b.claimable), formatEther(b.earned), formatEther(b.refunded)])) +
            "claimable = fees + slash shares + refunds not yet claimed (poq claim [--to ADDR])\n",
        );
    });
}
