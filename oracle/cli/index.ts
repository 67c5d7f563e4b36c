import { readdir } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import path from "node:path";
import { Command } from "commander";
import { closeCliContexts } from "../sdk/context.js";
import { formatCliError, isSocketEvent, socketEventText } from "./errors.js";
import { withHelp } from "./help.js";
import { followLauncher } from "../ops/launcher.js";
import { flushLogs } from "../core/log.js";

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
  withHelp(program);
  const files = (await readdir(commandsDir)).filter((f) => /\.ts$/.test(f) && !f.endsWith(".d.ts")).sort();
  for (const file of files) {
    const mod = (await import(pathToFileURL(path.join(commandsDir, file)).href)) as CommandModule;
    mod.register(program);
  }
  return program;
}

/**
 * Runs one command. `standalone` (the `poq` executable, bin/poq.mjs) also owns the process:
 * its streams (see quietStreams) and a prompt exit after a failure; in-process callers (tests)
 * keep their process.
 */
export async function main(argv: string[], opts: { standalone?: boolean } = {}): Promise<void> {
  // --debug (anywhere) or POQ_DEBUG=1: a failed command also prints its stack trace.
  const debug = argv.includes("--debug") || /^(1|true|yes)$/i.test(process.env.POQ_DEBUG ?? "");
  argv = argv.filter((a, i) => i < 2 || a !== "--debug");
  if (opts.standalone) {
    quietStreams(debug);
    followLauncher(); // `npx poq worker &; kill $!` stops the worker (npx does not pass the signal on)
  }
  const program = await buildProgram();
  let failed = false;
  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number };
    if (typeof e.code === "string" && e.code.startsWith("commander.")) {
      process.exitCode = e.exitCode ?? 1;
      return;
    }
    failed = true;
    flushLogs(); // a batched log (the worker's) first: its lines came before the error
    process.stderr.write(formatCliError(err, debug));
    process.exitCode = process.exitCode && process.exitCode !== 0 ? process.exitCode : 1;
  } finally {
    // success or error: an open WebSocket would keep the process alive
    await Promise.race([closeCliContexts().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
  // A failed command may leave what it cannot close (a WebSocket that never connected keeps
  // reconnecting, a worker thread mid-load): the error is printed, so exit soon regardless.
  if (failed && opts.standalone) setTimeout(() => process.exit(), 500).unref();
}

/**
 * The CLI's streams: a reader that stops early (`poq task show 3 | head -3`) ends the
 * command quietly instead of with an EPIPE stack trace, and viem's reconnect attempts, which
 * print the WebSocket's raw `ErrorEvent` to the console, are silent (the command's own error
 * names the URL) unless `debug`, then one line each.
 */
function quietStreams(debug: boolean): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
      throw err;
    });
  const consoleError = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    if (args.length === 1 && isSocketEvent(args[0])) {
      if (debug) consoleError(`poq: ${socketEventText(args[0])} (reconnecting)`);
      return;
    }
    consoleError(...args);
  };
}
