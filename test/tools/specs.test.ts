/** One spec per tool: uniform tools take theirs from the catalog entry, the rest own theirs. */
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../src/platform/catalog.js";
import { genericSpecOf } from "../../src/tools/specs/generic.js";
import { specOf } from "../../src/tools/specs/index.js";

describe("tool specs", () => {
  it("only whoami, get_student and run_report carry a spec of their own; every other tool is uniform", () => {
    const own = CATALOG.filter((e) => specOf(e) !== genericSpecOf(e)).map((e) => e.tool);
    expect(own).toEqual(["whoami", "get_student", "run_report"]);
  });

  it("get_student is the uniform read with a view: it runs exactly as every other read", () => {
    const getStudent = CATALOG.find((e) => e.tool === "get_student")!;
    const { view, ...rest } = specOf(getStudent);
    expect(view?.uri).toBe("ui://okta-partners/student.html");
    expect(rest).toEqual(genericSpecOf(getStudent));
  });

  it("a uniform tool's spec follows what its endpoint does: lists, reads and writes each share one", () => {
    const byKind = new Map<string, Set<unknown>>();
    for (const e of CATALOG) {
      const kind = e.response === "list" ? "list" : e.method === "GET" ? "read" : "write";
      byKind.set(kind, (byKind.get(kind) ?? new Set()).add(genericSpecOf(e)));
    }
    expect([...byKind.keys()].sort()).toEqual(["list", "read", "write"]);
    for (const specs of byKind.values()) expect(specs.size).toBe(1);
    expect(new Set([...byKind.values()].flatMap((s) => [...s])).size).toBe(3);
  });
});
