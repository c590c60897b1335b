/**
 * The 14 scopes of the Okta Partners runtime API (CONTRACT.md "Scopes").
 * The reference's table lists 11; its endpoint list uses three more write scopes.
 */
export const SCOPES = {
  "education.students.read": "List and read students",
  "education.students.write": "Create and update students",
  "education.guardians.read": "List and read guardians",
  "education.guardians.write": "Create and update guardians",
  "education.subjects.read": "List subjects",
  "education.subjects.write": "Create subjects",
  "education.grades.read": "List grades",
  "education.sections.read": "List sections",
  "education.academic_years.read": "List academic years",
  "education.terms.read": "List terms",
  "employees.directory.read": "List and read the employee directory",
  "employees.directory.write": "Add employees",
  "reports.builder.read": "Read the report catalog and run reports",
  "notifications.providers.send": "Read channel capabilities and send SMS / WhatsApp / email messages",
} as const satisfies Record<string, string>;

export type Scope = keyof typeof SCOPES;

export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

/** Groups of tools an operator can serve on their own (`--toolsets`); derived from the scope's first segment. */
export const TOOLSETS = ["identity", "education", "employees", "reports", "notifications"] as const;
export type Toolset = (typeof TOOLSETS)[number];

export function toolsetOfScope(scope: Scope | null): Toolset {
  if (scope === null) return "identity";
  return scope.split(".")[0] as Toolset;
}

/** Parses a comma-separated scope list, naming any unknown scope. */
export function parseScopeList(csv: string): Scope[] {
  const scopes = csv
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (unknown.length > 0) {
    throw new Error(`Unknown scope(s): ${unknown.join(", ")}. Known scopes: ${ALL_SCOPES.join(", ")}`);
  }
  return [...new Set(scopes)] as Scope[];
}
