/**
 * Every failure a tool can meet, mapped once to a message written for the model that reads it:
 * it names the field, the missing scope, or the wait, and says what to do next. Never a stack
 * trace, never a token.
 */
import type { z } from "zod";
import { ApiError, TenantMismatchError } from "../client/errors.js";
import type { Endpoint } from "../platform/catalog.js";

/** Arguments refused before any request was sent. */
export class InvalidArgumentsError extends Error {
  constructor(readonly fields: Record<string, string[]>) {
    super(
      `Invalid arguments, nothing was sent: ${Object.entries(fields)
        .map(([field, messages]) => `${field}: ${messages.join("; ")}`)
        .join(". ")}`,
    );
    this.name = "InvalidArgumentsError";
  }
}

/** The human declined a confirmation: nothing was sent. */
export class DeclinedError extends Error {
  constructor(what: string) {
    super(`Not sent: the user declined to confirm ${what}.`);
    this.name = "DeclinedError";
  }
}

export function fieldErrorsOf(error: z.ZodError): Record<string, string[]> {
  // No prototype: an argument named `constructor` or `__proto__` must stay a plain field name.
  const fields: Record<string, string[]> = Object.create(null);
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const field = [...issue.path, key].join(".");
        fields[field] = [...(fields[field] ?? []), "Unknown field"];
      }
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.join(".") : "(arguments)";
    fields[field] = [...(fields[field] ?? []), issue.message];
  }
  return fields;
}

function fieldList(errors: Record<string, string[]> | undefined): string {
  if (!errors || Object.keys(errors).length === 0) return "";
  return Object.entries(errors)
    .map(([field, messages]) => `${field}: ${messages.join("; ")}`)
    .join(". ");
}

/** The platform's text as one sentence: a full stop added only when it has none. */
function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function retryHint(error: ApiError): string {
  if (!error.idempotencyKey) return "Try again in a moment.";
  return `It may or may not have been applied. Retry with idempotency_key "${error.idempotencyKey}": the platform then replays the first result instead of creating a duplicate.`;
}

/** The text a model sees for an API failure of `endpoint`. */
export function messageForApiError(error: ApiError, endpoint: Endpoint): string {
  // Written for whoever reads it (model, user, operator) where it is made: the tenant ids only.
  if (error instanceof TenantMismatchError) return error.message;
  const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
  switch (error.status) {
    case 400:
      return `The platform refused the request as malformed (400): ${error.message}`;
    case 401:
      return "The platform rejected this installation's token (401): it may have been revoked or rotated. Ask the administrator to update the server's OKTA_PARTNER_TOKEN.";
    case 403: {
      const scope = error.scope ?? endpoint.scope ?? "unknown";
      return `Scope "${scope}" is not granted to this installation (403), so ${endpoint.tool} cannot run. Ask the school's administrator to grant "${scope}" to the app in the Okta Partners dashboard.`;
    }
    case 404:
      return `Not found (404): ${sentence(error.message)} Check the id or key, e.g. with a list or search tool.`;
    case 409:
      return `Idempotency conflict (409): this idempotency_key was already used for a different request, or that request is still in progress. Wait and retry the identical call, or use a new idempotency_key for a different request.`;
    case 413:
      return "The request is too large for the platform (413). Send less data.";
    case 422:
      return `The platform refused the values (422): ${sentence(fieldList(error.fieldErrors) || error.message)} Correct these fields and call again.`;
    case 429: {
      const wait =
        error.retryAfterSeconds !== undefined ? ` Wait ${error.retryAfterSeconds} s` : " Wait a little";
      return `The platform's rate limit is reached (429)${tries}.${wait} before calling again.`;
    }
    default:
      if (error.status >= 500) {
        const write = error.maybeApplied ? ` ${retryHint(error)}` : " Try again in a moment.";
        return `The platform is unavailable (${error.status})${tries}.${write}`;
      }
      if (error.code === "aborted") return "Cancelled by the client before the platform answered.";
      if (error.status === 0) {
        const write = error.maybeApplied ? ` ${retryHint(error)}` : " Try again in a moment.";
        return `The platform could not be reached or did not answer in time${tries}.${write}`;
      }
      return `The platform answered ${error.status}: ${error.message}`;
  }
}

/** One mapping for everything a handler can throw. */
export function messageForError(error: unknown, endpoint: Endpoint): string {
  if (error instanceof ApiError) return messageForApiError(error, endpoint);
  if (error instanceof InvalidArgumentsError || error instanceof DeclinedError) return error.message;
  return `${endpoint.tool} failed unexpectedly on the server. Try again; if it persists, the operator can find details in the server log.`;
}
