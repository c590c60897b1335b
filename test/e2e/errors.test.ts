/**
 * Every error status of the contract, mapped to a tool result a model can act on, and the
 * retries that make writes safe: over stdio against the sandbox with injected faults.
 */
import { describe, expect, it } from "vitest";
import { connectStdio, sandboxServer, sandboxWith, structured, textOf } from "../helpers.js";

describe("errors and retries over stdio", () => {
  const served = sandboxServer(connectStdio);

  const students = () => served.sandbox.records(42, "students") as Array<{ full_name: string }>;
  const writes = () => served.sandbox.requests.filter((r) => r.method === "POST" || r.method === "PATCH");

  it("404: names what was not found", async () => {
    const result = await served.mcp.client.callTool({ name: "get_student", arguments: { id: 999_999 } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/Not found \(404\)/);
    // The platform's message ends with a period already: one sentence end, not two.
    expect(textOf(result)).toMatch(/scope\. Check the id/);
  });

  it("422 from the platform: names the field", async () => {
    const result = await served.mcp.client.callTool({
      name: "create_student",
      arguments: { full_name: "Yousef Nasser", grade_id: 99_999 },
    });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("grade_id");
    expect(textOf(result)).toContain("422");
  });

  it("409: the same idempotency_key for a different request", async () => {
    const key = "e2e-conflict-key-0001";
    const first = await served.mcp.client.callTool({
      name: "create_subject",
      arguments: { name: "Astronomy", code: "AST-1", idempotency_key: key },
    });
    expect(first.isError).toBeFalsy();
    const second = await served.mcp.client.callTool({
      name: "create_subject",
      arguments: { name: "Geology", code: "GEO-1", idempotency_key: key },
    });
    expect(second.isError).toBe(true);
    expect(textOf(second)).toContain("409");
    // Its only attempt was refused outright: nothing to complete, so nothing says it may be done.
    expect(textOf(second)).not.toMatch(/may or may not have been applied/);
  });

  it("409 on the retry of a write that may have been applied (503 first): says so, and how to finish it", async () => {
    const key = "e2e-conflict-key-0002";
    const first = await served.mcp.client.callTool({
      name: "create_subject",
      arguments: { name: "Botany", code: "BOT-1", idempotency_key: key },
    });
    expect(first.isError, textOf(first)).toBeFalsy();
    served.sandbox.clearRequests();
    served.sandbox.injectFaults({ kind: "503", match: { tool: "create_subject" } });
    const second = await served.mcp.client.callTool({
      name: "create_subject",
      arguments: { name: "Zoology", code: "ZOO-1", idempotency_key: key },
    });
    expect(writes().map((r) => r.status)).toEqual([503, 409]);
    expect(second.isError).toBe(true);
    const text = textOf(second);
    expect(text).toMatch(/Idempotency conflict \(409\) after 2 attempts/);
    expect(text).toMatch(/may or may not have been applied/);
    expect(text).toContain(`idempotency_key "${key}"`);
    // A slow first attempt is answered 409 on every repeat while it runs: a second 409 alone
    // does not make the key another request's (a new key then could write twice).
    expect(text).not.toMatch(/409 again, the key is another request's/);
    expect(text).toMatch(/while that attempt is in progress/);
  });

  it("503 then success: retried, one record, the same key on every attempt", async () => {
    served.sandbox.injectFaults({ kind: "503", match: { tool: "create_student" } });
    const before = students().length;
    const result = await served.mcp.client.callTool({
      name: "create_student",
      arguments: { full_name: "Huda Retry-503" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(students().length).toBe(before + 1);
    const attempts = writes();
    expect(attempts.map((r) => r.status)).toEqual([503, 201]);
    expect(new Set(attempts.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(attempts[0]!.idempotencyKey).toBeTruthy();
  });

  it("dropped response after a write: exactly one record, the same key, the stored result replayed", async () => {
    served.sandbox.injectFaults({ kind: "drop", match: { tool: "create_student" } });
    const before = students().length;
    const result = await served.mcp.client.callTool({
      name: "create_student",
      arguments: { full_name: "Omar Dropped" },
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(students().filter((s) => s.full_name === "Omar Dropped")).toHaveLength(1);
    expect(students().length).toBe(before + 1);
    const attempts = writes();
    expect(attempts.length).toBe(2);
    expect(new Set(attempts.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(structured<{ data: { full_name: string } }>(result).data.full_name).toBe("Omar Dropped");
  });

  it("429 with a short Retry-After is honoured and the call succeeds", async () => {
    served.sandbox.injectFaults({ kind: "429", retryAfterSeconds: 1, match: { tool: "list_grades" } });
    const started = Date.now();
    const result = await served.mcp.client.callTool({ name: "list_grades", arguments: {} });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(served.sandbox.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("429 with a Retry-After beyond the call's budget: says how long to wait, for every call of the installation", async () => {
    // Its own server: the platform's pause holds every call of the installation for 120 s.
    const own = await connectStdio(served.sandbox);
    try {
      served.sandbox.injectFaults({ kind: "429", retryAfterSeconds: 120, match: { tool: "list_grades" } });
      const result = await own.client.callTool({ name: "list_grades", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/429.*Wait 120 s/s);
      // Another call in the window is told the wait without asking the platform.
      served.sandbox.clearRequests();
      const other = await own.client.callTool({ name: "list_subjects", arguments: {} });
      expect(other.isError).toBe(true);
      expect(textOf(other)).toMatch(/429.*Wait 1[12]\d s/s);
      expect(served.sandbox.requests).toHaveLength(0);
    } finally {
      await own.close();
    }
  });

  it("403 after a scope is withdrawn: names the scope and what to ask for", async () => {
    const all = served.sandbox.records(42, "students").length;
    expect(all).toBeGreaterThan(0);
    served.sandbox.setScopes(served.sandbox.token, ["education.grades.read"]);
    try {
      const result = await served.mcp.client.callTool({ name: "list_students", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain('Scope "education.students.read" is not granted');
      expect(textOf(result)).toContain("administrator");
    } finally {
      served.sandbox.setScopes(served.sandbox.token, undefined);
    }
  });

  it("401 after the token is revoked: says to update the token, without printing it", async () => {
    const other = await sandboxWith();
    const client = await connectStdio(other);
    try {
      other.revokeToken(other.token);
      const result = await client.client.callTool({ name: "list_grades", arguments: {} });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain("401");
      expect(textOf(result)).not.toContain(other.token);
      expect(client.stderr()).not.toContain(other.token);
    } finally {
      await client.close();
      await other.stop();
    }
  });

  it("an identical create sent twice makes one record and says it was already done", async () => {
    const args = { full_name: "Layla Twice", gender: "female" };
    const before = students().length;
    const first = await served.mcp.client.callTool({ name: "create_student", arguments: args });
    const second = await served.mcp.client.callTool({
      name: "create_student",
      arguments: { gender: "female", full_name: "Layla Twice" },
    });
    expect(first.isError).toBeFalsy();
    expect(second.isError).toBeFalsy();
    expect(students().length).toBe(before + 1);
    expect(textOf(second)).toContain("Already done");
    expect(structured<{ outcome: string }>(second).outcome).toBe("replayed");
    expect(structured<{ data: { id: number } }>(second).data.id).toBe(
      structured<{ data: { id: number } }>(first).data.id,
    );
    // On purpose: a new key makes a second record.
    const third = await served.mcp.client.callTool({
      name: "create_student",
      arguments: { ...args, idempotency_key: "second-layla-on-purpose" },
    });
    expect(third.isError).toBeFalsy();
    expect(students().length).toBe(before + 2);
  });
});

describe("start-up failures", () => {
  it("a wrong token is a clear message and a non-zero exit", async () => {
    const sandbox = await sandboxWith();
    try {
      await expect(connectStdio({ baseUrl: sandbox.baseUrl, token: "wrong-token-value" })).rejects.toThrow();
    } finally {
      await sandbox.stop();
    }
  });
});
