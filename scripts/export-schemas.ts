// Writes the JSON Schemas shipped under docs/ (config file, score input record) from their zod schemas.
import { writeFileSync } from "node:fs";
import { schemaText, shippedSchemas } from "../oracle/config/json-schema.js";

for (const [file, schema] of Object.entries(shippedSchemas())) {
  writeFileSync(file, schemaText(schema));
  console.log(`wrote ${file}`);
}
