/**
 * The HTTP server, composed: `/mcp` is Streamable HTTP for both protocol eras (2026-07-28 without
 * sessions, 2025 with them; streamable.ts routes), `/sse` + `/messages` the legacy transport,
 * `/healthz` a probe that needs no key and tells nothing secret, and `POST /webhooks/okta` the
 * platform's signed events (webhooks.ts: its own auth, no API key). The parts live in http/:
 * routes.ts (the path routing and the guard order), tenants.ts (what is served, reloads),
 * lifecycle.ts (listen, housekeeping, shutdown, signals).
 *
 * `startHttpServer` is the programmatic entry (tests, embedding); `serveHttp` is the CLI's: it
 * loads `--installations`, prints a generated key once, reloads the file on SIGHUP and shuts down
 * on SIGINT/SIGTERM.
 */
import type { Config } from "../config.js";
import { grantedEndpoints } from "../grant/served.js";
import type { Installation } from "../installation.js";
import { InstallationsFileError } from "../installations-file.js";
import type { WatchOptions } from "../live/watch.js";
import { flushLogger, type Logger } from "../logger.js";
import type { ServerOptions } from "../server.js";
import { InMemorySharedStore } from "../store/memory.js";
import type { SharedStore } from "../store/shared-store.js";
import { keyIdOf, type Tenant } from "../tenant.js";
import type { Caller } from "./client-auth.js";
import { type EndpointContext, type HttpLimits, httpLimitsWith, serverFactories } from "./context.js";
import {
  createNodeServer,
  listen,
  onSignals,
  shutdown,
  startHousekeeping,
  warnAboutBind,
  warnAboutConfirmations,
} from "./http/lifecycle.js";
import { ActiveRequests, MCP_PATH, requestListener, SSE_PATH } from "./http/routes.js";
import { resolveTenants, ServedTenants, type TenantSources } from "./http/tenants.js";
import { ModernEndpoint } from "./modern.js";
import { RateLimiter, type RequestMeter } from "./rate-limit.js";
import { closeAndLog, SessionTable } from "./sessions.js";
import { LegacySseEndpoint } from "./sse.js";
import { StreamableEndpoint } from "./streamable.js";
import type { WebhookSecret } from "./webhook-verify.js";
import {
  EventFanout,
  WEBHOOK_PATH,
  type WebhookLimits,
  WebhookReceiver,
  webhookSecretsFromEnv,
} from "./webhooks.js";

export type { Tenant } from "../tenant.js";
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
  /**
   * Calls from clients not yet answered (tool calls and others), each once, in every era and mode:
   * those of sessions (SessionTable.inFlight) and those served without one (ActiveRequests).
   */
  inFlight(): number;
  /** `POST` target for the platform's webhooks. */
  webhookUrl: string;
  /** Resolves when every accepted webhook event has been handed to the store. */
  webhooksIdle(): Promise<void>;
  /**
   * Reads the installations file again (SIGHUP): adds, replaces and removes installations; the
   * sessions of removed ones are closed. An entry that changed only its key hashes is neither
   * (not in `added` / `removed`): it keeps its sessions, and only what a dropped key opened is
   * closed. Without a file, re-reads whoami of the one installation.
   */
  reload(): Promise<{ added: string[]; removed: string[] }>;
  /** Graceful: stop accepting, let calls in flight finish (bounded), close sessions, then onClose. */
  close(): Promise<void>;
}

export async function startHttpServer(args: HttpServerArgs): Promise<HttpServerHandle> {
  const { config, logger } = args;
  const limits: HttpLimits = httpLimitsWith(args.limits);
  const ownStore = args.store === undefined;
  const store = args.store ?? new InMemorySharedStore();
  const env = args.env ?? process.env;
  const sources: TenantSources = {
    tenants: args.tenants,
    installations: args.installations,
    apiKey: args.apiKey,
    installationsFile: config.installationsFile,
    env,
    logger,
    store,
    watch: args.watch,
  };
  const resolved = await resolveTenants(sources).catch(async (error: unknown) => {
    if (ownStore) await store.close();
    throw error;
  });
  const tenants = new ServedTenants(resolved, sources);
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
    ...serverFactories(serverOptions, logger),
  };
  warnAboutConfirmations(config.stateless, args.options, logger);
  // A store given by the caller may be shared with other instances: the listen buses run over it.
  const modern = new ModernEndpoint(ctx, ownStore ? undefined : store);
  const streamable = new StreamableEndpoint(ctx, config.stateless, modern);
  const legacy = new LegacySseEndpoint(ctx);
  const globalSecrets = args.webhooks?.secrets ?? webhookSecretsFromEnv(env);
  const webhooks = new WebhookReceiver({
    store,
    logger: logger.child({ component: "webhooks" }),
    secrets: () => [
      ...globalSecrets,
      ...tenants.all.flatMap((t) =>
        (t.webhookSecrets ?? []).map((secret) => ({ secret, tenantIds: [t.installation.whoami.tenant_id] })),
      ),
    ],
    servesTenant: (id) => tenants.all.some((t) => t.installation.whoami.tenant_id === id),
    limits: args.webhooks?.limits,
    retryDelaysMs: args.webhooks?.retryDelaysMs,
    now: args.webhooks?.now,
  });
  const fanout = new EventFanout(store, logger.child({ component: "events" }));
  await fanout.follow(tenants.all.map((t) => t.installation));
  await webhooks.start();

  let closing: Promise<void> | undefined;
  const active = new ActiveRequests();
  const server = createNodeServer(
    requestListener({
      config,
      logger,
      closing: () => closing !== undefined,
      tenants,
      active,
      webhooks,
      streamable,
      legacy,
    }),
    limits,
  );
  const { port, url } = await listen(server, config.host, config.port).catch(async (error: unknown) => {
    await tenants.close();
    await webhooks.stop(0);
    await fanout.close();
    if (ownStore) await store.close();
    throw error;
  });
  const stopHousekeeping = startHousekeeping(sessions, meter);
  const inFlight = () => sessions.inFlight + active.count;
  warnAboutBind(config.host, config.allowedHosts, logger);

  /** Closes the sessions (both transports) whose caller `match` picks; says how many. */
  const closeSessions = async (match: (caller: Caller) => boolean): Promise<number> => {
    const open = sessions.all().filter((s) => match(s.caller));
    await Promise.all(open.map((s) => s.close().catch(() => {})));
    return open.length;
  };
  const reload = (): Promise<{ added: string[]; removed: string[] }> =>
    tenants.reload({
      followed: (served) => fanout.follow(served.map((t) => t.installation)),
      retired: async (gone) => {
        await modern.forget(gone);
        await closeSessions((c) => c.tenant === gone);
      },
      revoked: async (tenant, keyId) => ({
        listenStreams: modern.endListenStreams(tenant, keyId),
        sessions: await closeSessions((c) => c.tenant === tenant && c.keyId === keyId),
      }),
    });

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
      return tenants.all.map((t) => ({
        name: t.name,
        keyIds: t.apiKeySha256.map(keyIdOf),
        tools: grantedEndpoints(t.installation.whoami.scopes, args.options).length,
      }));
    },
    limits,
    webhooksIdle: () => webhooks.idle(),
    reload,
    sessionCount: () => sessions.size,
    inFlight,
    close: () => {
      closing ??= shutdown({
        server,
        sessions,
        inFlight,
        modern,
        stopHousekeeping,
        webhooks,
        fanout,
        tenants,
        ownStore: ownStore ? store : undefined,
        limits,
        logger,
        onClose: args.onClose,
      });
      return closing;
    },
  };
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
  onSignals(handle, args.logger, !args.onClose);
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
  // Written now, not at the next flush tick: a supervisor or test may be waiting for it.
  flushLogger(args.logger);
}
