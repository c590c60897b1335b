/**
 * The HTTP server on node:http: routing, the guards every request passes (Host, Origin, API key),
 * and graceful shutdown. `/mcp` is Streamable HTTP for both protocol eras (2026-07-28 without
 * sessions, 2025 with them; streamable.ts routes), `/sse` + `/messages` the legacy transport,
 * `/healthz` a probe that needs no key and tells nothing secret.
 *
 * `POST /webhooks/okta` takes the platform's signed events (webhooks.ts: its own auth, no API key).
 *
 * `startHttpServer` is the programmatic entry (tests, embedding); `serveHttp` is the CLI's: it
 * loads `--installations`, prints a generated key once, reloads the file on SIGHUP and shuts down
 * on SIGINT/SIGTERM.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { Config } from "../config.js";
import { grantedEndpoints } from "../grant/served.js";
import type { Installation } from "../installation.js";
import {
  InstallationsFileError,
  type LoadedTenant,
  loadInstallationsFile,
  reloadInstallationsFile,
} from "../installations-file.js";
import type { WatchOptions } from "../live/watch.js";
import type { Logger } from "../logger.js";
import type { ServerOptions } from "../server.js";
import { InMemorySharedStore } from "../store/memory.js";
import type { SharedStore } from "../store/shared-store.js";
import { VERSION } from "../version.js";
import {
  ApiKeyRing,
  type Caller,
  generateApiKey,
  MIN_API_KEY_LENGTH,
  sendUnauthorized,
  sha256Hex,
  stripCredential,
  type Tenant,
} from "./client-auth.js";
import { type EndpointContext, type HttpLimits, httpLimitsWith, serverFactory } from "./context.js";
import {
  corsHeaders,
  isHostAllowed,
  isOriginAllowed,
  preflightHeaders,
  RpcCode,
  sendJson,
  sendRpcError,
  splitHost,
} from "./guards.js";
import { ModernEndpoint } from "./modern.js";
import { RateLimiter, type RequestMeter } from "./rate-limit.js";
import { closeAndLog, SessionTable } from "./sessions.js";
import { LegacySseEndpoint, MESSAGES_PATH } from "./sse.js";
import { StreamableEndpoint } from "./streamable.js";
import type { WebhookSecret } from "./webhook-verify.js";
import {
  EventFanout,
  WEBHOOK_PATH,
  type WebhookLimits,
  WebhookReceiver,
  webhookSecretsFromEnv,
} from "./webhooks.js";

export type { Tenant } from "./client-auth.js";
export { DEFAULT_HTTP_LIMITS, type HttpLimits } from "./context.js";

export type HttpConfig = Pick<Config, "host" | "port" | "stateless" | "allowedHosts" | "allowedOrigins"> &
  Partial<Pick<Config, "installationsFile">>;

export interface HttpServerArgs {
  config: HttpConfig;
  /**
   * One installation (the CLI without --installations): clients send `apiKey`, else
   * OKTA_MCP_API_KEY, else a key generated at start (returned in the handle).
   */
  installations?: Installation[];
  /** Several installations, each selected by the SHA-256 of its keys (instead of `installations`). */
  tenants?: Tenant[];
  apiKey?: string;
  options: ServerOptions;
  logger: Logger;
  /** Called once, after shutdown has closed everything this server owns. */
  onClose?: () => Promise<void>;
  limits?: Partial<HttpLimits>;
  env?: Record<string, string | undefined>;
  /**
   * Shared state (webhook dedupe, event fan-out; give the same store to the installations for the
   * write memory). Default: a new in-memory store owned by this server.
   */
  store?: SharedStore;
  webhooks?: {
    /** Instead of OKTA_WEBHOOK_SECRET(_PREVIOUS) from `env`. */
    secrets?: WebhookSecret[];
    limits?: Partial<WebhookLimits>;
    retryDelaysMs?: number[];
    now?: () => number;
  };
  /** How installations loaded from a file follow their token files and whoami. */
  watch?: WatchOptions | false;
}

export interface HttpServerHandle {
  /** `http://host:port`, e.g. http://127.0.0.1:3333. */
  url: string;
  /** The Streamable HTTP endpoint and the legacy SSE endpoint. */
  mcpUrl: string;
  sseUrl: string;
  host: string;
  port: number;
  /** One installation only: the key clients must send. */
  apiKey?: string;
  /** Whether `apiKey` was generated at start (then it is shown once, by serveHttp). */
  apiKeyGenerated: boolean;
  /** What is served: installation names and the short ids of their keys (never keys or tokens). */
  tenants: { name: string; keyIds: string[]; tools: number }[];
  limits: HttpLimits;
  /** Live sessions (both transports). */
  sessionCount(): number;
  /** Requests from clients not yet answered (tool calls and others), over every session. */
  inFlight(): number;
  /** `POST` target for the platform's webhooks. */
  webhookUrl: string;
  /** Resolves when every accepted webhook event has been handed to the store. */
  webhooksIdle(): Promise<void>;
  /**
   * Reads the installations file again (SIGHUP): adds, replaces and removes installations; the
   * sessions of removed ones are closed. Without a file, re-reads whoami of the one installation.
   */
  reload(): Promise<{ added: string[]; removed: string[] }>;
  /** Graceful: stop accepting, let calls in flight finish (bounded), close sessions, then onClose. */
  close(): Promise<void>;
}

const MCP_PATH = "/mcp";
const SSE_PATH = "/sse";

/** Tenants for the three ways of being told what to serve; `owned` ones are closed on shutdown. */
async function resolveTenants(
  args: HttpServerArgs,
  store: SharedStore,
): Promise<{
  tenants: Tenant[];
  owned: boolean;
  apiKey?: string;
  generated: boolean;
}> {
  if (args.tenants && args.tenants.length > 0)
    return { tenants: args.tenants, owned: false, generated: false };
  if (args.installations && args.installations.length > 0) {
    if (args.installations.length > 1) {
      throw new Error("several installations need key hashes each: pass `tenants` or --installations FILE");
    }
    const env = args.env ?? process.env;
    const given = args.apiKey ?? env.OKTA_MCP_API_KEY?.trim();
    if (given !== undefined && given.length < MIN_API_KEY_LENGTH) {
      throw new Error(`OKTA_MCP_API_KEY is too short: use at least ${MIN_API_KEY_LENGTH} random characters`);
    }
    const apiKey = given || generateApiKey();
    const installation = args.installations[0]!;
    return {
      tenants: [{ name: installation.name, installation, apiKeySha256: [sha256Hex(apiKey)] }],
      owned: false,
      apiKey,
      generated: !given,
    };
  }
  if (args.config.installationsFile) {
    const tenants = await loadInstallationsFile(
      args.config.installationsFile,
      args.logger,
      args.env ?? process.env,
      { sharedStore: store, watch: args.watch },
    );
    return { tenants, owned: true, generated: false };
  }
  throw new Error("nothing to serve: pass an installation or --installations FILE");
}

export async function startHttpServer(args: HttpServerArgs): Promise<HttpServerHandle> {
  const { config, logger } = args;
  const limits: HttpLimits = httpLimitsWith(args.limits);
  const ownStore = args.store === undefined;
  const store = args.store ?? new InMemorySharedStore();
  const resolved = await resolveTenants(args, store).catch(async (error: unknown) => {
    if (ownStore) await store.close();
    throw error;
  });
  // Both change on reload (SIGHUP); everything below reads them per request.
  let tenants = resolved.tenants;
  let keys = new ApiKeyRing(tenants);
  const sessions = new SessionTable(
    { maxPerKey: limits.maxSessionsPerKey, maxTotal: limits.maxSessionsTotal, idleMs: limits.sessionIdleMs },
    closeAndLog(logger),
  );
  const meter: RequestMeter = {
    requests: new RateLimiter({ perMinute: limits.requestsPerMinute, burst: limits.requestBurst }),
    completions: new RateLimiter({ perMinute: limits.completionsPerMinute, burst: limits.completionBurst }),
  };
  // Webhooks arrive here, so sessions get the event feed. Without sessions nobody can confirm.
  const serverOptions: ServerOptions = { ...args.options, eventFeed: true, sessionless: config.stateless };
  const ctx: EndpointContext = {
    limits,
    sessions,
    meter,
    logger,
    options: serverOptions,
    serverFor: serverFactory(serverOptions, logger),
  };
  warnAboutConfirmations(config.stateless, args.options, logger);
  // A store given by the caller may be shared with other instances: the listen buses run over it.
  const modern = new ModernEndpoint(ctx, config.stateless, ownStore ? undefined : store);
  const streamable = new StreamableEndpoint(ctx, config.stateless, modern);
  const legacy = new LegacySseEndpoint(ctx);
  const env = args.env ?? process.env;
  const globalSecrets = args.webhooks?.secrets ?? webhookSecretsFromEnv(env);
  const webhooks = new WebhookReceiver({
    store,
    logger: logger.child({ component: "webhooks" }),
    secrets: () => [
      ...globalSecrets,
      ...tenants.flatMap((t) =>
        (t.webhookSecrets ?? []).map((secret) => ({ secret, tenantIds: [t.installation.whoami.tenant_id] })),
      ),
    ],
    servesTenant: (id) => tenants.some((t) => t.installation.whoami.tenant_id === id),
    limits: args.webhooks?.limits,
    queue: args.webhooks?.retryDelaysMs ? { retryDelaysMs: args.webhooks.retryDelaysMs } : undefined,
    now: args.webhooks?.now,
  });
  const fanout = new EventFanout(store, logger.child({ component: "events" }));
  await fanout.follow(tenants.map((t) => t.installation));

  let closing: Promise<void> | undefined;
  /** POST and DELETE requests being handled (a stateless call lives only here). */
  let activeRequests = 0;

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    let caller: Caller | undefined;
    res.once("finish", () => {
      logger.debug(
        {
          method: req.method,
          path: req.url?.split("?")[0],
          status: res.statusCode,
          keyId: caller?.keyId,
          ms: Math.round(performance.now() - started),
        },
        "http request",
      );
    });
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      return sendRpcError(res, 400, RpcCode.InvalidRequest, "Bad Request: malformed URL");
    }
    // Route on the path as sent: URL parsing resolves dot segments ("/%2e%2e/mcp" becomes "/mcp"),
    // and a path that only normalises to one of ours is not one of ours.
    const path = (req.url ?? "/").split("?")[0] ?? "/";

    if (path === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return sendRpcError(res, 405, RpcCode.ServerError, "Method Not Allowed", { Allow: "GET, HEAD" });
      }
      return sendJson(res, closing ? 503 : 200, {
        status: closing ? "shutting_down" : "ok",
        version: VERSION,
      });
    }
    // Before the Host/Origin and API-key guards: the signature is this route's authentication.
    if (path === WEBHOOK_PATH) return webhooks.handle(req, res, closing !== undefined);
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
    if (closing) {
      return sendRpcError(res, 503, RpcCode.ServerError, "Service Unavailable: the server is shutting down", {
        ...cors,
        Connection: "close",
        "Retry-After": "5",
      });
    }

    const auth = keys.authenticate(req.headers.authorization);
    if (!auth.ok) return sendUnauthorized(res, auth.reason, cors);
    caller = auth.caller;
    stripCredential(req);

    let untrack = () => {};
    if (req.method === "POST" || req.method === "DELETE") {
      activeRequests++;
      let tracked = true;
      untrack = () => {
        if (tracked) activeRequests--;
        tracked = false;
      };
      res.once("close", untrack);
    }
    if (path === MCP_PATH) return streamable.handle(req, res, caller, cors, untrack);
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
      return legacy.open(req, res, caller, cors);
    }
    return legacy.post(req, res, caller, url, cors);
  };

  const server: Server = createHttpServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      // A bug or a broken socket: logged here, never shown to the client.
      logger.error({ err: error, path: req.url?.split("?")[0] }, "http handler failed");
      if (!res.headersSent) sendRpcError(res, 500, RpcCode.ServerError, "Internal error");
      else if (!res.writableEnded) res.end();
    });
  });
  // A client that dribbles its request is cut off (the body reader answers 408 first).
  server.requestTimeout = limits.bodyTimeoutMs + 5_000;
  server.headersTimeout = Math.min(20_000, server.requestTimeout);

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    if (resolved.owned)
      await Promise.all(resolved.tenants.map((t) => t.installation.close().catch(() => {})));
    await fanout.close();
    if (ownStore) await store.close();
    if (error.code === "EADDRINUSE")
      throw new Error(`port ${config.port} on ${config.host} is in use; choose another with --port`);
    if (error.code === "EADDRNOTAVAIL") throw new Error(`cannot bind ${config.host}: no such local address`);
    throw error;
  });
  sessions.startSweeping();
  const pruner = setInterval(() => {
    meter.requests.prune();
    meter.completions.prune();
  }, 60_000);
  pruner.unref();

  const port = (server.address() as AddressInfo).port;
  const hostForUrl =
    config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  const bound = splitHost(hostForUrl)?.name ?? config.host;
  if (!isHostAllowed(bound, config.allowedHosts) && !["0.0.0.0", "[::]"].includes(bound)) {
    logger.warn(
      { host: config.host },
      "the bind address is not in the Host allow-list: add it with --allowed-hosts",
    );
  }
  if (["0.0.0.0", "[::]"].includes(bound) && config.allowedHosts.length === 0) {
    logger.warn(
      "listening on all interfaces, but only loopback Host names are allowed: add yours with --allowed-hosts",
    );
  }

  const shutdown = async (): Promise<void> => {
    logger.info(
      {
        sessions: sessions.size,
        inFlight: sessions.inFlight + activeRequests,
        listening: modern.listenStreams(),
      },
      "shutting down HTTP",
    );
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = performance.now() + limits.shutdownGraceMs;
    while (sessions.inFlight + activeRequests > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const left = sessions.inFlight + activeRequests;
    if (left > 0) logger.warn({ inFlight: left }, "shutdown grace over; closing with calls in flight");
    // Listen streams were never counted (they stay open until closed): they end here, gracefully,
    // once the calls in flight are done (closing the handlers aborts 2026 calls still running).
    await modern.close();
    sessions.stopSweeping();
    clearInterval(pruner);
    await Promise.all(sessions.all().map((s) => s.close().catch(() => {})));
    server.closeAllConnections();
    await stopped;
    // Accepted events still being published get a short grace; any left are logged as lost.
    await webhooks.stop(Math.min(2_000, limits.shutdownGraceMs));
    await fanout.close();
    if (resolved.owned) await Promise.all(tenants.map((t) => t.installation.close().catch(() => {})));
    if (ownStore) await store.close();
    logger.info("HTTP server closed");
    await args.onClose?.();
  };

  const reload = async (): Promise<{ added: string[]; removed: string[] }> => {
    const file = config.installationsFile;
    if (!file || !resolved.owned) {
      await Promise.all(tenants.map((t) => t.installation.refreshWhoami()));
      return { added: [], removed: [] };
    }
    const next = await reloadInstallationsFile(file, tenants as LoadedTenant[], logger, env, {
      sharedStore: store,
      watch: args.watch,
    });
    let ring: ApiKeyRing;
    try {
      ring = new ApiKeyRing(next.tenants);
    } catch (error) {
      await Promise.all(next.added.map((t) => t.installation.close().catch(() => {})));
      throw error;
    }
    tenants = next.tenants;
    keys = ring;
    await fanout.follow(tenants.map((t) => t.installation));
    for (const gone of next.removed) {
      await modern.forget(gone);
      const open = sessions.all().filter((s) => s.caller.tenant === gone);
      await Promise.all(open.map((s) => s.close().catch(() => {})));
      await gone.installation.close().catch(() => {});
    }
    const added = next.added.map((t) => t.name);
    const removed = next.removed.map((t) => t.name);
    logger.info({ added, removed, installations: tenants.length }, "installations file reloaded");
    return { added, removed };
  };

  return {
    url,
    mcpUrl: `${url}${MCP_PATH}`,
    sseUrl: `${url}${SSE_PATH}`,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    host: config.host,
    port,
    apiKey: resolved.apiKey,
    apiKeyGenerated: resolved.generated,
    get tenants() {
      return tenants.map((t) => ({
        name: t.name,
        keyIds: t.apiKeySha256.map((h) => h.toLowerCase().slice(0, 12)),
        tools: grantedEndpoints(t.installation.whoami.scopes, args.options).length,
      }));
    },
    limits,
    webhooksIdle: () => webhooks.idle(),
    reload,
    sessionCount: () => sessions.size,
    inFlight: () => sessions.inFlight + (config.stateless ? activeRequests : 0),
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** Said once at start: what happens to sends and `--confirm` writes on a server without sessions. */
function warnAboutConfirmations(stateless: boolean, options: ServerOptions, logger: Logger): void {
  if (!stateless) return;
  if (options.allowUnconfirmedSends) {
    logger.warn(
      "--allow-unconfirmed-sends: send_notification sends without confirmation on this stateless server; each send is logged",
    );
  } else {
    logger.info(
      "stateless: send_notification is refused (nobody can be asked to confirm); run with sessions or --allow-unconfirmed-sends",
    );
  }
  if (options.confirm && options.confirm.length > 0) {
    logger.warn(
      { confirm: options.confirm },
      "stateless: the --confirm tools are refused (nobody can be asked to confirm); run with sessions",
    );
  }
}

/**
 * The CLI's entry: serves until SIGINT/SIGTERM, then shuts down gracefully (a second signal exits
 * at once). Start-up failures are one clear line on stderr and exit 1.
 */
export async function serveHttp(args: HttpServerArgs): Promise<void> {
  let handle: HttpServerHandle;
  try {
    handle = await startHttpServer(args);
  } catch (error) {
    const message =
      error instanceof InstallationsFileError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`okta-partners-mcp: ${message}\n`);
    process.exit(1);
  }
  if (handle.apiKeyGenerated && handle.apiKey) {
    // Shown once, here only (the logger redacts keys). Set OKTA_MCP_API_KEY to choose your own.
    process.stderr.write(
      `okta-partners-mcp: no OKTA_MCP_API_KEY set; generated an API key for this run (shown once):\n` +
        `  Authorization: Bearer ${handle.apiKey}\n`,
    );
  }
  process.on("SIGHUP", () => {
    args.logger.info("SIGHUP: reloading installations");
    handle
      .reload()
      .catch((error: unknown) =>
        args.logger.error({ err: { message: (error as Error).message } }, "reload failed; serving as before"),
      );
  });
  let signalled = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (signalled) process.exit(130);
      signalled = true;
      args.logger.info({ signal }, "signal received; finishing calls in flight");
      void handle.close().then(() => {
        if (!args.onClose) process.exit(0);
      });
    });
  }
  // Said last: whoever waits for this line may signal the process at once.
  args.logger.info(
    {
      url: handle.mcpUrl,
      sse: args.config.stateless ? undefined : handle.sseUrl,
      stateless: args.config.stateless,
      installations: handle.tenants,
    },
    "serving MCP over HTTP",
  );
}
