/**
 * End to end over stdio: the built bin as a child process, driven by the SDK's own Client,
 * against the sandbox on loopback, as Claude Desktop would run it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import {
  connectStdio,
  READ_ONLY_SCOPES,
  readJson,
  type StdioHarness,
  sandboxWith,
  structured,
  textOf,
} from "../helpers.js";
import { VALID_CALLS } from "./valid-calls.js";

describe("stdio, all scopes", () => {
  let sandbox: Sandbox;
  let mcp: StdioHarness;

  beforeAll(async () => {
    sandbox = await sandboxWith();
    mcp = await connectStdio(sandbox);
  });
  afterAll(async () => {
    await mcp?.close();
    await sandbox?.stop();
  });

  it("lists all 22 tools with schemas and annotations", async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(VALID_CALLS).sort());
    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(10);
      expect(t.annotations?.readOnlyHint, t.name).toBeTypeOf("boolean");
      expect(t.outputSchema?.type, t.name).toBe("object");
    }
  });

  it("states the installation in its instructions", () => {
    expect(mcp.client.getInstructions()).toContain("Ids are positive integers");
    expect(mcp.client.getInstructions()).not.toContain("SANDBOX MODE");
  });

  for (const [tool, args] of Object.entries(VALID_CALLS)) {
    it(`calls ${tool}`, async () => {
      const result = await mcp.client.callTool({ name: tool, arguments: args });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(result.structuredContent, tool).toBeTypeOf("object");
      if (tool.startsWith("list_") && tool !== "list_reports") {
        const page = structured<{ data: unknown[]; total: number; page: number; last_page: number }>(result);
        expect(Array.isArray(page.data)).toBe(true);
        expect(page.total).toBeGreaterThan(0);
      }
    });
  }

  it("pages with counts and the exact arguments of the next page", async () => {
    const result = await mcp.client.callTool({ name: "list_students", arguments: { per_page: 20 } });
    const page = structured<{
      data: unknown[];
      total: number;
      last_page: number;
      next: Record<string, unknown>;
    }>(result);
    // 1,242 demo students plus any the calls above created.
    const total = sandbox.records(42, "students").length;
    expect(total).toBeGreaterThanOrEqual(1242);
    expect(page.total).toBe(total);
    expect(page.last_page).toBe(Math.ceil(total / 20));
    expect(page.data).toHaveLength(20);
    expect(page.next).toEqual({ per_page: 20, page: 2 });
    expect(textOf(result)).toContain(`page 1 of ${Math.ceil(total / 20)}`);
  });

  it("reads the whoami, scopes and reports resources", async () => {
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri).sort()).toEqual(["okta://reports", "okta://scopes", "okta://whoami"]);
    const who = await readJson(mcp.client, "okta://whoami");
    expect(who.tenant_id).toBe(42);
    const scopes = await readJson(mcp.client, "okta://scopes");
    expect(scopes.scopes).toHaveLength(14);
    expect(scopes.scopes.every((s: { granted: boolean }) => s.granted)).toBe(true);
    expect(
      scopes.scopes.find((s: { scope: string }) => s.scope === "education.students.write").tools,
    ).toEqual(["create_student", "update_student"]);
    const reports = await readJson(mcp.client, "okta://reports");
    expect(reports.reports.length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(reports.reports[0].params).length).toBeGreaterThan(0);
  });

  it("never prints the token (stderr at debug level, results)", async () => {
    await mcp.client.callTool({ name: "get_student", arguments: { id: 999_999 } });
    expect(mcp.stderr().length).toBeGreaterThan(0);
    expect(mcp.stderr()).not.toContain(sandbox.token);
    // One line per tool call: tool, status, attempts and duration.
    expect(mcp.stderr()).toMatch(
      /"tool":"get_student","installation":"default","status":"404","attempts":1,"ms":[\d.]+/,
    );
  });
});

describe("stdio, scope filtering", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await sandboxWith({ scopes: READ_ONLY_SCOPES });
  });
  afterAll(async () => {
    await sandbox?.stop();
  });

  it("lists only the granted tools, and an ungranted one is not callable and reaches nothing", async () => {
    const mcp = await connectStdio(sandbox);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        [
          "whoami",
          "list_students",
          "get_student",
          "list_guardians",
          "get_guardian",
          "list_grades",
          "list_employees",
          "get_employee",
        ].sort(),
      );
      sandbox.clearRequests();
      const result = await mcp.client
        .callTool({ name: "create_student", arguments: { full_name: "X" } })
        .catch((e: Error) => e);
      const text = result instanceof Error ? result.message : textOf(result);
      expect(text).toContain("Unknown tool: create_student");
      expect(sandbox.requests.filter((r) => r.method !== "GET")).toHaveLength(0);
      const { resources } = await mcp.client.listResources();
      expect(resources.map((r) => r.uri)).not.toContain("okta://reports");
    } finally {
      await mcp.close();
    }
  });

  it("serves only whoami when no scope is granted", async () => {
    const none = await sandboxWith({ scopes: [] });
    const mcp = await connectStdio(none);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(["whoami"]);
    } finally {
      await mcp.close();
      await none.stop();
    }
  });

  it("combines --read-only and --toolsets with the scopes", async () => {
    const all = await sandboxWith({ scopes: ALL_SCOPES });
    const mcp = await connectStdio(all, ["--read-only", "--toolsets", "employees,reports"]);
    try {
      const { tools } = await mcp.client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(
        ["whoami", "list_employees", "get_employee", "list_reports", "run_report"].sort(),
      );
    } finally {
      await mcp.close();
      await all.stop();
    }
  });
});

describe("stdio, bad input is refused before any request", () => {
  let sandbox: Sandbox;
  let mcp: StdioHarness;
  beforeAll(async () => {
    sandbox = await sandboxWith();
    mcp = await connectStdio(sandbox);
  });
  afterAll(async () => {
    await mcp?.close();
    await sandbox?.stop();
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["get_student", { id: "../whoami" }, "id"],
    ["get_student", { id: -4 }, "id"],
    ["get_student", { id: "abc" }, "id"],
    ["get_student", {}, "id"],
    ["list_students", { per_page: 101 }, "per_page"],
    ["list_students", { page: 0 }, "page"],
    ["create_student", { full_name: "A", birth_date: "2031-01-01" }, "birth_date"],
    ["create_student", { full_name: "A", birth_date: "2015-02-30" }, "birth_date"],
    ["create_student", { full_name: "A", gender: "x" }, "gender"],
    ["create_student", { full_name: "A", nickname: "B" }, "nickname"],
    ["create_student", { national_id: "1" }, "full_name"],
    ["update_student", { id: 1 }, "at least one field"],
    ["create_guardian", { full_name: "A", phone: "0501234567" }, "phone"],
    ["create_guardian", { full_name: "A", email: "not-an-email" }, "email"],
    ["run_report", { key: "../../whoami" }, "key"],
    ["run_report", { key: "attendance_summary", params: { section_id: "x" } }, "params.section_id"],
    ["run_report", { key: "no_such_report" }, "key"],
    ["send_notification", { to: "+966501234567" }, "message"],
    ["create_student", { full_name: "A", idempotency_key: "short" }, "idempotency_key"],
  ];

  for (const [tool, args, field] of cases) {
    it(`${tool} ${JSON.stringify(args)} names ${field}`, async () => {
      sandbox.clearRequests();
      const result = await mcp.client.callTool({ name: tool, arguments: args });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toContain(field);
      // run_report reads the report catalog to check params; nothing else may reach the API.
      expect(
        sandbox.requests.filter((r) => !(r.method === "GET" && r.path.endsWith("/reports/builder"))),
      ).toHaveLength(0);
    });
  }
});
