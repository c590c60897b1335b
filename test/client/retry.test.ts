import { describe, expect, it } from "vitest";
import {
  canRepeatMethod,
  computeBackoffMs,
  isRetryableStatus,
  parseRetryAfterMs,
  planRetry,
  type RetryInput,
} from "../../src/client/retry.js";

const backoff = { baseMs: 100, maxMs: 1_000, random: () => 0.5 };

describe("computeBackoffMs", () => {
  it("doubles the ceiling per attempt with full jitter", () => {
    expect(computeBackoffMs(1, backoff)).toBe(50);
    expect(computeBackoffMs(2, backoff)).toBe(100);
    expect(computeBackoffMs(3, backoff)).toBe(200);
  });
  it("caps at maxMs, even for huge attempt numbers", () => {
    expect(computeBackoffMs(10, { ...backoff, random: () => 0.999 })).toBe(999);
    expect(computeBackoffMs(5_000, { ...backoff, random: () => 0.5 })).toBe(500);
  });
  it("spans [0, ceiling) with the random source", () => {
    expect(computeBackoffMs(3, { ...backoff, random: () => 0 })).toBe(0);
    expect(computeBackoffMs(3, { ...backoff, random: () => 0.25 })).toBe(100);
  });
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  it("reads delta-seconds", () => {
    expect(parseRetryAfterMs("2", now)).toBe(2_000);
    expect(parseRetryAfterMs(" 0 ", now)).toBe(0);
    expect(parseRetryAfterMs("1.5", now)).toBe(1_500);
  });
  it("reads an HTTP date relative to now; a past date means no wait", () => {
    expect(parseRetryAfterMs("Thu, 01 Jan 2026 00:00:03 GMT", now)).toBe(3_000);
    expect(parseRetryAfterMs("Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
  });
  it("ignores absent or unparsable values", () => {
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
    expect(parseRetryAfterMs("", now)).toBeUndefined();
    expect(parseRetryAfterMs("-1", now)).toBeUndefined();
    expect(parseRetryAfterMs("soon", now)).toBeUndefined();
    expect(parseRetryAfterMs("12", now)).toBe(12_000);
  });
});

describe("retry decisions", () => {
  it("retries 429 and 5xx only", () => {
    for (const s of [429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 400, 401, 403, 404, 409, 413, 422, 418, 600])
      expect(isRetryableStatus(s)).toBe(false);
  });
  it("repeats a write only with an idempotency key", () => {
    expect(canRepeatMethod("GET", false)).toBe(true);
    expect(canRepeatMethod("POST", false)).toBe(false);
    expect(canRepeatMethod("PATCH", true)).toBe(true);
  });

  const base: RetryInput = {
    method: "GET",
    hasIdempotencyKey: false,
    failure: { kind: "status", status: 503 },
    attempt: 1,
    maxAttempts: 5,
    remainingMs: 10_000,
    backoff,
  };

  it("backs off on transient failures", () => {
    expect(planRetry(base)).toEqual({ retry: true, delayMs: 50 });
    expect(planRetry({ ...base, failure: { kind: "network" }, attempt: 2 })).toEqual({
      retry: true,
      delayMs: 100,
    });
    expect(planRetry({ ...base, failure: { kind: "attempt_timeout" } })).toEqual({
      retry: true,
      delayMs: 50,
    });
  });
  it("never retries a definite refusal", () => {
    for (const status of [400, 401, 403, 404, 409, 413, 422]) {
      expect(planRetry({ ...base, failure: { kind: "status", status } })).toEqual({
        retry: false,
        reason: "not_retryable",
      });
    }
  });
  it("stops when attempts are used up", () => {
    expect(planRetry({ ...base, attempt: 5 })).toEqual({ retry: false, reason: "attempts_exhausted" });
  });
  it("does not repeat a write without a key", () => {
    expect(planRetry({ ...base, method: "POST" })).toEqual({ retry: false, reason: "method_not_repeatable" });
    expect(planRetry({ ...base, method: "POST", hasIdempotencyKey: true }).retry).toBe(true);
  });
  it("prefers Retry-After over backoff, and stops when it does not fit the deadline", () => {
    const hinted = { ...base, failure: { kind: "status" as const, status: 429, retryAfterMs: 2_000 } };
    expect(planRetry(hinted)).toEqual({ retry: true, delayMs: 2_000 });
    expect(planRetry({ ...hinted, remainingMs: 1_500 })).toEqual({
      retry: false,
      reason: "retry_after_exceeds_deadline",
    });
  });
  it("stops when the backoff does not fit the deadline", () => {
    expect(planRetry({ ...base, remainingMs: 40 })).toEqual({ retry: false, reason: "deadline" });
  });
});
