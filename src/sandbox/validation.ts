/**
 * Request validation with the catalog's own Zod schemas, turned into the contract's 422 shape
 * `{ field: [messages] }`.
 *
 * Path and query values arrive as strings; a string of digits becomes a number when the schema
 * wants one. Anything else ("abc", "-4", "1.5") stays as it is and is refused with a message that
 * shows the value, instead of being guessed at.
 */
import type { z } from "zod";
import { baseKindOf } from "../platform/schema-kind.js";
import { addFieldError, type FieldErrors, mergeFieldErrors } from "./errors.js";

export type Validated<T> = { ok: true; data: T } | { ok: false; errors: FieldErrors };

const DIGITS = /^\d+$/;

/** Whether the schema (under optional / nullable / default wrappers) is a number. */
export function expectsNumber(schema: z.core.$ZodType): boolean {
  return baseKindOf(schema) === "number";
}

/** Validates string values (path or query) against an object schema, converting digit strings. */
export function validateStrings<T>(
  schema: z.ZodObject,
  raw: Record<string, string>,
  root: "path" | "query",
): Validated<T> {
  const shape = schema.shape as Record<string, z.core.$ZodType>;
  const preErrors: FieldErrors = {};
  const values: Record<string, unknown> = Object.create(null);
  for (const [name, value] of Object.entries(raw)) {
    const field = Object.hasOwn(shape, name) ? shape[name] : undefined;
    if (field && expectsNumber(field)) {
      if (DIGITS.test(value)) values[name] = Number(value);
      else
        addFieldError(
          preErrors,
          name,
          `Must be a whole number written in digits, got ${JSON.stringify(value)}`,
        );
    } else {
      values[name] = value;
    }
  }
  const result = validate<T>(schema, values, root);
  if (Object.keys(preErrors).length === 0) return result;
  const errors: FieldErrors = {};
  mergeFieldErrors(errors, preErrors);
  if (!result.ok) {
    // A field refused for not being digits was left a string; zod's "expected number" adds nothing.
    const rest = Object.entries(result.errors).filter(([field]) => !Object.hasOwn(preErrors, field));
    for (const [field, messages] of rest) for (const m of messages) addFieldError(errors, field, m);
  }
  return { ok: false, errors };
}

export function validate<T>(schema: z.ZodType, input: unknown, root: string): Validated<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, data: result.data as T };
  return { ok: false, errors: issuesToFieldErrors(result.error.issues, root) };
}

/**
 * Field names are the issue paths joined by "."; an unknown field is keyed by its own name;
 * an issue about the whole object (e.g. "give at least one field") is keyed by `root`.
 */
export function issuesToFieldErrors(issues: readonly z.core.$ZodIssue[], root: string): FieldErrors {
  const errors: FieldErrors = {};
  const unknownLabel = root === "body" ? "Unknown field" : "Unknown parameter";
  for (const issue of issues) {
    const prefix = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        addFieldError(errors, prefix ? `${prefix}.${key}` : key, `${unknownLabel} ${JSON.stringify(key)}`);
      }
      continue;
    }
    addFieldError(errors, prefix || root, issue.message);
  }
  return errors;
}

/** Query string -> single values; a repeated parameter is ambiguous, so it is refused. */
export function parseQuery(search: string): { values: Record<string, string>; errors: FieldErrors } {
  // No prototype: a parameter named __proto__ must stay a plain (unknown) parameter.
  const values: Record<string, string> = Object.create(null);
  const errors: FieldErrors = {};
  for (const [name, value] of new URLSearchParams(search)) {
    if (Object.hasOwn(values, name)) addFieldError(errors, name, "Give this parameter once");
    else values[name] = value;
  }
  return { values, errors };
}
