/**
 * The report builder: a catalog of reports with typed parameters, and runs computed from the
 * tenant's data (never canned rows), so a report agrees with what the list endpoints return.
 */
import { isRealDate, type ReportDefinition, type ReportParamDefinition } from "../platform/records.js";
import type { StoredRecord } from "./data.js";
import { addFieldError, type FieldErrors, invalidField, notFound, validationFailed } from "./errors.js";
import { Random, seedFrom } from "./random.js";
import type { Store } from "./store.js";
import { DAY_MS, epochOfDate } from "./time.js";

type Params = Record<string, unknown>;

interface ReportContext {
  store: Store;
  tenantId: number;
  /** The school's date now (YYYY-MM-DD, its own UTC offset): nothing after it has happened. */
  today: string;
}

interface Report {
  readonly definition: ReportDefinition;
  run(ctx: ReportContext, params: Params): { columns: string[]; rows: unknown[][] };
}

export interface ReportRunResult {
  key: string;
  columns: string[];
  rows: unknown[][];
  generated_at: string;
}

const CHANNELS = ["sms", "whatsapp", "email"];

const REPORTS: readonly Report[] = [
  {
    definition: {
      key: "attendance_summary",
      name: "Attendance summary",
      description:
        "Days present, absent and late per student of a section over a term, up to today; no rows for a term not started yet.",
      params: {
        section_id: { type: "integer", required: true, description: "Section id from list_sections" },
        term_id: { type: "integer", required: true, description: "Term id from list_terms" },
      },
    },
    run: ({ store, tenantId, today }, params) => {
      const section = existing(store, tenantId, "sections", params.section_id, "section_id");
      const term = existing(store, tenantId, "terms", params.term_id, "term_id");
      const columns = [
        "student_id",
        "full_name",
        "school_days",
        "present",
        "absent",
        "late",
        "attendance_rate",
      ];
      const startsOn = term.starts_on as string;
      // Attendance is recorded day by day: a term not started has none (no rows, not invented
      // days: the parameters are valid, so not a 422), one under way counts up to today.
      if (startsOn > today) return { columns, rows: [] };
      const endsOn = term.ends_on as string;
      // biome-ignore lint/complexity/useMathMinMax: ISO dates compare as strings; Math.min would not
      const days = schoolDays(startsOn, endsOn < today ? endsOn : today);
      const rows = byName(students(store, tenantId).filter((s) => s.section_id === section.id)).map((s) => {
        // Pseudo attendance, stable per (tenant, student, term): most children rarely miss school.
        const rng = new Random(seedFrom("attendance", tenantId, s.id, term.id));
        const absenceRate = rng.chance(0.06) ? 0.1 + rng.next() * 0.15 : rng.next() * 0.06;
        const absent = Math.round(days * absenceRate);
        const late = Math.round((days - absent) * rng.next() * 0.05);
        const present = days - absent;
        const rate = days === 0 ? null : Math.round((present / days) * 1000) / 10;
        return [s.id, s.full_name, days, present, absent, late, rate];
      });
      return { columns, rows };
    },
  },
  {
    definition: {
      key: "enrolment_by_grade",
      name: "Enrolment by grade",
      description:
        "Students and sections per grade for an academic year (default: the current one). Past years count the students still enrolled, a grade lower per year back.",
      params: {
        academic_year_id: {
          type: "integer",
          required: false,
          description: "Academic year id from list_academic_years; default the current year",
        },
        gender: {
          type: "string",
          required: false,
          description: "Count only this gender",
          enum: ["male", "female"],
        },
      },
    },
    run: ({ store, tenantId }, params) => {
      const years = store.all(tenantId, "academic_years").sort((a, b) => cmp(a.starts_on, b.starts_on));
      const current = years.find((y) => y.is_current) ?? years[years.length - 1];
      const year =
        params.academic_year_id === undefined
          ? current
          : existing(store, tenantId, "academic_years", params.academic_year_id, "academic_year_id");
      // The school keeps only current placements: a student k years back was k grades lower,
      // and counts only if already enrolled by the end of that year.
      const yearsBack = current && year ? years.indexOf(current) - years.indexOf(year) : 0;
      const yearEnd = year ? epochOfDate(year.ends_on as string) + DAY_MS : Number.POSITIVE_INFINITY;
      const enrolled = students(store, tenantId).filter(
        (s) => yearsBack >= 0 && Date.parse(s.created_at) < yearEnd,
      );
      const grades = store.all(tenantId, "grades").sort((a, b) => (a.level as number) - (b.level as number));
      const gradeLevel = new Map(grades.map((g) => [g.id, g.level as number]));
      const sections = store.all(tenantId, "sections");
      const rows = grades.map((grade) => {
        const inGrade = enrolled.filter(
          (s) => (gradeLevel.get(s.grade_id as number) ?? 0) - yearsBack === grade.level,
        );
        const count = (gender: unknown) => inGrade.filter((s) => s.gender === gender).length;
        const base = [grade.id, grade.name, sections.filter((s) => s.grade_id === grade.id).length];
        return params.gender === undefined
          ? [...base, inGrade.length, count("male"), count("female")]
          : [...base, count(params.gender)];
      });
      const columns = ["grade_id", "grade", "sections", "students"];
      return { columns: params.gender === undefined ? [...columns, "male", "female"] : columns, rows };
    },
  },
  {
    definition: {
      key: "guardian_contact_list",
      name: "Guardian contact list",
      description: "The primary guardian of every student of a grade, with the contact for a channel.",
      params: {
        grade_id: { type: "integer", required: true, description: "Grade id from list_grades" },
        channel: {
          type: "string",
          required: false,
          description: "Only guardians reachable on this channel; the contact column follows it",
          enum: CHANNELS,
        },
      },
    },
    run: ({ store, tenantId }, params) => {
      const grade = existing(store, tenantId, "grades", params.grade_id, "grade_id");
      const sectionName = new Map(store.all(tenantId, "sections").map((s) => [s.id, s.name as string]));
      const rows: unknown[][] = [];
      const inGrade = byName(students(store, tenantId).filter((s) => s.grade_id === grade.id)).sort((a, b) =>
        cmp(sectionName.get(a.section_id as number), sectionName.get(b.section_id as number)),
      );
      for (const student of inGrade) {
        const guardian = store.get(tenantId, "guardians", student.guardian_id as number);
        if (!guardian) continue;
        const contact =
          params.channel === "email"
            ? guardian.email
            : params.channel === undefined
              ? (guardian.phone ?? guardian.email)
              : guardian.phone;
        if (!contact) continue;
        rows.push([
          student.id,
          student.full_name,
          sectionName.get(student.section_id as number) ?? null,
          guardian.id,
          guardian.full_name,
          guardian.relation,
          contact,
        ]);
      }
      return {
        columns: ["student_id", "student", "section", "guardian_id", "guardian", "relation", "contact"],
        rows,
      };
    },
  },
  {
    definition: {
      key: "staff_directory",
      name: "Staff directory",
      description: "Employees with job title, email and the date they joined.",
      params: {
        job_title: { type: "string", required: false, description: "Part of a job title, e.g. Teacher" },
        teaching_only: { type: "boolean", required: false, description: "Only teaching staff" },
        joined_after: { type: "date", required: false, description: "Only staff who joined after this date" },
      },
    },
    run: ({ store, tenantId }, params) => {
      const title = typeof params.job_title === "string" ? params.job_title.toLowerCase() : undefined;
      const rows = byName(store.all(tenantId, "employees"))
        .filter((e) => {
          const jobTitle = String(e.job_title ?? "");
          const joinedOn = e.created_at.slice(0, 10);
          return (
            (!title || jobTitle.toLowerCase().includes(title)) &&
            (params.teaching_only !== true || /teach|^head of/i.test(jobTitle)) &&
            (params.joined_after === undefined || joinedOn > (params.joined_after as string))
          );
        })
        .map((e) => [e.id, e.full_name, e.job_title ?? null, e.email ?? null, e.created_at.slice(0, 10)]);
      return { columns: ["employee_id", "full_name", "job_title", "email", "joined_on"], rows };
    },
  },
];

const byKey = new Map(REPORTS.map((r) => [r.definition.key, r]));

export function reportCatalog(): ReportDefinition[] {
  return REPORTS.map((r) => structuredClone(r.definition));
}

/** Runs a report; 404 for an unknown key, 422 (keyed `params.<name>`) for bad parameters. */
export function runReport(
  store: Store,
  tenantId: number,
  key: string,
  params: Params,
  nowMs: number,
): ReportRunResult {
  const report = byKey.get(key);
  if (!report) throw notFound(`No report ${JSON.stringify(key)}. See list_reports for the catalog.`);
  const errors = checkReportParams(report.definition, params);
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  const generatedAt = store.stamp(tenantId, nowMs);
  const { columns, rows } = report.run({ store, tenantId, today: generatedAt.slice(0, 10) }, params);
  return { key, columns, rows, generated_at: generatedAt };
}

/** Pure check of params against a definition: types, enums, required, unknown names. */
export function checkReportParams(definition: ReportDefinition, params: Params): FieldErrors {
  const errors: FieldErrors = {};
  const known = Object.keys(definition.params);
  for (const name of Object.keys(params)) {
    if (!Object.hasOwn(definition.params, name)) {
      const takes = known.length > 0 ? `; ${definition.key} takes: ${known.join(", ")}` : "";
      addFieldError(errors, `params.${name}`, `Unknown parameter${takes}`);
    }
  }
  for (const [name, spec] of Object.entries(definition.params)) {
    const value = params[name];
    if (value === undefined || value === null) {
      if (spec.required) addFieldError(errors, `params.${name}`, "Required");
      continue;
    }
    const problem = paramProblem(spec, value);
    if (problem) addFieldError(errors, `params.${name}`, problem);
  }
  return errors;
}

function paramProblem(spec: ReportParamDefinition, value: unknown): string | undefined {
  switch (spec.type) {
    case "integer":
      if (!Number.isSafeInteger(value)) return `Must be an integer, got ${JSON.stringify(value)}`;
      break;
    case "boolean":
      if (typeof value !== "boolean") return `Must be true or false, got ${JSON.stringify(value)}`;
      break;
    case "date":
      if (typeof value !== "string" || !isRealDate(value)) return "Must be a real date as YYYY-MM-DD";
      break;
    case "string":
      if (typeof value !== "string" || value.length === 0 || value.length > 200) {
        return "Must be a string of 1 to 200 characters";
      }
      break;
  }
  if (spec.enum && !spec.enum.includes(value as string | number))
    return `Must be one of: ${spec.enum.join(", ")}`;
  return undefined;
}

/** A record a parameter refers to; 422 naming the parameter when the tenant has no such record. */
function existing(
  store: Store,
  tenantId: number,
  collection: "sections" | "terms" | "grades" | "academic_years",
  id: unknown,
  param: string,
): StoredRecord {
  const record = store.get(tenantId, collection, id as number);
  if (!record)
    throw invalidField(
      `params.${param}`,
      `No ${collection.replace(/s$/, "").replace("_", " ")} with id ${id}`,
    );
  return record;
}

function students(store: Store, tenantId: number): StoredRecord[] {
  return store.all(tenantId, "students");
}

function byName(records: StoredRecord[]): StoredRecord[] {
  return records.sort((a, b) => cmp(a.full_name, b.full_name) || a.id - b.id);
}

function cmp(a: unknown, b: unknown): number {
  return String(a ?? "").localeCompare(String(b ?? ""), "en");
}

/** Sunday to Thursday, the Saudi school week (the UAE moved to Monday-Friday; one week serves all here). */
export function schoolDays(startsOn: string, endsOn: string): number {
  let days = 0;
  for (let t = epochOfDate(startsOn); t <= epochOfDate(endsOn); t += DAY_MS) {
    if (new Date(t).getUTCDay() <= 4) days++;
  }
  return days;
}
