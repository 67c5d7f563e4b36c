import type { Command } from "commander";
import { formatEther } from "viem";
import { InputError } from "../../core/errors.js";
import { cliContext, cliSigner, toJson } from "../../sdk/context.js";
import { loadAccounts, promptHidden } from "../../chain/keys.js";
import { loadConfig } from "../../config/index.js";
import { addressArg, tokensArg } from "../args.js";
import { CONFIG_HELP } from "../help.js";

export function register(program: Command): void {
  const token = program.command("token").description("the settlement token of the deployed PoQ contract: balances and transfers");
  token
    .command("balance")
    .description("token balance of --of (default: the first configured key)")
    .option("--of <address>", "account")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { of?: string; config?: string; json?: boolean }) => {
      const who = o.of !== undefined ? addressArg("--of", o.of) : undefined;
      const account = who ?? (await firstKeyAddress(loadConfig({ file: o.config }).keys)); // before connecting
      const ctx = await cliContext(o.config);
      const balance = await ctx.reader.tokenBalance(account);
      if (o.json) process.stdout.write(toJson({ token: await ctx.reader.token(), account, balance }));
      else process.stdout.write(`${account}: ${formatEther(balance)}\n`);
    });
  token
    .command("transfer")
    .description("send tokens from the first configured key (e.g. fund evaluators and requesters on a local chain from the deployer)")
    .requiredOption("--to <address>", "recipient")
    .requiredOption("--amount <tokens>", "whole tokens, e.g. 1000 or 0.5")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { to: string; amount: string; config?: string; json?: boolean }) => {
      const to = addressArg("--to", o.to);
      const amount = tokensArg("--amount", o.amount);
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      const have = await ctx.reader.tokenBalance(signer.sender.address);
      if (have < amount) throw new InputError(`${signer.sender.address} holds ${formatEther(have)} tokens, cannot send ${formatEther(amount)}`, { field: "amount", reason: "balance" });
      await signer.tokenTransfer(to, amount);
      const toBalance = await ctx.reader.tokenBalance(to);
      if (o.json) process.stdout.write(toJson({ from: signer.sender.address, to, amount, toBalance }));
      else process.stdout.write(`sent ${formatEther(amount)} to ${to} (its balance now ${formatEther(toBalance)})\n`);
    });
}

/** The address of the first configured key (a balance needs no signature, only whose it is). */
async function firstKeyAddress(keys: Parameters<typeof loadAccounts>[0]) {
  const [first] = await loadAccounts(keys, process.env, process.stdin.isTTY ? promptHidden : undefined);
  if (!first) throw new InputError("whose balance? pass --of <address>, or set POQ_KEYSTORES (+ POQ_KEYSTORE_PASSWORD) or POQ_PRIVATE_KEYS for the first key's", { field: "of", reason: "missing" });
  return first.address;
}
