/**
 * What the HTTP endpoints share: the limits (with their defaults), the session table, the
 * per-key request meter, and how to make an MCP server for a caller.
 */

import type { McpServer } from "@modelcontextprotocol/server";
import type { Logger } from "../logger.js";
import { createServer, createToolServer, type OktaMcpServer, type ServerOptions } from "../server.js";
import type { Caller } from "./client-auth.js";
import type { RequestMeter } from "./rate-limit.js";
import type { SessionTable } from "./sessions.js";

/** A burst is 3 seconds at the steady rate: a minute's worth divided by 20. */
const BURST_PER_MINUTE = 20;

export interface HttpLimits {
  /** Largest request body accepted (413 past it). */
  maxBodyBytes: number;
  /** Time a client has to send a request body (408 past it): slow clients do not hold a handler. */
  bodyTimeoutMs: number;
  /**
   * Live sessions one API key may hold. Past it the key's least recently used idle session is
   * closed to make room; 503 + Retry-After only when all of them are busy.
   */
  maxSessionsPerKey: number;
  /** Live sessions in total; past it likewise, over every key's sessions. */
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
  /**
   * Interval of the `: keepalive` comment frames on every SSE stream (2026 listen streams, 2025
   * streams, legacy SSE), so proxies do not drop a silent one (deploy/haproxy.cfg waits 1 h).
   */
  sseKeepAliveMs: number;
  /** Open 2026 `subscriptions/listen` streams one API key may hold (refused in-band past it). */
  maxListenStreamsPerKey: number;
}

/**
 * Sized for a chatbot backend: one API key with 50 conversations at once, each making a few calls
 * a second, passes without a 503 or a 429 from this server (README "Sizing"). What protects the
 * platform is its own rate limit per installation (its 429s, honoured by the API client); these
 * bound what one key may take of this server, and the total bounds its memory.
 */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxBodyBytes: 1024 * 1024,
  bodyTimeoutMs: 15_000,
  // ~94 KiB each (bench/RESULTS.md, memory): 1,024 sessions stay under 100 MiB. At a cap the least recently used idle one makes room.
  maxSessionsPerKey: 256,
  maxSessionsTotal: 1024,
  sessionIdleMs: 30 * 60_000,
  // 200 a second: 50 conversations at 3 calls a second, with a third to spare.
  requestsPerMinute: 12_000,
  requestBurst: 12_000 / BURST_PER_MINUTE,
  completionsPerMinute: 3_000,
  completionBurst: 3_000 / BURST_PER_MINUTE,
  shutdownGraceMs: 10_000,
  sseKeepAliveMs: 25_000,
  // One listen stream per conversation, as many as a key's sessions.
  maxListenStreamsPerKey: 256,
};

/**
 * The limits in force: the defaults under what was given. A rate given without its burst gets a
 * burst of 3 seconds at that rate (the defaults' own proportion), so lowering a rate with its
 * flag lowers what a key may send at once too.
 */
export function httpLimitsWith(given: Partial<HttpLimits> = {}): HttpLimits {
  const derived: Partial<HttpLimits> = {};
  if (given.requestsPerMinute !== undefined) derived.requestBurst = burstAt(given.requestsPerMinute);
  if (given.completionsPerMinute !== undefined) derived.completionBurst = burstAt(given.completionsPerMinute);
  return { ...DEFAULT_HTTP_LIMITS, ...derived, ...given };
}

const burstAt = (perMinute: number) => Math.max(1, Math.ceil(perMinute / BURST_PER_MINUTE));

export interface EndpointContext {
  limits: HttpLimits;
  sessions: SessionTable;
  meter: RequestMeter;
  logger: Logger;
  /** What every server made here is made with (the per-installation followers need it too). */
  options: ServerOptions;
  /** A new MCP server bound to the caller's installation (its scopes decide the tools). */
  serverFor(caller: Caller, overrides?: Partial<ServerOptions>): OktaMcpServer;
  /** The same for one request made only of tool calls and listings: its tools alone (server.ts). */
  toolServerFor(caller: Caller): McpServer;
}

/** serverFor and toolServerFor of an EndpointContext, made with `options`. */
export function serverFactories(
  options: ServerOptions,
  logger: Logger,
): Pick<EndpointContext, "serverFor" | "toolServerFor"> {
  // The tool-call line names the installation itself, as over stdio: no child binding to repeat it.
  return {
    serverFor: (caller, overrides) =>
      createServer(caller.tenant.installation, { ...options, ...overrides }, logger),
    toolServerFor: (caller) => createToolServer(caller.tenant.installation, options, logger),
  };
}
