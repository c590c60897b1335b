/**
 * `subscriptions/listen` (2026-07-28) as the transports check it before the SDK sees it: the SDK
 * honours any URI a listen stream names, so each one must pass the same rule as
 * resources/subscribe (subscribable, and served under the grant and filters).
 */
import type { JSONRPCErrorResponse, JSONRPCMessage, JSONRPCRequest } from "@modelcontextprotocol/server";
import { isJSONRPCRequest, ProtocolErrorCode } from "@modelcontextprotocol/server";

/** What a listen request names to hear, as sent: checked by listenRefusal (pure). */
function namedUris(request: JSONRPCRequest): unknown {
  return (request.params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)
    ?.notifications?.resourceSubscriptions;
}

export function isListenRequest(message: JSONRPCMessage): message is JSONRPCRequest {
  // The method first: it is asked of every 2026-07-28 message, and the schema check is not free.
  return (message as { method?: unknown }).method === "subscriptions/listen" && isJSONRPCRequest(message);
}

/**
 * The first URI of `request` refused by `refusal`, as the error to answer with, or undefined.
 * A name that is not a string is refused too: the SDK would drop it silently.
 */
export function listenRefusal(
  request: JSONRPCRequest,
  refusal: (uri: string) => Error | undefined,
): string | undefined {
  const named = namedUris(request);
  if (named === undefined) return undefined;
  if (!(Array.isArray(named) && named.every((u): u is string => typeof u === "string"))) {
    return "subscriptions/listen: notifications.resourceSubscriptions must be an array of resource URIs";
  }
  for (const uri of named) {
    const refused = refusal(uri);
    if (refused) return refused.message;
  }
  return undefined;
}

/** The error answer to a listen request `refusal` refuses, or undefined for any other message. */
export function listenRefusalResponse(
  message: JSONRPCMessage,
  refusal: (uri: string) => Error | undefined,
): JSONRPCErrorResponse | undefined {
  if (!isListenRequest(message)) return undefined;
  const refused = listenRefusal(message, refusal);
  return refused
    ? { jsonrpc: "2.0", id: message.id, error: { code: ProtocolErrorCode.InvalidParams, message: refused } }
    : undefined;
}
