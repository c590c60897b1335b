/**
 * A platform whose answers break the contract's shapes (another implementation, a proxy, a bug):
 * every such answer is a clear tool error naming the field, never a made-up result (an empty list,
 * "none available") nor a crash deeper in. The platform is a real HTTP server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, type ScriptedServer, startServer } from "../client/scripted-server.js";
import { connectInProcess, type InProcessHarness, textOf } from "../helpers.js";

const SCOPES = [
  "education.students.read",
  "education.guardians.read",
  "education.guardians.write",
  "employees.directory.read",
  "reports.builder.read",
];

/** Each path's answer; every one but whoami is off the contract in one field. */
const ANSWERS: Record<string, [number, unknown]> = {
  "GET /api/apps/whoami": [200, { tenant_id: 9, module: "school", scopes: SCOPES }],
  "GET /api/apps/education/students": [
    200,
    { data: { id: 1 }, total: 1, per_page: 20, current_page: 1, last_page: 1 },
  ],
  "GET /api/apps/education/students/7": [200, { data: { id: 7, full_name: 42 } }],
  "GET /api/apps/education/guardians": [
    200,
    { data: [{ id: 1, full_name: "Amal" }], total: "many", per_page: 20, current_page: 1, last_page: 1 },
  ],
  "POST /api/apps/education/guardians": [201, { data: { id: "g-1", full_name: "Huda" } }],
  "GET /api/apps/employees/directory": [
    200,
    { data: [{ id: 1, full_name: null }], total: 1, per_page: 100, current_page: 1, last_page: 1 },
  ],
  "GET /api/apps/reports/builder": [200, { data: "none" }],
};

let platform: ScriptedServer;
let h: InProcessHarness;

beforeAll(async () => {
  platform = await startServer((req, res, received, index) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const [status, body] = ANSWERS[`${req.method} ${path}`] ?? [404, { error: { code: "not_found" } }];
    json(status, body)(req, res, received, index);
  });
  h = await connectInProcess({ baseUrl: `${platform.url}/api/apps`, token: "okp_offcontract_token_1" });
});

afterAll(async () => {
  await h?.close();
  await platform?.close();
});

async function call(name: string, args: Record<string, unknown> = {}) {
  const result = await h.client.callTool({ name, arguments: args });
  return { isError: result.isError === true, text: textOf(result) };
}

describe("answers off the contract's shapes", () => {
  it("a list whose data is not an array is an error naming data, not an empty page", async () => {
    const r = await call("list_students");
    expect(r.isError).toBe(true);
    expect(r.text).toContain("does not match the contract");
    expect(r.text).toContain("data: ");
    expect(r.text).not.toContain("shown");
  });

  it("a record field of the wrong type is named with its path", async () => {
    const r = await call("get_student", { id: 7 });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("data.full_name");
  });

  it("a list envelope's count of the wrong type is named, not turned into NaN", async () => {
    const r = await call("list_guardians");
    expect(r.isError).toBe(true);
    expect(r.text).toContain("total");
    expect(r.text).not.toContain("NaN");
  });

  it("a page of all_pages with a bad record is named by its index", async () => {
    const r = await call("list_employees", { all_pages: true });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("data[0].full_name");
  });

  it("a write answered 201 with an off-contract body says it may have been applied, and how to repeat it once", async () => {
    const r = await call("create_guardian", { full_name: "Huda" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("data.id");
    expect(r.text).toMatch(/may (or may not )?have been applied/);
    expect(r.text).toContain("idempotency_key");
  });

  it("run_report on an off-contract report catalog names the field instead of saying no report exists", async () => {
    const r = await call("run_report", { key: "attendance_summary" });
    expect(r.isError).toBe(true);
    expect(r.text).toContain("data: ");
    expect(r.text).not.toContain("available: none");
  });
});
