import { readFileSync, readdirSync } from "node:fs";

/**
 * CPU time of local processes from Linux /proc (utime + stime, children not included), for
 * benchmarks that attribute a run's CPU to the chain node, the workers, Redis and themselves.
 * Returns undefined where /proc is not there (macOS, Windows): the figures are then left out.
 */
const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: split after its last ")".
    return s.slice(s.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** CPU seconds used so far by one process (all its threads); undefined if it is gone or /proc is missing. */
export function processCpuSeconds(pid: number): number | undefined {
  const f = statFields(pid);
  // After the command name: f[0] is field 3 (state), so utime (14) and stime (15) are f[11] and f[12].
  return f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : undefined;
}

/** CPU seconds of every live process in process group `pgid` (e.g. `npx hardhat node` and its node child). */
export function groupCpuSeconds(pgid: number): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let total = 0;
  for (const p of pids) {
    const f = statFields(Number(p));
    // f[2] is field 5, the process group id.
    if (f && Number(f[2]) === pgid) total += (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  }
  return total;
}
