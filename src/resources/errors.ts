/**
 * Every failure of `resources/read` (and of a completion refused for a resource not served),
 * mapped once to a JSON-RPC error: the protocol's code and one sentence naming what is wrong.
 * Never a stack trace, never a token (platform messages are already redacted).
 *
 * - Resource not found: -32602 with `data: { uri }` (ResourceNotFoundError), as the 2026-07-28
 *   revision requires on every era (the SDK maps a thrown -32002 to it anyway; clients built on
 *   older SDKs also accept -32002). For an unknown URI, a resource not served under this grant and
 *   these flags, a record the platform answers 404 for, a report run not held (in this process,
 *   or in the shared store with REDIS_URL), a report key not in the catalog, and a 403
 *   scope_not_granted (the grant changed before this server noticed: for this client the
 *   resource is no longer served, and the grant is re-read).
 * - -32602 without `data.uri` (invalid params): a malformed id, refused before any request.
 * - -32603 (internal error): the platform could not answer (429, 5xx or no answer after the
 *   retries, a revoked token, ...), the shared store of report runs did not answer, or the server
 *   failed; the message says which and what to do.
 */

import { ProtocolError, ProtocolErrorCode, ResourceNotFoundError } from "@modelcontextprotocol/server";
import { ApiError, NotFoundError, ScopeNotGrantedError } from "../client/errors.js";
import type { Endpoint } from "../platform/catalog.js";
import { ReportRunsUnavailableError } from "../store/report-runs.js";
import { messageForApiError, runsUnreadable } from "../tools/errors.js";

export const notFound = (uri: string, message: string) => new ResourceNotFoundError(uri, message);
export const invalidParams = (message: string) => new ProtocolError(ProtocolErrorCode.InvalidParams, message);

/** The error a failed read of `uri` answers with; `endpoint` is the call the read made (pure). */
export function readErrorOf(error: unknown, uri: string, endpoint: Endpoint): ProtocolError {
  if (error instanceof ProtocolError) return error;
  if (error instanceof NotFoundError) {
    return notFound(uri, `${uri} was not found: the platform has no such record in this school (404).`);
  }
  if (error instanceof ScopeNotGrantedError) {
    return notFound(uri, `${uri} is not served any more: ${messageForApiError(error, endpoint)}`);
  }
  if (error instanceof ApiError) {
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Reading ${uri} failed. ${messageForApiError(error, endpoint)}`,
    );
  }
  if (error instanceof ReportRunsUnavailableError) {
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      `Reading ${uri} failed. ${runsUnreadable(error)}`,
    );
  }
  return new ProtocolError(
    ProtocolErrorCode.InternalError,
    `Reading ${uri} failed unexpectedly on the server. Try again; if it persists, the operator can find details in the server log.`,
  );
}
