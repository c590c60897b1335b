/** Report catalog and runs: computed from the data, parameters checked by type. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReportDefinition } from "../../src/platform/records.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { schoolDays } from "../../src/sandbox/reports.js";
import { api, type Json } from "./helpers.js";

describe("reports", () => {
  let sandbox: Sandbox;
  let call: ReturnType<typeof api>;
  beforeAll(async () => {
    sandbox = await startSandbox();
    call = api(sandbox);
  });
  afterAll(() => sandbox.stop());

  const run = (key: string, params: Record<string, unknown>) =>
    call(`/reports/builder/${key}/run`, { json: { params } });

  it("lists at least 3 reports, each with typed parameters", async () => {
    const response = await call("/reports/builder");
    const keys = response.body.data.map((r: Json) => r.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        "attendance_summary",
        "enrolment_by_grade",
        "guardian_contact_list",
        "staff_directory",
      ]),
    );
    for (const report of response.body.data) expect(ReportDefinition.safeParse(report).success).toBe(true);
    const attendance = response.body.data.find((r: Json) => r.key === "attendance_summary");
    expect(attendance.params).toMatchObject({
      section_id: { type: "integer", required: true },
      term_id: { type: "integer", required: true },
    });
  });

  it("attendance_summary: one row per student of the section, the same on every run", async () => {
    const section = sandbox.records(42, "sections")[0]!;
    const inSection = sandbox.records(42, "students").filter((s) => s.section_id === section.id);
    const first = await run("attendance_summary", { section_id: section.id, term_id: 4 });
    expect(first.status).toBe(200);
    expect(first.body.data.rows).toHaveLength(inSection.length);
    expect(first.body.data.columns[0]).toBe("student_id");
    for (const [, , days, present, absent] of first.body.data.rows) expect(present + absent).toBe(days);
    const again = await run("attendance_summary", { section_id: section.id, term_id: 4 });
    expect(again.body.data.rows).toEqual(first.body.data.rows);
  });

  it("attendance_summary counts only days that happened: none for a term not started", async () => {
    // The demo data's own date: term 4 (from 2026-08-24) is under way, term 6 (from 2027-03-15)
    // has not started, term 3 is over.
    const asOf = await startSandbox({ clock: () => Date.UTC(2026, 8, 20, 9) });
    try {
      const runAt = (term_id: number) =>
        api(asOf)("/reports/builder/attendance_summary/run", {
          json: { params: { section_id: 1, term_id } },
        });
      const future = await runAt(6);
      expect(future.status).toBe(200);
      expect(future.body.data.columns[0]).toBe("student_id");
      expect(future.body.data.rows).toEqual([]);
      const current = await runAt(4);
      expect(current.body.data.rows.length).toBeGreaterThan(0);
      const days = schoolDays("2026-08-24", "2026-09-20");
      for (const row of current.body.data.rows) expect(row[2]).toBe(days);
      const past = await runAt(3);
      for (const row of past.body.data.rows) expect(row[2]).toBe(schoolDays("2026-03-15", "2026-06-11"));
    } finally {
      await asOf.stop();
    }
  });

  it("enrolment_by_grade: counts add up to the students, and the gender filter agrees", async () => {
    const all = await run("enrolment_by_grade", {});
    const studentsColumn = all.body.data.columns.indexOf("students");
    const total = all.body.data.rows.reduce((sum: number, row: number[]) => sum + row[studentsColumn]!, 0);
    expect(total).toBe(1242);
    const girls = await run("enrolment_by_grade", { gender: "female" });
    const girlsTotal = girls.body.data.rows.reduce((sum: number, row: number[]) => sum + row[3]!, 0);
    expect(girlsTotal).toBe(sandbox.records(42, "students").filter((s) => s.gender === "female").length);
    const lastYear = await run("enrolment_by_grade", { academic_year_id: 1 });
    expect(lastYear.status).toBe(200);
  });

  it("guardian_contact_list: the contact follows the channel", async () => {
    const email = await run("guardian_contact_list", { grade_id: 3, channel: "email" });
    expect(email.body.data.rows.length).toBeGreaterThan(10);
    expect(email.body.data.rows.every((row: string[]) => row.at(-1)!.includes("@"))).toBe(true);
    const sms = await run("guardian_contact_list", { grade_id: 3, channel: "sms" });
    expect(sms.body.data.rows.every((row: string[]) => row.at(-1)!.startsWith("+"))).toBe(true);
  });

  it("staff_directory: filters by title, teaching staff and join date", async () => {
    const teachers = await run("staff_directory", { teaching_only: true, joined_after: "2015-01-01" });
    expect(teachers.status).toBe(200);
    expect(teachers.body.data.rows.every((row: string[]) => row[4]! > "2015-01-01")).toBe(true);
    const nurses = await run("staff_directory", { job_title: "nurse" });
    expect(nurses.body.data.rows.length).toBeGreaterThan(0);
  });

  it("runs change nothing and an empty body means no parameters", async () => {
    const response = await call("/reports/builder/staff_directory/run", { method: "POST" });
    expect(response.status).toBe(200);
  });

  it.each([
    ["attendance_summary", { term_id: 4 }, "params.section_id"],
    ["attendance_summary", { section_id: "1", term_id: 4 }, "params.section_id"],
    ["attendance_summary", { section_id: 1.5, term_id: 4 }, "params.section_id"],
    ["attendance_summary", { section_id: 999_999, term_id: 4 }, "params.section_id"],
    ["attendance_summary", { section_id: 1, term_id: 999_999 }, "params.term_id"],
    ["enrolment_by_grade", { gender: "other" }, "params.gender"],
    ["enrolment_by_grade", { academic_year_id: 999 }, "params.academic_year_id"],
    ["guardian_contact_list", { grade_id: 1, channel: "pigeon" }, "params.channel"],
    ["guardian_contact_list", { grade_id: 1, colour: "red" }, "params.colour"],
    ["staff_directory", { teaching_only: "yes" }, "params.teaching_only"],
    ["staff_directory", { joined_after: "2024-02-30" }, "params.joined_after"],
  ])("%s with %j is 422 naming %s", async (key, params, field) => {
    const response = await run(key, params);
    expect(response.status).toBe(422);
    expect(response.body.error).toBe("validation_failed");
    expect(Object.keys(response.body.errors)).toEqual([field]);
  });

  it("a params value that is not an object, or another body field, is 422", async () => {
    const notObject = await call("/reports/builder/staff_directory/run", { json: { params: [1] } });
    expect(notObject.status).toBe(422);
    const extra = await call("/reports/builder/staff_directory/run", { json: { format: "csv" } });
    expect(Object.keys(extra.body.errors)).toEqual(["format"]);
  });
});
