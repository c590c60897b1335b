/** Idempotency keys: replay of the stored answer, conflicts, 24 h expiry, concurrency. */
import { describe, expect, it } from "vitest";
import { useSandbox } from "./helpers.js";

describe("idempotency keys", () => {
  const start = useSandbox();

  it("replays the same status and body for a repeat, creating nothing", async () => {
    const { sandbox, call } = await start();
    const before = sandbox.records(42, "students").length;
    const request = {
      json: { full_name: "Layla Twice", gender: "female" },
      headers: { "idempotency-key": "550e8400-e29b-41d4-a716-446655440000" },
    };
    const first = await call("/education/students", request);
    // Same JSON value with other key order and spacing is the same request.
    const second = await call("/education/students", {
      method: "POST",
      raw: '{ "gender": "female",   "full_name": "Layla Twice" }',
      headers: { ...request.headers, "content-type": "application/json" },
    });
    expect(first.status).toBe(201);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(sandbox.records(42, "students")).toHaveLength(before + 1);
    expect(sandbox.requests.map((r) => r.replayed ?? false)).toEqual([false, true]);
  });

  it("replays a PATCH too, without touching the record again", async () => {
    const { sandbox, call } = await start();
    const headers = { "idempotency-key": "patch-key-1" };
    const first = await call("/education/guardians/3", {
      method: "PATCH",
      json: { relation: "other" },
      headers,
    });
    const updatedAt = sandbox.records(42, "guardians").find((g) => g.id === 3)!.updated_at;
    const second = await call("/education/guardians/3", {
      method: "PATCH",
      json: { relation: "other" },
      headers,
    });
    expect(second.body).toEqual(first.body);
    expect(sandbox.records(42, "guardians").find((g) => g.id === 3)!.updated_at).toBe(updatedAt);
  });

  it("keeps keys per installation: the same key on two tenants creates in each", async () => {
    const { sandbox, call } = await start({
      installations: [
        { token: "sbx_tenant_42_token", scopes: ["education.subjects.write"], tenantId: 42 },
        { token: "sbx_tenant_77_token", scopes: ["education.subjects.write"], tenantId: 77 },
      ],
    });
    const request = { json: { name: "Robotics", code: "ROB" }, headers: { "idempotency-key": "shared-key" } };
    const a = await call("/education/subjects", { ...request, token: "sbx_tenant_42_token" });
    const b = await call("/education/subjects", { ...request, token: "sbx_tenant_77_token" });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.data.id).not.toBe(b.body.data.id);
    expect(b.headers.get("idempotent-replayed")).toBeNull();
    expect(sandbox.records(77, "subjects").filter((s) => s.code === "ROB")).toHaveLength(1);
  });

  it("a rotated token of the same installation shares its keys", async () => {
    const { sandbox, call } = await start({ token: "sbx_old_token_0001" });
    const request = { json: { name: "Robotics", code: "ROB" }, headers: { "idempotency-key": "rotation" } };
    const first = await call("/education/subjects", { ...request, token: "sbx_old_token_0001" });
    sandbox.addInstallation({
      token: "sbx_new_token_0001",
      scopes: ["education.subjects.write"],
      tenantId: 42,
    });
    sandbox.revokeToken("sbx_old_token_0001");
    const second = await call("/education/subjects", { ...request, token: "sbx_new_token_0001" });
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
  });

  it("a refused request leaves the key free for the corrected request", async () => {
    const { call } = await start();
    const headers = { "idempotency-key": "fix-and-retry" };
    const bad = await call("/education/students", { json: { full_name: "A B", grade_id: 99_999 }, headers });
    expect(bad.status).toBe(422);
    const good = await call("/education/students", { json: { full_name: "A B", grade_id: 3 }, headers });
    expect(good.status).toBe(201);
  });

  it("stores the answer for 24 hours, then the key is new again", async () => {
    let now = Date.parse("2026-11-01T08:00:00Z");
    const { sandbox, call } = await start({ clock: () => now });
    const request = { json: { full_name: "Expiring Key" }, headers: { "idempotency-key": "ttl-key" } };
    await call("/education/students", request);
    now += 24 * 3_600_000 - 1;
    expect((await call("/education/students", request)).headers.get("idempotent-replayed")).toBe("true");
    now += 2;
    const fresh = await call("/education/students", request);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(sandbox.records(42, "students").filter((s) => s.full_name === "Expiring Key")).toHaveLength(2);
  });

  it("refuses a key that is not visible ASCII", async () => {
    const { call } = await start();
    const response = await call("/education/subjects", {
      json: { name: "A", code: "A" },
      headers: { "idempotency-key": "x".repeat(256) },
    });
    expect(response.status).toBe(400);
  });

  it("50 parallel creates with distinct keys make 50 records", async () => {
    const { sandbox, call } = await start();
    const before = sandbox.records(42, "students").length;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call("/education/students", {
          json: { full_name: `Parallel Student ${i}` },
          headers: { "idempotency-key": `parallel-${i}` },
        }),
      ),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(new Set(responses.map((r) => r.body.data.id)).size).toBe(50);
    expect(sandbox.records(42, "students")).toHaveLength(before + 50);
  });

  it("50 parallel creates with one key make exactly one record; the rest replay or conflict", async () => {
    const { sandbox, call } = await start();
    const before = sandbox.records(42, "students").length;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        call("/education/students", {
          json: { full_name: "Only Once" },
          headers: { "idempotency-key": "one-key-for-all" },
        }),
      ),
    );
    expect(sandbox.records(42, "students")).toHaveLength(before + 1);
    const created = responses.filter((r) => r.status === 201);
    expect(responses.every((r) => r.status === 201 || r.status === 409)).toBe(true);
    expect(created.filter((r) => r.headers.get("idempotent-replayed") !== "true")).toHaveLength(1);
    expect(new Set(created.map((r) => r.body.data.id)).size).toBe(1);
  });

  it("50 parallel creates with one key while the first is slow: one record, 49 conflicts", async () => {
    const { sandbox, call } = await start({ faults: { latencyMs: 150 } });
    const before = sandbox.records(42, "students").length;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        call("/education/students", {
          json: { full_name: "Slow Once" },
          headers: { "idempotency-key": "slow-key" },
        }),
      ),
    );
    expect(sandbox.records(42, "students")).toHaveLength(before + 1);
    expect(responses.filter((r) => r.status === 201)).toHaveLength(1);
    expect(responses.filter((r) => r.status === 409)).toHaveLength(49);
  });
});
