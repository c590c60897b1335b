/**
 * Every failure of `resources/read` (and of a completion refused for a resource not served),
 * mapped once to a JSON-RPC error: the protocol's code and one sentence naming what is wrong.
 * Never a stack trace, never extra data, never a token (platform messages are already redacted).
 *
 * - -32002 (resource not found, MCP's code): an unknown URI, a resource not served under this
 *   grant and these flags, a record the platform answers 404 for, an unknown or expired report run,
 *   a report key not in the catalog, and a 403 scope_not_granted (the grant changed before this
 *   server noticed: for this client the resource is no longer served, and the grant is re-read).
 * - -32602 (invalid params): a malformed id, refused before any request.
 * - -32603 (internal error): the platform could not answer (429, 5xx or no answer after the
 *   retries, a revoked token, ...) or the server failed; the message says which and what to do.
 */
import { ErrorCode } from "@modelcontextprotocol/sdk/types.js";
import { ApiError, NotFoundError, ScopeNotGrantedError } from "../client/errors.js";
import type { Endpoint } from "../platform/catalog.js";
import { messageForApiError } from "../tools/errors.js";

/** MCP's "resource not found" code (the SDK has no constant for it). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * A JSON-RPC error as the SDK sends it (`code` and `message` only). Not McpError: that one
 * prefixes its message with "MCP error <code>:", which the client then prefixes again.
 */
export class ResourceError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ResourceError";
  }
}

export const notFound = (message: string) => new ResourceError(RESOURCE_NOT_FOUND, message);
export const invalidParams = (message: string) => new ResourceError(ErrorCode.InvalidParams, message);

/** The error a failed read of `uri` answers with; `endpoint` is the call the read made (pure). */
export function readErrorOf(error: unknown, uri: string, endpoint: Endpoint): ResourceError {
  if (error instanceof ResourceError) return error;
  if (error instanceof NotFoundError) {
    return notFound(`${uri} was not found: the platform has no such record in this school (404).`);
  }
  if (error instanceof ScopeNotGrantedError) {
    return notFound(`${uri} is not served any more: ${messageForApiError(error, endpoint)}`);
  }
  if (error instanceof ApiError) {
    return new ResourceError(
      ErrorCode.InternalError,
      `Reading ${uri} failed. ${messageForApiError(error, endpoint)}`,
    );
  }
  return new ResourceError(
    ErrorCode.InternalError,
    `Reading ${uri} failed unexpectedly on the server. Try again; if it persists, the operator can find details in the server log.`,
  );
}
