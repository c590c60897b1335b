/** What is derived from the catalog, checked against the contract. */
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { CATALOG, fillPath, isToolName, RECORD_KINDS, type ToolName } from "../../src/platform/catalog.js";
import { recordsTouched } from "../../src/platform/webhook-event.js";

describe("catalog derivations", () => {
  it("the records readable by id are the get_* endpoints", () => {
    expect(RECORD_KINDS.map((k) => [k.collection, k.listPath, k.scope, k.eventPrefix])).toEqual([
      ["students", "/education/students", "education.students.read", "education.students"],
      ["guardians", "/education/guardians", "education.guardians.read", "education.guardians"],
      ["employees", "/employees/directory", "employees.directory.read", "employees.directory"],
    ]);
  });

  it("webhook events name the records of those kinds", () => {
    expect(recordsTouched({ event: "employees.directory.created", data: { employee: { id: 7 } } })).toEqual([
      { collection: "employees", id: 7 },
    ]);
    expect(recordsTouched({ event: "education.subjects.created", data: { subject: { id: 7 } } })).toEqual([]);
  });

  it("types tool names from the catalog: a misspelt one fails to compile (npm run typecheck)", () => {
    // @ts-expect-error: "lst_students" is no tool of the catalog, so this line must not compile.
    const typo: ToolName = "lst_students";
    const known: ToolName = "list_students";
    expect(isToolName(typo)).toBe(false);
    expect(isToolName(known)).toBe(true);
  });

  it("fills path templates with every segment encoded", () => {
    expect(fillPath("/reports/builder/{key}/run", { key: "../whoami" })).toBe(
      "/reports/builder/..%2Fwhoami/run",
    );
    expect(() => fillPath("/education/students/{id}", {})).toThrow("id");
  });

  it("list descriptions promise search only on what the contract searches and the record has", () => {
    // CONTRACT.md: `search` is matched against names, codes, emails, phones.
    const searched: Record<string, string[]> = {
      name: ["full_name", "name"],
      code: ["code"],
      email: ["email"],
      phone: ["phone"],
    };
    const lists = CATALOG.filter((e) => e.response === "list");
    expect(lists.length).toBeGreaterThan(0);
    for (const endpoint of lists) {
      const fields = Object.keys((endpoint.record as z.ZodObject).shape);
      const promised = endpoint.description.match(/search by ([^)]+)\)/)?.[1]?.split(/,\s*/) ?? [];
      for (const term of promised) {
        const backing = searched[term]?.filter((f) => fields.includes(f)) ?? [];
        expect(backing, `${endpoint.tool} says it searches by ${term}`).not.toEqual([]);
      }
    }
  });
});
