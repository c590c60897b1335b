/**
 * isLegacyPost (streamable.ts) routes a POST from the body the guard already parsed, without the
 * second web Request the SDK's `isLegacyRequest` needs. It must route exactly as the SDK would:
 * checked here against `isLegacyRequest` itself over the shapes both eras send.
 */
import type { IncomingMessage } from "node:http";
import { toWebRequest } from "@modelcontextprotocol/node";
import { isLegacyRequest } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { isLegacyPost } from "../../src/transport/streamable.js";

const MODERN = "2026-07-28";
const envelope = {
  "io.modelcontextprotocol/protocolVersion": MODERN,
  "io.modelcontextprotocol/clientInfo": { name: "t", version: "1" },
  "io.modelcontextprotocol/clientCapabilities": {},
};
const call = { name: "get_student", arguments: { id: 1 } };

const CASES: Array<{
  name: string;
  headers: Record<string, string | string[]>;
  body: unknown;
  legacy: boolean;
}> = [
  {
    name: "2025 initialize",
    headers: {},
    body: { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18" } },
    legacy: true,
  },
  {
    name: "2025 tools/call",
    headers: { "mcp-protocol-version": "2025-06-18" },
    body: { jsonrpc: "2.0", id: 2, method: "tools/call", params: call },
    legacy: true,
  },
  {
    name: "2025 notification",
    headers: { "mcp-protocol-version": "2025-06-18" },
    body: { jsonrpc: "2.0", method: "notifications/initialized" },
    legacy: true,
  },
  { name: "posted response", headers: {}, body: { jsonrpc: "2.0", id: 3, result: {} }, legacy: true },
  {
    name: "2026 tools/call with its envelope and headers",
    headers: { "mcp-protocol-version": MODERN, "mcp-method": "tools/call", "mcp-name": "get_student" },
    body: { jsonrpc: "2.0", id: 4, method: "tools/call", params: { ...call, _meta: envelope } },
    legacy: false,
  },
  {
    name: "2026 discover",
    headers: { "mcp-protocol-version": MODERN, "mcp-method": "server/discover" },
    body: { jsonrpc: "2.0", id: 5, method: "server/discover", params: { _meta: envelope } },
    legacy: false,
  },
  {
    name: "modern version header without the envelope",
    headers: { "mcp-protocol-version": MODERN },
    body: { jsonrpc: "2.0", id: 6, method: "tools/call", params: call },
    legacy: false,
  },
  {
    name: "envelope with a mismatching Mcp-Method header",
    headers: { "mcp-protocol-version": MODERN, "mcp-method": "tools/list" },
    body: { jsonrpc: "2.0", id: 7, method: "tools/call", params: { ...call, _meta: envelope } },
    legacy: false,
  },
  {
    name: "repeated version header",
    headers: { "mcp-protocol-version": [MODERN, MODERN] },
    body: { jsonrpc: "2.0", id: 8, method: "tools/call", params: { ...call, _meta: envelope } },
    legacy: false,
  },
  {
    name: "2025 batch",
    headers: {},
    body: [
      { jsonrpc: "2.0", id: 9, method: "tools/list" },
      { jsonrpc: "2.0", method: "notifications/initialized" },
    ],
    legacy: true,
  },
  // The shortcut (no claim and no modern header: legacy without asking the SDK) at its edges.
  {
    name: "initialize with a modern version header",
    headers: { "mcp-protocol-version": MODERN },
    body: { jsonrpc: "2.0", id: 10, method: "initialize", params: { protocolVersion: "2025-06-18" } },
    legacy: false,
  },
  {
    name: "notification under a modern version header",
    headers: { "mcp-protocol-version": MODERN },
    body: { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1 } },
    legacy: false,
  },
  {
    name: "notification claiming the envelope, no header",
    headers: {},
    body: { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 1, _meta: envelope } },
    legacy: false,
  },
  {
    name: "a claim whose version is not a string",
    headers: {},
    body: {
      jsonrpc: "2.0",
      id: 11,
      method: "tools/call",
      params: { ...call, _meta: { ...envelope, "io.modelcontextprotocol/protocolVersion": 7 } },
    },
    legacy: false,
  },
  {
    name: "batch with one element claiming the envelope",
    headers: {},
    body: [
      { jsonrpc: "2.0", id: 12, method: "tools/list" },
      { jsonrpc: "2.0", id: 13, method: "tools/call", params: { ...call, _meta: envelope } },
    ],
    legacy: false,
  },
  {
    name: "_meta without the version key (a 2025 progress token)",
    headers: { "mcp-protocol-version": "2025-11-25" },
    body: { jsonrpc: "2.0", id: 14, method: "tools/call", params: { ...call, _meta: { progressToken: 3 } } },
    legacy: true,
  },
  {
    name: "batch under a modern version header, no claims",
    headers: { "mcp-protocol-version": MODERN },
    body: [{ jsonrpc: "2.0", id: 16, method: "tools/list" }],
    legacy: true,
  },
  {
    name: "posted response under a modern version header",
    headers: { "mcp-protocol-version": MODERN },
    body: { jsonrpc: "2.0", id: 17, result: {} },
    legacy: true,
  },
  {
    name: "initialize claiming the envelope",
    headers: {},
    body: {
      jsonrpc: "2.0",
      id: 18,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "t", version: "1" },
        _meta: envelope,
      },
    },
    legacy: false,
  },
  {
    name: "initialize claiming a broken envelope",
    headers: {},
    body: {
      jsonrpc: "2.0",
      id: 19,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", _meta: { "io.modelcontextprotocol/protocolVersion": 1 } },
    },
    legacy: true,
  },
  {
    name: "a later revision than 2026-07-28 in the header",
    headers: { "mcp-protocol-version": "2027-01-01" },
    body: { jsonrpc: "2.0", id: 15, method: "tools/call", params: call },
    legacy: false,
  },
];

function nodeRequest(headers: Record<string, string | string[]>): IncomingMessage {
  return {
    method: "POST",
    url: "/mcp",
    headers: { host: "127.0.0.1", "content-type": "application/json", ...headers },
  } as unknown as IncomingMessage;
}

describe("isLegacyPost routes as the SDK's isLegacyRequest does", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const req = nodeRequest(c.headers);
      const sdk = await isLegacyRequest(await toWebRequest(req, c.body), c.body);
      expect(sdk).toBe(c.legacy);
      expect(isLegacyPost(req, c.body)).toBe(sdk);
    });
  }
});
