/**
 * What the client said it can do, for the request at hand. A 2026-07-28 request carries the
 * client's capabilities in its own envelope (a 2026 connection over stdio never runs `initialize`,
 * so the connection-wide ones are unset there); a 2025 session declared them at `initialize`.
 */
import type { ClientCapabilities, Server, ServerContext } from "@modelcontextprotocol/server";
import { CLIENT_CAPABILITIES_META_KEY } from "@modelcontextprotocol/server";

export function clientCapabilitiesOf(server: Server, request: ServerContext): ClientCapabilities | undefined {
  const envelope = request.mcpReq.envelope as Record<string, unknown> | undefined;
  return (
    (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ??
    server.getClientCapabilities()
  );
}
