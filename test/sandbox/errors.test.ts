/**
 * Every error status of the contract, in its envelope, and bad input of every kind: never a 500,
 * never a stack trace.
 */
import { connect } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api, isErrorEnvelope, sleep, useSandbox } from "./helpers.js";

describe("error statuses", () => {
  const start = useSandbox();

  it("400 for malformed JSON, a non-object body, a wrong content type and a missing body", async () => {
    const { call } = await start();
    const cases: Array<{ raw: string; headers: Record<string, string> }> = [
      { raw: "{not json", headers: { "content-type": "application/json" } },
      { raw: "[1,2]", headers: { "content-type": "application/json" } },
      { raw: "null", headers: { "content-type": "application/json" } },
      { raw: '"text"', headers: { "content-type": "application/json" } },
      { raw: '{"full_name":"A"}', headers: { "content-type": "text/plain" } },
      { raw: '{"full_name":"A"}', headers: {} },
      { raw: "", headers: { "content-type": "application/json" } },
    ];
    for (const options of cases) {
      const response = await call("/education/students", { method: "POST", ...options });
      expect(response.status, JSON.stringify(options)).toBe(400);
      expect(response.body).toEqual({ message: expect.any(String), error: "bad_request" });
    }
  });

  it("accepts application/json with a charset and vendor +json types", async () => {
    const { call } = await start();
    for (const type of ["application/json; charset=utf-8", "application/vnd.okta+json"]) {
      const response = await call("/education/subjects", {
        method: "POST",
        raw: JSON.stringify({ name: "Drama", code: `DRA-${type.length}` }),
        headers: { "content-type": type },
      });
      expect(response.status).toBe(201);
    }
  });

  it("401 for a missing, malformed or unknown token", async () => {
    const { call } = await start();
    for (const authorization of [undefined, "Basic abc", "Bearer", "Bearer sbx_not_a_real_token"]) {
      const response = await call("/whoami", {
        token: null,
        headers: authorization ? { authorization } : {},
      });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ message: expect.any(String), error: "unauthenticated" });
    }
  });

  it("404 for an unknown id, an unknown path and a method the path does not have", async () => {
    const { call } = await start();
    const cases: Array<[string, string]> = [
      ["GET", "/education/students/999999"],
      ["PATCH", "/education/guardians/999999"],
      ["GET", "/employees/directory/999999"],
      ["GET", "/education/teachers"],
      ["GET", "/education/students/1/guardians"],
      ["DELETE", "/education/students/1"],
      ["GET", "/"],
    ];
    for (const [method, path] of cases) {
      const response = await call(path, {
        method,
        json: method === "PATCH" ? { full_name: "X" } : undefined,
      });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body).toEqual({ message: expect.any(String), error: "not_found" });
    }
    const outside = await fetch(`${(await start()).sandbox.url}/nothing-here`);
    expect(outside.status).toBe(404);
    expect(outside.headers.get("x-ratelimit-remaining")).toMatch(/^\d+$/);
  });

  it("404 for a report key that does not exist", async () => {
    const { call } = await start();
    const response = await call("/reports/builder/no_such_report/run", { json: { params: {} } });
    expect(response.status).toBe(404);
    expect(response.body.error).toBe("not_found");
  });

  it("409 for the same key on a different request", async () => {
    const { call } = await start();
    const headers = { "idempotency-key": "conflict-0001" };
    expect(
      (await call("/education/subjects", { json: { name: "Latin", code: "LAT" }, headers })).status,
    ).toBe(201);
    const other = await call("/education/subjects", { json: { name: "Greek", code: "GRK" }, headers });
    expect(other.status).toBe(409);
    expect(other.body).toEqual({ message: expect.any(String), error: "idempotency_conflict" });
    const otherPath = await call("/education/guardians", { json: { full_name: "Latin" }, headers });
    expect(otherPath.status).toBe(409);
  });

  it("409 for the same key while the first request is still in flight", async () => {
    const { sandbox, call } = await start();
    sandbox.injectFaults({ kind: "delay", delayMs: 400, match: { tool: "create_subject" } });
    const request = {
      json: { name: "Ethics", code: "ETH" },
      headers: { "idempotency-key": "in-flight-0001" },
    };
    const first = call("/education/subjects", request);
    await sleep(100);
    const second = await call("/education/subjects", request);
    expect(second.status).toBe(409);
    expect(second.body.error).toBe("idempotency_conflict");
    expect(second.body.message).toMatch(/in progress/);
    expect((await first).status).toBe(201);
    const third = await call("/education/subjects", request);
    expect(third.status).toBe(201);
    expect(third.headers.get("idempotent-replayed")).toBe("true");
  });

  it("413 payload_too_large for a body over 1 MiB, and the connection stays usable", async () => {
    const { call } = await start();
    const response = await call("/education/students", { json: { full_name: "x".repeat(1024 * 1024 + 10) } });
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ message: expect.any(String), error: "payload_too_large" });
    expect(response.headers.get("x-ratelimit-limit")).toBeTruthy();
    expect((await call("/whoami")).status).toBe(200);
  });

  it("422 names each field: wrong types, unknown fields, bad formats, missing required", async () => {
    const { call } = await start();
    const response = await call("/education/students", {
      json: { full_name: "", grade_id: "3", birth_date: "2020-02-30", gender: "boy", nickname: "x" },
    });
    expect(response.status).toBe(422);
    expect(response.body.error).toBe("validation_failed");
    expect(Object.keys(response.body.errors).sort()).toEqual([
      "birth_date",
      "full_name",
      "gender",
      "grade_id",
      "nickname",
    ]);
    for (const messages of Object.values(response.body.errors)) {
      expect(messages).toEqual(expect.arrayContaining([expect.any(String)]));
    }
    const missing = await call("/education/guardians", { json: { phone: "+966501234567" } });
    expect(Object.keys(missing.body.errors)).toEqual(["full_name"]);
    const empty = await call("/education/students/1", { method: "PATCH", json: {} });
    expect(empty.status).toBe(422);
    expect(Object.keys(empty.body.errors)).toEqual(["body"]);
    const phone = await call("/education/guardians", { json: { full_name: "A B", phone: "0501234567" } });
    expect(Object.keys(phone.body.errors)).toEqual(["phone"]);
    const future = await call("/education/students", {
      json: { full_name: "A B", birth_date: "2999-01-01" },
    });
    expect(future.body.errors.birth_date).toBeDefined();
  });

  it("422 for ids that do not exist in the tenant, naming the field", async () => {
    const { call } = await start();
    const response = await call("/education/students", {
      json: { full_name: "Yousef Nasser", grade_id: 99_999, section_id: 99_998, guardian_id: 99_997 },
    });
    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors).sort()).toEqual(["grade_id", "guardian_id", "section_id"]);
  });

  it("422 when the section is not of the student's grade (create, and a patch of one side)", async () => {
    const { sandbox, call } = await start();
    const sections = sandbox.records(42, "sections");
    const ofGrade = (g: number) => sections.find((s) => s.grade_id === g)!.id;
    const created = await call("/education/students", {
      json: { full_name: "A B", grade_id: 2, section_id: ofGrade(3) },
    });
    expect(created.status).toBe(422);
    expect(Object.keys(created.body.errors)).toEqual(["section_id"]);
    const student = sandbox.records(42, "students").find((s) => s.grade_id === 4)!;
    const promoted = await call(`/education/students/${student.id}`, {
      method: "PATCH",
      json: { grade_id: 5 },
    });
    expect(promoted.status).toBe(422);
    expect(Object.keys(promoted.body.errors)).toEqual(["grade_id"]);
    const both = await call(`/education/students/${student.id}`, {
      method: "PATCH",
      json: { grade_id: 5, section_id: ofGrade(5) },
    });
    expect(both.status).toBe(200);
  });

  it("429 rate_limited with Retry-After past the limit; headers count down", async () => {
    let now = 1_000_000;
    const { call } = await start({ rateLimit: { limit: 3, windowMs: 10_000 }, clock: () => now });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const response = await call("/whoami");
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("x-ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    now += 2_500;
    const limited = await call("/whoami");
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: expect.any(String), error: "rate_limited" });
    expect(limited.headers.get("retry-after")).toBe("8");
    expect(limited.headers.get("x-ratelimit-limit")).toBe("3");
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    now += 8_000;
    expect((await call("/whoami")).status).toBe(200);
  });

  it("a limit of 0 turns rate limiting off but keeps the headers", async () => {
    const { call } = await start({ rateLimit: { limit: 0 } });
    const responses = await Promise.all(Array.from({ length: 30 }, () => call("/whoami")));
    expect(responses.every((r) => r.status === 200 && r.headers.get("x-ratelimit-limit"))).toBe(true);
  });

  it("503 server_error from an injected fault, before anything is applied", async () => {
    const { sandbox, call } = await start();
    const before = sandbox.records(42, "guardians").length;
    sandbox.injectFaults({ kind: "503", match: { method: "POST" } });
    const response = await call("/education/guardians", { json: { full_name: "Noura Test" } });
    expect(response.status).toBe(503);
    expect(response.body).toEqual({ message: expect.any(String), error: "server_error" });
    expect(sandbox.records(42, "guardians")).toHaveLength(before);
  });
});

describe("bad input never answers 500", () => {
  // One sandbox for the whole table: none of these requests may change anything anyway.
  let shared: { sandbox: Sandbox; call: ReturnType<typeof api> } | undefined;
  const start = async () => {
    if (shared) return shared;
    const sandbox = await startSandbox();
    shared = { sandbox, call: api(sandbox) };
    return shared;
  };
  afterAll(() => shared?.sandbox.stop());

  const paths = [
    "/education/students/abc",
    "/education/students/-4",
    "/education/students/0",
    "/education/students/1.5",
    "/education/students/1e3",
    "/education/students/%20",
    "/education/students/99999999999999999999",
    "/education/students/..%2Fwhoami",
    "/education/students/../whoami",
    "/education/students/%E0%A4%A",
    "/education/students/%00",
    "/education//students",
    "/education/students/",
    "/reports/builder/Bad-Key/run",
    "/reports/builder/%2e%2e/run",
  ];
  const queries = [
    "page=abc",
    "page=0",
    "page=-1",
    "per_page=0",
    "per_page=101",
    "per_page=abc",
    "page=1&page=2",
    `search=${"x".repeat(201)}`,
    "search=%E0%A4%A",
    "unknown=1",
    "__proto__=1",
    "constructor=1",
  ];
  const bodies = [
    '{"full_name": 5}',
    '{"full_name": null}',
    '{"full_name": ["a"]}',
    '{"full_name": "A", "grade_id": 1e400}',
    '{"full_name": "A", "grade_id": -1}',
    '{"__proto__": {"full_name": "x"}}',
    '{"full_name": "A", "constructor": {}}',
    '{"full_name": "\\ud800"}',
    "{}",
    "   ",
    "\u0000",
  ];

  it.each(paths)("GET %s", async (path) => {
    const { call } = await start();
    for (const method of ["GET", "PATCH", "POST"]) {
      const response = await call(path, { method, json: method === "GET" ? undefined : { full_name: "A" } });
      expect(response.status, `${method} ${path}`).toBeLessThan(500);
      expect(isErrorEnvelope(response.body), JSON.stringify(response.body)).toBe(true);
    }
  });

  it("ids like abc, -4 and 0 are 422 on the id field", async () => {
    const { call } = await start();
    for (const id of ["abc", "-4", "0", "..%2Fwhoami"]) {
      const response = await call(`/education/students/${id}`);
      expect(response.status).toBe(422);
      expect(Object.keys(response.body.errors)).toEqual(["id"]);
    }
  });

  it.each(queries)("GET /education/students?%s", async (query) => {
    const { sandbox } = await start();
    const response = await fetch(`${sandbox.baseUrl}/education/students?${query}`, {
      headers: { authorization: `Bearer ${sandbox.token}` },
    });
    expect(response.status).toBeLessThan(500);
    if (response.status !== 200) expect(isErrorEnvelope(await response.json())).toBe(true);
  });

  it.each(bodies)("POST /education/students %s", async (raw) => {
    const { call } = await start();
    const response = await call("/education/students", {
      method: "POST",
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(response.status).toBeLessThan(500);
    if (response.status >= 400) expect(isErrorEnvelope(response.body)).toBe(true);
  });

  it("a request Node cannot parse gets a 400 in the envelope, not a hang", async () => {
    const { sandbox } = await start();
    const { port } = new URL(sandbox.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"));
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString();
      });
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('"error":"bad_request"');
    expect(answer).toMatch(/X-RateLimit-Remaining: \d+/);
  });

  it("a body that is not an object is 400 for every write endpoint", async () => {
    const { sandbox } = await start();
    const call = api(sandbox);
    for (const path of [
      "/education/students",
      "/education/guardians",
      "/education/subjects",
      "/notifications/send",
    ]) {
      const response = await call(path, {
        method: "POST",
        raw: "[]",
        headers: { "content-type": "application/json" },
      });
      expect(response.status).toBe(400);
    }
  });
});
