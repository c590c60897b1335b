/**
 * MCP tool annotations derived from what an endpoint does (catalog `kind`), all four stated on
 * every tool so clients never fall back to the spec's pessimistic defaults. (The title is the
 * tool's own `title`; repeating it here would cost tokens in every conversation.)
 */
import type { ToolAnnotations } from "@modelcontextprotocol/server";
import type { Endpoint } from "../platform/catalog.js";

export function annotationsOf(endpoint: Endpoint): ToolAnnotations {
  const readOnly = endpoint.kind === "read" || endpoint.kind === "run";
  return {
    readOnlyHint: readOnly,
    // An update overwrites existing values; a create or a send only adds.
    destructiveHint: endpoint.kind === "update",
    idempotentHint: endpoint.idempotent,
    // Only a send reaches outside the school's own data: a message to a real person.
    openWorldHint: endpoint.kind === "send",
  };
}
