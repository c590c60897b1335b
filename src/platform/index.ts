export * from "./catalog.js";
export * from "./records.js";
export * from "./scopes.js";
