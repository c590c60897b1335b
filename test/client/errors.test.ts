import { describe, expect, it } from "vitest";
import {
  ApiError,
  BadRequestError,
  errorFromResponse,
  IdempotencyConflictError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  ScopeNotGrantedError,
  ServerError,
  UnauthenticatedError,
  UnexpectedResponseError,
  ValidationFailedError,
} from "../../src/client/errors.js";

describe("errorFromResponse", () => {
  it.each([
    [400, BadRequestError, "bad_request"],
    [401, UnauthenticatedError, "unauthenticated"],
    [403, ScopeNotGrantedError, "scope_not_granted"],
    [404, NotFoundError, "not_found"],
    [409, IdempotencyConflictError, "idempotency_conflict"],
    [413, PayloadTooLargeError, "payload_too_large"],
    [422, ValidationFailedError, "validation_failed"],
    [429, RateLimitedError, "rate_limited"],
    [500, ServerError, "server_error"],
    [503, ServerError, "server_error"],
    [418, UnexpectedResponseError, "unexpected_status"],
    [302, UnexpectedResponseError, "unexpected_status"],
  ])("maps %i to its class with a default code when the body has none", (status, cls, code) => {
    const err = errorFromResponse(status, "", {});
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe(cls.name);
    expect(err.status).toBe(status);
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(0);
  });

  it("carries the platform's message, code, scope and field errors", () => {
    const scope = errorFromResponse(
      403,
      JSON.stringify({
        message: "Scope not granted.",
        error: "scope_not_granted",
        scope: "education.students.write",
      }),
      {},
      { attempts: 1, idempotencyKey: "k-1" },
    );
    expect(scope).toMatchObject({
      message: "Scope not granted.",
      scope: "education.students.write",
      idempotencyKey: "k-1",
      maybeApplied: false,
    });

    const invalid = errorFromResponse(
      422,
      {
        message: "The given data was invalid.",
        error: "validation_failed",
        errors: { full_name: ["required"], phone: "Must be E.164", junk: [1, null] },
      },
      {},
    );
    expect(invalid).toBeInstanceOf(ValidationFailedError);
    expect((invalid as ValidationFailedError).fieldErrors).toEqual({
      full_name: ["required"],
      phone: ["Must be E.164"],
    });
  });

  it("reads Retry-After in seconds or as a date, from a plain object or Headers", () => {
    const a = errorFromResponse(429, { error: "rate_limited", message: "Slow down" }, { "Retry-After": "7" });
    expect(a.retryAfterSeconds).toBe(7);
    const now = Date.parse("2026-01-01T00:00:00Z");
    const b = errorFromResponse(429, "", new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:02 GMT" }), {
      now,
    });
    expect(b.retryAfterSeconds).toBe(2);
    const c = errorFromResponse(429, "", { "retry-after": ["3", "9"] });
    expect(c.retryAfterSeconds).toBe(3);
  });

  it("tolerates non-JSON and odd bodies", () => {
    const html = errorFromResponse(502, "<html><body>Bad Gateway</body></html>", {});
    expect(html).toBeInstanceOf(ServerError);
    expect(html.code).toBe("server_error");
    expect(html.message).not.toContain("<html>");

    const plain = errorFromResponse(404, "no such student", {});
    expect(plain.message).toBe("no such student");

    const bytes = errorFromResponse(
      400,
      new TextEncoder().encode('{"error":"bad_request","message":"bad json"}'),
      {},
    );
    expect(bytes.message).toBe("bad json");

    for (const body of [null, undefined, 42, "[1,2]", { error: 5, message: "" }]) {
      const e = errorFromResponse(409, body, undefined);
      expect(e).toBeInstanceOf(IdempotencyConflictError);
      expect(e.code).toBe("idempotency_conflict");
    }
  });

  it("never keeps the token in the message, field errors or serialized form", () => {
    const token = "tok_live_0123456789abcdef";
    const err = errorFromResponse(
      401,
      {
        message: `Invalid token ${token} (Authorization: Bearer ${token})`,
        error: "unauthenticated",
        errors: { token: [`bad ${token}`] },
      },
      {},
      { secrets: [token] },
    );
    for (const text of [err.message, JSON.stringify(err), String(err.stack)]) {
      expect(text).not.toContain(token);
    }
    expect(err.message).toContain("[redacted]");
  });

  it("serializes the fields a tool result needs", () => {
    const err = errorFromResponse(
      503,
      { error: "server_error", message: "down" },
      { "retry-after": "1" },
      {
        attempts: 3,
        idempotencyKey: "key-9",
        maybeApplied: true,
      },
    );
    expect(JSON.parse(JSON.stringify(err))).toEqual({
      name: "ServerError",
      status: 503,
      code: "server_error",
      message: "down",
      retryAfterSeconds: 1,
      attempts: 3,
      idempotencyKey: "key-9",
      maybeApplied: true,
    });
  });
});
