import type { Command } from "commander";
import { taskIdArg } from "../args.js";
import { cliContext, cliSigner, formatTable, toJson } from "../../sdk/context.js";
import { CONFIG_HELP } from "../help.js";

export function register(program: Command): void {
  program
    .command("finalize")
    .description("settle tasks (anyone may, after the reveal deadline or once all revealed)")
    .argument("<ids...>", "task ids")
    .option("--config <file>", CONFIG_HELP)
    .option("--json", "print JSON")
    .action(async (ids: string[], o: { config?: string; json?: boolean }) => {
      ids.forEach((i) => taskIdArg(i)); // before connecting: a typo needs no RPC
      const ctx = await cliContext(o.config);
      const signer = await cliSigner(ctx);
      const rows: { taskId: string; tx: string; consensus: number[] }[] = [];
      for (const id of ids) {
        const tx = await signer.finalize(taskIdArg(id));
        rows.push({ taskId: id, tx, consensus: (await ctx.reader.getTaskState(taskIdArg(id))).consensus });
      }
      if (o.json) process.stdout.write(toJson(rows));
      else process.stdout.write(formatTable(["task", "consensus (bps)", "tx"], rows.map((r) => [r.taskId, r.consensus.join(" ") || "none", r.tx])));
    });
}
