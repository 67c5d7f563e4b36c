#!/usr/bin/env node
// Entry point of the `poq` command: runs the TypeScript CLI through tsx (no build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../oracle/cli/index.ts");
await main(process.argv, { standalone: true });
