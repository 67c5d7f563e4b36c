export * from "./store.js";
export { startContentServer } from "./server.js";
