/**
 * The contract's error envelope `{ message, error, ...extra }` as one throwable type, so every
 * layer refuses a request the same way and the server writes it in one place.
 */

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }

  get body(): Record<string, unknown> {
    return { message: this.message, error: this.code, ...this.extra };
  }
}

export const badRequest = (message: string) => new ApiError(400, "bad_request", message);

export const unauthenticated = () =>
  new ApiError(
    401,
    "unauthenticated",
    "Missing or invalid installation token. Send Authorization: Bearer <token>.",
  );

export const scopeNotGranted = (scope: string) =>
  new ApiError(403, "scope_not_granted", "The given scope is not granted for this installation.", { scope });

export const notFound = (message = "Resource not found within the tenant scope.") =>
  new ApiError(404, "not_found", message);

export const idempotencyConflict = (message: string) => new ApiError(409, "idempotency_conflict", message);

export const payloadTooLarge = (limitBytes: number) =>
  new ApiError(413, "payload_too_large", `Request body is larger than ${limitBytes} bytes.`);

export const validationFailed = (errors: FieldErrors) =>
  new ApiError(422, "validation_failed", "The given data was invalid.", { errors });

/** One field's error: the common case of a store-level check (unknown id, duplicate). */
export const invalidField = (field: string, message: string) => validationFailed({ [field]: [message] });

export const rateLimited = (retryAfterSeconds: number) =>
  new ApiError(
    429,
    "rate_limited",
    `Rate limit exceeded. Retry after ${retryAfterSeconds} second(s).`,
    {},
    { "Retry-After": String(retryAfterSeconds) },
  );

export const serviceUnavailable = () =>
  new ApiError(503, "server_error", "The platform is temporarily unavailable. Retry with backoff.");

/** What a client sees for a bug: never the stack or the original message. */
export const serverError = () =>
  new ApiError(500, "server_error", "Internal server error. Retry with backoff.");

/**
 * Adds a message to a field, keeping earlier ones. Field names come from clients, so they are
 * own properties always: `errors["__proto__"] = ...` would set the prototype instead.
 */
export function addFieldError(errors: FieldErrors, field: string, message: string): void {
  const list = Object.hasOwn(errors, field) ? errors[field]! : [];
  list.push(message);
  Object.defineProperty(errors, field, { value: list, enumerable: true, writable: true, configurable: true });
}

/** Copies every message of `from` into `into` (never Object.assign: see addFieldError). */
export function mergeFieldErrors(into: FieldErrors, from: FieldErrors): void {
  for (const [field, messages] of Object.entries(from)) {
    for (const message of messages) addFieldError(into, field, message);
  }
}
