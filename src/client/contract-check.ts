/**
 * A success body checked against the contract's shape before anyone reads it, so an answer that
 * breaks the contract becomes one typed error naming the field instead of a wrong result (an
 * empty list, NaN) or a crash deeper in. The body is checked, not transformed: callers get the
 * platform's value as it came (the schemas carry no transforms).
 */
import type { z } from "zod";
import { UnexpectedResponseError } from "./errors.js";

/** At most this many mismatches are named; one is usually the whole story. */
const NAMED = 3;

/** `["data", 0, "full_name"]` -> `data[0].full_name` */
function fieldPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(body)";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`))
    .join("");
}

export function mismatchOf(error: z.ZodError): string {
  const named = error.issues.slice(0, NAMED).map((issue) => `${fieldPath(issue.path)}: ${issue.message}`);
  const more = error.issues.length - named.length;
  return `${named.join("; ")}${more > 0 ? ` (and ${more} more)` : ""}`;
}

export function checkBody<T>(
  schema: z.ZodType<T>,
  body: unknown,
  facts: {
    method: string;
    path: string;
    status: number;
    attempts: number;
    idempotencyKey: string | undefined;
    isWrite: boolean;
  },
): T {
  const checked = schema.safeParse(body);
  if (checked.success) return body as T;
  throw new UnexpectedResponseError({
    status: facts.status,
    code: "unexpected_shape",
    message: `The platform's answer to ${facts.method} ${facts.path} (HTTP ${facts.status}) does not match the contract: ${mismatchOf(checked.error)}.`,
    attempts: facts.attempts,
    ...(facts.idempotencyKey === undefined ? {} : { idempotencyKey: facts.idempotencyKey }),
    // The platform said yes to the write; only its answer is unreadable.
    maybeApplied: facts.isWrite,
  });
}
