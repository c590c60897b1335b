#!/usr/bin/env node
/**
 * The v2 SDK's own floor for the 2026-07-28 path over HTTP: plain node:http, `createMcpHandler` +
 * `toNodeHandler`, a fresh McpServer per request (what the modern era does: no sessions), and a
 * `get_student` tool that makes the same upstream read ours does (GET /education/students/{id} on
 * the sandbox, keep-alive pool, JSON parsed) and returns it. No auth, no validation beyond the SDK's,
 * no logging. What any server on this SDK pays per 2026 call that reads one record upstream.
 *
 * Env: OKTA_API_BASE_URL, OKTA_PARTNER_TOKEN. Prints one JSON line `{ "url": ... }` once listening.
 */
import { createServer } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, McpServer } from "@modelcontextprotocol/server";
import { Pool } from "undici";
import { z } from "zod";

const base = new URL(process.env.OKTA_API_BASE_URL);
const pool = new Pool(base.origin, { connections: 64 });
const headers = { authorization: `Bearer ${process.env.OKTA_PARTNER_TOKEN}`, accept: "application/json" };

async function readStudent(id) {
  const res = await pool.request({
    method: "GET",
    path: `${base.pathname}/education/students/${id}`,
    headers,
  });
  const body = JSON.parse(await res.body.text());
  if (res.statusCode !== 200) throw new Error(`upstream answered ${res.statusCode}`);
  return body;
}

function newServer() {
  const server = new McpServer({ name: "floor-modern", version: "1.0.0" });
  server.registerTool(
    "get_student",
    { description: "One student by id", inputSchema: z.object({ id: z.number().int() }) },
    async ({ id }) => {
      const body = await readStudent(id);
      return { content: [{ type: "text", text: JSON.stringify(body) }], structuredContent: body };
    },
  );
  return server;
}

const handler = createMcpHandler(() => newServer(), { legacy: "reject" });
const node = toNodeHandler(handler);
const http = createServer((req, res) => {
  void node(req, res);
});
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${http.address().port}/mcp` })}\n`);
});
process.on("SIGTERM", () => {
  void handler.close().finally(() => process.exit(0));
});
