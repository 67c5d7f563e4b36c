import { createRequire } from "node:module";
import type { Command } from "commander";

export function register(program: Command): void {
  const require = createRequire(import.meta.url);
  const pkg = require("../../../package.json") as { version: string };
  program.version(pkg.version, "-V, --version", "print the poq version");
}
