export { loadConfig, deepMerge, type LoadConfigOptions } from "./load.js";
export { configSchema, type PoqConfig, type ContentConfig, type TxConfig, type WorkerConfig } from "./schema.js";
