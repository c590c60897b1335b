/**
 * Typed errors of the Okta Partners API, one class per status of the contract's error table,
 * mapped from a response in exactly one place (errorFromResponse).
 *
 * Every error says how many HTTP attempts were made, the idempotency key of a write (so a caller
 * can repeat it safely) and whether a write may have been applied despite the error.
 * Messages never contain the token: the platform's message is passed through redactSecrets.
 */
import { type HeaderBag, headerValue } from "./headers.js";
import { redactSecrets } from "./redact.js";
import { parseRetryAfterMs } from "./retry.js";

export interface ApiErrorInit {
  status: number;
  code: string;
  message: string;
  scope?: string;
  fieldErrors?: Record<string, string[]>;
  retryAfterSeconds?: number;
  attempts?: number;
  idempotencyKey?: string;
  maybeApplied?: boolean;
  cause?: unknown;
}

export class ApiError extends Error {
  /** HTTP status; 0 when no response arrived. */
  readonly status: number;
  /** The contract's error code (`validation_failed`, ...), or `network_error` / `timeout` / `aborted`. */
  readonly code: string;
  readonly scope?: string;
  readonly fieldErrors?: Record<string, string[]>;
  readonly retryAfterSeconds?: number;
  /** HTTP attempts made for this call. */
  readonly attempts: number;
  /** The key every attempt of a write carried; repeat the call with it to be safe. */
  readonly idempotencyKey?: string;
  /** True when a write may have been applied although the call failed (outcome unknown). */
  readonly maybeApplied: boolean;

  constructor(init: ApiErrorInit) {
    // `cause` is installed non-enumerable by Error, so JSON.stringify never walks into it.
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.code = init.code;
    if (init.scope !== undefined) this.scope = init.scope;
    if (init.fieldErrors !== undefined) this.fieldErrors = init.fieldErrors;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
    this.attempts = init.attempts ?? 1;
    if (init.idempotencyKey !== undefined) this.idempotencyKey = init.idempotencyKey;
    this.maybeApplied = init.maybeApplied ?? false;
  }

  /** What logs and tool results may show; `message` is already redacted. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      status: this.status,
      code: this.code,
      message: this.message,
      scope: this.scope,
      fieldErrors: this.fieldErrors,
      retryAfterSeconds: this.retryAfterSeconds,
      attempts: this.attempts,
      idempotencyKey: this.idempotencyKey,
      maybeApplied: this.maybeApplied,
    };
  }
}

/** 400 bad_request: malformed or missing body. */
export class BadRequestError extends ApiError {}
/** 401 unauthenticated: missing, invalid or revoked token. */
export class UnauthenticatedError extends ApiError {}
/** 403 scope_not_granted; `scope` names the missing scope. */
export class ScopeNotGrantedError extends ApiError {}
/** 404 not_found within the tenant. */
export class NotFoundError extends ApiError {}
/** 409 idempotency_conflict: the key was used for another request, or the first is still in flight. */
export class IdempotencyConflictError extends ApiError {}
/** 413 payload_too_large. */
export class PayloadTooLargeError extends ApiError {}
/** 422 validation_failed; `fieldErrors` maps each field to its messages. */
export class ValidationFailedError extends ApiError {}
/** 429 rate_limited; `retryAfterSeconds` from the Retry-After header when given. */
export class RateLimitedError extends ApiError {}
/** 5xx server_error: transient, already retried with backoff. */
export class ServerError extends ApiError {}
/** Status 0: connection refused / reset / closed, an attempt timed out, or the call's deadline passed. */
export class NetworkError extends ApiError {}
/** Status 0, code `aborted`: the caller cancelled (e.g. the MCP request was cancelled). */
export class RequestAbortedError extends ApiError {}
/** Any other status (3xx, 405, 418, ...) or a success body that is not JSON. */
export class UnexpectedResponseError extends ApiError {}

/** Who a token belongs to, as whoami says: a tenant (school) and the app's module. */
export interface TenantOf {
  tenantId: number;
  module: string;
}

const named = (t: TenantOf) => `tenant ${t.tenantId} (module ${t.module})`;

/**
 * Status 0, code `tenant_mismatch`: the token now names another tenant or module than the one
 * this installation serves, so every call is refused with nothing sent. Names the ids only.
 */
export class TenantMismatchError extends ApiError {
  constructor(
    readonly serves: TenantOf,
    readonly tokenOf: TenantOf,
  ) {
    super({
      status: 0,
      code: "tenant_mismatch",
      attempts: 0,
      message: `Refused, nothing was sent: this server serves ${named(serves)}, but its platform token now belongs to ${named(tokenOf)}. The operator must restore ${named(serves)}'s token (the token file or the installations file); serving resumes once the token names ${named(serves)} again.`,
    });
  }
}

type ApiErrorClass = new (init: ApiErrorInit) => ApiError;

const BY_STATUS: Record<number, { cls: ApiErrorClass; code: string; message: string }> = {
  400: {
    cls: BadRequestError,
    code: "bad_request",
    message: "The platform rejected the request as malformed.",
  },
  401: {
    cls: UnauthenticatedError,
    code: "unauthenticated",
    message: "The installation token is missing, invalid or revoked.",
  },
  403: {
    cls: ScopeNotGrantedError,
    code: "scope_not_granted",
    message: "The installation lacks the scope this call needs.",
  },
  404: { cls: NotFoundError, code: "not_found", message: "Not found in this tenant." },
  409: {
    cls: IdempotencyConflictError,
    code: "idempotency_conflict",
    message:
      "Idempotency conflict: the key was used for a different request, or that request is still in flight.",
  },
  413: { cls: PayloadTooLargeError, code: "payload_too_large", message: "The request body is too large." },
  422: { cls: ValidationFailedError, code: "validation_failed", message: "Some fields are invalid." },
  429: { cls: RateLimitedError, code: "rate_limited", message: "Rate limit exceeded." },
};

export function errorClassForStatus(status: number): ApiErrorClass {
  const known = BY_STATUS[status];
  if (known) return known.cls;
  if (status >= 500 && status <= 599) return ServerError;
  return UnexpectedResponseError;
}

export interface ErrorContext {
  attempts?: number;
  idempotencyKey?: string;
  maybeApplied?: boolean;
  /** Strings to scrub from any text taken from the response (the token). */
  secrets?: readonly string[];
  /** Clock for HTTP-date Retry-After values. */
  now?: number;
}

const MAX_MESSAGE_CHARS = 500;

/** The body as an object when it is (or holds) JSON; the raw text otherwise. */
function readBody(body: unknown): { json?: Record<string, unknown>; text?: string } {
  let value = body;
  if (value instanceof Uint8Array) value = new TextDecoder().decode(value);
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return {};
    try {
      value = JSON.parse(text);
    } catch {
      return { text };
    }
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    return { json: value as Record<string, unknown> };
  }
  return {};
}

/** `errors` as `{ field: string[] }`, tolerating a single string per field or junk. */
function readFieldErrors(raw: unknown, secrets?: readonly string[]): Record<string, string[]> | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(raw)) {
    const list = (Array.isArray(messages) ? messages : [messages])
      .filter((m): m is string => typeof m === "string")
      .map((m) => redactSecrets(m, secrets));
    if (list.length > 0) out[field] = list;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** A short plain-text body (not an HTML error page) is worth showing as the message. */
function usableText(text: string | undefined): string | undefined {
  if (!text || text.startsWith("<") || text.length > MAX_MESSAGE_CHARS) return undefined;
  return text;
}

/**
 * Maps a non-2xx response to its error class. Tolerant of other implementations of the contract:
 * a missing or non-JSON body, a missing `error` code or message, `errors` in odd shapes.
 */
export function errorFromResponse(
  status: number,
  body: unknown,
  headers: HeaderBag,
  ctx: ErrorContext = {},
): ApiError {
  const { json, text } = readBody(body);
  const known = BY_STATUS[status];
  const isServer = status >= 500 && status <= 599;
  const defaultCode = known?.code ?? (isServer ? "server_error" : "unexpected_status");
  const defaultMessage =
    known?.message ??
    (isServer
      ? `The platform failed with HTTP ${status}; it is usually transient.`
      : `The platform answered with unexpected HTTP ${status}.`);

  const code = typeof json?.error === "string" && json.error !== "" ? json.error : defaultCode;
  const rawMessage =
    (typeof json?.message === "string" && json.message.trim() !== "" ? json.message : undefined) ??
    usableText(text) ??
    defaultMessage;
  const message = redactSecrets(rawMessage.slice(0, MAX_MESSAGE_CHARS), ctx.secrets);

  const retryAfterMs = parseRetryAfterMs(headerValue(headers, "retry-after"), ctx.now);
  const init: ApiErrorInit = {
    status,
    code,
    message,
    attempts: ctx.attempts ?? 1,
    maybeApplied: ctx.maybeApplied ?? false,
  };
  if (typeof json?.scope === "string") init.scope = json.scope;
  const fieldErrors = readFieldErrors(json?.errors, ctx.secrets);
  if (fieldErrors) init.fieldErrors = fieldErrors;
  if (retryAfterMs !== undefined) init.retryAfterSeconds = Math.ceil(retryAfterMs / 1000);
  if (ctx.idempotencyKey !== undefined) init.idempotencyKey = ctx.idempotencyKey;

  const cls = errorClassForStatus(status);
  return new cls(init);
}
