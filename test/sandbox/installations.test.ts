/** Installations: tenant isolation, scope changes, token rotation and revocation. */
import { describe, expect, it } from "vitest";
import { useSandbox } from "./helpers.js";

const A = "sbx_tenant_a_token_01";
const B = "sbx_tenant_b_token_01";

describe("installations and tenants", () => {
  const start = useSandbox();

  it("a default sandbox has a random sbx_ token with all 14 scopes on tenant 42", async () => {
    const { sandbox, call } = await start();
    expect(sandbox.token).toMatch(/^sbx_[0-9a-f]{32}$/);
    expect(sandbox.tenantId).toBe(42);
    expect(sandbox.baseUrl).toBe(`${sandbox.url}/api/apps`);
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const whoami = await call("/whoami");
    expect(whoami.body.scopes).toHaveLength(14);
  });

  it("isolates tenants: their own data, and other tenants' ids are 404", async () => {
    const { sandbox, call } = await start({
      installations: [
        { token: A, scopes: ["education.students.read", "education.students.write"], tenantId: 42 },
        { token: B, scopes: ["education.students.read"], tenantId: 7, module: "other-app" },
      ],
    });
    const a = await call("/education/students", { token: A });
    const b = await call("/education/students", { token: B, query: { per_page: 100 } });
    expect(a.body.total).toBe(1242);
    expect(b.body.total).toBe(40);
    const bIds = b.body.data.map((s: { id: number }) => s.id);
    expect(bIds.some((id: number) => id <= 1242)).toBe(false);
    expect((await call(`/education/students/${bIds[0]}`, { token: A })).status).toBe(404);
    expect((await call("/education/students/1", { token: B })).status).toBe(404);
    expect((await call(`/education/students/${bIds[0]}`, { token: B })).status).toBe(200);
    const patch = await call(`/education/students/${bIds[0]}`, {
      token: A,
      method: "PATCH",
      json: { full_name: "X" },
    });
    expect(patch.status).toBe(404);
    expect((await call("/whoami", { token: B })).body).toMatchObject({ tenant_id: 7, module: "other-app" });
    expect(sandbox.records(7, "students")).toHaveLength(40);
    expect(sandbox.records(999, "students")).toEqual([]);
  });

  it("a write cannot reference another tenant's records", async () => {
    const { sandbox, call } = await start({
      installations: [
        { token: A, scopes: ["education.students.write"], tenantId: 42 },
        { token: B, scopes: [], tenantId: 7 },
      ],
    });
    const otherGuardian = sandbox.records(7, "guardians")[0]!.id;
    const response = await call("/education/students", {
      token: A,
      json: { full_name: "A B", guardian_id: otherGuardian },
    });
    expect(response.status).toBe(422);
    expect(Object.keys(response.body.errors)).toEqual(["guardian_id"]);
  });

  it("setScopes takes effect on the next request; undefined restores all", async () => {
    const { sandbox, call } = await start();
    sandbox.setScopes(sandbox.token, ["education.grades.read"]);
    expect((await call("/education/grades")).status).toBe(200);
    expect((await call("/education/students")).body).toMatchObject({ scope: "education.students.read" });
    sandbox.setScopes(sandbox.token, undefined);
    expect((await call("/education/students")).status).toBe(200);
    expect(() => sandbox.setScopes(sandbox.token, ["no.such.scope" as never])).toThrow(/Unknown scope/);
  });

  it("revokeToken makes the token 401; addInstallation adds a working one", async () => {
    const { sandbox, call } = await start();
    sandbox.addInstallation({
      token: "sbx_rotated_token_01",
      scopes: ["education.grades.read"],
      tenantId: 42,
    });
    sandbox.revokeToken(sandbox.token);
    expect((await call("/whoami")).status).toBe(401);
    expect((await call("/education/grades", { token: "sbx_rotated_token_01" })).status).toBe(200);
    expect(() =>
      sandbox.addInstallation({ token: "sbx_rotated_token_01", scopes: [], tenantId: 42 }),
    ).toThrow(/already/);
  });
});
