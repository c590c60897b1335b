/**
 * Record and body schemas of CONTRACT.md "Bodies and records".
 *
 * Write schemas are strict (an unknown field is a 422 on the platform, so we refuse it first).
 * Record schemas describe what the platform returns; they are loose on purpose: another
 * implementation of the contract may add fields, and a tool must not fail because it did.
 */
import { z } from "zod";

// ---- field types shared by bodies, queries and records ----

export const Id = z.number().int().positive().max(2_147_483_647);

const E164 = /^\+[1-9]\d{7,14}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date (YYYY-MM-DD), e.g. rejects 2023-02-30. */
export function isRealDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

export const DateString = z.string().refine(isRealDate, { message: "Must be a real date as YYYY-MM-DD" });

export const BirthDate = DateString.refine((d) => d <= new Date().toISOString().slice(0, 10), {
  message: "Must not be in the future",
});

export const Phone = z.string().regex(E164, "Must be E.164: + then 8 to 15 digits, e.g. +966501234567");
export const Email = z.email({ message: "Must be an email address" }).max(254);
export const Gender = z.enum(["male", "female"]);
export const Relation = z.enum(["father", "mother", "other"]);

const text = (max: number) => z.string().trim().min(1, "Must not be empty").max(max);

// ---- write bodies (POST/PATCH) ----

export const StudentFields = {
  full_name: text(200),
  national_id: text(32).describe("National / residency id"),
  birth_date: BirthDate.describe("YYYY-MM-DD"),
  gender: Gender,
  grade_id: Id.describe("From list_grades"),
  section_id: Id.describe("From list_sections"),
  guardian_id: Id.describe("From list_guardians"),
};

export const GuardianFields = {
  full_name: text(200),
  phone: Phone.describe("E.164, e.g. +966501234567"),
  email: Email,
  relation: Relation,
};

export const SubjectFields = {
  name: text(120),
  code: text(32).describe("Unique per school; an existing code returns that subject"),
};

export const EmployeeFields = {
  full_name: text(200),
  job_title: text(120),
  email: Email.describe("Unique per school; an existing email returns that employee"),
};

/** Every field optional, at least one present: the PATCH bodies. */
export function partialBody<T extends z.ZodRawShape>(fields: T) {
  return z
    .object(fields)
    .partial()
    .strict()
    .refine((body) => Object.values(body).some((v) => v !== undefined), {
      message: "Give at least one field to change",
    });
}

// ---- records (responses) ----

const stamps = {
  id: z.number().int(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
};
const maybe = <T extends z.ZodType>(t: T) => t.nullable().optional();

export const StudentRecord = z.looseObject({
  ...stamps,
  full_name: z.string(),
  national_id: maybe(z.string()),
  birth_date: maybe(z.string()),
  gender: maybe(z.string()),
  grade_id: maybe(z.number()),
  section_id: maybe(z.number()),
  guardian_id: maybe(z.number()),
});

export const GuardianRecord = z.looseObject({
  ...stamps,
  full_name: z.string(),
  phone: maybe(z.string()),
  email: maybe(z.string()),
  relation: maybe(z.string()),
});

export const SubjectRecord = z.looseObject({ ...stamps, name: z.string(), code: z.string() });
export const GradeRecord = z.looseObject({ ...stamps, name: z.string(), level: maybe(z.number()) });
export const SectionRecord = z.looseObject({ ...stamps, name: z.string(), grade_id: maybe(z.number()) });
export const AcademicYearRecord = z.looseObject({
  ...stamps,
  name: z.string(),
  starts_on: maybe(z.string()),
  ends_on: maybe(z.string()),
  is_current: maybe(z.boolean()),
});
export const TermRecord = z.looseObject({
  ...stamps,
  name: z.string(),
  academic_year_id: maybe(z.number()),
  starts_on: maybe(z.string()),
  ends_on: maybe(z.string()),
});
export const EmployeeRecord = z.looseObject({
  ...stamps,
  full_name: z.string(),
  job_title: maybe(z.string()),
  email: maybe(z.string()),
});

export const ReportParamType = z.enum(["string", "integer", "date", "boolean"]);
export const ReportParamDefinition = z.looseObject({
  type: ReportParamType,
  required: z.boolean().optional(),
  description: z.string().optional(),
  enum: z.array(z.union([z.string(), z.number()])).optional(),
});
export type ReportParamDefinition = z.infer<typeof ReportParamDefinition>;

export const ReportDefinition = z.looseObject({
  key: z.string(),
  name: z.string(),
  description: z.string().optional(),
  params: z.record(z.string(), ReportParamDefinition),
});
export type ReportDefinition = z.infer<typeof ReportDefinition>;

export const ReportRun = z.looseObject({
  key: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
  generated_at: z.string().optional(),
});

export const Capabilities = z.looseObject({
  channels: z.array(z.string()),
  default_channel: z.string(),
  max_length: z.number().int(),
});

export const NotificationReceipt = z.looseObject({
  id: z.string(),
  status: z.string(),
  channel: z.string(),
  to: z.string(),
});

export const Whoami = z.looseObject({
  tenant_id: z.number().int(),
  module: z.string(),
  scopes: z.array(z.string()),
});
export type Whoami = z.infer<typeof Whoami>;

export type Student = z.infer<typeof StudentRecord>;
export type Guardian = z.infer<typeof GuardianRecord>;
