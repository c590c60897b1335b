/**
 * What a JSON-RPC exchange over HTTP looks like at this layer: content negotiation, the POST body
 * read as JSON-RPC messages (capped, timed, parsed, validated), and the one shape of error answer:
 * `{ jsonrpc: "2.0", error: { code, message }, id: null }`. Pure functions, except the body reader
 * and the writers, which only touch the given req/res.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";
import { parseJson } from "../../text/json.js";
import { lingerAfter, readBody } from "./body.js";
import { isJsonRpcMessage } from "./jsonrpc-shape.js";

/** JSON-RPC error codes used by the HTTP layer (the SDK uses the same). */
export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  /** Transport-level refusals: auth, limits, shutdown. */
  ServerError: -32000,
  SessionNotFound: -32001,
} as const;

/** The bare media type of a Content-Type header (`application/json; charset=utf-8` -> `application/json`). */
export function mediaType(header: string | undefined): string | undefined {
  const essence = header?.split(";")[0]?.trim().toLowerCase();
  return essence || undefined;
}

export function isJsonContentType(header: string | undefined): boolean {
  return mediaType(header) === "application/json";
}

/**
 * Streamable HTTP: a POST must accept both JSON and SSE, a GET must accept SSE. The same test as the
 * SDK's, made before a session is created so a refused request leaves nothing behind.
 */
export function acceptsFor(method: string, accept: string | undefined): boolean {
  const a = accept ?? "";
  if (method === "GET") return a.includes("text/event-stream");
  if (method === "POST") return a.includes("application/json") && a.includes("text/event-stream");
  return true;
}

const BASE_HEADERS = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" } as const;

/**
 * Answers with a JSON-RPC error body; never a stack. `endAfter`: the answer is written at once but
 * ended (and a `Connection: close` connection closed) only when it settles (see lingerAfter).
 */
export function sendRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
  id: string | number | null = null,
  endAfter?: Promise<void>,
): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.end();
    return;
  }
  sendJson(res, status, { jsonrpc: "2.0", error: { code, message }, id }, headers, endAfter);
}

/** A draining instance's refusal: by then another instance (or this one, restarted) answers. */
const SHUTDOWN_RETRY_AFTER_SECONDS = 5;

/**
 * The one answer to an MCP request while the server shuts down, wherever shutdown is noticed:
 * 503 with `Retry-After`, and `Connection: close` so the retry opens a new connection, which a
 * balancer sends to an instance that is not draining.
 */
export function sendShuttingDown(res: ServerResponse, headers: Record<string, string> = {}): void {
  sendRpcError(res, 503, RpcCode.ServerError, "Service Unavailable: the server is shutting down", {
    ...headers,
    Connection: "close",
    "Retry-After": String(SHUTDOWN_RETRY_AFTER_SECONDS),
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
  endAfter?: Promise<void>,
): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...BASE_HEADERS,
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  if (!endAfter) {
    res.end(body);
    return;
  }
  // The whole answer goes out now (its length is declared); ending it is what closes the connection.
  res.write(body);
  void endAfter.then(() => res.end());
}

/** `raw` is what the SDK is handed (it validates again); `messages` is what this layer inspects. */
export type RpcBody = { ok: true; raw: unknown; messages: JSONRPCMessage[] } | { ok: false };

/**
 * The POST body of /mcp and /messages: JSON content type (415), capped and timed read (413, 408),
 * JSON (400 parse error), JSON-RPC messages (400 invalid request). Answers the refusals itself.
 */
export async function readRpcBody(
  req: IncomingMessage,
  res: ServerResponse,
  limits: { maxBodyBytes: number; bodyTimeoutMs: number },
  headers: Record<string, string> = {},
): Promise<RpcBody> {
  if (!isJsonContentType(req.headers["content-type"])) {
    sendRpcError(
      res,
      415,
      RpcCode.ServerError,
      "Unsupported Media Type: Content-Type must be application/json",
      {
        ...headers,
        Connection: "close",
      },
    );
    return { ok: false };
  }
  const body = await readBody(req, limits.maxBodyBytes, limits.bodyTimeoutMs);
  if (!body.ok) {
    const code = body.status === 400 ? RpcCode.InvalidRequest : RpcCode.ServerError;
    sendRpcError(
      res,
      body.status,
      code,
      body.message,
      { ...headers, Connection: "close" },
      null,
      lingerAfter(req, body.status),
    );
    return { ok: false };
  }
  const json = parseJson(body.text);
  if (!json.ok) {
    sendRpcError(res, 400, RpcCode.ParseError, json.message, headers);
    return { ok: false };
  }
  const batch = Array.isArray(json.value);
  const raw: unknown[] = batch ? (json.value as unknown[]) : [json.value];
  if (raw.length === 0 || raw.length > MAX_BATCH) {
    sendRpcError(
      res,
      400,
      RpcCode.InvalidRequest,
      `Invalid Request: a batch holds 1 to ${MAX_BATCH} messages`,
      headers,
    );
    return { ok: false };
  }
  if (!raw.every(isJsonRpcMessage)) {
    sendRpcError(res, 400, RpcCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message", headers);
    return { ok: false };
  }
  return { ok: true, raw: json.value, messages: raw };
}

const MAX_BATCH = 100;
