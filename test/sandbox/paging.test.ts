/** Paging, search and filters of the list endpoints. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { api } from "./helpers.js";

describe("paging and search", () => {
  let sandbox: Sandbox;
  let call: ReturnType<typeof api>;
  beforeAll(async () => {
    sandbox = await startSandbox();
    call = api(sandbox);
  });
  afterAll(() => sandbox.stop());

  it("1,242 students: 63 pages of 20 by default, the last with 2", async () => {
    const first = await call("/education/students");
    expect(first.body).toMatchObject({ total: 1242, per_page: 20, current_page: 1, last_page: 63 });
    expect(first.body.data).toHaveLength(20);
    const last = await call("/education/students", { query: { page: 63 } });
    expect(last.body.data).toHaveLength(2);
    expect(last.body.data.at(-1).id).toBe(1242);
  });

  it("a page past the end is empty with the same counts", async () => {
    const past = await call("/education/students", { query: { page: 64 } });
    expect(past.status).toBe(200);
    expect(past.body).toEqual({ data: [], total: 1242, per_page: 20, current_page: 64, last_page: 63 });
  });

  it("per_page 100 is allowed; 0, 101 and abc are 422 on per_page", async () => {
    const hundred = await call("/education/students", { query: { per_page: 100 } });
    expect(hundred.body.data).toHaveLength(100);
    expect(hundred.body.last_page).toBe(13);
    for (const per_page of ["0", "101", "abc", "-1", "2.5"]) {
      const response = await call("/education/students", { query: { per_page } });
      expect(response.status, per_page).toBe(422);
      expect(Object.keys(response.body.errors)).toEqual(["per_page"]);
    }
  });

  it("pages do not overlap and cover every record once", async () => {
    const ids: number[] = [];
    for (let page = 1; page <= 13; page++) {
      const response = await call("/education/students", { query: { page, per_page: 100 } });
      ids.push(...response.body.data.map((s: { id: number }) => s.id));
    }
    expect(new Set(ids).size).toBe(1242);
  });

  it("search is case-insensitive over names, emails, phones, national ids and codes", async () => {
    const guardian = sandbox.records(42, "guardians").find((g) => typeof g.email === "string")!;
    const student = sandbox.records(42, "students")[10]!;
    const cases: Array<[string, string, (r: Record<string, unknown>) => boolean]> = [
      ["/education/students", String(student.full_name).toUpperCase(), (r) => r.id === student.id],
      ["/education/students", String(student.national_id), (r) => r.id === student.id],
      ["/education/guardians", String(guardian.email).toUpperCase(), (r) => r.id === guardian.id],
      ["/education/guardians", String(guardian.phone).slice(4), (r) => r.id === guardian.id],
      ["/education/subjects", "math", (r) => r.code === "MATH"],
      ["/employees/directory", "TEACHER", (r) => String(r.job_title).includes("Teacher")],
    ];
    for (const [path, search, expected] of cases) {
      const response = await call(path, { query: { search, per_page: 100 } });
      expect(response.status).toBe(200);
      expect(response.body.data.some(expected), `${path}?search=${search}`).toBe(true);
    }
    const none = await call("/education/students", { query: { search: "zzzz-nobody" } });
    expect(none.body).toEqual({ data: [], total: 0, per_page: 20, current_page: 1, last_page: 1 });
  });

  it("list_sections filters by grade_id and list_terms by academic_year_id", async () => {
    const sections = await call("/education/sections", { query: { grade_id: 5, per_page: 100 } });
    expect(sections.body.data.length).toBeGreaterThan(1);
    expect(sections.body.data.every((s: { grade_id: number }) => s.grade_id === 5)).toBe(true);
    const terms = await call("/education/terms", { query: { academic_year_id: 2 } });
    expect(terms.body.data).toHaveLength(3);
    expect(terms.body.data.every((t: { academic_year_id: number }) => t.academic_year_id === 2)).toBe(true);
    const wrong = await call("/education/terms", { query: { grade_id: 2 } });
    expect(wrong.status).toBe(422);
    expect(Object.keys(wrong.body.errors)).toEqual(["grade_id"]);
  });

  it("grades, academic years and employees list as the contract shows", async () => {
    const grades = await call("/education/grades", { query: { per_page: 100 } });
    expect(grades.body.data.map((g: { name: string }) => g.name)).toEqual(
      Array.from({ length: 12 }, (_, i) => `Grade ${i + 1}`),
    );
    const years = await call("/education/academic-years");
    expect(years.body.data.find((y: { is_current: boolean }) => y.is_current).name).toBe("2026-2027");
  });
});
