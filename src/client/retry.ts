/**
 * The retry policy as pure functions, so every rule is unit-tested without a network.
 *
 * Order of decisions (planRetry): is the method safe to repeat -> is the failure transient ->
 * are attempts left -> how long to wait (server hint first, else backoff) -> does that wait fit
 * in the call's deadline.
 */

export type HttpMethod = "GET" | "POST" | "PATCH";

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Returns [0, 1); injected so tests are deterministic. */
  random: () => number;
}

/**
 * Capped exponential backoff with full jitter (AWS architecture blog): a uniform wait in
 * [0, min(max, base * 2^(attempt-1))). Full jitter spreads clients that failed together.
 * `attempt` is the number of attempts made so far (1 after the first failure).
 */
export function computeBackoffMs(attempt: number, { baseMs, maxMs, random }: BackoffOptions): number {
  const exponent = Math.max(0, attempt - 1);
  // Cap the exponent too, so 2 ** exponent never overflows into Infinity.
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(exponent, 30));
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceiling);
}

/**
 * `Retry-After` as milliseconds to wait: delta-seconds ("2", tolerant of "1.5") or an HTTP date.
 * A date in the past means 0. Anything unparsable means "no hint" (undefined).
 */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  // Only accept things that look like a date; Date.parse("12abc") is sometimes a number.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Statuses worth repeating: rate limits and server-side failures. Every other 4xx is final. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * GET is safe to repeat. A write is only repeated with an idempotency key, because the platform
 * then replays the stored answer instead of creating a second record.
 */
export function canRepeatMethod(method: HttpMethod, hasIdempotencyKey: boolean): boolean {
  return method === "GET" || hasIdempotencyKey;
}

export type AttemptFailure =
  | { kind: "status"; status: number; retryAfterMs?: number }
  /** Connection refused / reset / closed before a full answer. */
  | { kind: "network" }
  /** The per-attempt timer fired (the call's deadline has not). */
  | { kind: "attempt_timeout" };

export interface RetryInput {
  method: HttpMethod;
  hasIdempotencyKey: boolean;
  failure: AttemptFailure;
  /** Attempts made so far, including the one that just failed. */
  attempt: number;
  maxAttempts: number;
  /** Time left before the call's deadline. */
  remainingMs: number;
  backoff: BackoffOptions;
}

export type RetryStopReason =
  | "not_retryable"
  | "method_not_repeatable"
  | "attempts_exhausted"
  | "retry_after_exceeds_deadline"
  | "deadline";

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: RetryStopReason };

export function planRetry(input: RetryInput): RetryDecision {
  const { failure } = input;
  if (failure.kind === "status" && !isRetryableStatus(failure.status)) {
    return { retry: false, reason: "not_retryable" };
  }
  if (!canRepeatMethod(input.method, input.hasIdempotencyKey)) {
    return { retry: false, reason: "method_not_repeatable" };
  }
  if (input.attempt >= input.maxAttempts) return { retry: false, reason: "attempts_exhausted" };

  const hint = failure.kind === "status" ? failure.retryAfterMs : undefined;
  if (hint !== undefined) {
    // The server said when; sleeping past our own deadline would only turn a clear
    // "rate limited, retry in N s" into a vaguer timeout, so stop now.
    if (hint >= input.remainingMs) return { retry: false, reason: "retry_after_exceeds_deadline" };
    return { retry: true, delayMs: hint };
  }
  const delayMs = computeBackoffMs(input.attempt, input.backoff);
  if (delayMs >= input.remainingMs) return { retry: false, reason: "deadline" };
  return { retry: true, delayMs };
}
