/**
 * npm run build:model [-- --force] [--cache-dir DIR] [--attention fused|plain] [--json FILE]
 *
 * Converts USE-lite from the TF.js weights in node_modules into the ONNX cache
 * (.cache/models or $POQ_MODEL_CACHE), then checks the built file with one onnxruntime run.
 * Offline: reads only local files.
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { errorMessage } from "../oracle/core/errors.js";
import { createLogger } from "../oracle/core/log.js";
import { loadUseLite } from "../oracle/models/index.js";
import { ensureUseLiteModel, fileSha256 } from "../oracle/models/use-lite/build.js";
import type { AttentionImpl } from "../oracle/models/use-lite/convert.js";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      force: { type: "boolean", default: false },
      "cache-dir": { type: "string" },
      attention: { type: "string", default: "fused" },
      json: { type: "string" },
    },
  });
  const attention = values.attention as AttentionImpl;
  if (attention !== "fused" && attention !== "plain") throw new Error(`--attention must be fused or plain, got ${values.attention}`);
  const logger = createLogger("build-model");
  const built = await ensureUseLiteModel({ cacheDir: values["cache-dir"], attention, force: values.force, logger });
  const encoder = await loadUseLite({ cacheDir: values["cache-dir"], attention, logger });
  const [a, b] = await encoder.embed(["The cat sat on the mat.", "A cat was sitting on the mat."]);
  let dot = 0;
  for (let i = 0; i < a!.length; i++) dot += a![i]! * b![i]!;
  await encoder.close();
  const report = {
    modelPath: built.modelPath,
    modelId: encoder.id,
    built: built.built,
    buildMs: Math.round(built.buildMs),
    sourceSha256: built.source.sha256,
    onnxSha256: await fileSha256(built.modelPath),
    selfCheckCosine: dot,
  };
  process.stdout.write(
    `${built.built ? "built" : "cached"}  ${report.modelPath}\n` +
      `model id       ${report.modelId}\n` +
      `source sha256  ${report.sourceSha256}\n` +
      `onnx sha256    ${report.onnxSha256}\n` +
      `self-check     cos("The cat sat on the mat.", "A cat was sitting on the mat.") = ${dot.toFixed(4)}\n`,
  );
  if (values.json) await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err) => {
  process.stderr.write(`build-model: ${errorMessage(err)}\n`);
  process.exitCode = 1;
});
