/**
 * Scoring profiles: the schema, canonical hash and validation (profile-schema.ts) and the
 * default profile (default-profile.ts), re-exported from one place. The two modules do not
 * import each other: default-profile.ts builds on profile-schema.ts only, and this file is
 * the single entry point the rest of the code imports.
 */
export * from "./profile-schema.js";
export { defaultProfile, DEFAULT_ENCODER_ID } from "./default-profile.js";
