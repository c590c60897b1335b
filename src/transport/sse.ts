/**
 * Legacy HTTP+SSE (protocol 2024-11-05) for older clients: `GET /sse` opens the stream (and the
 * session, bound to the caller's key), `POST /messages?sessionId=` carries the client's messages,
 * answered 202 while the replies travel over the stream.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { SSEServerTransport } from "@modelcontextprotocol/server-legacy/sse";
import type { Caller } from "./client-auth.js";
import type { EndpointContext } from "./context.js";
import { RpcCode, readRpcBody, sendRpcError } from "./guards/rpc.js";
import { admitMetered } from "./rate-limit.js";
import { followRequests, newSession, ownSession, refuseSessionCap } from "./sessions.js";

export const MESSAGES_PATH = "/messages";
/** A day: long enough that a session closed here is not reopened behind its client's back. */
const HOLD_OFF_RECONNECT_MS = 86_400_000;

export class LegacySseEndpoint {
  constructor(private readonly ctx: EndpointContext) {}

  async open(
    _req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    headers: Record<string, string>,
  ): Promise<void> {
    const { sessions, logger, limits } = this.ctx;
    const admission = sessions.admit(caller.keyId);
    if (!admission.ok) {
      logger.warn({ keyId: caller.keyId, cap: admission.scope }, "session cap reached; SSE stream refused");
      return refuseSessionCap(res, admission, headers);
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const server = this.ctx.serverFor(caller);
    const transport = new SSEServerTransport(MESSAGES_PATH, res);
    // The id also travels in the stream's endpoint event, which a load balancer cannot read: in a
    // header it can learn it, and send every /messages?sessionId= post to this instance.
    res.setHeader("Mcp-Session-Id", transport.sessionId);
    const session = newSession({
      id: transport.sessionId,
      kind: "sse",
      caller,
      transport,
      close: async () => {
        // An EventSource reconnects to a closed stream by itself, which here would open a new,
        // uninitialized session (and at a cap push out another idle one, and so on): its `retry`
        // field holds that off. The client's next POST is answered 404; it starts over itself.
        if (!res.writableEnded) res.write(`retry: ${HOLD_OFF_RECONNECT_MS}\n\n`);
        await server.mcp.close();
      },
    });
    let open = true;
    const keepAlive = setInterval(() => {
      if (!res.writableEnded) res.write(": keepalive\n\n");
    }, limits.sseKeepAliveMs);
    keepAlive.unref();
    transport.onclose = () => {
      if (!open) return;
      open = false;
      clearInterval(keepAlive);
      sessions.remove(session.id);
      logger.info({ session: session.id, keyId: caller.keyId }, "session closed");
      // The client went away: close the server too (it closes the transport, which is now a no-op).
      void server.mcp.close().catch(() => {});
    };
    try {
      await server.mcp.connect(transport); // writes the stream's headers and the endpoint event
      followRequests(transport, session);
      sessions.add(session);
      logger.info(
        { session: session.id, keyId: caller.keyId, installation: caller.tenant.name, transport: "sse" },
        "session opened",
      );
    } finally {
      admission.release();
    }
  }

  async post(
    req: IncomingMessage,
    res: ServerResponse,
    caller: Caller,
    url: URL,
    headers: Record<string, string>,
    /** Takes the POST out of the HTTP in-flight count once its session counts it. */
    untrack: () => void,
  ): Promise<void> {
    if (req.method !== "POST") {
      return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed", { ...headers, Allow: "POST" });
    }
    const id = url.searchParams.get("sessionId");
    if (!id)
      return sendRpcError(
        res,
        400,
        RpcCode.ServerError,
        "Bad Request: the sessionId query parameter is required",
        headers,
      );
    const session = ownSession(this.ctx, caller, "sse", id, res, headers);
    if (!session) return;
    // Busy from here: the session must not be closed while its body is still being read.
    const done = this.ctx.sessions.begin(session);
    untrack();
    try {
      const body = await readRpcBody(req, res, this.ctx.limits, headers);
      if (!body.ok) return;
      if (!admitMetered(this.ctx.meter, caller.keyId, body.messages, res, headers)) return;
      const transport = session.transport as SSEServerTransport;
      const raw = Array.isArray(body.raw) ? (body.raw as unknown[]) : [body.raw];
      for (const message of raw) await transport.handleMessage(message);
      res.writeHead(202, { ...headers, "Content-Type": "text/plain" }).end("Accepted");
    } finally {
      done();
    }
  }
}
