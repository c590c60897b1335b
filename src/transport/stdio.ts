/**
 * Stdio: one installation, one connection, for Claude Desktop and IDE agents, in either era: the
 * SDK's `serveStdio` reads the opening exchange (a 2026-07-28 request carrying its version in
 * `_meta`, or a 2025 `initialize`) and pins one server from our factory for the connection.
 * stdout carries only the protocol (the SDK writes it); everything else goes to the logger on stderr.
 * On 2026-07-28 the client hears changes on `subscriptions/listen` streams, whose URIs are checked
 * here (the SDK honours any) against the same rule as resources/subscribe.
 */
import { PassThrough, type Readable } from "node:stream";
import type { JSONRPCErrorResponse, JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { StdioServerTransport, serveStdio as serveStdioEntry } from "@modelcontextprotocol/server/stdio";
import { servedToolNames } from "../grant/served.js";
import type { Installation } from "../installation.js";
import type { Logger } from "../logger.js";
import { isListenRequest, listenRefusalResponse } from "../resources/listen.js";
import { createServer, type OktaMcpServer, type ServerOptions } from "../server.js";
import { followRequests } from "./sessions.js";

/** How long calls in flight may finish after the client hangs up or a signal arrives. */
const SHUTDOWN_GRACE_MS = 10_000;

type InFlight = Set<string | number>;

/**
 * stdin as the transport sees it: its end is held back until the calls in flight are answered
 * (bounded), so a client that pipes its requests and closes stdin still gets every answer (the
 * SDK's transport would close at once and abort them).
 */
function heldUntilAnswered(stdin: Readable, inFlight: InFlight): Readable {
  const held = new PassThrough();
  stdin.pipe(held, { end: false });
  stdin.once("end", async () => {
    await answeredOrGraceOver(inFlight);
    held.end();
  });
  return held;
}

/** Resolves once every call in flight is answered, or after SHUTDOWN_GRACE_MS at the latest. */
async function answeredOrGraceOver(inFlight: InFlight): Promise<void> {
  const deadline = Date.now() + SHUTDOWN_GRACE_MS;
  while (inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/**
 * A transport that counts the requests it carries until their answers are written (sessions.ts's
 * followRequests, as over HTTP), and answers itself the requests `refuse` refuses (they never
 * reach the SDK).
 */
class CountingTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: Transport["onmessage"];

  constructor(
    private readonly inner: Transport,
    inFlight: InFlight,
    /** Told when the connection ends, whoever holds `onclose` (the SDK sets it when it connects). */
    ended: () => void,
    refuse: (message: JSONRPCMessage) => JSONRPCErrorResponse | undefined = () => undefined,
  ) {
    inner.onclose = () => {
      this.onclose?.();
      ended();
    };
    inner.onerror = (error) => this.onerror?.(error);
    inner.onmessage = (message, extra) => {
      const refusal = refuse(message);
      if (refusal) {
        void this.send(refusal).catch((error: Error) => this.onerror?.(error));
        return;
      }
      this.onmessage?.(message, extra);
      // A listen stream stays open until the client ends it: not a call for shutdown to wait on
      // (the connection's end ends it), as over HTTP.
      if (isListenRequest(message)) inFlight.delete(message.id);
    };
    // Wraps the handlers above: a refused request is counted too, until its refusal is written.
    followRequests(inner, { pending: inFlight, lastActive: 0 });
  }

  start() {
    return this.inner.start();
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport["send"]>[1]) {
    return this.inner.send(message, options);
  }

  close() {
    return this.inner.close();
  }
}

export async function serveStdio(
  installation: Installation,
  options: ServerOptions,
  logger: Logger,
  onClose: () => Promise<void>,
): Promise<void> {
  const inFlight: InFlight = new Set();
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason, inFlight: inFlight.size }, "shutting down");
    // Calls in flight finish (bounded) before the API client and the sandbox close under them.
    await answeredOrGraceOver(inFlight);
    await handle.close().catch(() => {});
    await onClose();
  };
  // The connection's server, the latest the SDK's factory made (a 2026 probe the client left for
  // 2025 is replaced): it follows the grant, so it says what a listen stream may name now.
  let current: OktaMcpServer | undefined;
  // A listen can reach this check before the SDK has made any server (a 2026 client's first
  // request): one made for this check alone, following nothing, answers from the grant as it is.
  const grantNow = () => current ?? createServer(installation, { ...options, follow: false }, logger);
  const transport = new CountingTransport(
    new StdioServerTransport(heldUntilAnswered(process.stdin, inFlight), process.stdout),
    inFlight,
    () => void shutdown("client closed the connection"),
    (message) => {
      if (!isListenRequest(message)) return undefined;
      const server = grantNow();
      return listenRefusalResponse(message, (uri) => server.resources.subscriptionRefusal(uri));
    },
  );
  const handle = serveStdioEntry(
    ({ era }) => {
      // One server per connection (the entry pins it); it follows the installation while open.
      current = createServer(installation, { ...options, modern: era === "modern" }, logger);
      return current.mcp;
    },
    { transport, onerror: (error) => logger.warn({ err: { message: error.message } }, "stdio error") },
  );
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void shutdown(signal));
  logger.info(
    {
      tools: servedToolNames(installation.whoami.scopes, options).size,
      tenant: installation.whoami.tenant_id,
      sandbox: installation.sandbox,
    },
    "serving MCP over stdio",
  );
}
