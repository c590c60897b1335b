#!/usr/bin/env node
/**
 * The SDK's floor for the 2025 era over Streamable HTTP: plain node:http, one McpServer +
 * transport per session (or per request when BENCH_STATELESS=1), and a `get_student` tool that
 * makes the same upstream read ours does (floor-upstream.mjs). No auth, no validation beyond the
 * SDK's, no logging: what any server on this SDK pays per 2025 call that reads one record.
 *
 * BENCH_SDK=v1 runs it on the v1 SDK (`@modelcontextprotocol/sdk` 1.x, a devDependency), else on
 * the v2 packages ours ships with. Env as floor-upstream.mjs. Prints `{ "url": ... }` once listening.
 */
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { announce, withGetStudent } from "./floor-upstream.mjs";

const stateless = process.env.BENCH_STATELESS === "1";
const v1 = process.env.BENCH_SDK === "v1";
const { McpServer, Transport } = v1
  ? {
      McpServer: (await import("@modelcontextprotocol/sdk/server/mcp.js")).McpServer,
      Transport: (await import("@modelcontextprotocol/sdk/server/streamableHttp.js"))
        .StreamableHTTPServerTransport,
    }
  : {
      McpServer: (await import("@modelcontextprotocol/server")).McpServer,
      Transport: (await import("@modelcontextprotocol/node")).NodeStreamableHTTPServerTransport,
    };

const newServer = () => withGetStudent(new McpServer({ name: "floor-http", version: "1.0.0" }));

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
      const transport = new Transport({ sessionIdGenerator: undefined });
      res.once("close", () => void server.close());
      await server.connect(transport);
      return await transport.handleRequest(req, res, body);
    }
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      const server = newServer();
      transport = new Transport({
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
http.listen(0, "127.0.0.1", () => announce(http));
process.on("SIGTERM", () => process.exit(0));
