/**
 * Streamable HTTP at /mcp, both protocol eras on one endpoint. After the guards, the key and the
 * one body read, the SDK's era classifier routes each POST (isLegacyPost): a 2026-07-28 request
 * (its version in `_meta`) goes to the sessionless modern leg (modern.ts); 2025 traffic to the sessions here.
 * Stateful (default): initialize makes a session bound to the caller's API key and installation,
 * with its own MCP server; later requests are routed by Mcp-Session-Id and refused (as unknown)
 * when another key presents it. Stateless (--stateless): no sessions; 2025 POSTs are served in
 * modern.ts, a server and a transport per request.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  classifyInboundRequest,
  isInitializeRequest,
  type JSONRPCMessage,
  PROTOCOL_VERSION_META_KEY,
} from "@modelcontextprotocol/server";
import type { Caller } from "./client-auth.js";
import type { EndpointContext } from "./context.js";
import { isPlainObject } from "./guards/jsonrpc-shape.js";
import { acceptsFor, RpcCode, readRpcBody, sendRpcError } from "./guards/rpc.js";
import type { ModernEndpoint } from "./modern.js";
import { admitMetered } from "./rate-limit.js";
import { SessionTransport } from "./session-transport.js";
import { followRequests, newSession, ownSession, refuseSessionCap, type Session } from "./sessions.js";

/** One header's value as a fetch `Headers.get` gives it (repeated headers joined). */
function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The first protocol revision of the modern era (the SDK's FIRST_MODERN_PROTOCOL_VERSION). */
const FIRST_MODERN_REVISION = "2026-07-28";

/** Whether a message claims the 2026-07-28 envelope: its params' `_meta` names a protocol version. */
function claimsEnvelope(message: unknown): boolean {
  const params = isPlainObject(message) ? message.params : undefined;
  const meta = isPlainObject(params) ? params._meta : undefined;
  return isPlainObject(meta) && PROTOCOL_VERSION_META_KEY in meta;
}

/**
 * Whether a POST whose body the guard already parsed and checked is 2025 traffic, as the SDK's
 * era classifier (what `isLegacyRequest` runs) decides it. The classifier checks every message
 * against the SDK's schemas again, which the guard has done, so its rules are followed here for
 * checked messages: a batch is legacy unless an element claims the 2026 envelope; a posted
 * response is legacy; a request or notification claiming the envelope is modern (or refused by
 * the modern leg), one without a claim is legacy unless the version header names a modern
 * revision. The one case left to the classifier itself: an initialize that claims the envelope.
 */
export function isLegacyPost(req: IncomingMessage, body: unknown): boolean {
  if (body === undefined) return true;
  if (Array.isArray(body)) return !body.some(claimsEnvelope);
  const message = body as { method?: unknown };
  if (typeof message.method !== "string") return true;
  const protocolVersionHeader = headerOf(req, "mcp-protocol-version");
  if (claimsEnvelope(body)) {
    if (message.method !== "initialize") return false;
    const outcome = classifyInboundRequest({
      httpMethod: "POST",
      protocolVersionHeader,
      mcpMethodHeader: headerOf(req, "mcp-method"),
      mcpNameHeader: headerOf(req, "mcp-name"),
      body,
    });
    return outcome.kind === "legacy";
  }
  return protocolVersionHeader === undefined || protocolVersionHeader.trim() < FIRST_MODERN_REVISION;
}

export class StreamableEndpoint {
  constructor(
    private readonly ctx: EndpointContext,
    private readonly stateless: boolean,
    private readonly modern: ModernEndpoint,
  ) {}

  /**
   * `untrack()`: the request leaves the HTTP in-flight count (routes.ts), when it is an open
   * listen stream or when its session counts it instead.
   */
  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    headers: Record<string, string>,
    untrack: () => void,
  ): Promise<void> {
    const method = req.method ?? "";
    if (method !== "POST" && method !== "GET" && method !== "DELETE") {
      const allow = this.stateless ? "POST" : "GET, POST, DELETE";
      return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed", { ...headers, Allow: allow });
    }
    if (this.stateless && method !== "POST") {
      // No sessions: no standalone stream to open and nothing to delete (the SDK client expects 405).
      return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed: this server is stateless", {
        ...headers,
        Allow: "POST",
      });
    }
    if (!acceptsFor(method, req.headers.accept)) {
      const need = method === "GET" ? "text/event-stream" : "both application/json and text/event-stream";
      return sendRpcError(
        res,
        406,
        RpcCode.ServerError,
        `Not Acceptable: the client must accept ${need}`,
        headers,
      );
    }
    if (method === "POST") return this.#post(req, res, caller, headers, untrack);
    const session = this.#sessionOf(req, res, caller, headers);
    if (!session) return;
    this.ctx.sessions.touch(session);
    const transport = session.transport as SessionTransport;
    if (method === "GET") return transport.handleGet(req, res);
    await transport.handleDelete(req, res);
  }

  async #post(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    headers: Record<string, string>,
    untrack: () => void,
  ) {
    const body = await readRpcBody(req, res, this.ctx.limits, headers);
    if (!body.ok) return;
    const legacy = isLegacyPost(req, body.raw);
    if (!legacy || this.stateless) {
      if (!admitMetered(this.ctx.meter, caller.keyId, body.messages, res, headers)) return;
      return this.modern.handle(req, res, caller, body, legacy, headers, untrack);
    }
    if (req.headers["mcp-session-id"] === undefined) {
      if (!body.messages.some(isInitializeRequest)) {
        return sendRpcError(
          res,
          400,
          RpcCode.ServerError,
          "Bad Request: Mcp-Session-Id header is required (initialize first)",
          headers,
        );
      }
      return this.#initialize(req, res, caller, body.messages, headers, untrack);
    }
    const session = this.#sessionOf(req, res, caller, headers);
    if (!session) return;
    if (!admitMetered(this.ctx.meter, caller.keyId, body.messages, res, headers)) return;
    this.ctx.sessions.touch(session);
    // Counted by its session from here, never twice: handlePost puts its requests in the
    // session's `pending` before it returns (no await between), until each is answered.
    untrack();
    (session.transport as SessionTransport).handlePost(req, res, body.messages);
  }

  /** The caller's own session named by Mcp-Session-Id, or an answer (400/404) and undefined. */
  #sessionOf(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    headers: Record<string, string>,
  ): Session | undefined {
    const id = req.headers["mcp-session-id"];
    if (typeof id !== "string" || id === "") {
      sendRpcError(res, 400, RpcCode.ServerError, "Bad Request: Mcp-Session-Id header is required", headers);
      return undefined;
    }
    return ownSession(this.ctx, caller, "streamable", id, res, headers);
  }

  async #initialize(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    messages: JSONRPCMessage[],
    headers: Record<string, string>,
    untrack: () => void,
  ) {
    const { sessions, logger } = this.ctx;
    const admission = sessions.admit(caller.keyId);
    if (!admission.ok) {
      logger.warn({ keyId: caller.keyId, cap: admission.scope }, "session cap reached; initialize refused");
      return refuseSessionCap(res, admission, headers);
    }
    const server = this.ctx.serverFor(caller);
    let registered = false;
    const transport = new SessionTransport({
      newSessionId: () => randomUUID(),
      keepAliveMs: this.ctx.limits.sseKeepAliveMs, // on its SSE streams, as on legacy SSE's
      onInitialized: (id) => {
        session.id = id;
        sessions.add(session);
        untrack(); // the session counts this initialize from here (its `handling`)
        registered = true;
        admission.release();
        logger.info(
          { session: id, keyId: caller.keyId, installation: caller.tenant.name, transport: "streamable" },
          "session opened",
        );
      },
    });
    // Its id comes with the initialize answer (onsessioninitialized).
    const session = newSession({
      id: "",
      kind: "streamable",
      caller,
      transport,
      close: () => server.mcp.close(),
    });
    transport.onclose = () => {
      if (!registered) return;
      registered = false;
      sessions.remove(session.id);
      logger.info({ session: session.id, keyId: caller.keyId }, "session closed");
    };
    const done = sessions.begin(session);
    try {
      await server.mcp.connect(transport);
      followRequests(transport, session);
      transport.handlePost(req, res, messages);
    } finally {
      done();
      admission.release();
      // Refused by the SDK (bad initialize, batch with initialize...): nothing stays behind.
      if (!registered) await server.mcp.close().catch(() => {});
    }
  }
}
