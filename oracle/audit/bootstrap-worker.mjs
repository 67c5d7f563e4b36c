// Worker-thread entry of the parallel group bootstrap (see parallel.ts). The project runs its
// TypeScript through tsx without a build step, so the worker registers tsx before loading it.
import { parentPort } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
const { runColumns } = await import("./parallel.ts");
parentPort.on("message", ({ id, task }) => {
  try {
    parentPort.postMessage({ id, results: runColumns(task) });
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
});
