#!/usr/bin/env node
/**
 * The SDK's floor: a do-nothing MCP server over stdio, started the same way as ours (`node` on
 * plain JS). Its tools return constants, so a call through it costs only the SDK and the pipe.
 *
 * FLOOR_RESULTS_FILE may name a JSON file of `{ toolName: CallToolResult }`: the floor then serves
 * those tools with exactly those results, so it moves the same bytes as our server does for the
 * same call, and "our own work" is not charged for the SDK's serialisation of a large result.
 * Without it, one tool `constant` returns "ok".
 */
import { readFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/server";
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";

const results = process.env.FLOOR_RESULTS_FILE
  ? JSON.parse(readFileSync(process.env.FLOOR_RESULTS_FILE, "utf8"))
  : { constant: { content: [{ type: "text", text: "ok" }] } };

const server = new McpServer({ name: "floor", version: "1.0.0" });
for (const [name, result] of Object.entries(results)) {
  server.registerTool(name, { description: `Returns a constant (${name})` }, () => result);
}
await server.connect(new StdioServerTransport());
