/**
 * Every failure a tool can meet, mapped once to a message written for the model that reads it:
 * it names the field, the missing scope, or the wait, and says what to do next. Never a stack
 * trace, never a token.
 */
import type { z } from "zod";
import { ApiError, TenantMismatchError, UnexpectedResponseError } from "../client/errors.js";
import type { Endpoint } from "../platform/catalog.js";
import { ReportRunsUnavailableError } from "../store/report-runs.js";
import { WriteInProgressError } from "../store/write-memory.js";

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

/** Why a send or a `--confirm` write went ahead without being confirmed: never, so nothing was sent. */
export type NotConfirmedReason =
  /** The human said no. */
  | "declined"
  /** The human did not answer within the wait. */
  | "no_answer"
  /** The client cancelled the call while the human was being asked. */
  | "cancelled"
  /** The client took the question but answered with an error. */
  | "unavailable"
  /** Stateless HTTP: no session, so there is nobody to ask. */
  | "no_session"
  /** 2026-07-28: the confirmation state handed back was altered, or not made by this server's key. */
  | "state_altered"
  /** 2026-07-28: the confirmation state handed back is past its time. */
  | "state_expired"
  /** 2026-07-28: the confirmation state was made for another API key or installation. */
  | "state_foreign"
  /** 2026-07-28: the confirmation state was made for another tool or other arguments. */
  | "other_arguments";

/** A confirmation that did not say yes: the call stops before anything reaches the platform. */
export class NotConfirmedError extends Error {
  constructor(
    readonly reason: NotConfirmedReason,
    endpoint: Endpoint,
    waitedMs = 0,
  ) {
    super(notConfirmedMessage(reason, endpoint, waitedMs));
    this.name = "NotConfirmedError";
  }
}

function notConfirmedMessage(reason: NotConfirmedReason, endpoint: Endpoint, waitedMs: number): string {
  // The endpoint's kind says whether a message goes out, not its tool's name.
  const { tool } = endpoint;
  const send = endpoint.kind === "send";
  const what = send ? "the message" : tool;
  const stopped = send ? "Not sent" : "Not done";
  switch (reason) {
    case "declined":
      return `Not sent: the user declined to confirm ${what}.`;
    case "no_answer":
      return waitedMs > 0
        ? `No answer to the confirmation of ${what} within ${duration(waitedMs)}; nothing was sent. Ask the user, then call again.`
        : `No answer to the confirmation of ${what} came back with the call; nothing was sent. Ask the user, then call again.`;
    case "cancelled":
      return `Cancelled while waiting for the user to confirm ${what}; nothing was sent.`;
    case "unavailable":
      return `The client could not ask the user to confirm ${what}; nothing was sent.`;
    case "state_altered":
      return `${stopped}: the confirmation handed back for ${what} was altered or not issued by this server, and nothing was sent. Call again to ask the user anew.`;
    case "state_expired":
      return `${stopped}: the confirmation of ${what} expired (an answer must come back within ${duration(waitedMs)}), and nothing was sent. Call again to ask the user anew.`;
    case "state_foreign":
      return `${stopped}: the confirmation handed back for ${what} was issued to another API key or installation, and nothing was sent. Call again to ask the user anew.`;
    case "other_arguments":
      return `${stopped}: the confirmation handed back was given for another call than this ${tool} with these arguments, and nothing was sent. Call again to ask the user about this one.`;
    case "no_session":
      return send
        ? "Not sent: this server runs without sessions (--stateless), so nobody can be asked to confirm the message, and nothing reached the platform. The operator can run the server with sessions (without --stateless), or start it with --allow-unconfirmed-sends to send without asking."
        : `Not done: ${tool} is set to ask for confirmation first (--confirm), but this server runs without sessions (--stateless), so nobody can be asked, and nothing reached the platform. The operator can run the server with sessions (without --stateless), or take ${tool} off --confirm.`;
  }
}

function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/** Text a message repeats back: the start of a long one is enough to recognise it. */
function shortened(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A value as a message quotes it (JSON, so "12" and 12 look different). */
export function quoted(value: unknown): string {
  return shortened(JSON.stringify(value) ?? String(value));
}

/**
 * One issue, said for a model: what the field must be and what it got. Zod's own wording
 * ("expected nonoptional, received undefined") names its internals, not the fix. The numbers of a
 * tool's input are all integers (ids, paging), hence "whole number".
 */
function messageOf(issue: z.core.$ZodIssue): string {
  // Present only when parsed with reportInput (then `undefined` means the field was not given).
  const reported = "input" in issue;
  const got = reported && issue.input !== undefined ? `, got ${quoted(issue.input)}` : "";
  switch (issue.code) {
    case "invalid_type":
      if (reported && issue.input === undefined) return "Required";
      if (issue.expected === "number" || issue.expected === "int")
        return `Must be a whole number such as 22${got}`;
      if (issue.expected === "string") return `Must be a string in quotes${got}`;
      if (issue.expected === "boolean") return `Must be true or false${got}`;
      if (issue.expected === "array") return `Must be a list such as ["id"]${got}`;
      return issue.message;
    case "invalid_value":
      return `Must be one of: ${issue.values.map(String).join(", ")}${got}`;
    case "too_small":
      if (issue.origin !== "number") return issue.message;
      return `Must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}${got}`;
    case "too_big":
      if (issue.origin !== "number") return issue.message;
      return `Must be ${issue.inclusive ? "at most" : "less than"} ${issue.maximum}${got}`;
    default:
      return issue.message;
  }
}

/**
 * Zod issues by field name. Parse with `{ reportInput: true }`: a missing field is then told apart
 * from a wrong one, and the value received is quoted back. `validArguments` names what an unknown argument could have been.
 */
export function fieldErrorsOf(
  error: z.ZodError,
  validArguments?: readonly string[],
): Record<string, string[]> {
  // No prototype: an argument named `constructor` or `__proto__` must stay a plain field name.
  const fields: Record<string, string[]> = Object.create(null);
  const add = (field: string, message: string) => {
    fields[field] = [...(fields[field] ?? []), message];
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const top = issue.path.length === 0;
      issue.keys.forEach((key, i) => {
        // The valid names once, after the last unknown one: a model reads them as the correction.
        const valid = top && validArguments && i === issue.keys.length - 1;
        const message = top ? "Unknown argument" : "Unknown field";
        add(
          [...issue.path, shortened(key)].join("."),
          valid ? `${message}; valid: ${validArguments.join(", ")}` : message,
        );
      });
      continue;
    }
    add(issue.path.length > 0 ? issue.path.join(".") : "(arguments)", messageOf(issue));
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
  return `It may or may not have been applied. Repeat the identical call (or pass idempotency_key "${error.idempotencyKey}"): it goes with the same key, so the platform completes it once instead of creating a duplicate.`;
}

/** The text a model sees for an API failure of `endpoint`. */
export function messageForApiError(error: ApiError, endpoint: Endpoint): string {
  // Written for whoever reads it (model, user, operator) where it is made: the tenant ids only.
  if (error instanceof TenantMismatchError) return error.message;
  // A success off the contract's shape: its message names the field; a write it answered was made.
  if (error instanceof UnexpectedResponseError && error.status >= 200 && error.status <= 299) {
    return error.maybeApplied ? `${error.message} ${retryHint(error)}` : error.message;
  }
  const tries = error.attempts > 1 ? ` after ${error.attempts} attempts` : "";
  switch (error.status) {
    case 400:
      return `The platform refused the request as malformed (400): ${error.message}`;
    case 401:
      return "The platform rejected this installation's token (401): it may have been revoked or rotated. Ask the administrator to update the server's platform token (OKTA_PARTNER_TOKEN, OKTA_PARTNER_TOKEN_FILE or the installation's token file).";
    case 403: {
      const scope = error.scope ?? endpoint.scope ?? "unknown";
      return `Scope "${scope}" is not granted to this installation (403), so ${endpoint.tool} cannot run. Ask the school's administrator to grant "${scope}" to the app in the Okta Partners dashboard.`;
    }
    case 404:
      return `Not found (404): ${sentence(error.message)} Check the id or key, e.g. with a list or search tool.`;
    case 409:
      // The contract's 409 is the key in use: by a different request, or by this call's own
      // earlier attempt still in flight. After an attempt that may have been applied (a 5xx, a
      // timeout) it refuses the retry, not that attempt; the key is kept to complete it.
      if (error.maybeApplied) {
        return `Idempotency conflict (409)${tries}: the platform refused a retry of this call because its idempotency key is in use, by an earlier attempt still in progress or by a different request. ${retryHint(error)} Wait a few seconds first: while that attempt is in progress the platform answers 409 to every repeat. Only if it keeps answering 409 for minutes may the key be another request's: then check with a list tool whether the record exists before calling with a new idempotency_key.`;
      }
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

/**
 * A stored run could not be read because its store did not answer (nothing was sent); or, while
 * the forget of a withdrawn grant's runs is owed, none is served: once the store answers they are
 * gone, so "try again shortly" would only lead to "no stored run".
 */
export function runsUnreadable(error: ReportRunsUnavailableError): string {
  if (error.operation === "forget") {
    return "Stored report runs are unavailable until the shared store answers again: the reports scope was withdrawn since they were stored, and this server could not yet drop them. Nothing was sent to the platform. Run the report again (run_report without run_id).";
  }
  return "The shared store of report runs did not answer, so the run could not be read; nothing was sent to the platform. Try again shortly, or run the report again (run_report without run_id).";
}

/** One mapping for everything a handler can throw. */
export function messageForError(error: unknown, endpoint: Endpoint): string {
  if (error instanceof ApiError) return messageForApiError(error, endpoint);
  if (error instanceof InvalidArgumentsError || error instanceof NotConfirmedError) return error.message;
  if (error instanceof WriteInProgressError) {
    return `Nothing sent: an identical ${endpoint.tool} started ${Math.round(error.sinceMs / 1000)} s ago is still waiting for the platform's answer. Call again in a few seconds; the answer will then say what happened.`;
  }
  if (error instanceof ReportRunsUnavailableError) return runsUnreadable(error);
  return `${endpoint.tool} failed unexpectedly on the server. Try again; if it persists, the operator can find details in the server log.`;
}
