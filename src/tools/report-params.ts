/**
 * run_report's `params` checked against the report's definition from the catalog before any
 * request: types, required, enums, unknown names. Strings a client sent for integers and booleans
 * ("12", "true") are converted, since several clients stringify nested values.
 */
import { isRealDate, type ReportDefinition, type ReportParamDefinition } from "../platform/records.js";

export type ParamResult =
  | { ok: true; params: Record<string, unknown> }
  | { ok: false; errors: Record<string, string[]> };

function coerce(def: ReportParamDefinition, value: unknown): { value?: unknown; error?: string } {
  switch (def.type) {
    case "integer": {
      const n = typeof value === "string" && /^-?\d{1,15}$/.test(value) ? Number(value) : value;
      return typeof n === "number" && Number.isInteger(n) ? { value: n } : { error: "Must be an integer" };
    }
    case "boolean": {
      const b = value === "true" ? true : value === "false" ? false : value;
      return typeof b === "boolean" ? { value: b } : { error: "Must be true or false" };
    }
    case "date":
      return typeof value === "string" && isRealDate(value)
        ? { value }
        : { error: "Must be a real date as YYYY-MM-DD" };
    default:
      return typeof value === "string" ? { value } : { error: "Must be a string" };
  }
}

export function validateReportParams(
  report: ReportDefinition,
  given: Record<string, unknown> | undefined,
): ParamResult {
  const errors: Record<string, string[]> = {};
  const params: Record<string, unknown> = {};
  const input = given ?? {};
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(report.params, name)) {
      errors[`params.${name}`] = [
        `Unknown parameter; ${report.key} takes: ${Object.keys(report.params).join(", ") || "none"}`,
      ];
    }
  }
  for (const [name, def] of Object.entries(report.params)) {
    const value = input[name];
    if (value === undefined || value === null || value === "") {
      if (def.required)
        errors[`params.${name}`] = [`Required (${def.type})${def.description ? `: ${def.description}` : ""}`];
      continue;
    }
    const { value: coerced, error } = coerce(def, value);
    if (error) {
      errors[`params.${name}`] = [error];
      continue;
    }
    if (def.enum && !def.enum.includes(coerced as string | number)) {
      errors[`params.${name}`] = [`Must be one of: ${def.enum.join(", ")}`];
      continue;
    }
    params[name] = coerced;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, params };
}
