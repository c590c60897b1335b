/**
 * What models see, pinned: every tool's name, title, description, schemas and annotations are
 * snapshotted (update deliberately with `npx vitest run -u`), and invariants hold over the catalog.
 */
import { describe, expect, it } from "vitest";
import { budgetedPart } from "../../bench/lib/context.js";
import { grantedEndpoints } from "../../src/grant/served.js";
import { CATALOG, TOOL_NAMES } from "../../src/platform/catalog.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import { prepareTool } from "../../src/tools/registry.js";

const CONTRACT_TOOL_NAMES = [
  "whoami",
  "list_students",
  "get_student",
  "create_student",
  "update_student",
  "list_guardians",
  "get_guardian",
  "create_guardian",
  "update_guardian",
  "list_subjects",
  "create_subject",
  "list_grades",
  "list_sections",
  "list_academic_years",
  "list_terms",
  "list_employees",
  "get_employee",
  "add_employee",
  "list_reports",
  "run_report",
  "get_notification_capabilities",
  "send_notification",
];

const definitions = CATALOG.map((e) => prepareTool(e).definition);

function walk(node: unknown, visit: (key: string, value: unknown) => void) {
  if (node === null || typeof node !== "object") return;
  for (const [k, v] of Object.entries(node)) {
    visit(k, v);
    walk(v, visit);
  }
}

describe("tool definitions", () => {
  it("are exactly the 22 tool names of CONTRACT.md", () => {
    expect([...TOOL_NAMES].sort()).toEqual([...CONTRACT_TOOL_NAMES].sort());
    expect(new Set(TOOL_NAMES).size).toBe(22);
  });

  it("state all four annotations on every tool", () => {
    for (const d of definitions) {
      for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
        expect(typeof d.annotations?.[hint], `${d.name}.${hint}`).toBe("boolean");
      }
    }
  });

  it("mark annotations true to each endpoint", () => {
    const byName = Object.fromEntries(definitions.map((d) => [d.name, d.annotations]));
    expect(byName.update_student).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.create_student).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
    });
    expect(byName.create_subject).toMatchObject({ idempotentHint: true, destructiveHint: false });
    expect(byName.run_report).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(byName.send_notification).toMatchObject({
      readOnlyHint: false,
      openWorldHint: true,
      idempotentHint: false,
    });
    expect(byName.list_students).toMatchObject({
      readOnlyHint: true,
      idempotentHint: true,
      openWorldHint: false,
    });
  });

  it("have flat, portable input schemas (no $ref/$defs, no top-level anyOf/oneOf, short names)", () => {
    for (const d of definitions) {
      expect(d.name.length).toBeLessThan(64);
      expect(d.inputSchema.type).toBe("object");
      expect(d.inputSchema).not.toHaveProperty("anyOf");
      expect(d.inputSchema).not.toHaveProperty("oneOf");
      walk(d.inputSchema, (key) => {
        expect(key, d.name).not.toBe("$ref");
        expect(key, d.name).not.toBe("$defs");
      });
      for (const name of Object.keys(d.inputSchema.properties ?? {})) expect(name.length).toBeLessThan(64);
      expect(d.outputSchema?.type).toBe("object");
    }
  });

  it("give every write an optional idempotency_key and every list paging options", () => {
    for (const d of definitions) {
      const props = Object.keys(d.inputSchema.properties ?? {});
      const endpoint = CATALOG.find((e) => e.tool === d.name)!;
      if (endpoint.method !== "GET" && endpoint.kind !== "run")
        expect(props, d.name).toContain("idempotency_key");
      if (endpoint.response === "list")
        expect(props, d.name).toEqual(
          expect.arrayContaining(["page", "per_page", "all_pages", "max_items", "fields"]),
        );
      expect(d.inputSchema.required ?? [], d.name).not.toContain("idempotency_key");
    }
  });

  // Raised from 3,000 (2,984 used) to 3,200 (3,152 used) for complete answers: `offset` on the
  // seven lists (resuming all_pages), the filters the platform lacks with `cursor` / `count_only`
  // on list_students and list_guardians, and run_report's run_id / row_offset / row_limit. Each is
  // a bare name, with no description; "follow next" is said once, in the server instructions.
  it("fit the token budget: all 22 at most 3,200 estimated tokens (characters / 4)", () => {
    const chars = JSON.stringify(definitions.map(budgetedPart)).length;
    expect(Math.ceil(chars / 4)).toBeLessThanOrEqual(3200);
  });

  it("are filtered by scope, read-only and toolsets in that order", () => {
    expect(grantedEndpoints(ALL_SCOPES).length).toBe(22);
    expect(grantedEndpoints([]).map((e) => e.tool)).toEqual(["whoami"]);
    const readOnly = grantedEndpoints(ALL_SCOPES, { readOnly: true }).map((e) => e.tool);
    expect(readOnly).toContain("run_report");
    expect(readOnly).not.toContain("create_student");
    expect(readOnly).not.toContain("send_notification");
    const reports = grantedEndpoints(ALL_SCOPES, { toolsets: ["reports"] }).map((e) => e.tool);
    expect(reports).toEqual(["whoami", "list_reports", "run_report"]);
    expect(grantedEndpoints(["employees.directory.write"], { readOnly: true }).map((e) => e.tool)).toEqual([
      "whoami",
    ]);
  });

  it("match the snapshot of what models see", () => {
    expect(definitions).toMatchSnapshot();
  });
});
