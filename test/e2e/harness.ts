/** The end-to-end tests' helpers: see oracle/ops/devnode.ts (shared with scripts/bench-e2e.ts). */
export * from "../../oracle/ops/devnode.js";
