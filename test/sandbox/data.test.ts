/** The demo data: deterministic, fast, believable, and internally consistent. */
import { describe, expect, it } from "vitest";
import { apportion, buildTenantData, tenantSeed } from "../../src/sandbox/data.js";

const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/;
const E164 = /^\+[1-9]\d{7,14}$/;

describe("demo data of tenant 42", () => {
  const data = tenantSeed(42);

  it("is the same every time, and then shared frozen", () => {
    // Speed is measured in the benchmarks, not asserted here: a timed test flakes on busy cores.
    // Sandboxes share the memoised seed, so its cost is paid once per process anyway.
    for (let i = 0; i < 3; i++) expect(JSON.stringify(buildTenantData(42))).toBe(JSON.stringify(data));
    expect(tenantSeed(42)).toBe(data);
    expect(Object.isFrozen(data.students[0])).toBe(true);
  });

  it("has the school's shape: 1,242 students, ~900 guardians, 12 grades, 2 years, 15 subjects, ~90 staff", () => {
    expect(data.students).toHaveLength(1242);
    expect(data.guardians.length).toBeGreaterThan(800);
    expect(data.guardians.length).toBeLessThan(1000);
    expect(data.grades.map((g) => [g.name, g.level])).toEqual(
      Array.from({ length: 12 }, (_, i) => [`Grade ${i + 1}`, i + 1]),
    );
    expect(data.academic_years.map((y) => [y.name, y.is_current])).toEqual([
      ["2025-2026", false],
      ["2026-2027", true],
    ]);
    expect(data.terms).toHaveLength(6);
    expect(data.subjects).toHaveLength(15);
    expect(new Set(data.subjects.map((s) => s.code)).size).toBe(15);
    expect(data.employees).toHaveLength(90);
    expect(new Set(data.employees.map((e) => e.email)).size).toBe(90);
    expect(new Set(data.employees.map((e) => e.job_title)).size).toBeGreaterThan(20);
  });

  it("links consistently: each student's section is of its grade, its guardian exists", () => {
    const sections = new Map(data.sections.map((s) => [s.id, s]));
    const guardians = new Set(data.guardians.map((g) => g.id));
    for (const student of data.students) {
      expect(sections.get(student.section_id as number)?.grade_id).toBe(student.grade_id);
      expect(guardians.has(student.guardian_id as number)).toBe(true);
    }
    for (const grade of data.grades) {
      const names = data.sections.filter((s) => s.grade_id === grade.id).map((s) => s.name);
      expect(names[0]).toBe(`${grade.level}-A`);
    }
  });

  it("siblings share guardians", () => {
    const perGuardian = new Map<unknown, number>();
    for (const s of data.students) perGuardian.set(s.guardian_id, (perGuardian.get(s.guardian_id) ?? 0) + 1);
    expect([...perGuardian.values()].filter((n) => n >= 2).length).toBeGreaterThan(100);
  });

  it("birth dates fit the grade (about 5 + grade years old on 1 September 2026)", () => {
    const gradeLevel = new Map(data.grades.map((g) => [g.id, g.level as number]));
    for (const student of data.students) {
      const age =
        (Date.parse("2026-09-01") - Date.parse(student.birth_date as string)) / (365.25 * 86_400_000);
      const level = gradeLevel.get(student.grade_id as number)!;
      expect(age).toBeGreaterThan(level + 5 - 0.1);
      expect(age).toBeLessThan(level + 7.1);
    }
  });

  it("uses E.164 phones, unique national ids, ISO timestamps with an offset", () => {
    expect(data.guardians.every((g) => E164.test(g.phone as string))).toBe(true);
    expect(new Set(data.guardians.map((g) => g.phone)).size).toBe(data.guardians.length);
    expect(new Set(data.students.map((s) => s.national_id)).size).toBe(1242);
    for (const collection of ["students", "guardians", "employees", "terms"] as const) {
      for (const record of data[collection]) {
        expect(record.created_at).toMatch(ISO_WITH_OFFSET);
        expect(record.updated_at >= record.created_at).toBe(true);
      }
    }
  });

  it("has diverse names, of both genders", () => {
    const families = new Set(data.students.map((s) => String(s.full_name).split(" ").at(-1)));
    expect(families.size).toBeGreaterThan(60);
    expect(data.students.some((s) => String(s.full_name).includes("Al-"))).toBe(true);
    expect(data.students.some((s) => /Sharma|Patel|Khan|Iyer|Nair/.test(String(s.full_name)))).toBe(true);
    const girls = data.students.filter((s) => s.gender === "female").length;
    expect(girls / 1242).toBeGreaterThan(0.4);
    expect(girls / 1242).toBeLessThan(0.6);
  });
});

describe("other tenants", () => {
  it("get a small, different school", () => {
    const small = buildTenantData(7);
    expect(small.students).toHaveLength(40);
    expect(small.school.name).not.toBe(tenantSeed(42).school.name);
    expect(small.guardians.every((g) => String(g.phone).startsWith("+971"))).toBe(true);
    expect(JSON.stringify(buildTenantData(7))).toBe(JSON.stringify(small));
  });
});

describe("apportion", () => {
  it("splits a total by weights into integers that add up exactly", () => {
    expect(apportion(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(apportion(1242, [3, 2, 1]).reduce((a, b) => a + b, 0)).toBe(1242);
  });
});
