import type { Command } from "commander";
import { formatEther, isAddress, isHex, type Address, type Hex } from "viem";
import { InputError } from "../../core/errors.js";
import { createContentStore } from "../../content/store.js";
import { readTaskFile, prepareTask, type TaskLine } from "../../sdk/tasks.js";
import { RULES, type RuleName } from "../../sdk/index.js";
import { cliContext, cliSigner, formatTable, formatUtc, toJson } from "../../sdk/context.js";
import { profileHash } from "../../scoring/profile.js";
import { payingProfile, resolveProfile } from "../../scoring/paying-profile.js";
import type { GovernanceParams } from "../../rules/constants.js";
import { chainNow } from "../../chain/clock.js";
import { addressArg, onChainProfileArg, tokensArg, taskIdArg } from "../args.js";
import { CONFIG_HELP } from "../help.js";

interface CreateOpts {
  in: string;
  budget: string;
  evalBudget?: string;
  k: string;
  rule: string;
  commitWindow: string;
  revealWindow: string;
  refundTo?: string;
  profile?: string;
  nodes?: string;
  batch: string;
  draw: boolean;
  config?: string;
  json?: boolean;
}

function parseNodes(s: string | undefined): Record<string, Address> {
  const out: Record<string, Address> = {};
  for (const part of (s ?? "").split(",").filter(Boolean)) {
    const [name, addr] = part.split("=");
    if (!name || !addr || !isAddress(addr)) throw new InputError(`--nodes: "${part}" is not name=0xADDRESS`, { field: "nodes", reason: "malformed" });
    out[name] = addr;
  }
  return out;
}

/**
 * --profile: a keccak256 hash, a name ("calibrated") or a profile file; default: the paying
 * profile. The default profile (by name or hash) is refused: it is not for money and no
 * deployment registers it.
 */
async function resolveProfileHash(p: string | undefined): Promise<Hex> {
  if (!p) return profileHash(await payingProfile());
  if (isHex(p) && p.length === 66) return onChainProfileArg("--profile", p);
  return onChainProfileArg("--profile", profileHash(await resolveProfile(p)));
}

function intArg(flag: string, v: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InputError(`${flag} must be ${min === -Infinity ? "a whole number of seconds" : `an integer >= ${min}`}, got "${v}"`, { field: flag.replace(/^--/, ""), reason: "invalid" });
  return n;
}

/** The windows against the contract's bounds: one clear line naming the flag and the allowed range. */
function checkWindows(commitWindow: number, revealWindow: number, p: GovernanceParams["tasks"]): void {
  const check = (flag: string, v: number, lo: number, hi: number) => {
    if (v < Number(lo) || v > Number(hi))
      throw new InputError(`${flag} ${v} s is outside what the contract allows: ${lo} to ${hi} s`, { field: flag.replace(/^--/, ""), reason: "range" });
  };
  check("--commit-window", commitWindow, p.minCommitWindow, p.maxCommitWindow);
  check("--reveal-window", revealWindow, p.minRevealWindow, p.maxRevealWindow);
}

/**
 * An output with no text (or only whitespace) is one `poq score` refuses ("empty output"):
 * refused here too, before anything is escrowed, naming every such output.
 */
function checkOutputTexts(file: string, lines: readonly TaskLine[]): void {
  const empty = lines.flatMap((l) => l.outputs.flatMap((out, j) => (out.text.trim() === "" ? [`task ${l.id}: outputs.${j} (node ${out.node}): empty output`] : [])));
  if (empty.length) throw new InputError(`${file}: ${empty.join("; ")} (an output must have text, as for poq score)`, { field: "outputs.text", reason: "empty output" });
}

const STATUS_LABEL = (s: string) => s.toUpperCase();

export function register(program: Command): void {
  const task = program.command("task").description("requester: create and inspect PoQ tasks");
  task
    .command("create")
    .description("create one task per line of a JSONL task file (query + outputs), escrowing the budgets; then draw each committee")
    .requiredOption("--in <file>", "task file: {id, task, query, references?, outputs:[{node, text, verdict?}]} per line (verdict is ignored)")
    .option("--budget <tokens>", "inference-node budget per task (tokens)", "10")
    .option("--eval-budget <tokens>", "committee budget per task: fee per member = this / k (default: k x the highest cost declared by an evaluator serving the profile, at least the contract's minimum fee)")
    .option("--k <n>", "committee size", "5")
    .option("--rule <rule>", `aggregation rule (${RULES.join(", ")})`, "TRUST_WEIGHTED_MEDIAN")
    .option("--commit-window <sec>", "seconds from the committee draw to the commit deadline", "600")
    .option("--reveal-window <sec>", "seconds from the commit deadline to the reveal deadline", "600")
    .option("--refund-to <address>", "where refunds are credited (default: the signing key)")
    .option("--profile <file|name|hash>", "scoring profile registered on chain: a file, \"calibrated\", or a keccak256 hash (default: the paying, calibrated profile; \"default\" is not for money and not registered)")
    .option("--nodes <map>", "name=0xADDRESS,... for node names used in the task file")
    .option("--batch <n>", "tasks created (and drawn) per transaction (one approval for all; createTasks and drawCommittees)", "16")
    .option("--no-draw", "leave the tasks pending (any evaluator worker draws them in a later block)")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (o: CreateOpts) => {
      if (!(RULES as readonly string[]).includes(o.rule)) throw new InputError(`--rule: unknown rule "${o.rule}" (known: ${RULES.join(", ")})`, { field: "rule", reason: "unknown" });
      const k = intArg("--k", o.k);
      // Any integer here: the contract's bounds, read below, are the limits the message names.
      const commitWindow = intArg("--commit-window", o.commitWindow, -Infinity);
      const revealWindow = intArg("--reveal-window", o.revealWindow, -Infinity);
      const batch = intArg("--batch", o.batch);
      const nodeBudget = tokensArg("--budget", o.budget);
      const refundTo = o.refundTo !== undefined ? addressArg("--refund-to", o.refundTo) : undefined;
      const nodes = parseNodes(o.nodes);
      const lines = readTaskFile(o.in);
      checkOutputTexts(o.in, lines);
      const profile = await resolveProfileHash(o.profile);
      const ctx = await cliContext(o.config);
      const gov = await ctx.reader.governanceParams();
      checkWindows(commitWindow, revealWindow, gov.tasks);
      if (k < Number(gov.tasks.minK)) throw new InputError(`--k ${k} is under the contract's minimum committee of ${gov.tasks.minK}`, { field: "k", reason: "range" });
      const info = await ctx.reader.getProfile(profile);
      if (!info?.active) {
        const known = (await ctx.reader.profiles()).filter((p) => p.active).map((p) => `${p.hash} (${p.uri})`);
        throw new InputError(`profile ${profile} is ${info ? "retired" : "not registered"} on chain: tasks may name only ${known.join(", ") || "(none registered)"}`, { field: "profile", reason: "unknown" });
      }
      const signer = await cliSigner(ctx);
      const content = createContentStore(ctx.cfg.content);
      let evalBudget: bigint;
      if (o.evalBudget) evalBudget = tokensArg("--eval-budget", o.evalBudget);
      else {
        const evs = (await ctx.reader.getEvaluators()).filter((e) => e.profiles.some((p) => p.toLowerCase() === profile.toLowerCase()));
        const max = evs.reduce((m, e) => (e.cost > m ? e.cost : m), 0n);
        const min = BigInt(gov.tasks.minFeePerMember);
        evalBudget = (max > min ? max : min) * BigInt(k);
      }
      const fee = evalBudget / BigInt(k);
      if (fee < BigInt(gov.tasks.minFeePerMember))
        throw new InputError(`--eval-budget ${formatEther(evalBudget)} pays ${formatEther(fee)} a member, under the contract's minimum of ${formatEther(BigInt(gov.tasks.minFeePerMember))}`, { field: "eval-budget", reason: "range" });
      const specs: Awaited<ReturnType<typeof prepareTask>>[] = [];
      for (const line of lines) specs.push(await prepareTask(line, content, { rule: o.rule as RuleName, k, commitWindow, revealWindow, nodeBudget, evalBudget, profileHash: profile, refundTo, nodes }));
      const ids = await signer.createTasks(specs, { batch });
      // The draw's seed is the hash of the creating block: it goes in a later block.
      const draws = o.draw ? await signer.drawCommittees(ids, { batch }) : undefined;
      const created = lines.map((line, i) => {
        const d = draws?.[i];
        return { id: line.id, taskId: ids[i]!, outputs: specs[i]!.nodes.length, status: d?.status ?? "pending", committee: d?.members ?? [], commitDeadline: d?.commitDeadline, revealDeadline: d?.revealDeadline, refund: d?.refund };
      });
      if (o.json) return void process.stdout.write(toJson({ profileHash: profile, evalBudget, fee, tasks: created }));
      process.stdout.write(
        formatTable(
          ["record", "task id", "outputs", "status", "commit deadline (UTC)", "reveal deadline (UTC)"],
          created.map((c) => [c.id, c.taskId, c.outputs, STATUS_LABEL(c.status), c.commitDeadline ? formatUtc(c.commitDeadline) : "-", c.revealDeadline ? formatUtc(c.revealDeadline) : "-"]),
        ),
      );
      const minEligible = Number((gov.tasks as { minEligibleBps?: number }).minEligibleBps ?? 0);
      const cancelReason =
        `no committee: fewer than ${k} evaluators serving the profile take ${formatEther(fee)} a member` +
        (minEligible > 0 ? `, or those that do hold under ${minEligible / 100}% of the weight of all evaluators (any profile, any cost)` : "");
      for (const c of created) {
        if (c.status === "open") process.stdout.write(`committee of task ${c.taskId}: ${c.committee.join(", ")}\n`);
        else if (c.status === "cancelled") process.stdout.write(`task ${c.taskId} CANCELLED: ${cancelReason}; ${formatEther(c.refund ?? 0n)} refunded (poq claim)\n`);
      }
      process.stdout.write(`profile ${profile}, evaluator budget ${formatEther(evalBudget)} per task (${formatEther(fee)} a member)${o.draw ? "" : "; committees not drawn (--no-draw)"}\n`);
    });
  task
    .command("show")
    .description("show tasks: status (PENDING, OPEN, FINALIZED, CANCELLED), deadlines, committee, consensus")
    .argument("<ids...>", "task ids")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (ids: string[], o: { config?: string; json?: boolean }) => {
      const taskIds = ids.map((i) => taskIdArg(i)); // before connecting: a typo needs no RPC
      const ctx = await cliContext(o.config);
      const tasks = await Promise.all(taskIds.map((i) => ctx.reader.getTask(i)));
      if (o.json) return void process.stdout.write(toJson(tasks));
      const when = (t: bigint) => (t === 0n ? "-" : formatUtc(t));
      process.stdout.write(
        formatTable(
          ["task", "status", "family", "rule", "k", "commits", "reveals", "commit deadline (UTC)", "reveal deadline (UTC)", "consensus (bps)"],
          tasks.map((t) => [t.taskId, STATUS_LABEL(t.status), t.family, t.rule, t.k, t.commits, t.reveals, when(t.commitDeadline), when(t.revealDeadline), t.consensus.join(" ") || "-"]),
        ),
      );
      for (const t of tasks) {
        const who = t.committee.length ? t.committee.join(", ") : t.status === "pending" ? "not drawn yet" : "-";
        process.stdout.write(`committee of task ${t.taskId}: ${who} (fee ${formatEther(t.fee)} each)\n`);
        // Consensus is per output, in the task's output order: name the node of each value.
        if (t.consensus.length)
          process.stdout.write(`consensus of task ${t.taskId} (bps): ${t.outputs.map((out, j) => `${out.node} ${t.consensus[j] ?? "-"}`).join(", ")}\n`);
      }
      process.stdout.write(`chain time ${formatUtc(await chainNow(ctx.client))}\n`);
    });
}
