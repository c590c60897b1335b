/**
 * The Okta Partners API client: one keep-alive undici Pool per installation, bearer auth,
 * idempotency keys on writes, bounded retries inside a per-call deadline, typed errors.
 *
 * Retry policy (pure parts in retry.ts):
 * - GET always, POST/PATCH because they always carry an Idempotency-Key made once per call.
 * - Retried: connection errors, per-attempt timeouts, 429 and 5xx. Never 400/401/403/404/409/413/422.
 * - Wait: Retry-After when the server gives one (429/5xx), else capped exponential backoff with
 *   full jitter. A wait that does not fit in the remaining deadline ends the call with the last
 *   error at once (e.g. RateLimitedError with retryAfterSeconds) instead of sleeping past it.
 * - Every attempt is aborted at min(attemptTimeoutMs, deadline); the caller's signal aborts the
 *   attempt in flight and any wait.
 * - When a response reports X-RateLimit-Remaining: 0, the next attempt of any call on this client
 *   waits rateLimitPauseMs (default 1 s). The contract gives no reset time, so a short fixed pause
 *   keeps us from burning the next requests on 429s without stalling tools for a long window.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import type { IncomingHttpHeaders } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Pool } from "undici";
import type { z } from "zod";
import type { Logger } from "../logger.js";
import { checkBody } from "./contract-check.js";
import {
  type ApiError,
  errorFromResponse,
  NetworkError,
  RateLimitedError,
  RequestAbortedError,
  UnexpectedResponseError,
} from "./errors.js";
import { headerValue, parseRateLimit, type RateLimitInfo } from "./headers.js";
import { redactSecrets } from "./redact.js";
import { type AttemptFailure, type HttpMethod, parseRetryAfterMs, planRetry } from "./retry.js";
import { type BaseUrl, parseBaseUrl, type Query, requestTarget } from "./url.js";

export type TokenSource = string | (() => string);

/**
 * Reads and writes one installation may have in flight at the platform at once. A chatbot
 * backend runs many conversations on one installation, each waiting on its own call: with too few
 * connections they queue here behind each other (16 capped 50 conversations at ~600 calls/s
 * against an API answering in 25 ms). The platform protects itself with its own rate limit (429,
 * X-RateLimit-*), which the client honours.
 */
export const DEFAULT_CONNECTIONS = 64;

export interface OktaClientOptions {
  /** e.g. https://getokta.io/api/apps; its path is kept as a prefix of every request path. */
  baseUrl: string;
  /** A function is called before every attempt, so a rotated token is used from the next one. */
  token: TokenSource;
  logger?: Pick<Logger, "debug" | "isLevelEnabled">;
  /** Total time for one call, all attempts and waits included; well under a 60 s tool timeout. */
  deadlineMs?: number;
  attemptTimeoutMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** [0, 1) source for backoff jitter; injectable for deterministic tests. */
  random?: () => number;
  userAgent?: string;
  /** Pause before the next attempt after a response with X-RateLimit-Remaining: 0. */
  rateLimitPauseMs?: number;
  /**
   * Told when the platform asks this installation to slow down (a 429's Retry-After, or
   * X-RateLimit-Remaining: 0), with the wall-clock time the pause ends: the platform's budget is
   * per installation, so instances sharing a store pass it on (`pauseUntil` on the others).
   */
  onPause?: (untilEpochMs: number) => void;
  /** Keep-alive connections in the pool (default DEFAULT_CONNECTIONS). */
  connections?: number;
  /**
   * Called before every attempt with the token it would carry (unless the request names its own
   * `token`); throwing refuses the call and nothing is sent. The installation checks here that a
   * rotated token still names its tenant. Returns undefined when the token is already admitted
   * (nothing to wait for: no promise per attempt on the hot path).
   */
  admitToken?: (token: string) => Promise<void> | undefined;
}

export interface RequestOptions {
  method: HttpMethod;
  /** Relative to the base URL, already filled and encoded, e.g. "/education/students/12". */
  path: string;
  query?: Query;
  body?: unknown;
  /** For POST/PATCH; a fresh UUID is made once per call when absent. */
  idempotencyKey?: string;
  /** Cancels the call (attempt in flight and any wait), e.g. an MCP request cancellation. */
  signal?: AbortSignal;
  /** Send exactly this token, without `admitToken`: the whoami read that checks a token. */
  token?: string;
}

/** A request whose success body is checked against the contract's shape (contract-check.ts). */
export interface CheckedRequestOptions<T> extends RequestOptions {
  expect: z.ZodType<T>;
}

export interface ApiResponse<T> {
  status: number;
  /** Parsed JSON; undefined for an empty body. */
  body: T;
  attempts: number;
  /** The platform answered from its idempotency store (header Idempotent-Replayed: true). */
  replayed: boolean;
  rateLimit: RateLimitInfo;
  /** When the platform answered, by its own clock (the HTTP `Date` header), in epoch ms, if sent. */
  answeredAt?: number;
  /** The key the write carried (absent for GET). */
  idempotencyKey?: string;
}

/** Why an attempt's signal fired. */
class AbortReason extends Error {
  constructor(readonly kind: "attempt_timeout" | "deadline" | "caller") {
    super(kind);
  }
}

/**
 * An attempt's abort signal in the shape undici accepts besides AbortSignal: an EventEmitter
 * whose "abort" it listens for (once), checking `aborted` first and rejecting with `reason`.
 * It also carries what ends the attempt, for the watch below: the caller's signal and a deadline.
 */
class AttemptAbort extends EventEmitter {
  reason: AbortReason | undefined;

  constructor(
    readonly callerSignal: AbortSignal | undefined,
    /** performance.now() at which the attempt's time is up, and which limit that is. */
    readonly endsAt: number,
    readonly endKind: "attempt_timeout" | "deadline",
  ) {
    super();
  }

  /** Read by undici before it listens: fired once there is a reason. */
  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** The first reason wins: a timeout after a cancellation (or the reverse) changes nothing. */
  fire(reason: AbortReason): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    this.emit("abort");
  }
}

/** How often attempts in flight are looked at: the slack of a cancellation or a timeout. */
const ATTEMPT_WATCH_MS = 25;

/**
 * Every attempt in flight in this process, looked at every ATTEMPT_WATCH_MS while there is one:
 * a caller's signal that fired, or a time that is up, aborts it. A listener on each call's
 * AbortSignal plus a timer per attempt cost ~15 µs of CPU per call under load (EventTarget
 * listeners are slow to add and remove); reading `aborted` and comparing a clock cost nothing.
 * Against 10 s timeouts and a human's cancellation, 25 ms of slack changes nothing.
 */
const attemptsInFlight = new Set<AttemptAbort>();
let attemptWatch: NodeJS.Timeout | undefined;

function watchAttempt(abort: AttemptAbort): void {
  attemptsInFlight.add(abort);
  if (attemptWatch) return;
  attemptWatch = setInterval(() => {
    const now = performance.now();
    for (const attempt of attemptsInFlight) {
      if (attempt.callerSignal?.aborted) attempt.fire(new AbortReason("caller"));
      else if (now >= attempt.endsAt) attempt.fire(new AbortReason(attempt.endKind));
    }
  }, ATTEMPT_WATCH_MS);
  // The request's own socket keeps the process alive while it matters; the watch must not.
  attemptWatch.unref();
}

function unwatchAttempt(abort: AttemptAbort): void {
  attemptsInFlight.delete(abort);
  if (attemptsInFlight.size > 0 || !attemptWatch) return;
  clearInterval(attemptWatch);
  attemptWatch = undefined;
}

type AttemptOutcome =
  | { kind: "response"; status: number; headers: IncomingHttpHeaders; text: string }
  | {
      kind: "failure";
      failure: "network" | "attempt_timeout" | "deadline" | "caller";
      /** False only when the request certainly never left (e.g. connection refused). */
      mayHaveReachedServer: boolean;
      /** A local problem that repeating cannot fix (invalid header, closed pool). */
      fatal: boolean;
      detail: string;
      error: unknown;
    };

/** Errors raised before a connection exists: the request was certainly not sent. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);
const FATAL_CODES = new Set(["UND_ERR_INVALID_ARG", "UND_ERR_CLOSED", "UND_ERR_DESTROYED"]);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  if (typeof e?.code === "string") return e.code;
  if (typeof e?.cause?.code === "string") return e.cause.code;
  return undefined;
}

const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Checked before use so a bad value never reaches undici, whose error could be logged with it. */
function checkedToken(token: string): string {
  if (!token || !HEADER_SAFE.test(token)) {
    throw new Error("The installation token is empty or contains characters not allowed in a header");
  }
  return token;
}

export class OktaClient {
  private readonly base: BaseUrl;
  private readonly pool: Pool;
  private readonly token: TokenSource;
  private readonly logger: Pick<Logger, "debug" | "isLevelEnabled"> | undefined;
  private readonly deadlineMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoff: { baseMs: number; maxMs: number; random: () => number };
  private readonly userAgent: string;
  private readonly rateLimitPauseMs: number;
  private readonly admitToken: ((token: string) => Promise<void> | undefined) | undefined;
  /** performance.now() before which no attempt starts (rate-limit budget exhausted). */
  private pausedUntil = 0;
  private readonly onPause: ((untilEpochMs: number) => void) | undefined;
  private closed = false;

  constructor(options: OktaClientOptions) {
    this.base = parseBaseUrl(options.baseUrl);
    this.token = options.token;
    this.logger = options.logger;
    this.deadlineMs = options.deadlineMs ?? 25_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 10_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.backoff = {
      baseMs: options.backoffBaseMs ?? 200,
      maxMs: options.backoffMaxMs ?? 5_000,
      random: options.random ?? Math.random,
    };
    this.userAgent = options.userAgent ?? `okta-partners-mcp (node ${process.version})`;
    this.rateLimitPauseMs = options.rateLimitPauseMs ?? 1_000;
    this.onPause = options.onPause;
    this.admitToken = options.admitToken;
    this.pool = new Pool(this.base.origin, {
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      keepAliveTimeout: 30_000,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.close();
  }

  /**
   * One call, retried as the policy says. With `expect`, a success body that does not match it is
   * an UnexpectedResponseError naming the field; without, the body is `unknown`.
   */
  async request<T = unknown>(options: CheckedRequestOptions<T>): Promise<ApiResponse<T>>;
  async request(options: RequestOptions): Promise<ApiResponse<unknown>>;
  async request<T>(options: RequestOptions & { expect?: z.ZodType<T> }): Promise<ApiResponse<T>> {
    if (this.closed) throw new Error("OktaClient is closed");
    const { method, signal } = options;
    const isWrite = method !== "GET";
    // Made once, before the first attempt, and sent unchanged on every retry: the platform then
    // replays the first stored answer instead of creating a duplicate.
    const idempotencyKey = isWrite ? (options.idempotencyKey ?? randomUUID()) : undefined;
    const target = requestTarget(this.base, options.path, options.query);
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const deadlineAt = performance.now() + this.deadlineMs;

    let attempts = 0;
    let maybeApplied = false;
    let lastProblem: string | undefined;
    const context = () => ({ attempts, idempotencyKey, maybeApplied });

    for (;;) {
      if (signal?.aborted) throw this.abortedError(context());
      // Awaited only when there is a pause to wait out or a token to check: each await is a hop.
      if (this.pausedUntil > performance.now()) await this.waitForRateLimitPause(deadlineAt, signal, context);
      const remainingMs = deadlineAt - performance.now();
      if (remainingMs <= 0) throw this.deadlineError(context(), lastProblem);

      // Read per attempt, so a rotated token is used (and checked) from the next one.
      const token = checkedToken(options.token ?? this.currentToken());
      const admitting = options.token === undefined ? this.admitToken?.(token) : undefined;
      if (admitting) await admitting;
      attempts += 1;
      const startedAt = performance.now();
      const outcome = await this.attempt(method, target, payload, token, idempotencyKey, remainingMs, signal);
      this.logAttempt(method, options.path, outcome, attempts, performance.now() - startedAt);

      let failure: AttemptFailure;
      let error: ApiError;
      if (outcome.kind === "response") {
        const { status, headers, text } = outcome;
        const rateLimit = parseRateLimit(headers);
        if (rateLimit.remaining === 0) this.pause(this.rateLimitPauseMs, true);
        if (status >= 200 && status <= 299) {
          const parsed = this.parseSuccessBody(status, text, { attempts, idempotencyKey, isWrite });
          const body = options.expect
            ? checkBody(options.expect, parsed, {
                method,
                path: options.path,
                status,
                attempts,
                idempotencyKey,
                isWrite,
              })
            : (parsed as T);
          const result: ApiResponse<T> = {
            status,
            body,
            attempts,
            replayed: headerValue(headers, "idempotent-replayed")?.toLowerCase() === "true",
            rateLimit,
          };
          if (idempotencyKey !== undefined) {
            result.idempotencyKey = idempotencyKey;
            // Only writes need it (was the record made before this answer?): no parse for reads.
            const answeredAt = Date.parse(headerValue(headers, "date") ?? "");
            if (Number.isFinite(answeredAt)) result.answeredAt = answeredAt;
          }
          return result;
        }
        // A 5xx may come after the write was committed; a 4xx is a definite refusal.
        if (isWrite && status >= 500) maybeApplied = true;
        error = errorFromResponse(status, text, headers, { ...context(), secrets: this.secrets() });
        const retryAfterMs = parseRetryAfterMs(headerValue(headers, "retry-after"));
        // The platform's limit is the installation's, not this call's: every call here waits it out.
        if (status === 429 && retryAfterMs !== undefined) this.pause(retryAfterMs, true);
        failure =
          retryAfterMs === undefined ? { kind: "status", status } : { kind: "status", status, retryAfterMs };
        lastProblem = `HTTP ${status}`;
      } else {
        if (isWrite && outcome.mayHaveReachedServer) maybeApplied = true;
        if (outcome.failure === "caller") throw this.abortedError(context(), outcome.error);
        if (outcome.failure === "deadline") throw this.deadlineError(context(), lastProblem, outcome.error);
        error = this.networkError(outcome, context());
        if (outcome.fatal) throw error;
        failure = { kind: outcome.failure };
        lastProblem = outcome.detail;
      }

      const decision = planRetry({
        method,
        hasIdempotencyKey: idempotencyKey !== undefined,
        failure,
        attempt: attempts,
        maxAttempts: this.maxAttempts,
        remainingMs: deadlineAt - performance.now(),
        backoff: this.backoff,
      });
      if (!decision.retry) throw error;
      try {
        await sleep(decision.delayMs, undefined, signal ? { signal } : undefined);
      } catch (cause) {
        throw this.abortedError(context(), cause);
      }
    }
  }

  /** One HTTP exchange, bounded by min(attempt timeout, remaining deadline) and the caller's signal. */
  private async attempt(
    method: HttpMethod,
    target: string,
    payload: string | undefined,
    token: string,
    idempotencyKey: string | undefined,
    remainingMs: number,
    signal: AbortSignal | undefined,
  ): Promise<AttemptOutcome> {
    // undici takes an EventEmitter as a request's abort signal as well as an AbortSignal: one per
    // attempt, fired by the watch (the call's own signal, or its time up), at a fraction of an
    // AbortController's cost. undici rejects with its `reason`, and `reason` says why here.
    const timeoutMs = Math.min(this.attemptTimeoutMs, remainingMs);
    const endKind = this.attemptTimeoutMs < remainingMs ? "attempt_timeout" : "deadline";
    const abort = new AttemptAbort(signal, performance.now() + timeoutMs, endKind);
    if (signal?.aborted) abort.fire(new AbortReason("caller"));
    watchAttempt(abort);
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "application/json",
        "user-agent": this.userAgent,
      };
      if (payload !== undefined) headers["content-type"] = "application/json";
      if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
      const response = await this.pool.request({
        method,
        path: target,
        headers,
        body: payload,
        signal: abort,
      });
      // Read the whole body inside the timer: a stalled body is as bad as no answer.
      const text = await response.body.text();
      return { kind: "response", status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      const reason = abort.reason;
      if (reason !== undefined) {
        return {
          kind: "failure",
          failure: reason.kind,
          mayHaveReachedServer: true,
          fatal: false,
          detail: reason.kind === "attempt_timeout" ? `no answer within ${timeoutMs} ms` : "deadline",
          error,
        };
      }
      const code = errorCode(error);
      const message = error instanceof Error ? error.message : String(error);
      return {
        kind: "failure",
        failure: "network",
        mayHaveReachedServer: code === undefined || !NOT_SENT_CODES.has(code),
        fatal: code !== undefined && FATAL_CODES.has(code),
        detail: code ? `${message} (${code})` : message,
        error,
      };
    } finally {
      unwatchAttempt(abort);
    }
  }

  private currentToken(): string {
    return typeof this.token === "function" ? this.token() : this.token;
  }

  /** The token as a string to scrub from any text that could reach a message. */
  private secrets(): string[] {
    try {
      return [checkedToken(this.currentToken())];
    } catch {
      return [];
    }
  }

  /** Applies a pause another instance of this installation heard from the platform. */
  pauseUntil(untilEpochMs: number): void {
    this.pause(untilEpochMs - Date.now(), false);
  }

  private pause(ms: number, announce: boolean): void {
    if (ms <= 0) return;
    const until = performance.now() + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    if (announce) this.onPause?.(Date.now() + ms);
  }

  private async waitForRateLimitPause(
    deadlineAt: number,
    signal: AbortSignal | undefined,
    context: () => { attempts: number; idempotencyKey: string | undefined; maybeApplied: boolean },
  ): Promise<void> {
    const now = performance.now();
    if (this.pausedUntil > deadlineAt) {
      // Longer than this call may wait: say how long at once rather than sleep into the deadline.
      const { attempts, idempotencyKey, maybeApplied } = context();
      throw new RateLimitedError({
        status: 429,
        code: "rate_limited",
        message: "The platform asked this installation to slow down.",
        retryAfterSeconds: Math.ceil((this.pausedUntil - now) / 1000),
        attempts,
        ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
        maybeApplied,
      });
    }
    const waitMs = this.pausedUntil - now;
    if (waitMs <= 0) return;
    try {
      await sleep(waitMs, undefined, signal ? { signal } : undefined);
    } catch (cause) {
      throw this.abortedError(context(), cause);
    }
  }

  private parseSuccessBody(
    status: number,
    text: string,
    ctx: { attempts: number; idempotencyKey: string | undefined; isWrite: boolean },
  ): unknown {
    // Blank without copying the body to trim it: a JSON answer's first character settles it.
    if (!/\S/.test(text)) return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new UnexpectedResponseError({
        status,
        code: "invalid_json",
        message: `The platform answered HTTP ${status} with a body that is not JSON.`,
        attempts: ctx.attempts,
        ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
        // The write succeeded; only its answer is unreadable.
        maybeApplied: ctx.isWrite,
        cause,
      });
    }
  }

  private networkError(
    outcome: Extract<AttemptOutcome, { kind: "failure" }>,
    ctx: { attempts: number; idempotencyKey: string | undefined; maybeApplied: boolean },
  ): NetworkError {
    const timedOut = outcome.failure === "attempt_timeout";
    const what = timedOut ? "The platform did not answer in time" : "Could not reach the platform";
    return new NetworkError({
      status: 0,
      code: timedOut ? "timeout" : "network_error",
      message: redactSecrets(`${what}: ${outcome.detail}; ${ctx.attempts} attempt(s).`, this.secrets()),
      attempts: ctx.attempts,
      ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
      maybeApplied: ctx.maybeApplied,
      cause: outcome.error,
    });
  }

  private deadlineError(
    ctx: { attempts: number; idempotencyKey: string | undefined; maybeApplied: boolean },
    lastProblem: string | undefined,
    cause?: unknown,
  ): NetworkError {
    const last = lastProblem ? ` Last problem: ${lastProblem}.` : "";
    return new NetworkError({
      status: 0,
      code: "timeout",
      message: redactSecrets(
        `No answer from the platform within the ${this.deadlineMs} ms deadline after ${ctx.attempts} attempt(s).${last}`,
        this.secrets(),
      ),
      attempts: ctx.attempts,
      ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
      maybeApplied: ctx.maybeApplied,
      cause,
    });
  }

  private abortedError(
    ctx: { attempts: number; idempotencyKey: string | undefined; maybeApplied: boolean },
    cause?: unknown,
  ): RequestAbortedError {
    return new RequestAbortedError({
      status: 0,
      code: "aborted",
      message: "The request was cancelled by the caller.",
      attempts: ctx.attempts,
      ...(ctx.idempotencyKey === undefined ? {} : { idempotencyKey: ctx.idempotencyKey }),
      maybeApplied: ctx.maybeApplied,
      cause,
    });
  }

  private logAttempt(method: HttpMethod, path: string, outcome: AttemptOutcome, attempt: number, ms: number) {
    // One line per attempt at debug level only: not even its fields are built otherwise.
    if (!this.logger?.isLevelEnabled("debug")) return;
    // The path only: query strings can carry search terms about people.
    const fields: Record<string, unknown> = {
      method,
      path,
      status: outcome.kind === "response" ? outcome.status : 0,
      attempt,
      ms: Math.round(ms),
    };
    if (outcome.kind === "failure") fields.failure = outcome.failure;
    this.logger.debug(fields, "platform attempt");
  }
}
