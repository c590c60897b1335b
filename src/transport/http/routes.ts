/**
 * Where a request goes, and the order of the guards before it gets there: `/healthz` and
 * `/webhooks/okta` first (no API key: a probe that tells nothing secret, and a route whose
 * signature is its authentication), then for the MCP paths Host, Origin (CORS, preflight),
 * shutdown, the API key, and only then `/mcp` (streamable.ts), `/sse` or `/messages` (sse.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Config } from "../../config.js";
import type { Logger } from "../../logger.js";
import { VERSION } from "../../version.js";
import { type Caller, sendUnauthorized, stripCredential } from "../client-auth.js";
import { corsHeaders, isHostAllowed, isOriginAllowed, preflightHeaders } from "../guards/origin.js";
import { RpcCode, sendJson, sendRpcError, sendShuttingDown } from "../guards/rpc.js";
import { type LegacySseEndpoint, MESSAGES_PATH } from "../sse.js";
import type { StreamableEndpoint } from "../streamable.js";
import { WEBHOOK_PATH, type WebhookReceiver } from "../webhooks.js";
import type { ServedTenants } from "./tenants.js";

export const MCP_PATH = "/mcp";
export const SSE_PATH = "/sse";

/**
 * POST and DELETE requests being handled that no session counts: a call without a session (either
 * era) lives only here; a POST to a session leaves once its session counts it (`untrack`).
 */
export class ActiveRequests {
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Counts one request until its answer closes; the function returned stops counting it sooner. */
  track(res: ServerResponse): () => void {
    this.#count++;
    let tracked = true;
    const untrack = () => {
      if (tracked) this.#count--;
      tracked = false;
    };
    res.once("close", untrack);
    return untrack;
  }
}

export interface Routes {
  config: Pick<Config, "stateless" | "allowedHosts" | "allowedOrigins">;
  logger: Logger;
  /** Whether shutdown has begun: the probe says so and MCP requests are refused. */
  closing(): boolean;
  tenants: ServedTenants;
  active: ActiveRequests;
  webhooks: WebhookReceiver;
  streamable: StreamableEndpoint;
  legacy: LegacySseEndpoint;
}

/** The node:http listener: routes each request; a failure is logged, never shown to the client. */
export function requestListener(routes: Routes): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    route(routes, req, res).catch((error: unknown) => {
      // A bug or a broken socket: logged here, never shown to the client.
      routes.logger.error({ err: error, path: req.url?.split("?")[0] }, "http handler failed");
      if (!res.headersSent) sendRpcError(res, 500, RpcCode.ServerError, "Internal error");
      else if (!res.writableEnded) res.end();
    });
  };
}

async function route(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, logger } = routes;
  const started = performance.now();
  // Route on the path as sent: URL parsing resolves dot segments ("/%2e%2e/mcp" becomes "/mcp"),
  // and a path that only normalises to one of ours is not one of ours.
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  let caller: Caller | undefined;
  // Only built when it would be written: a listener and a closure per request add up under load.
  if (logger.isLevelEnabled("debug")) {
    res.once("finish", () => {
      logger.debug(
        {
          method: req.method,
          path,
          status: res.statusCode,
          keyId: caller?.keyId,
          ms: Math.round(performance.now() - started),
        },
        "http request",
      );
    });
  }
  if (path === "/healthz") {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed", { Allow: "GET, HEAD" });
    }
    const closing = routes.closing();
    return sendJson(res, closing ? 503 : 200, {
      status: closing ? "shutting_down" : "ok",
      version: VERSION,
    });
  }
  // Before the Host/Origin and API-key guards: the signature is this route's authentication.
  if (path === WEBHOOK_PATH) return routes.webhooks.handle(req, res, routes.closing());
  if (path !== MCP_PATH && path !== SSE_PATH && path !== MESSAGES_PATH) {
    return sendRpcError(
      res,
      404,
      RpcCode.ServerError,
      "Not Found: MCP is served at /mcp (and legacy SSE at /sse)",
    );
  }

  // DNS rebinding and drive-by pages: before the key is even looked at.
  if (!isHostAllowed(req.headers.host, config.allowedHosts)) {
    logger.warn({ host: req.headers.host }, "request with a foreign Host refused");
    return sendRpcError(res, 403, RpcCode.ServerError, "Forbidden: Host not allowed");
  }
  const origin = req.headers.origin;
  if (!isOriginAllowed(origin, config.allowedOrigins)) {
    logger.warn({ origin }, "request with a foreign Origin refused");
    return sendRpcError(res, 403, RpcCode.ServerError, "Forbidden: Origin not allowed");
  }
  const cors = corsHeaders(origin);
  // Set up front: the SDK's own answers (writeHead) merge them in.
  for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
  if (req.method === "OPTIONS" && origin) {
    res.writeHead(204, preflightHeaders(origin)).end();
    return;
  }
  if (routes.closing()) return sendShuttingDown(res, cors);

  const auth = routes.tenants.authenticate(req.headers.authorization);
  if (!auth.ok) return sendUnauthorized(res, auth.reason, cors);
  caller = auth.caller;
  stripCredential(req);

  const untrack = req.method === "POST" || req.method === "DELETE" ? routes.active.track(res) : () => {};
  if (path === MCP_PATH) return routes.streamable.handle(req, res, caller, cors, untrack);
  if (config.stateless) {
    return sendRpcError(
      res,
      404,
      RpcCode.ServerError,
      "Not Found: legacy SSE needs sessions and is off in stateless mode; use /mcp",
      cors,
    );
  }
  if (path === SSE_PATH) {
    if (req.method !== "GET")
      return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed", { ...cors, Allow: "GET" });
    return routes.legacy.open(req, res, caller, cors);
  }
  // Only /messages reads its query (the SSE session id). A path starting "/messages" always parses.
  return routes.legacy.post(
    req,
    res,
    caller,
    new URL(req.url ?? MESSAGES_PATH, "http://localhost"),
    cors,
    untrack,
  );
}
