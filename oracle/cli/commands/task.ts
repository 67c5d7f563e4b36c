import type { Command } from "commander";
import { formatEther, isAddress, isHex, type Address, type Hex } from "viem";
import { InputError } from "../../core/errors.js";
import { createContentStore } from "../../content/store.js";
import { readTaskFile, prepareTask } from "../../sdk/tasks.js";
import { RULES, type RuleName } from "../../sdk/index.js";
import { cliContext, cliSigner, formatTable, formatUtc, toJson } from "../../sdk/context.js";
import { defaultProfile, loadProfile, profileHash } from "../../scoring/profile.js";
import { chainNow, nextBlockTime } from "../../chain/clock.js";
import { tokensArg } from "../args.js";

interface CreateOpts {
  in: string;
  budget: string;
  evalBudget?: string;
  k: string;
  rule: string;
  commitWindow: string;
  revealWindow: string;
  profile?: string;
  nodes?: string;
  batch: string;
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

async function resolveProfileHash(p: string | undefined): Promise<Hex> {
  if (!p) return profileHash(defaultProfile());
  if (isHex(p) && p.length === 66) return p;
  return profileHash(await loadProfile(p));
}

export function register(program: Command): void {
  const task = program.command("task").description("requester: create and inspect PoQ tasks");
  task
    .command("create")
    .description("create one task per line of a JSONL task file (query + outputs), escrowing the budget")
    .requiredOption("--in <file>", "task file: {id, task, query, references?, outputs:[{node, text}]} per line")
    .option("--budget <tokens>", "inference-node budget per task (tokens)", "10")
    .option("--eval-budget <tokens>", "evaluator fee budget per task (default: k x the highest declared cost)")
    .option("--k <n>", "committee size", "5")
    .option("--rule <rule>", `aggregation rule (${RULES.join(", ")})`, "TRUST_WEIGHTED_MEDIAN")
    .option("--commit-window <sec>", "seconds until the commit deadline", "600")
    .option("--reveal-window <sec>", "seconds from the commit deadline to the reveal deadline", "600")
    .option("--profile <file|hash>", "scoring profile (file or keccak256 hash; default: the built-in profile)")
    .option("--nodes <map>", "name=0xADDRESS,... for node names used in the task file")
    .option("--batch <n>", "tasks created per transaction (one approval for all; multicall)", "16")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (o: CreateOpts) => {
      if (!(RULES as readonly string[]).includes(o.rule)) throw new InputError(`--rule: unknown rule "${o.rule}" (known: ${RULES.join(", ")})`, { field: "rule", reason: "unknown" });
      const k = Number(o.k);
      if (!Number.isInteger(k) || k < 1) throw new InputError(`--k must be a positive integer, got "${o.k}"`, { field: "k", reason: "invalid" });
      const nodeBudget = tokensArg("--budget", o.budget);
      const lines = readTaskFile(o.in);
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      const content = createContentStore(ctx.cfg.content);
      let evalBudget: bigint;
      if (o.evalBudget) evalBudget = tokensArg("--eval-budget", o.evalBudget);
      else {
        const evs = await ctx.reader.getEvaluators();
        const max = evs.reduce((m, e) => (e.cost > m ? e.cost : m), 0n);
        evalBudget = max * BigInt(k);
      }
      const profile = await resolveProfileHash(o.profile);
      const now = await nextBlockTime(ctx.client); // not the latest block's time: a local node may have been idle for minutes
      const batch = Number(o.batch);
      if (!Number.isInteger(batch) || batch < 1) throw new InputError(`--batch must be a positive integer, got "${o.batch}"`, { field: "batch", reason: "invalid" });
      const specs: Awaited<ReturnType<typeof prepareTask>>[] = [];
      for (const line of lines) {
        const spec = await prepareTask(line, content, {
          rule: o.rule as RuleName,
          k,
          commitWindow: Number(o.commitWindow),
          revealWindow: Number(o.revealWindow),
          nodeBudget,
          evalBudget,
          profileHash: profile,
          now,
          nodes: parseNodes(o.nodes),
        });
        specs.push(spec);
      }
      const ids = await signer.createTasks(specs, { batch });
      const created = lines.map((line, i) => ({ id: line.id, taskId: ids[i]!, outputs: specs[i]!.nodes.length }));
      if (o.json) process.stdout.write(toJson({ profileHash: profile, evalBudget, tasks: created }));
      else process.stdout.write(formatTable(["record", "task id", "outputs"], created.map((c) => [c.id, c.taskId, c.outputs])) + `profile ${profile}, evaluator budget ${formatEther(evalBudget)} per task\n`);
    });
  task
    .command("show")
    .description("show tasks: status, deadlines, committee, consensus")
    .argument("<ids...>", "task ids")
    .option("--config <file>", "config file")
    .option("--json", "print JSON")
    .action(async (ids: string[], o: { config?: string; json?: boolean }) => {
      const ctx = await cliContext(o.config);
      const tasks = await Promise.all(ids.map((i) => ctx.reader.getTask(BigInt(i))));
      if (o.json) return void process.stdout.write(toJson(tasks));
      process.stdout.write(
        formatTable(
          ["task", "status", "family", "rule", "k", "commits", "reveals", "commit deadline (UTC)", "reveal deadline (UTC)", "consensus (bps)"],
          tasks.map((t) => [t.taskId, t.status, t.family, t.rule, t.k, t.commits, t.reveals, formatUtc(t.commitDeadline), formatUtc(t.revealDeadline), t.consensus.join(" ") || "-"]),
        ),
      );
      for (const t of tasks) process.stdout.write(`committee of task ${t.taskId}: ${t.committee.map((c) => `${c.evaluator} (cost ${formatEther(c.cost)})`).join(", ") || "-"}\n`);
      process.stdout.write(`chain time ${formatUtc(await chainNow(ctx.client))}\n`);
    });
}
