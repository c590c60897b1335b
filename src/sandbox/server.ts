/**
 * The request pipeline: one function from an HTTP request to one answer, in the order a real
 * platform would refuse things (path, token, rate limit, route, faults, scope, body, idempotency,
 * validation), then the handler. Every answer, errors included, carries the rate-limit headers;
 * nothing a client sends can produce a stack trace or an unhandled rejection.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import type { Endpoint } from "../platform/catalog.js";
import {
  ApiError,
  badRequest,
  type FieldErrors,
  idempotencyConflict,
  mergeFieldErrors,
  notFound,
  payloadTooLarge,
  rateLimited,
  scopeNotGranted,
  serverError,
  serviceUnavailable,
  unauthenticated,
  validationFailed,
} from "./errors.js";
import type { FaultInjector } from "./faults.js";
import { handlerFor, type Installation } from "./handlers.js";
import { fingerprint, type IdempotencyStore, type Reservation } from "./idempotency.js";
import type { Installations } from "./installations.js";
import type { FixedWindowRateLimiter, RateState } from "./rate-limit.js";
import type { RequestLog, RequestLogEntry } from "./request-log.js";
import { compileRoutes, matchRoute, splitPath } from "./router.js";
import type { Store } from "./store.js";
import { parseQuery, validate, validateStrings } from "./validation.js";
import type { WebhookDispatcher } from "./webhooks.js";

export const BASE_PATH = "/api/apps";
export const OPENAPI_PATH = "/docs/openapi.json";
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this, an oversized body is no longer drained: the connection is closed instead. */
const DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES;
/** Requests without a valid token share one rate-limit bucket. */
const ANONYMOUS = "anonymous";
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface PipelineDeps {
  store: Store;
  installations: Installations;
  rateLimiter: FixedWindowRateLimiter;
  idempotency: IdempotencyStore;
  faults: FaultInjector;
  webhooks?: WebhookDispatcher;
  requestLog: RequestLog;
  sleeper: Sleeper;
  logger: Logger;
  clock: () => number;
  /** Whether a replay says so in `Idempotent-Replayed` (not in the contract). */
  replayHeader: boolean;
  openapi: () => unknown;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Body = { kind: "ok"; bytes: Buffer } | { kind: "too_large"; drained: boolean } | { kind: "aborted" };

/** Per-request facts gathered on the way, used after the reply is decided. */
interface RequestState {
  method: string;
  path: string;
  search: string;
  log: RequestLogEntry;
  rate?: RateState;
  delayMs: number;
  drop: boolean;
  reservation?: Reservation;
}

/** Cancellable sleeps, so stop() never waits for injected latency. */
export class Sleeper {
  private readonly waiting = new Map<NodeJS.Timeout, () => void>();

  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(timer);
        resolve();
      }, ms);
      this.waiting.set(timer, resolve);
    });
  }

  wakeAll(): void {
    for (const [timer, resolve] of this.waiting) {
      clearTimeout(timer);
      resolve();
    }
    this.waiting.clear();
  }
}

export function createRequestListener(
  deps: PipelineDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const routes = compileRoutes();
  // Resolved up front: a catalog entry without a handler fails at start, not on first use.
  const handlers = new Map(routes.map(({ endpoint }) => [endpoint, handlerFor(endpoint)]));

  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      deps.logger.error({ err: error }, "sandbox request failed outside the pipeline");
      if (!res.headersSent && !res.destroyed) writeJson(res, 500, serverError().body, {});
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const search = q === -1 ? "" : url.slice(q + 1);
    const state: RequestState = {
      method,
      path,
      search,
      log: { method, path, query: Object.fromEntries(new URLSearchParams(search)), tool: null, status: 0 },
      delayMs: deps.faults.latencyMs,
      drop: false,
    };
    // Logged as sent, even when the request is refused before the key is looked at (e.g. a 503).
    const key = req.headers["idempotency-key"];
    if (typeof key === "string") state.log.idempotencyKey = key;

    const body = await readBody(req);
    if (body.kind === "aborted") return;

    let reply: Reply;
    try {
      reply = decide(req, state, body);
    } catch (error) {
      reply = errorReply(error);
    }
    const rate = state.rate ?? deps.rateLimiter.hit(ANONYMOUS);
    const headers: Record<string, string> = {
      // The platform's one clock, as records' timestamps are: Node's own Date would ignore `clock`.
      Date: new Date(deps.clock()).toUTCString(),
      "X-RateLimit-Limit": String(rate.limit),
      "X-RateLimit-Remaining": String(rate.remaining),
      ...reply.headers,
    };
    if (body.kind === "too_large" && !body.drained) headers.Connection = "close";

    await deps.sleeper.sleep(state.delayMs);
    // The caller hung up before the answer (a cancelled call, a timeout): tests see it was told.
    if (res.destroyed) state.log.abandoned = true;

    const succeeded = reply.status >= 200 && reply.status < 300;
    state.log.status = reply.status;
    if (state.drop) {
      // The write is applied and kept for its key; only the answer is lost, as on a real network.
      settle(state.reservation, succeeded, reply);
      state.log.dropped = true;
      deps.requestLog.push(state.log);
      req.socket.destroy();
      return;
    }
    writeJson(res, reply.status, reply.body, headers);
    // The key stays "in flight" until the answer is written, so a concurrent repeat gets 409.
    settle(state.reservation, succeeded, reply);
    deps.requestLog.push(state.log);
    deps.logger.debug({ method, path, status: reply.status, tool: state.log.tool }, "sandbox request");
  }

  /** The answer to a request, or a thrown ApiError; changes state only once everything checks out. */
  function decide(req: IncomingMessage, state: RequestState, body: Body): Reply {
    const { method, path } = state;
    if (path === OPENAPI_PATH && method === "GET") return { status: 200, body: deps.openapi() };
    if (!path.startsWith(`${BASE_PATH}/`)) throw notFound(`No endpoint ${method} ${path}`);

    const installation = deps.installations.authenticate(req.headers.authorization);
    if (!installation) throw unauthenticated();
    state.log.tenantId = installation.tenantId;
    state.rate = deps.rateLimiter.hit(installation.key);
    if (state.rate.retryAfterSeconds !== undefined) throw rateLimited(state.rate.retryAfterSeconds);

    const relativePath = path.slice(BASE_PATH.length);
    const match = matchRoute(routes, method, splitPath(relativePath));
    if (!match) throw notFound(`No endpoint ${method} ${relativePath}`);
    const { endpoint } = match;
    state.log.tool = endpoint.tool;

    const fault = deps.faults.take(method, endpoint.tool);
    if (fault) {
      state.log.fault = fault.kind;
      if (fault.kind === "429") {
        state.rate = { ...state.rate, remaining: 0 };
        throw rateLimited(fault.retryAfterSeconds);
      }
      if (fault.kind === "503") throw serviceUnavailable();
      if (fault.kind === "delay") state.delayMs += fault.delayMs;
      if (fault.kind === "drop") state.drop = true;
    }

    if (endpoint.scope && !installation.scopes.includes(endpoint.scope))
      throw scopeNotGranted(endpoint.scope);
    if (body.kind === "too_large") throw payloadTooLarge(MAX_BODY_BYTES);
    const json = endpoint.body && body.kind === "ok" ? parseJsonBody(req, body.bytes, endpoint) : {};

    const key = req.headers["idempotency-key"];
    if (key !== undefined && (method === "POST" || method === "PATCH")) {
      const replay = beginIdempotent(
        state,
        installation,
        Array.isArray(key) ? key.join(",") : key,
        relativePath,
        json,
      );
      if (replay) return replay;
    }

    const { params, query, data } = validateInputs(endpoint, match.params, state.search, json);
    const outcome = handlers.get(endpoint)!({
      endpoint,
      installation,
      params,
      query,
      body: data,
      store: deps.store,
      nowMs: deps.clock(),
    });
    if (outcome.change && deps.webhooks) {
      deps.webhooks.emit(
        outcome.change.event,
        installation.tenantId,
        { [outcome.change.singular]: outcome.change.record },
        deps.store.school(installation.tenantId).utcOffsetMinutes,
      );
    }
    const succeeded = outcome.status >= 200 && outcome.status < 300;
    if (!state.drop && succeeded && deps.faults.dropAfterWrite(method)) {
      state.drop = true;
      state.log.fault = "drop";
    }
    return { status: outcome.status, body: outcome.body };
  }

  /** Returns the stored reply to replay, throws 409, or reserves the key for this request. */
  function beginIdempotent(
    state: RequestState,
    installation: Installation,
    key: string,
    relativePath: string,
    json: unknown,
  ): Reply | undefined {
    if (!IDEMPOTENCY_KEY.test(key)) {
      throw badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is best).");
    }
    const begin = deps.idempotency.begin(
      installation.key,
      key,
      fingerprint(state.method, relativePath, json),
    );
    if (begin.kind === "started") {
      state.reservation = begin.reservation;
      return undefined;
    }
    if (begin.kind === "conflict") {
      throw idempotencyConflict(
        begin.reason === "in_flight"
          ? "A request with this Idempotency-Key is still in progress. Retry after it completes."
          : "This Idempotency-Key was already used for a different request (method, path or body).",
      );
    }
    state.log.replayed = true;
    return deps.replayHeader
      ? { ...begin.response, headers: { "Idempotent-Replayed": "true" } }
      : begin.response;
  }

  function validateInputs(
    endpoint: Endpoint,
    rawParams: Record<string, string>,
    search: string,
    json: unknown,
  ) {
    const errors: FieldErrors = {};
    let params: Record<string, unknown> = {};
    let query: Record<string, unknown> = {};
    let data: Record<string, unknown> = {};
    if (endpoint.pathParams) {
      const result = validateStrings<Record<string, unknown>>(endpoint.pathParams, rawParams, "path");
      if (result.ok) params = result.data;
      else mergeFieldErrors(errors, result.errors);
    }
    // Endpoints without a query schema ignore the query string (cache-busters and the like).
    if (endpoint.query) {
      const parsed = parseQuery(search);
      mergeFieldErrors(errors, parsed.errors);
      const result = validateStrings<Record<string, unknown>>(endpoint.query, parsed.values, "query");
      if (result.ok) query = result.data;
      else mergeFieldErrors(errors, result.errors);
    }
    if (endpoint.body) {
      const result = validate<Record<string, unknown>>(endpoint.body, json, "body");
      if (result.ok) data = result.data;
      else mergeFieldErrors(errors, result.errors);
    }
    if (Object.keys(errors).length > 0) throw validationFailed(errors);
    return { params, query, data };
  }

  function settle(reservation: Reservation | undefined, succeeded: boolean, reply: Reply): void {
    if (!reservation) return;
    if (succeeded) reservation.complete({ status: reply.status, body: reply.body });
    else reservation.release();
  }

  function errorReply(error: unknown): Reply {
    if (error instanceof ApiError) return { status: error.status, body: error.body, headers: error.headers };
    deps.logger.error({ err: error }, "sandbox handler failed");
    const generic = serverError();
    return { status: generic.status, body: generic.body };
  }
}

/** Body of a POST/PATCH: a JSON object, sent as JSON. An empty body counts as `{}` only where `{}` is valid. */
function parseJsonBody(req: IncomingMessage, bytes: Buffer, endpoint: Endpoint): unknown {
  if (bytes.length === 0) {
    if (endpoint.body?.safeParse({}).success) return {};
    throw badRequest("A JSON object body is required.");
  }
  const contentType = req.headers["content-type"] ?? "";
  if (!/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw badRequest("Content-Type must be application/json.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw badRequest("The request body is not valid JSON.");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw badRequest("The request body must be a JSON object.");
  }
  return parsed;
}

/**
 * Reads the body up to the limit. A larger body is drained (not kept) so the client can still
 * read the 413; past the drain limit the connection is closed after the answer instead.
 */
function readBody(req: IncomingMessage): Promise<Body> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Body) => {
      if (done) return;
      done = true;
      resolve(body);
    };
    const declared = Number(req.headers["content-length"]);
    if (declared > DRAIN_LIMIT_BYTES) {
      req.resume();
      finish({ kind: "too_large", drained: false });
      return;
    }
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) finish({ kind: "too_large", drained: false });
    });
    req.on("end", () =>
      finish(
        size > MAX_BODY_BYTES
          ? { kind: "too_large", drained: true }
          : { kind: "ok", bytes: Buffer.concat(chunks) },
      ),
    );
    req.on("error", () => finish({ kind: "aborted" }));
    req.on("close", () => finish({ kind: "aborted" }));
  });
}

export function writeJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": String(Buffer.byteLength(payload)),
    "Cache-Control": "no-store",
    ...headers,
  });
  res.end(payload);
}

/** Answers a request Node could not even parse (bad request line, huge headers) in the same envelope. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, rate: RateState): void {
  if (!socket.writable || error.code === "ECONNRESET") {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
  const body = JSON.stringify({
    message: tooLarge ? "Request headers are too large." : "Malformed HTTP request.",
    error: "bad_request",
  });
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nX-RateLimit-Limit: ${rate.limit}\r\n` +
      `X-RateLimit-Remaining: ${rate.remaining}\r\nConnection: close\r\n\r\n${body}`,
  );
}
