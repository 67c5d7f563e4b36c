import { z } from "zod";
import { configSchema } from "./schema.js";
import { InputRecordSchema } from "../scoring/record.js";

/**
 * The JSON Schemas shipped under docs/ (generated from the zod schemas that validate the
 * files, so the two cannot drift: test/ops/schemas.test.ts compares them; regenerate with
 * `npx tsx scripts/export-schemas.ts`).
 */
export function shippedSchemas(): Record<string, unknown> {
  const doc = (schema: z.ZodType, id: string, title: string, description: string) => ({
    ...z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }),
    $id: id,
    title,
    description,
  });
  return {
    "docs/config.schema.json": doc(
      configSchema,
      "config.schema.json",
      "poq config file",
      "The JSON file named by --config or POQ_CONFIG (worker and chain commands). Environment variables override it (npx poq --help). Never a private key or password: keys come from keystores or the environment.",
    ),
    "docs/record.schema.json": doc(
      InputRecordSchema,
      "record.schema.json",
      "poq score input record",
      "One line of the JSON Lines file `poq score --in` reads. Unknown extra keys are kept and written back unchanged.",
    ),
  };
}

export const schemaText = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;
