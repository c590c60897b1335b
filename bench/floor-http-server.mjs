#!/usr/bin/env node
/**
 * The SDK's floor over Streamable HTTP: plain node:http, one McpServer + transport per session
 * (or per request when BENCH_STATELESS=1), a `get_student` tool returning a constant of the size
 * ours returns, no auth, no API call. What any server on this SDK pays per call over HTTP.
 * Prints one JSON line `{ "url": ... }` on stdout once listening.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { McpServer } from "@modelcontextprotocol/server";

const stateless = process.env.BENCH_STATELESS === "1";
const student = {
  id: 1,
  full_name: "Constant Student",
  gender: "female",
  birth_date: "2015-03-02",
  national_id: "1000000001",
  grade_id: 5,
  section_id: 9,
  guardian_id: 3,
  created_at: "2025-09-01T08:00:00+03:00",
  updated_at: "2025-09-01T08:00:00+03:00",
};
const result = {
  content: [{ type: "text", text: `Student 1.\n${JSON.stringify({ data: student })}` }],
  structuredContent: { data: student },
};

function newServer() {
  const server = new McpServer({ name: "floor-http", version: "1.0.0" });
  server.registerTool("get_student", { description: "Returns a constant" }, () => result);
  return server;
}

const sessions = new Map();

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

const http = createServer(async (req, res) => {
  try {
    const body = req.method === "POST" ? await readJson(req) : undefined;
    if (stateless) {
      const server = newServer();
      const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.once("close", () => void server.close());
      await server.connect(transport);
      return await transport.handleRequest(req, res, body);
    }
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      const server = newServer();
      transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      await server.connect(transport);
    }
    await transport.handleRequest(req, res, body);
  } catch (error) {
    if (!res.headersSent) res.writeHead(500).end(String(error));
  }
});
http.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${http.address().port}/mcp` })}\n`);
});
process.on("SIGTERM", () => process.exit(0));
