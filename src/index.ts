/**
 * The library entry: embed the server in your own process (a chatbot backend, a test harness).
 * The bin (cli.ts) is the usual way in; this is for code that wants the pieces.
 */
export { OktaClient } from "./client/client.js";
export * from "./client/errors.js";
export { Installation, type InstallationOptions } from "./installation.js";
export { CATALOG, type Endpoint, TOOL_NAMES, type ToolName } from "./platform/catalog.js";
export { ALL_SCOPES, SCOPES, type Scope } from "./platform/scopes.js";
export { createServer, type OktaMcpServer, type ServerOptions } from "./server.js";
export { VERSION } from "./version.js";
