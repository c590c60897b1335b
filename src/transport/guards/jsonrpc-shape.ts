/**
 * What kind of JSON-RPC 2.0 message a parsed value is, by its shape: the same rules as the SDK's
 * strict message schemas (`JSONRPCMessageSchema` in @modelcontextprotocol/core), checked by hand.
 * This layer asks it of every message in every POST and of every answer a session sends; the zod
 * union costs several microseconds a message, this a few property reads. The SDK still validates
 * each message itself after the guards: this only has to agree with it on what is let through
 * and on what kind a message is. Pure.
 */
import type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCRequest,
  JSONRPCResultResponse,
} from "@modelcontextprotocol/server";

export type JsonRpcKind = "request" | "notification" | "result" | "error";

type Plain = Record<string, unknown>;

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Plain {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A request id: a string or an integer (zod's `int()`: a safe integer). */
function isRequestId(value: unknown): boolean {
  return typeof value === "string" || Number.isSafeInteger(value);
}

/** Only keys from `allowed` (the schemas are strict: an unknown key makes no message). */
function hasOnlyKeys(value: Plain, allowed: readonly string[]): boolean {
  for (const key in value) if (!allowed.includes(key)) return false;
  return true;
}

/** `params` of a request or notification: absent, or an object whose `_meta` (if any) is sound. */
function isSoundParams(params: unknown): boolean {
  if (params === undefined) return true;
  if (!isPlainObject(params)) return false;
  const meta = params._meta;
  if (meta === undefined) return true;
  if (!isPlainObject(meta)) return false;
  const progressToken = meta.progressToken;
  if (progressToken !== undefined && !isRequestId(progressToken)) return false;
  const task = meta["io.modelcontextprotocol/related-task"];
  return task === undefined || (isPlainObject(task) && typeof task.taskId === "string");
}

const REQUEST_KEYS = ["jsonrpc", "id", "method", "params"];
const NOTIFICATION_KEYS = ["jsonrpc", "method", "params"];
const RESULT_KEYS = ["jsonrpc", "id", "result"];
const ERROR_KEYS = ["jsonrpc", "id", "error"];

/** The kind of JSON-RPC message `value` is, or undefined when it is none. */
export function jsonRpcKindOf(value: unknown): JsonRpcKind | undefined {
  if (!isPlainObject(value) || value.jsonrpc !== "2.0") return undefined;
  if (typeof value.method === "string") {
    if (!isSoundParams(value.params)) return undefined;
    if ("id" in value)
      return isRequestId(value.id) && hasOnlyKeys(value, REQUEST_KEYS) ? "request" : undefined;
    return hasOnlyKeys(value, NOTIFICATION_KEYS) ? "notification" : undefined;
  }
  if ("result" in value) {
    const result = value.result;
    if (!isPlainObject(result) || (result._meta !== undefined && !isPlainObject(result._meta)))
      return undefined;
    return isRequestId(value.id) && hasOnlyKeys(value, RESULT_KEYS) ? "result" : undefined;
  }
  if ("error" in value) {
    const error = value.error;
    if (!isPlainObject(error) || !Number.isSafeInteger(error.code) || typeof error.message !== "string")
      return undefined;
    if (value.id !== undefined && !isRequestId(value.id)) return undefined;
    return hasOnlyKeys(value, ERROR_KEYS) ? "error" : undefined;
  }
  return undefined;
}

export function isJsonRpcMessage(value: unknown): value is JSONRPCMessage {
  return jsonRpcKindOf(value) !== undefined;
}

export function isRequest(message: unknown): message is JSONRPCRequest {
  return jsonRpcKindOf(message) === "request";
}

/** A result or an error: the answer to a request. */
export function isResponse(message: unknown): message is JSONRPCResultResponse | JSONRPCErrorResponse {
  const kind = jsonRpcKindOf(message);
  return kind === "result" || kind === "error";
}

/**
 * The request a `notifications/cancelled` withdraws, when `message` is one the SDK acts on (its
 * schema: a request id, and a reason only as a string); otherwise undefined. Its request is then
 * never answered: the SDK aborts the handler and sends nothing.
 */
export function cancelledRequestId(message: unknown): string | number | undefined {
  if (!isPlainObject(message) || message.method !== "notifications/cancelled" || "id" in message)
    return undefined;
  const params = message.params;
  if (!isPlainObject(params) || (params.reason !== undefined && typeof params.reason !== "string"))
    return undefined;
  return isRequestId(params.requestId) ? (params.requestId as string | number) : undefined;
}
