export * from "./store.js";
export { CachedContentStore } from "./cache.js";
export { startContentServer } from "./server.js";
export * from "./task-doc.js";
