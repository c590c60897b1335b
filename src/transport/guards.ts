/**
 * What every HTTP request passes before it reaches MCP: Host and Origin allow-lists (against DNS
 * rebinding and drive-by browser pages), content negotiation, a capped and timed body read, and
 * the one shape of error answer: `{ jsonrpc: "2.0", error: { code, message }, id: null }`.
 * Pure functions, except the body reader and the writers, which only touch the given req/res.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { JSONRPCMessageSchema } from "@modelcontextprotocol/core";
import type { JSONRPCMessage } from "@modelcontextprotocol/server";

/** Loopback names accepted in Host and Origin by default, with any port. */
export const LOOPBACK_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

/** JSON-RPC error codes used by the HTTP layer (the SDK uses the same). */
export const RpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  /** Transport-level refusals: auth, limits, shutdown. */
  ServerError: -32000,
  SessionNotFound: -32001,
} as const;

/** Splits a Host header value into its lower-case name (IPv6 keeps its brackets) and port. */
export function splitHost(value: string): { name: string; port?: string } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  return { name: m[1]!.toLowerCase(), port: m[2] };
}

/**
 * Whether a Host header names this server. Entries of `allowed` are a name (any port) or
 * `name:port` (that port only); `*` turns the check off (for a proxy that checks Host itself).
 */
export function isHostAllowed(host: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes("*")) return true;
  if (!host) return false;
  const parsed = splitHost(host);
  if (!parsed) return false;
  if ((LOOPBACK_HOSTS as readonly string[]).includes(parsed.name)) return true;
  return allowed.some((entry) => {
    const e = splitHost(entry);
    if (!e) return false;
    return e.name === parsed.name && (e.port === undefined || e.port === parsed.port);
  });
}

/** Normalises an origin (`https://App.example.com:443/` -> `https://app.example.com`), or undefined. */
export function normaliseOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Whether an Origin header may call. No Origin (a server-side client) is fine; a browser page on a
 * loopback name (any port) is fine; anything else must be listed in `allowed` (exact origins, or
 * `*`). `Origin: null` (sandboxed frames, file://) is refused unless `*`.
 */
export function isOriginAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowed.includes("*")) return true;
  const normalised = normaliseOrigin(origin);
  if (!normalised) return false;
  const hostname = new URL(normalised).hostname.toLowerCase();
  if ((LOOPBACK_HOSTS as readonly string[]).includes(hostname)) return true;
  return allowed.some((entry) => normaliseOrigin(entry) === normalised);
}

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

export type BodyRead = { ok: true; text: string } | { ok: false; status: 413 | 408 | 400; message: string };
export type BodyBytes = { ok: true; bytes: Buffer } | { ok: false; status: 413 | 408 | 400; message: string };

/** The body as UTF-8 text; see readBodyBytes. */
export async function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyRead> {
  const read = await readBodyBytes(req, maxBytes, timeoutMs);
  return read.ok ? { ok: true, text: read.bytes.toString("utf8") } : read;
}

/**
 * Reads a request body as bytes (a webhook signature covers the exact bytes), refusing more than
 * `maxBytes` (a declared Content-Length over the cap is refused before reading anything) and a
 * client that takes longer than `timeoutMs` to send it. On refusal the caller answers; after a
 * 413 it should end the answer only once `lingerAfter` has read away the rest (see there).
 */
export function readBodyBytes(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<BodyBytes> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.resolve({ ok: false, status: 413, message: tooLargeMessage(maxBytes) });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const finish = (result: BodyBytes) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
      if (!result.ok) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) finish({ ok: false, status: 413, message: tooLargeMessage(maxBytes) });
      else chunks.push(chunk);
    };
    const onEnd = () => finish({ ok: true, bytes: Buffer.concat(chunks) });
    const onError = () =>
      finish({ ok: false, status: 400, message: "Bad Request: the request body could not be read" });
    const onAborted = onError;
    const timer = setTimeout(
      () =>
        finish({
          ok: false,
          status: 408,
          message: `Request Timeout: the body took longer than ${timeoutMs} ms to arrive`,
        }),
      timeoutMs,
    );
    timer.unref();
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  });
}

/**
 * Lingering close (as nginx does): a client refused with 413 is usually still writing its body.
 * Closing at once resets the connection under its writes (EPIPE, ECONNRESET) and the 413 is lost,
 * so the rest is read and thrown away, up to these bounds, before the connection closes.
 */
export const LINGER_BOUNDS = { maxBytes: 8 * 1024 * 1024, maxMs: 5_000 } as const;

/** Reads and discards what is left of a request body; resolves at its end or at a bound. */
export function discardRest(req: IncomingMessage, bounds = LINGER_BOUNDS): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete || req.destroyed) return resolve();
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      req.off("data", onData);
      req.off("end", done);
      req.off("close", done);
      req.off("error", done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > bounds.maxBytes) done();
    };
    const timer = setTimeout(done, bounds.maxMs);
    timer.unref();
    req.on("data", onData);
    req.once("end", done);
    req.once("close", done);
    req.once("error", done);
    req.resume();
  });
}

/** What a refused body's answer waits for before it ends: the rest of the body after a 413. */
export function lingerAfter(req: IncomingMessage, status: number): Promise<void> | undefined {
  return status === 413 ? discardRest(req) : undefined;
}

function tooLargeMessage(maxBytes: number): string {
  return `Payload Too Large: the request body must not exceed ${maxBytes} bytes`;
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; message: string };

/** JSON.parse without echoing the input back (V8's messages quote a slice of it). */
export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    return { ok: false, message: `Parse error: invalid JSON${position ? ` at position ${position}` : ""}` };
  }
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

/** Headers a browser on an allowed origin needs to talk to /mcp (the server-side clients ignore them). */
export function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    Vary: "Origin",
    "Access-Control-Expose-Headers": "Mcp-Session-Id, WWW-Authenticate, Retry-After",
  };
}

export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    "Access-Control-Allow-Methods": "GET, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers":
      "Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID",
    "Access-Control-Max-Age": "600",
  };
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
  const messages: JSONRPCMessage[] = [];
  for (const item of raw) {
    const parsed = JSONRPCMessageSchema.safeParse(item);
    if (!parsed.success) {
      sendRpcError(res, 400, RpcCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message", headers);
      return { ok: false };
    }
    messages.push(parsed.data);
  }
  return { ok: true, raw: json.value, messages };
}

const MAX_BATCH = 100;
