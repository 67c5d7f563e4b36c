import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { Command } from "commander";
import { closeCliContexts } from "../sdk/context.js";

/** A CLI command module: one file in `commands/`, registering itself on the program. */
export interface CommandModule {
  register(program: Command): void;
}

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "commands");

/** Builds the `poq` program from every module in `commands/` (one file a command group). */
export async function buildProgram(): Promise<Command> {
  const program = new Command("poq")
    .description("Proof of Quality: score LLM outputs, audit the signal, settle on chain")
    .showHelpAfterError()
    .exitOverride();
  const files = (await readdir(commandsDir)).filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(commandsDir, file)).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    process.stderr.write(`poq: ${e.message ?? String(err)}\n`);
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  } finally {
    await closeCliContexts(); // success or error: an open WebSocket would keep the process alive
  }
}
