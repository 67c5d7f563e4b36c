export * from "./store.js";
export { startContentServer } from "./server.js";
export * from "./task-doc.js";
