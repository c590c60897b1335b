/**
 * What the HTTP endpoints share: the limits (with their defaults), the session table, the
 * per-key request meter, and how to make an MCP server for a caller.
 */
import type { Logger } from "../logger.js";
import { createServer, type OktaMcpServer, type ServerOptions } from "../server.js";
import type { Caller } from "./client-auth.js";
import type { RequestMeter } from "./rate-limit.js";
import type { SessionTable } from "./sessions.js";

export interface HttpLimits {
  /** Largest request body accepted (413 past it). */
  maxBodyBytes: number;
  /** Time a client has to send a request body (408 past it): slow clients do not hold a handler. */
  bodyTimeoutMs: number;
  /** Live sessions one API key may hold (503 + Retry-After past it). */
  maxSessionsPerKey: number;
  /** Live sessions in total (503 + Retry-After past it). */
  maxSessionsTotal: number;
  /** A session with nothing in flight and no request for this long is closed. */
  sessionIdleMs: number;
  /**
   * Steady rate per API key of the requests that can reach the platform: tool calls and reads of
   * platform-backed resources (429 + Retry-After past it).
   */
  requestsPerMinute: number;
  /** Such requests a quiet key may make at once. */
  requestBurst: number;
  /** Steady rate per API key of completions, a budget of their own (see rate-limit.ts). */
  completionsPerMinute: number;
  /** Completions a quiet key may make at once. */
  completionBurst: number;
  /** On shutdown, how long calls in flight may take to finish before sessions are closed anyway. */
  shutdownGraceMs: number;
  /** Comment frames on legacy SSE streams so proxies do not drop them. */
  sseKeepAliveMs: number;
  /** Open 2026 `subscriptions/listen` streams one API key may hold (refused in-band past it). */
  maxListenStreamsPerKey: number;
}

export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxBodyBytes: 1024 * 1024,
  bodyTimeoutMs: 15_000,
  maxSessionsPerKey: 32,
  maxSessionsTotal: 512,
  sessionIdleMs: 30 * 60_000,
  requestsPerMinute: 120,
  requestBurst: 30,
  completionsPerMinute: 120,
  completionBurst: 30,
  shutdownGraceMs: 10_000,
  sseKeepAliveMs: 25_000,
  maxListenStreamsPerKey: 16,
};

export interface EndpointContext {
  limits: HttpLimits;
  sessions: SessionTable;
  meter: RequestMeter;
  logger: Logger;
  /** What every server made here is made with (the per-installation followers need it too). */
  options: ServerOptions;
  /** A new MCP server bound to the caller's installation (its scopes decide the tools). */
  serverFor(caller: Caller, overrides?: Partial<ServerOptions>): OktaMcpServer;
}

export function serverFactory(
  options: ServerOptions,
  logger: Logger,
): (caller: Caller, overrides?: Partial<ServerOptions>) => OktaMcpServer {
  // The tool-call line names the installation itself, as over stdio: no child binding to repeat it.
  return (caller, overrides) =>
    createServer(caller.tenant.installation, { ...options, ...overrides }, logger);
}
