import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import path from "node:path";

/** The repository root (where `bin/poq.mjs` and `scripts/` are). */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a Node program of this repository (on the Node running the caller) to completion, in
 * the repository root. `env` is laid over the caller's environment; an undefined value removes
 * that variable. A program still running after `timeoutMs` is killed and reported with code
 * null and a note on stderr.
 */
export function runNode(args: string[], env: Record<string, string | undefined>, timeoutMs: number): Promise<RunResult> {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, VITEST: "", ...env })) if (v !== undefined) merged[k] = v;
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { cwd: root, env: merged, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      err += `[${args.join(" ")}: still running after ${timeoutMs} ms; killed]\n`;
      p.kill("SIGKILL");
    }, timeoutMs);
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    p.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    });
  });
}

/** Runs `poq <args>` (log level warn unless `env` says otherwise). */
export function runCli(args: string[], env: Record<string, string | undefined>, timeoutMs = 90_000): Promise<RunResult> {
  return runNode([path.join(root, "bin/poq.mjs"), ...args], { POQ_LOG_LEVEL: "warn", ...env }, timeoutMs);
}
