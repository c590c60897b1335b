/**
 * The one declarative catalog of the 22 endpoints of CONTRACT.md.
 *
 * Everything else is derived from it: MCP tool registration and scope filtering, the sandbox's
 * routes and validation, the OpenAPI document, the README tables and the schema snapshots.
 * A new endpoint is one entry here.
 */
import { z } from "zod";
import {
  AcademicYearRecord,
  Capabilities,
  EmployeeFields,
  EmployeeRecord,
  Gender,
  GradeRecord,
  GuardianFields,
  GuardianRecord,
  Id,
  NotificationReceipt,
  partialBody,
  Relation,
  ReportDefinition,
  ReportRun,
  SectionRecord,
  StudentFields,
  StudentRecord,
  SubjectFields,
  SubjectRecord,
  TermRecord,
  Whoami,
} from "./records.js";
import { type Scope, type Toolset, toolsetOfScope } from "./scopes.js";

/**
 * What an endpoint does to the tenant's data; MCP annotations are derived from it.
 * - read: changes nothing.
 * - create: adds a record (never overwrites).
 * - update: overwrites fields of a record (destructive in MCP's sense).
 * - send: adds a message that leaves the platform for a person (open world).
 * - run: a POST that computes and changes nothing (report runs).
 */
export type EndpointKind = "read" | "create" | "update" | "send" | "run";

/**
 * How the platform wraps the answer: `bare` object (whoami), `{ data: record }`,
 * `{ data: [...] }` without paging (the report catalog), or a paged `list` envelope.
 */
export type ResponseShape = "bare" | "record" | "collection" | "list";

export type HttpMethod = "GET" | "POST" | "PATCH";

/** A record the platform returns: always an object, loose (records.ts). */
export type RecordSchema = z.ZodType<Record<string, unknown>>;

/** What each catalog entry declares; `Endpoint` is one of them, its `tool` narrowed to a ToolName. */
interface EndpointEntry {
  readonly tool: string;
  readonly title: string;
  /** For a model: what it does and when to use it. Shared facts live in the server instructions. */
  readonly description: string;
  readonly method: HttpMethod;
  /** Path template relative to the base URL, with `{id}` / `{key}` placeholders. */
  readonly path: string;
  readonly scope: Scope | null;
  readonly kind: EndpointKind;
  /** Repeating the same request has no further effect (beyond idempotency keys). */
  readonly idempotent: boolean;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodObject;
  /**
   * Filters the platform's list query lacks (lists only). Each matches a record field by equality;
   * the server scans the list and filters (src/tools/list-scans.ts). They are never sent to the
   * platform, and the sandbox, which serves `query` only, refuses them like the platform would.
   */
  readonly filters?: z.ZodObject;
  readonly body?: z.ZodObject;
  readonly response: ResponseShape;
  /** The record under `data` (or the bare object for `bare`): always an object, loose (records.ts). */
  readonly record: RecordSchema;
  /** The success status of the contract. */
  readonly status: 200 | 201 | 202;
}

// ---- shared request pieces ----

const IdParam = z.object({ id: Id }).strict();
export const ReportKey = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, "Must be a report key from list_reports, e.g. attendance_summary");

export const MAX_PER_PAGE = 100;
const listQueryShape = {
  page: z.number().int().min(1).max(1_000_000).optional(),
  per_page: z.number().int().min(1).max(MAX_PER_PAGE).optional(),
  search: z.string().max(200).optional(),
};
const ListQuery = z.object(listQueryShape).strict();

/** What every plain GET shares: read-only, idempotent, 200. */
const read = <T extends string>(
  tool: T,
  title: string,
  path: string,
  scope: Scope,
  record: RecordSchema,
  description: string,
) =>
  ({
    tool,
    title,
    description,
    method: "GET",
    path,
    scope,
    kind: "read",
    idempotent: true,
    record,
    status: 200,
  }) as const;

const list = <T extends string>(
  tool: T,
  title: string,
  path: string,
  scope: Scope,
  record: RecordSchema,
  description: string,
  query: z.ZodObject = ListQuery,
  filters?: z.ZodObject,
): EndpointEntry & { tool: T } => ({
  ...read(tool, title, path, scope, record, description),
  query,
  ...(filters ? { filters } : {}),
  response: "list",
});

const get = <T extends string>(
  tool: T,
  title: string,
  path: string,
  scope: Scope,
  record: RecordSchema,
  description: string,
) =>
  ({
    ...read(tool, title, path, scope, record, description),
    pathParams: IdParam,
    response: "record",
  }) satisfies EndpointEntry;

// ---- the catalog ----

const ENTRIES = [
  {
    tool: "whoami",
    title: "Who am I",
    description: "This installation: tenant (school) id, app, granted scopes.",
    method: "GET",
    path: "/whoami",
    scope: null,
    kind: "read",
    idempotent: true,
    response: "bare",
    record: Whoami,
    status: 200,
  },

  list(
    "list_students",
    "List students",
    "/education/students",
    "education.students.read",
    StudentRecord,
    "Find students (search by name) or page through them.",
    ListQuery,
    z.object({ grade_id: Id, section_id: Id, guardian_id: Id, gender: Gender }).partial().strict(),
  ),
  get(
    "get_student",
    "Get a student",
    "/education/students/{id}",
    "education.students.read",
    StudentRecord,
    "One student by id, with grade_id, section_id and guardian_id.",
  ),
  {
    tool: "create_student",
    title: "Create a student",
    description: "Enrol a new student. Look up grade, section and guardian ids first.",
    method: "POST",
    path: "/education/students",
    scope: "education.students.write",
    kind: "create",
    idempotent: false,
    body: z.object(StudentFields).partial().required({ full_name: true }).strict(),
    response: "record",
    record: StudentRecord,
    status: 201,
  },
  {
    tool: "update_student",
    title: "Update a student",
    description: "Change fields of a student; only the fields given change.",
    method: "PATCH",
    path: "/education/students/{id}",
    scope: "education.students.write",
    kind: "update",
    idempotent: true,
    pathParams: IdParam,
    body: partialBody(StudentFields),
    response: "record",
    record: StudentRecord,
    status: 200,
  },

  list(
    "list_guardians",
    "List guardians",
    "/education/guardians",
    "education.guardians.read",
    GuardianRecord,
    "Find parents / guardians (search by name, phone, email) or page through them.",
    ListQuery,
    z.object({ relation: Relation }).partial().strict(),
  ),
  get(
    "get_guardian",
    "Get a guardian",
    "/education/guardians/{id}",
    "education.guardians.read",
    GuardianRecord,
    "One guardian by id, with phone and email.",
  ),
  {
    tool: "create_guardian",
    title: "Create a guardian",
    description: "Add a parent / guardian; use its id as a student's guardian_id.",
    method: "POST",
    path: "/education/guardians",
    scope: "education.guardians.write",
    kind: "create",
    idempotent: false,
    body: z.object(GuardianFields).partial().required({ full_name: true }).strict(),
    response: "record",
    record: GuardianRecord,
    status: 201,
  },
  {
    tool: "update_guardian",
    title: "Update a guardian",
    description: "Change fields of a guardian; only the fields given change.",
    method: "PATCH",
    path: "/education/guardians/{id}",
    scope: "education.guardians.write",
    kind: "update",
    idempotent: true,
    pathParams: IdParam,
    body: partialBody(GuardianFields),
    response: "record",
    record: GuardianRecord,
    status: 200,
  },

  list(
    "list_subjects",
    "List subjects",
    "/education/subjects",
    "education.subjects.read",
    SubjectRecord,
    "Subjects taught (name, code).",
  ),
  {
    tool: "create_subject",
    title: "Create a subject",
    description: "Add a subject. Idempotent by code: an existing code returns that subject unchanged.",
    method: "POST",
    path: "/education/subjects",
    scope: "education.subjects.write",
    kind: "create",
    idempotent: true,
    body: z.object(SubjectFields).strict(),
    response: "record",
    record: SubjectRecord,
    status: 201,
  },
  list(
    "list_grades",
    "List grades",
    "/education/grades",
    "education.grades.read",
    GradeRecord,
    "Grade levels (e.g. Grade 5).",
  ),
  list(
    "list_sections",
    "List sections",
    "/education/sections",
    "education.sections.read",
    SectionRecord,
    "Class sections (e.g. 5-A); filter by grade_id.",
    ListQuery.extend({ grade_id: Id.optional().describe("Only sections of this grade") }),
  ),
  list(
    "list_academic_years",
    "List academic years",
    "/education/academic-years",
    "education.academic_years.read",
    AcademicYearRecord,
    "Academic years; is_current marks this one.",
  ),
  list(
    "list_terms",
    "List terms",
    "/education/terms",
    "education.terms.read",
    TermRecord,
    "Terms with dates; filter by academic_year_id.",
    ListQuery.extend({ academic_year_id: Id.optional().describe("Only terms of this academic year") }),
  ),

  list(
    "list_employees",
    "List employees",
    "/employees/directory",
    "employees.directory.read",
    EmployeeRecord,
    "Staff directory: find teachers and staff (search by name, email).",
  ),
  get(
    "get_employee",
    "Get an employee",
    "/employees/directory/{id}",
    "employees.directory.read",
    EmployeeRecord,
    "One employee by id.",
  ),
  {
    tool: "add_employee",
    title: "Add an employee",
    description:
      "Add a staff member. Idempotent by email: an existing email returns that employee unchanged.",
    method: "POST",
    path: "/employees/directory",
    scope: "employees.directory.write",
    kind: "create",
    idempotent: true,
    body: z.object(EmployeeFields).partial().required({ full_name: true }).strict(),
    response: "record",
    record: EmployeeRecord,
    status: 201,
  },

  {
    tool: "list_reports",
    title: "List reports",
    description: "The report catalog: each report's key and parameters. Read before run_report.",
    method: "GET",
    path: "/reports/builder",
    scope: "reports.builder.read",
    kind: "read",
    idempotent: true,
    response: "collection",
    record: ReportDefinition,
    status: 200,
  },
  {
    tool: "run_report",
    title: "Run a report",
    description:
      "Run a report from list_reports with its parameters; returns columns and rows. Changes nothing.",
    method: "POST",
    path: "/reports/builder/{key}/run",
    scope: "reports.builder.read",
    kind: "run",
    idempotent: true,
    pathParams: z.object({ key: ReportKey.describe("Report key from list_reports") }).strict(),
    body: z
      .object({ params: z.record(z.string(), z.unknown()).optional().describe("Report parameters by name") })
      .strict(),
    response: "record",
    record: ReportRun,
    status: 200,
  },

  {
    tool: "get_notification_capabilities",
    title: "Notification channels",
    description: "Channels for send_notification, the default channel and max message length.",
    method: "GET",
    path: "/notifications/capabilities",
    scope: "notifications.providers.send",
    kind: "read",
    idempotent: true,
    response: "record",
    record: Capabilities,
    status: 200,
  },
  {
    tool: "send_notification",
    title: "Send a message",
    description:
      "Send an SMS / WhatsApp / email to a phone (E.164) or user id, e.g. a guardian. Reaches a real person.",
    method: "POST",
    path: "/notifications/send",
    scope: "notifications.providers.send",
    kind: "send",
    idempotent: false,
    body: z
      .object({
        to: z.string().trim().min(1).max(64).describe("E.164 phone or user id"),
        message: z.string().min(1).max(4000).describe("Text; at most max_length of the channel"),
        channel: z.string().min(1).max(32).optional().describe("Default: the default channel"),
      })
      .strict(),
    response: "record",
    record: NotificationReceipt,
    status: 202,
  },
] as const satisfies readonly EndpointEntry[];

/** The name of a tool of the catalog: a misspelt name fails to compile. */
export type ToolName = (typeof ENTRIES)[number]["tool"];

export interface Endpoint extends EndpointEntry {
  readonly tool: ToolName;
}

export const CATALOG: readonly Endpoint[] = ENTRIES;

export const TOOL_NAMES: readonly ToolName[] = CATALOG.map((e) => e.tool);

const byTool = new Map<string, Endpoint>(CATALOG.map((e) => [e.tool, e]));

/** The catalog entry of a tool named in code (the type says it exists). */
export function endpointOf(tool: ToolName): Endpoint {
  return byTool.get(tool) as Endpoint;
}

export function isToolName(name: string): name is ToolName {
  return byTool.has(name);
}

export function toolsetOf(endpoint: Endpoint): Toolset {
  return toolsetOfScope(endpoint.scope);
}

export function isWrite(endpoint: Endpoint): boolean {
  return endpoint.kind === "create" || endpoint.kind === "update" || endpoint.kind === "send";
}

/** Fills a path template; every segment is percent-encoded so an argument can never change the route. */
export function fillPath(template: string, params: Record<string, unknown>): string {
  let path = "";
  for (const part of templateParts(template)) {
    if (typeof part === "string") {
      path += part;
      continue;
    }
    const value = params[part.param];
    if (value === undefined || value === null) throw new Error(`Missing path parameter ${part.param}`);
    path += encodeURIComponent(String(value));
  }
  return path;
}

/** A path template split once into literal text and `{name}` parameters (a few, known at start). */
const templates = new Map<string, Array<string | { param: string }>>();

function templateParts(template: string): Array<string | { param: string }> {
  let parts = templates.get(template);
  if (!parts) {
    parts = template.split(/\{(\w+)\}/).map((piece, i) => (i % 2 === 1 ? { param: piece } : piece));
    templates.set(template, parts);
  }
  return parts;
}

/** The tools each scope unlocks (for the scopes resource and docs). */
export function toolsByScope(): Map<Scope | null, ToolName[]> {
  const map = new Map<Scope | null, ToolName[]>();
  for (const e of CATALOG) {
    map.set(e.scope, [...(map.get(e.scope) ?? []), e.tool]);
  }
  return map;
}

/**
 * The records readable by id, derived from the `get_*` endpoints: each becomes an
 * `okta://<collection>/{id}` resource whose ids complete through its list endpoint, and the
 * webhook events about it (`<area>.<resource>.created`) name it.
 */
export interface RecordKind {
  /** student, guardian, employee */
  readonly name: string;
  /** The get tool it mirrors: get_student, ... */
  readonly tool: ToolName;
  /** students, guardians, employees: the segment of its okta:// URI */
  readonly collection: string;
  /** The get endpoint's template, e.g. /education/students/{id} */
  readonly getPath: string;
  /** The list endpoint (search for completion), e.g. /education/students */
  readonly listPath: string;
  readonly scope: Scope;
  /** The first two segments of its events and scopes, e.g. education.students */
  readonly eventPrefix: string;
}

export const RECORD_KINDS: readonly RecordKind[] = CATALOG.filter(
  (e) => e.method === "GET" && e.response === "record" && e.pathParams?.shape.id && e.scope,
).map((e) => {
  const name = e.tool.replace(/^get_/, "");
  const scope = e.scope as Scope;
  return {
    name,
    tool: e.tool,
    collection: `${name}s`,
    getPath: e.path,
    listPath: e.path.replace(/\/\{id\}$/, ""),
    scope,
    eventPrefix: scope.split(".").slice(0, 2).join("."),
  };
});
