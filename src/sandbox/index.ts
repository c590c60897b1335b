/**
 * The embedded sandbox of the Okta Partners runtime API: a real HTTP server on loopback that
 * follows CONTRACT.md, with deterministic demo data, fault injection and signed webhooks, for
 * tests, demos and local development of the MCP server.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Logger, silentLogger } from "../logger.js";
import { ALL_SCOPES, type Scope } from "../platform/scopes.js";
import type { RecordCollection, StoredRecord } from "./data.js";
import { FaultInjector, type RandomFaults, type ScriptedFault } from "./faults.js";
import { IdempotencyStore } from "./idempotency.js";
import { type InstallationInput, Installations } from "./installations.js";
import { buildOpenApiDocument } from "./openapi.js";
import { DEFAULT_RATE_LIMIT, FixedWindowRateLimiter, type RateLimitOptions } from "./rate-limit.js";
import { RequestLog, type RequestLogEntry } from "./request-log.js";
import { answerClientError, BASE_PATH, createRequestListener, Sleeper } from "./server.js";
import { type Collection, type NotificationRecord, Store } from "./store.js";
import { type WebhookAttempt, WebhookDispatcher, type WebhookOptions } from "./webhooks.js";

export type { RecordCollection, StoredRecord } from "./data.js";
export { DEMO_STUDENT_COUNT, DEMO_TENANT_ID } from "./data.js";
export type { FaultKind, RandomFaults, ScriptedFault } from "./faults.js";
export type { InstallationInput } from "./installations.js";
export { DEFAULT_MODULE } from "./installations.js";
export { buildOpenApiDocument } from "./openapi.js";
export type { RateLimitOptions } from "./rate-limit.js";
export type { RequestLogEntry } from "./request-log.js";
export { BASE_PATH, MAX_BODY_BYTES, OPENAPI_PATH } from "./server.js";
export type { Collection, NotificationRecord } from "./store.js";
export type { WebhookAttempt, WebhookOptions } from "./webhooks.js";

export interface SandboxOptions {
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The default installation's token; default `sbx_` + 32 random hex. Ignored when `installations` is given. */
  token?: string;
  /** The default installation's scopes; default all 14. */
  scopes?: readonly Scope[];
  /** The default installation's tenant; default 42 (the demo school). */
  tenantId?: number;
  /** The default installation's module (app) name; default okta-partners-sandbox. */
  module?: string;
  /** Replaces the default installation; the first one is `sandbox.token` / `sandbox.tenantId`. */
  installations?: InstallationInput[];
  /** Default 1000 requests per 60 s per installation; `limit: 0` or Infinity turns it off. */
  rateLimit?: RateLimitOptions;
  faults?: RandomFaults;
  webhook?: WebhookOptions;
  /** Default: silent. */
  logger?: Logger;
  /** Milliseconds since the epoch; injectable so tests can move time (idempotency TTL, rate windows). */
  clock?: () => number;
  /**
   * Default true: a replayed write carries `Idempotent-Replayed: true`, this sandbox's extension.
   * False answers as the bare contract does, so tests can prove nothing depends on the header.
   */
  replayHeader?: boolean;
}

export interface Sandbox {
  /** http://HOST:PORT */
  readonly url: string;
  /** url + /api/apps */
  readonly baseUrl: string;
  readonly token: string;
  readonly tenantId: number;
  /** What the sandbox answered, oldest first (the last 10,000). */
  readonly requests: readonly RequestLogEntry[];
  clearRequests(): void;
  /** A copy of a tenant's records, to count or inspect them. */
  records(tenantId: number, collection: "notifications"): NotificationRecord[];
  /** Generic so a test can name the fields it reads: `records<{ code: string }>(42, "subjects")`. */
  records<T = StoredRecord>(tenantId: number, collection: RecordCollection): T[];
  /** Queues faults; each is used by the first later request it matches. */
  injectFaults(...faults: ScriptedFault[]): void;
  /** Queued faults no request has used yet: 0 once every faulted request has reached the sandbox. */
  readonly faultsPending: number;
  addInstallation(input: InstallationInput): void;
  /** Replaces a token's scopes; `undefined` grants all 14 again. */
  setScopes(token: string, scopes: readonly Scope[] | undefined): void;
  revokeToken(token: string): void;
  /** Every webhook attempt so far (one entry per try). */
  readonly webhookDeliveries: readonly WebhookAttempt[];
  /** Resolves when no webhook attempt is running. */
  webhooksIdle(): Promise<void>;
  /** The OpenAPI document as served at /docs/openapi.json. */
  openapi(): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const logger = options.logger ?? silentLogger();
  const clock = options.clock ?? Date.now;
  const store = new Store();
  const installations = new Installations();
  const addInstallation = (input: InstallationInput) => {
    installations.add(input);
    store.ensureTenant(input.tenantId);
  };
  const inputs: InstallationInput[] = options.installations?.length
    ? options.installations
    : [
        {
          token: options.token ?? `sbx_${randomBytes(16).toString("hex")}`,
          scopes: options.scopes ?? ALL_SCOPES,
          tenantId: options.tenantId ?? 42,
          module: options.module,
        },
      ];
  // The demo tenant first, so its ids start at 1 whatever order installations come in.
  for (const input of [...inputs].sort((a, b) => Number(b.tenantId === 42) - Number(a.tenantId === 42))) {
    addInstallation(input);
  }

  const requestLog = new RequestLog();
  const sleeper = new Sleeper();
  const faults = new FaultInjector(options.faults);
  const rateLimiter = new FixedWindowRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT, clock);
  const webhooks = options.webhook ? new WebhookDispatcher(options.webhook, clock, logger) : undefined;
  let openapiDocument: Record<string, unknown> | undefined;
  let baseUrl = "";
  const openapi = () => {
    openapiDocument ??= buildOpenApiDocument({ serverUrl: baseUrl });
    return structuredClone(openapiDocument);
  };

  const listener = createRequestListener({
    store,
    installations,
    rateLimiter,
    idempotency: new IdempotencyStore(clock),
    faults,
    webhooks,
    requestLog,
    sleeper,
    logger,
    clock,
    replayHeader: options.replayHeader ?? true,
    openapi,
  });
  const server = createServer(listener);
  server.on("clientError", (error, socket) => answerClientError(error, socket, rateLimiter.hit("anonymous")));

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  baseUrl = `${url}${BASE_PATH}`;
  logger.info({ baseUrl }, "sandbox listening");

  let stopping: Promise<void> | undefined;
  const first = inputs[0]!;
  return {
    url,
    baseUrl,
    token: first.token,
    tenantId: first.tenantId,
    get requests() {
      return requestLog.all;
    },
    clearRequests: () => requestLog.clear(),
    records: ((tenantId: number, collection: Collection) =>
      store.records(tenantId, collection)) as Sandbox["records"],
    injectFaults: (...list) => faults.inject(...list),
    get faultsPending() {
      return faults.pending;
    },
    addInstallation,
    setScopes: (token, scopes) => installations.setScopes(token, scopes ?? ALL_SCOPES),
    revokeToken: (token) => {
      installations.revoke(token);
    },
    get webhookDeliveries() {
      return webhooks?.attempts ?? [];
    },
    webhooksIdle: () => webhooks?.idle() ?? Promise.resolve(),
    openapi,
    stop: () => {
      stopping ??= (async () => {
        sleeper.wakeAll();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive sockets would hold close() open until they time out.
        server.closeAllConnections();
        await Promise.all([closed, webhooks?.stop()]);
      })();
      return stopping;
    },
  };
}
