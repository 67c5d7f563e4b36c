// Entry of the worker's scoring thread: TypeScript through tsx, like bin/poq.mjs.
import { register } from "tsx/esm/api";

register();
const { runScoringThread } = await import("./scoring-thread.ts");
await runScoringThread();
