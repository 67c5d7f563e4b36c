/** Builds the SDK package (sdk/dist) once for the tests that import or pack it. */
import { execFileSync } from "node:child_process";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");

/** `npm run build:sdk` (tsc -p sdk/tsconfig.json): sdk/dist from sdk/src. */
export function buildSdk(): void {
  execFileSync(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", path.join(ROOT, "sdk/tsconfig.json")], { cwd: ROOT, stdio: "pipe", timeout: 180_000 });
}
