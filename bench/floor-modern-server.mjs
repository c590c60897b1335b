#!/usr/bin/env node
/**
 * The v2 SDK's own floor for the 2026-07-28 path over HTTP: plain node:http, `createMcpHandler` +
 * `toNodeHandler`, a fresh McpServer per request (what the modern era does: no sessions), and a
 * `get_student` tool that makes the same upstream read ours does (floor-upstream.mjs). No auth,
 * no validation beyond the SDK's, no logging. What any server on this SDK pays per 2026 call that
 * reads one record upstream. (The v1 SDK has no 2026 path.)
 *
 * Env as floor-upstream.mjs. Prints one JSON line `{ "url": ... }` once listening.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { announce, withGetStudent } from "./floor-upstream.mjs";

const newServer = () => withGetStudent(new McpServer({ name: "floor-modern", version: "1.0.0" }));

const handler = createMcpHandler(() => newServer(), { legacy: "reject" });
const node = toNodeHandler(handler);
const http = createServer((req, res) => {
  void node(req, res);
});
http.listen(0, "127.0.0.1", () => announce(http));
process.on("SIGTERM", () => {
  void handler.close().finally(() => process.exit(0));
});
