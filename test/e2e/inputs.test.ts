/**
 * Lenient where models are sloppy, strict where it matters: over stdio against the served.sandbox.
 * Digits sent as a string for an integer, an integer sent for a digits-only text field, and
 * "true"/"false" for a boolean are read as meant; everything else is refused before any request,
 * naming the field, the unknown argument or the unknown record field, and what is valid instead.
 */
import type { Tool } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { connectStdio, sandboxServer, structured, textOf } from "../helpers.js";

const REFUSED = "Invalid arguments, nothing was sent";

describe("tool inputs: lenient where models are sloppy, strict where it matters", () => {
  const served = sandboxServer(connectStdio);

  const call = (name: string, args: Record<string, unknown>) =>
    served.mcp.client.callTool({ name, arguments: args });
  type Student = {
    id: number;
    full_name: string;
    national_id?: string;
    grade_id?: number;
    section_id?: number;
  };
  const student = (id: number) => served.sandbox.records<Student>(42, "students").find((s) => s.id === id);

  it('get_student with id "1007" returns student 1007', async () => {
    const result = await call("get_student", { id: "1007" });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<{ data: Student }>(result).data.id).toBe(1007);
    expect(served.sandbox.requests.map((r) => r.path)).toEqual(["/api/apps/education/students/1007"]);
  });

  it('update_student with section_id "22" (and grade_id as a string) lands as the number 22', async () => {
    const section = served.sandbox
      .records<{ id: number; grade_id: number }>(42, "sections")
      .find((s) => s.id === 22);
    expect(section).toBeDefined();
    const result = await call("update_student", {
      id: "3",
      grade_id: String(section!.grade_id),
      section_id: "22",
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(student(3)).toMatchObject({ section_id: 22, grade_id: section!.grade_id });
    const readBack = await call("get_student", { id: 3, fields: ["id", "section_id"] });
    expect(structured<{ data: Student }>(readBack).data).toEqual({ id: 3, section_id: 22 });
  });

  it("create_student with national_id sent as a number creates it as that string of digits", async () => {
    const result = await call("create_student", { full_name: "Noura Digits", national_id: 1234567890 });
    expect(result.isError, textOf(result)).toBeFalsy();
    const created = structured<{ data: Student }>(result).data;
    expect(created.national_id).toBe("1234567890");
    expect(student(created.id)?.national_id).toBe("1234567890");
  });

  it("paging options as strings: per_page and page read as numbers, `next` says them as numbers", async () => {
    const result = await call("list_students", { per_page: "2", page: "3", fields: ["id"] });
    expect(result.isError, textOf(result)).toBeFalsy();
    const page = structured<{ data: unknown[]; page: number; next: Record<string, unknown> }>(result);
    expect(page.data).toHaveLength(2);
    expect(page.page).toBe(3);
    expect(page.next).toMatchObject({ per_page: 2, page: 4 });
    expect(served.sandbox.requests[0]?.query).toMatchObject({ per_page: "2", page: "3" });
  });

  it('all_pages "true" is read as true; "yes" is refused', async () => {
    const result = await call("list_grades", { all_pages: "true" });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(structured<{ pages_fetched?: number }>(result).pages_fetched).toBeGreaterThanOrEqual(1);
    served.sandbox.clearRequests();
    const refused = await call("list_grades", { all_pages: "yes" });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/all_pages: Must be true or false/);
    expect(served.sandbox.requests).toEqual([]);
  });

  it("a missing required field is called Required, by name, and nothing is sent", async () => {
    const result = await call("create_student", { gender: "female" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(REFUSED);
    expect(textOf(result)).toContain("full_name: Required");
    expect(textOf(result)).not.toContain("nonoptional");
    expect(served.sandbox.requests).toEqual([]);
  });

  it("an unknown argument is named, with the tool's valid arguments", async () => {
    const result = await call("create_student", { full_name: "Sami Unknown", nickname: "Sam" });
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toContain(REFUSED);
    expect(text).toMatch(/nickname: Unknown argument/);
    for (const valid of ["full_name", "national_id", "section_id", "idempotency_key"]) {
      expect(text).toContain(valid);
    }
    expect(served.sandbox.requests).toEqual([]);
  });

  it("an unknown name in fields is named with the record's valid fields, and nothing is sent", async () => {
    for (const tool of ["list_students", "get_student"]) {
      const result = await call(tool, {
        ...(tool === "get_student" ? { id: 1 } : {}),
        fields: ["id", "nme"],
      });
      expect(result.isError, tool).toBe(true);
      const text = textOf(result);
      expect(text).toContain(REFUSED);
      expect(text).toContain('"nme"');
      for (const valid of ["full_name", "national_id", "guardian_id"]) expect(text).toContain(valid);
      // Students have no phone: the list of valid fields is the student record's own.
      expect(text).not.toContain("phone");
    }
    expect(served.sandbox.requests).toEqual([]);
  });

  it.each([
    ["abc", /Must be a whole number/],
    ["1.5", /Must be a whole number/],
    ["", /Must be a whole number/],
    [" 12 ", /Must be a whole number/],
    ["1e3", /Must be a whole number/],
    ["0x10", /Must be a whole number/],
    // A minus sign is read, so the bound is what refuses it, by name.
    ["-1", /Must be more than 0, got -1/],
    ["0", /Must be more than 0, got 0/],
    [-1, /Must be more than 0, got -1/],
    [0, /Must be more than 0, got 0/],
    [1.5, /Must be a whole number/],
    [true, /Must be a whole number/],
    ["9007199254740993", /Must be a whole number/],
  ])("id %j is refused before any request, naming id", async (id, message) => {
    const result = await call("get_student", { id });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain(REFUSED);
    expect(textOf(result)).toMatch(new RegExp(`id: ${message.source}`));
    expect(served.sandbox.requests).toEqual([]);
  });

  it('bounds still hold after the conversion: per_page "500" is refused', async () => {
    const result = await call("list_students", { per_page: "500" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/per_page: Must be at most 100/);
    expect(served.sandbox.requests).toEqual([]);
  });

  it("a phone (or send target) sent as a number is refused: E.164 needs the +, a number cannot carry it", async () => {
    const guardian = await call("create_guardian", { full_name: "Huda Phone", phone: 966501234567 });
    expect(guardian.isError).toBe(true);
    expect(textOf(guardian)).toMatch(/phone: Must be a string in quotes/);
    const send = await call("send_notification", { to: 966501234567, message: "Hello" });
    expect(send.isError).toBe(true);
    expect(textOf(send)).toMatch(/to: Must be a string in quotes/);
    expect(served.sandbox.requests).toEqual([]);
  });

  it("a digits-only text field refuses numbers that are not exact digits (negative, fractional, too long)", async () => {
    for (const national_id of [-5, 1.5, 2 ** 60]) {
      const result = await call("create_student", { full_name: "Rana Inexact", national_id });
      expect(result.isError, String(national_id)).toBe(true);
      expect(textOf(result)).toMatch(/national_id: Must be a string in quotes/);
    }
    expect(served.sandbox.requests).toEqual([]);
  });

  it("models are shown the plain types: integer ids, string national_id, boolean all_pages", async () => {
    const { tools } = await served.mcp.client.listTools();
    const props = (name: string) =>
      (tools.find((t) => t.name === name) as Tool).inputSchema.properties as Record<
        string,
        Record<string, unknown>
      >;
    expect(props("get_student").id).toEqual({ type: "integer" });
    expect(props("update_student").section_id).toMatchObject({ type: "integer" });
    expect(props("create_student").national_id).toMatchObject({ type: "string" });
    expect(props("list_grades").all_pages).toMatchObject({ type: "boolean" });
  });

  it("the sandbox stays strict: a string id in a JSON body is still a 422 from the platform", async () => {
    const response = await fetch(`${served.sandbox.baseUrl}/education/students/3`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${served.sandbox.token}`, "content-type": "application/json" },
      body: JSON.stringify({ section_id: "22" }),
    });
    expect(response.status).toBe(422);
    expect(Object.keys(((await response.json()) as { errors: object }).errors)).toEqual(["section_id"]);
  });
});
