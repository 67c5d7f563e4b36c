import type { Command } from "commander";
import { formatEther, isHex, type Hex } from "viem";
import { modelIdOf } from "../../chain/poq.js";
import { RevertError } from "../../chain/errors.js";
import { InputError } from "../../core/errors.js";
import { profileHash } from "../../scoring/profile.js";
import { payingProfile, resolveProfile } from "../../scoring/paying-profile.js";
import { addressArg, onChainProfileArg, tokensArg } from "../args.js";
import { cliContext, cliSigner, formatUtc, toJson, type CliContext } from "../../sdk/context.js";
import { CONFIG_HELP } from "../help.js";

/** --profile values (files, names or hashes) to hashes; none: the paying profile. */
async function profileHashes(list: string[]): Promise<Hex[]> {
  if (list.length === 0) return [profileHash(await payingProfile())];
  return Promise.all(list.map(async (p) => onChainProfileArg("--profile", isHex(p) && p.length === 66 ? (p as Hex) : profileHash(await resolveProfile(p)))));
}

/** One line that names the unknown profile and what is registered. */
async function unknownProfileError(ctx: CliContext, hash: string): Promise<InputError> {
  const known = await ctx.reader.profiles().catch(() => []);
  return new InputError(
    `profile ${hash} is not registered on chain (UnknownProfile: the ProfileRegistry's governance registers profiles); registered: ${known.map((p) => `${p.hash} (${p.uri}${p.active ? "" : ", retired"})`).join(", ") || "none"}`,
    { field: "profile", reason: "unknown" },
  );
}

/** Checked before anything is sent (no approval left behind); the contract's revert as a fallback. */
async function checkProfiles(ctx: CliContext, hashes: Hex[]): Promise<void> {
  for (const h of hashes) if (!(await ctx.reader.getProfile(h))) throw await unknownProfileError(ctx, h);
}

async function unknownProfile(ctx: CliContext, err: unknown): Promise<never> {
  if (err instanceof RevertError && err.errorName === "UnknownProfile") throw await unknownProfileError(ctx, String(err.errorArgs[0]));
  throw err;
}

export function register(program: Command): void {
  const reg = program.command("register").description("register the signing key as an evaluator (stake) or an inference node (payout address, model)");
  reg
    .command("evaluator")
    .description("approve and bond --stake tokens in the EvaluatorRegistry, declare the --cost charged a task and the --profile(s) served; the first configured key signs")
    .requiredOption("--stake <tokens>", "tokens to bond (at least the registry's minimum stake)")
    .requiredOption("--cost <tokens>", "tokens charged per task (sampled only for tasks paying at least this a member)")
    .option("--profile <file|name|hash...>", "scoring profiles served (files, \"calibrated\", or registered hashes; default: the paying, calibrated profile; \"default\" is not for money and not registered); the worker must load each", (v: string, acc: string[] = []) => [...acc, v])
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: { stake: string; cost: string; profile?: string[]; config?: string; json?: boolean }) => {
      const stake = tokensArg("--stake", o.stake);
      const cost = tokensArg("--cost", o.cost, { allowZero: true });
      const profiles = await profileHashes(o.profile ?? []);
      const ctx = await cliContext(o.config);
      await checkProfiles(ctx, profiles);
      const signer = await cliSigner(ctx);
      await signer.registerEvaluator(stake, cost, profiles).catch((err: unknown) => unknownProfile(ctx, err));
      const e = await ctx.reader.getEvaluator(signer.sender.address);
      if (o.json) process.stdout.write(toJson(e));
      else
        process.stdout.write(
          `registered evaluator ${e.address}: stake ${formatEther(e.stake)}, cost ${formatEther(e.cost)}, trust ${(e.trust / 10_000).toFixed(4)}, profiles ${e.profiles.join(", ")}\n` +
            `sampled from ${formatUtc(e.pendingAt)} UTC (the registry's activation delay)\n`,
        );
    });
  reg
    .command("node")
    .description("register the signing key as an inference node serving --model; payouts go to --payout (default: the key's own address)")
    .requiredOption("--model <name>", "model name (at most 32 bytes; the scoring engine's model prior reads it)")
    .option("--payout <address>", "where payouts are sent")
    .option("--config <file>", CONFIG_HELP)
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
