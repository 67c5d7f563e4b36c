import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { InputError } from "../core/errors.js";

/** Whether a process with this id is running (one we may not signal counts as running). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * `--pid-file PATH`: writes this process's id to `file` and removes the file when the process
 * exits (a graceful stop, a fatal start-up error, an uncaught error; not SIGKILL, whose stale
 * file the next start replaces). Refuses, before anything is opened, when the file names a
 * process that is still running: two workers started by one service definition.
 */
export function claimPidFile(file: string): { release: () => void } {
  let existing: string | undefined;
  try {
    existing = readFileSync(file, "utf8").trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw new InputError(`--pid-file ${file}: cannot read: ${(err as Error).message}`, { field: "pid-file", reason: "unreadable" });
  }
  const old = existing && /^\d+$/.test(existing) ? Number(existing) : undefined;
  if (old !== undefined && old !== process.pid && processAlive(old))
    throw new InputError(`--pid-file ${file} names process ${old}, which is running: stop it first (kill ${old}) or use another pid file`, { field: "pid-file", reason: "running" });
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch (err) {
    throw new InputError(`--pid-file ${file}: cannot write: ${(err as Error).message}`, { field: "pid-file", reason: "unwritable" });
  }
  const release = () => {
    process.off("exit", release);
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // already gone
    }
  };
  process.on("exit", release);
  return { release };
}
