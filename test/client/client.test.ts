import { performance } from "node:perf_hooks";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { OktaClient, type OktaClientOptions } from "../../src/client/client.js";
import { mismatchOf } from "../../src/client/contract-check.js";
import {
  ApiError,
  BadRequestError,
  IdempotencyConflictError,
  NetworkError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestAbortedError,
  ScopeNotGrantedError,
  ServerError,
  UnauthenticatedError,
  UnexpectedResponseError,
  ValidationFailedError,
} from "../../src/client/errors.js";
import { destroy, hang, json, ok, type ScriptedServer, startServer, text } from "./scripted-server.js";

const TOKEN = "okp_test_9f8e7d6c5b4a3210";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function serve(script: Parameters<typeof startServer>[0]): Promise<ScriptedServer> {
  const server = await startServer(script);
  cleanups.push(() => server.close());
  return server;
}

function client(url: string, options: Partial<OktaClientOptions> = {}): OktaClient {
  const c = new OktaClient({
    baseUrl: url,
    token: TOKEN,
    deadlineMs: 3_000,
    attemptTimeoutMs: 1_000,
    backoffBaseMs: 5,
    backoffMaxMs: 20,
    random: () => 0.5,
    ...options,
  });
  cleanups.push(() => c.close());
  return c;
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected the call to fail");
}

describe("OktaClient requests", () => {
  it("keeps 50 reads in flight at once: a busy backend's conversations are not queued behind a few connections", async () => {
    const CONVERSATIONS = 50;
    // Each answer waits until all 50 are open at the server; if they never are (the pool held
    // some back), all are answered 3 s after the first, and maxInFlight says how many got through.
    const held: Array<() => void> = [];
    let fallback: NodeJS.Timeout | undefined;
    let released = false;
    const releaseAll = () => {
      released = true;
      clearTimeout(fallback);
      for (const answer of held.splice(0)) answer();
    };
    const server = await serve((req, res, received, index) => {
      const answer = () => json(200, { data: { id: index } })(req, res, received, index);
      if (released) return answer();
      held.push(answer);
      fallback ??= setTimeout(releaseAll, 3_000);
      if (held.length === CONVERSATIONS) releaseAll();
    });
    const c = client(server.url, { deadlineMs: 10_000, attemptTimeoutMs: 10_000 });
    const reads = await Promise.all(
      Array.from({ length: CONVERSATIONS }, (_, i) => c.request({ method: "GET", path: `/students/${i}` })),
    );
    expect(reads.every((r) => r.status === 200 && r.attempts === 1)).toBe(true);
    expect(server.maxInFlight()).toBe(CONVERSATIONS);
  });

  it("sends auth, accept, JSON body and an idempotency key on writes only", async () => {
    const server = await serve(json(201, { data: { id: 7 } }));
    const c = client(server.url);
    const created = await c.request({
      method: "POST",
      path: "/education/students",
      body: { full_name: "Lina Haddad" },
    });
    expect(created).toMatchObject({ status: 201, body: { data: { id: 7 } }, attempts: 1, replayed: false });
    expect(created.idempotencyKey).toMatch(UUID);
    await c.request({ method: "GET", path: "/whoami" });

    const [post, get] = server.received;
    expect(post!.method).toBe("POST");
    expect(post!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(post!.headers.accept).toBe("application/json");
    expect(post!.headers["content-type"]).toBe("application/json");
    expect(post!.headers["idempotency-key"]).toBe(created.idempotencyKey);
    expect(JSON.parse(post!.body)).toEqual({ full_name: "Lina Haddad" });
    expect(get!.headers["idempotency-key"]).toBeUndefined();
    expect(get!.headers["content-type"]).toBeUndefined();
  });

  it("admitToken sees each attempt's token and can refuse it with nothing sent; a request's own token skips it", async () => {
    const server = await serve(json(200, { data: [] }));
    const seen: string[] = [];
    let refuse = false;
    const c = client(server.url, {
      admitToken: async (token) => {
        seen.push(token);
        if (refuse) throw new Error("refused");
      },
    });
    await c.request({ method: "GET", path: "/education/grades" });
    expect(seen).toEqual([TOKEN]);
    refuse = true;
    await expect(c.request({ method: "GET", path: "/education/grades" })).rejects.toThrow("refused");
    expect(server.received).toHaveLength(1);
    await c.request({ method: "GET", path: "/whoami", token: "okp_other_0123456789" });
    expect(server.received).toHaveLength(2);
    expect(server.received[1]!.headers.authorization).toBe("Bearer okp_other_0123456789");
    expect(seen).toHaveLength(2);
  });

  it("uses a given idempotency key and reports replays and rate-limit headers", async () => {
    const server = await serve(
      ok(
        { data: { id: 3 } },
        { "idempotent-replayed": "true", "x-ratelimit-limit": "60", "x-ratelimit-remaining": "41" },
      ),
    );
    const res = await client(server.url).request({
      method: "PATCH",
      path: "/education/guardians/3",
      body: { phone: "+966501234567" },
      idempotencyKey: "my-key-1",
    });
    expect(server.received[0]!.headers["idempotency-key"]).toBe("my-key-1");
    expect(res).toMatchObject({
      replayed: true,
      rateLimit: { limit: 60, remaining: 41 },
      idempotencyKey: "my-key-1",
    });
  });

  it("joins a base URL that has a path, with or without a trailing slash", async () => {
    const server = await serve(ok());
    await client(`${server.url}/api/apps`).request({ method: "GET", path: "/education/students/12" });
    await client(`${server.url}/api/apps/`).request({ method: "GET", path: "whoami" });
    expect(server.received.map((r) => r.url)).toEqual([
      "/api/apps/education/students/12",
      "/api/apps/whoami",
    ]);
  });

  it("encodes query values so the server reads them back unchanged", async () => {
    const server = await serve(ok({ data: [] }));
    const search = "Ali & Sons ü 50%+1 #x=y";
    await client(server.url).request({
      method: "GET",
      path: "/education/students",
      query: { search, page: 2, per_page: 50, is_current: true, grade_id: undefined },
    });
    const url = new URL(server.received[0]!.url, "http://x");
    expect(url.pathname).toBe("/education/students");
    expect(url.searchParams.get("search")).toBe(search);
    expect(url.searchParams.get("page")).toBe("2");
    expect(url.searchParams.get("is_current")).toBe("true");
    expect(url.searchParams.has("grade_id")).toBe(false);
  });

  it("tolerates empty success bodies", async () => {
    const server = await serve([(_req, res) => res.writeHead(204).end(), json(200, undefined)]);
    const c = client(server.url);
    expect((await c.request({ method: "POST", path: "/x" })).body).toBeUndefined();
    expect((await c.request({ method: "GET", path: "/x" })).body).toBeUndefined();
  });

  it("uses a rotated token from the next request", async () => {
    const server = await serve(ok());
    let token = "okp_first_token_111";
    const c = client(server.url, { token: () => token });
    await c.request({ method: "GET", path: "/whoami" });
    token = "okp_second_token_222";
    await c.request({ method: "GET", path: "/whoami" });
    expect(server.received.map((r) => r.headers.authorization)).toEqual([
      "Bearer okp_first_token_111",
      "Bearer okp_second_token_222",
    ]);
  });

  it("logs one debug line per attempt, without the token or the query", async () => {
    const server = await serve([json(503, {}), ok()]);
    const lines: Record<string, unknown>[] = [];
    // A real logger at debug level: the client asks it whether debug lines are wanted at all.
    const logger = pino({ level: "debug" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    await client(server.url, { logger }).request({
      method: "GET",
      path: "/education/students",
      query: { search: "secret name" },
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ method: "GET", path: "/education/students", status: 503, attempt: 1 });
    expect(lines[1]).toMatchObject({ status: 200, attempt: 2 });
    expect(typeof lines[1]!.ms).toBe("number");
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(JSON.stringify(lines)).not.toContain("secret name");
  });
});

describe("OktaClient retries", () => {
  it("retries a 503 and succeeds on the second attempt", async () => {
    const server = await serve([
      json(503, { error: "server_error", message: "busy" }),
      ok({ data: { id: 1 } }),
    ]);
    const res = await client(server.url).request({ method: "GET", path: "/education/students/1" });
    expect(res.attempts).toBe(2);
    expect(res.body).toEqual({ data: { id: 1 } });
    expect(server.received).toHaveLength(2);
  });

  it("waits at least Retry-After after a 429", async () => {
    const server = await serve([
      json(429, { error: "rate_limited", message: "slow" }, { "retry-after": "1" }),
      ok(),
    ]);
    const res = await client(server.url).request({ method: "GET", path: "/whoami" });
    expect(res.attempts).toBe(2);
    const waited = server.received[1]!.at - server.received[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(990);
  });

  it("gives up at once when Retry-After is beyond the deadline", async () => {
    const server = await serve(
      json(429, { error: "rate_limited", message: "slow" }, { "retry-after": "30" }),
    );
    const started = performance.now();
    const err = await failure(
      client(server.url, { deadlineMs: 10_000 }).request({ method: "GET", path: "/whoami" }),
    );
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err).toMatchObject({ status: 429, code: "rate_limited", retryAfterSeconds: 30, attempts: 1 });
    // Sleeping would take the whole 10 s budget; half of it is slack for a busy machine.
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(server.received).toHaveLength(1);
  });

  it("retries a POST whose connection dropped with the same idempotency key", async () => {
    const server = await serve([destroy, json(201, { data: { id: 9 } })]);
    const res = await client(server.url).request({
      method: "POST",
      path: "/education/guardians",
      body: { full_name: "A" },
    });
    expect(res.status).toBe(201);
    expect(res.attempts).toBe(2);
    const keys = server.received.map((r) => r.headers["idempotency-key"]);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toBe(keys[0]);
    expect(res.idempotencyKey).toBe(keys[0]);
    expect(server.received[1]!.body).toBe(server.received[0]!.body);
  });

  it("reports a write whose outcome is unknown as maybeApplied, with its key", async () => {
    const server = await serve(destroy);
    const err = await failure(
      client(server.url, { maxAttempts: 3 }).request({
        method: "POST",
        path: "/notifications/send",
        body: {},
      }),
    );
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ status: 0, code: "network_error", attempts: 3, maybeApplied: true });
    expect(err.idempotencyKey).toBe(server.received[0]!.headers["idempotency-key"]);
    expect(new Set(server.received.map((r) => r.headers["idempotency-key"])).size).toBe(1);
  });

  it("says a write was not applied when the connection was refused", async () => {
    const server = await serve(ok());
    const url = server.url;
    await server.close();
    const err = await failure(
      client(url, { maxAttempts: 2 }).request({ method: "POST", path: "/x", body: {} }),
    );
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ status: 0, code: "network_error", attempts: 2, maybeApplied: false });
    expect(err.message).toContain("ECONNREFUSED");
  });

  it("a 5xx after the retries is a ServerError with maybeApplied for writes", async () => {
    const server = await serve(json(500, { error: "server_error", message: "boom" }));
    const err = await failure(
      client(server.url, { maxAttempts: 3 }).request({
        method: "PATCH",
        path: "/education/students/1",
        body: { a: 1 },
      }),
    );
    expect(err).toBeInstanceOf(ServerError);
    expect(err).toMatchObject({ status: 500, message: "boom", attempts: 3, maybeApplied: true });
    expect(server.received).toHaveLength(3);
  });

  it.each([
    [400, BadRequestError, {}],
    [401, UnauthenticatedError, {}],
    [403, ScopeNotGrantedError, { scope: "employees.directory.write" }],
    [404, NotFoundError, {}],
    [409, IdempotencyConflictError, {}],
    [413, PayloadTooLargeError, {}],
    [422, ValidationFailedError, { errors: { email: ["taken"] } }],
  ] as const)("never retries %i", async (status, cls, extra) => {
    const server = await serve(json(status, { message: `refused ${status}`, error: "x", ...extra }));
    for (const method of ["GET", "POST"] as const) {
      const err = await failure(
        client(server.url).request({ method, path: "/employees/directory", body: {} }),
      );
      expect(err).toBeInstanceOf(cls);
      expect(err).toMatchObject({ status, message: `refused ${status}`, attempts: 1, maybeApplied: false });
    }
    expect(server.received).toHaveLength(2);
  });

  it("maps scope, field errors and retry-after from real responses", async () => {
    const server = await serve([
      json(403, { message: "no", error: "scope_not_granted", scope: "education.students.write" }),
      json(422, { message: "invalid", error: "validation_failed", errors: { full_name: ["required"] } }),
      json(429, { message: "slow", error: "rate_limited" }, { "retry-after": "4" }),
    ]);
    const c = client(server.url, { maxAttempts: 1 });
    const scope = await failure(c.request({ method: "POST", path: "/education/students", body: {} }));
    expect(scope).toBeInstanceOf(ScopeNotGrantedError);
    expect(scope.scope).toBe("education.students.write");
    expect(scope.idempotencyKey).toMatch(UUID);
    const invalid = await failure(c.request({ method: "POST", path: "/education/students", body: {} }));
    expect(invalid.fieldErrors).toEqual({ full_name: ["required"] });
    const limited = await failure(c.request({ method: "GET", path: "/whoami" }));
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited.retryAfterSeconds).toBe(4);
    expect(limited.idempotencyKey).toBeUndefined();
  });

  it("tolerates non-JSON error bodies", async () => {
    const server = await serve([text(502, "<html><h1>502 Bad Gateway</h1></html>"), text(404, "Not Found")]);
    const c = client(server.url, { maxAttempts: 1 });
    const bad = await failure(c.request({ method: "GET", path: "/x" }));
    expect(bad).toBeInstanceOf(ServerError);
    expect(bad.code).toBe("server_error");
    const missing = await failure(c.request({ method: "GET", path: "/x" }));
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ code: "not_found", message: "Not Found" });
  });

  it("retries after an attempt timeout", async () => {
    const server = await serve([hang, ok({ data: { id: 2 } })]);
    const started = performance.now();
    const res = await client(server.url, { attemptTimeoutMs: 150 }).request({ method: "GET", path: "/x" });
    expect(res.attempts).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    expect(server.received).toHaveLength(2);
  });

  it("ends with a timeout NetworkError at the deadline, counting attempts", async () => {
    const server = await serve(hang);
    const started = performance.now();
    const err = await failure(
      client(server.url, { attemptTimeoutMs: 100, deadlineMs: 350, random: () => 0 }).request({
        method: "GET",
        path: "/x",
      }),
    );
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ status: 0, code: "timeout", maybeApplied: false });
    // 100 ms attempts with no backoff in a 350 ms budget: 4 attempts, the last cut by the deadline
    // (fewer if timers run late on a busy machine).
    expect(err.attempts).toBeGreaterThanOrEqual(2);
    expect(err.attempts).toBeLessThanOrEqual(4);
    expect(server.received).toHaveLength(err.attempts);
    expect(err.message).toContain("deadline");
    expect(elapsed).toBeGreaterThanOrEqual(340);
    // The deadline bounds the call; the slack is for a busy machine, not a performance claim.
    expect(elapsed).toBeLessThan(3_000);
  });

  it("never puts the token in errors, serialized errors or stacks", async () => {
    const server = await serve([
      json(401, {
        message: `Token ${TOKEN} is revoked; got Authorization: Bearer ${TOKEN}`,
        error: "unauthenticated",
      }),
      text(400, `bad header Bearer ${TOKEN}`),
      destroy,
    ]);
    const c = client(server.url, { maxAttempts: 1 });
    const errors = [
      await failure(c.request({ method: "GET", path: "/whoami" })),
      await failure(c.request({ method: "GET", path: "/whoami" })),
      await failure(c.request({ method: "GET", path: "/whoami" })),
    ];
    expect(errors.map((e) => e.constructor)).toEqual([UnauthenticatedError, BadRequestError, NetworkError]);
    for (const err of errors) {
      for (const text of [
        err.message,
        JSON.stringify(err),
        String(err.stack),
        String(err),
        JSON.stringify(err.toJSON()),
      ]) {
        expect(text).not.toContain(TOKEN);
      }
    }
    expect(errors[0]!.message).toContain("[redacted]");
  });
});

describe("OktaClient cancellation and rate limits", () => {
  it("aborts an attempt in flight when the caller's signal fires", async () => {
    const server = await serve(hang);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = performance.now();
    const err = await failure(
      client(server.url).request({ method: "POST", path: "/x", body: {}, signal: controller.signal }),
    );
    expect(err).toBeInstanceOf(RequestAbortedError);
    expect(err).toMatchObject({ status: 0, code: "aborted", attempts: 1, maybeApplied: true });
    // Without the abort the attempt would hang for its 10 s timeout; the slack is for busy cores.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it("aborts a wait between attempts", async () => {
    const server = await serve(json(503, {}, { "retry-after": "2" }));
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const err = await failure(
      client(server.url).request({ method: "GET", path: "/x", signal: controller.signal }),
    );
    expect(err).toBeInstanceOf(RequestAbortedError);
    // Without the abort the wait would be the full 2 s Retry-After.
    expect(performance.now() - started).toBeLessThan(1_800);
    expect(server.received).toHaveLength(1);
  });

  it("does not start when the signal is already aborted", async () => {
    const server = await serve(ok());
    const err = await failure(
      client(server.url).request({ method: "GET", path: "/x", signal: AbortSignal.abort() }),
    );
    expect(err).toBeInstanceOf(RequestAbortedError);
    expect(err.attempts).toBe(0);
    expect(server.received).toHaveLength(0);
  });

  it("slows the next request after X-RateLimit-Remaining: 0", async () => {
    const server = await serve([
      ok({}, { "x-ratelimit-remaining": "0" }),
      ok({}, { "x-ratelimit-remaining": "5" }),
      ok(),
    ]);
    const c = client(server.url, { rateLimitPauseMs: 300 });
    await c.request({ method: "GET", path: "/a" });
    await c.request({ method: "GET", path: "/b" });
    await c.request({ method: "GET", path: "/c" });
    const [a, b, cc] = server.received;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(290);
    // Remaining was 5 on the second answer: no pause before the third request.
    expect(cc!.at - b!.at).toBeLessThan(150);
  });
});

describe("OktaClient success bodies checked against the contract", () => {
  const Envelope = z.looseObject({ data: z.looseObject({ id: z.number().int(), full_name: z.string() }) });

  it("returns a body that matches as it came, extra fields kept", async () => {
    const server = await serve(json(200, { data: { id: 7, full_name: "Lina", extra: true }, meta: 1 }));
    const res = await client(server.url).request({ method: "GET", path: "/x/7", expect: Envelope });
    expect(res.body).toEqual({ data: { id: 7, full_name: "Lina", extra: true }, meta: 1 });
  });

  it("turns a body off the shape into an UnexpectedResponseError naming the field, once, without retrying", async () => {
    const server = await serve(json(200, { data: [{ id: 7 }] }));
    const error = await failure(
      client(server.url).request({ method: "GET", path: "/x/7", expect: Envelope }),
    );
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect(error.code).toBe("unexpected_shape");
    expect(error.message).toContain("GET /x/7 (HTTP 200)");
    expect(error.message).toContain("data: ");
    expect(error.maybeApplied).toBe(false);
    expect(server.received).toHaveLength(1);
  });

  it("says a write it answered off the shape may have been applied, and keeps its key", async () => {
    const server = await serve(json(201, { data: { id: "7", full_name: "Lina" } }));
    const error = await failure(
      client(server.url).request({
        method: "POST",
        path: "/x",
        body: {},
        idempotencyKey: "key-12345678",
        expect: Envelope,
      }),
    );
    expect(error.message).toContain("data.id: ");
    expect(error.maybeApplied).toBe(true);
    expect(error.idempotencyKey).toBe("key-12345678");
  });

  it("names array items by index and at most three mismatches", () => {
    const schema = z.object({ data: z.array(z.object({ a: z.string() })) });
    const parsed = schema.safeParse({ data: [{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }] });
    expect(parsed.success).toBe(false);
    const text = mismatchOf((parsed as { error: z.ZodError }).error);
    expect(text).toMatch(/^data\[0\]\.a: .*; data\[1\]\.a: .*; data\[2\]\.a: .* \(and 2 more\)$/);
  });
});
