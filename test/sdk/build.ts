/**
 * Builds the SDK package (sdk/dist) for the tests that import or pack it: once, even when
 * several test files ask at the same time (a lock directory), and not again while dist is
 * newer than every source.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmdirSync, statSync } from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const SDK = path.join(ROOT, "sdk");
const LOCK = path.join(SDK, ".build-lock");

const mtime = (f: string) => statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0;

function upToDate(): boolean {
  const built = mtime(path.join(SDK, "dist/index.js"));
  const sources = [path.join(SDK, "tsconfig.json"), ...readdirSync(path.join(SDK, "src")).map((f) => path.join(SDK, "src", f))];
  return built > 0 && sources.every((f) => mtime(f) < built);
}

function lock(): void {
  const end = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch {
      // a lock left by a killed run is stale after 5 minutes
      if (Date.now() - mtime(LOCK) > 300_000) rmdirSync(LOCK);
      else if (Date.now() > end) throw new Error(`sdk build: ${LOCK} held for 3 minutes; remove it if no test is running`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
}

/** `npm run build:sdk` (tsc -p sdk/tsconfig.json): sdk/dist from sdk/src, unless already current. */
export function buildSdk(): void {
  lock();
  try {
    if (!upToDate()) execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(SDK, "tsconfig.json")], { cwd: ROOT, stdio: "pipe", timeout: 180_000 });
  } finally {
    rmdirSync(LOCK);
  }
}
