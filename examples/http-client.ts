/**
 * A chatbot backend using okta-partners-mcp over Streamable HTTP with the MCP TypeScript SDK.
 *
 *   OKTA_MCP_API_KEY=... node dist/cli.js --transport http --sandbox          # the server
 *   OKTA_MCP_API_KEY=... npx tsx examples/http-client.ts                      # this client
 *
 * (from a checkout after `npm ci`; MCP_URL overrides http://127.0.0.1:3333/mcp)
 *
 * The API key is this server's own credential for its MCP clients; the school's platform token
 * stays with the server and never passes through here. Read both from the environment or a
 * secret store, never from source.
 */
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

export async function connectOktaMcp(url: string, apiKey: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    // Sent on every request.
    requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
  });
  // 2026-07-28: no session to keep or end, so any instance behind a load balancer can answer.
  const client = new Client(
    { name: "school-chatbot", version: "1.0.0" },
    { versionNegotiation: { mode: "auto" } },
  );
  await client.connect(transport);
  return client;
}

/**
 * Ends the conversation. On 2026-07-28 there is no session and this only closes the client; if
 * the server offered only the 2025 era, it first ends the session (DELETE), which frees it now
 * rather than at the server's idle timeout.
 */
export async function disconnectOktaMcp(client: Client): Promise<void> {
  await (client.transport as StreamableHTTPClientTransport | undefined)?.terminateSession();
  await client.close();
}

async function main(): Promise<void> {
  const apiKey = process.env.OKTA_MCP_API_KEY;
  if (!apiKey) throw new Error("Set OKTA_MCP_API_KEY to the key the server was started with");
  const client = await connectOktaMcp(process.env.MCP_URL ?? "http://127.0.0.1:3333/mcp", apiKey);
  try {
    const { tools } = await client.listTools();
    console.log(`${tools.length} tools: ${tools.map((t) => t.name).join(", ")}`);
    // Hand `tools` to your model; when it asks for one, call it and give it the result:
    const result = await client.callTool({ name: "list_students", arguments: { per_page: 3 } });
    console.log(JSON.stringify(result.structuredContent ?? result.content, null, 2));
  } finally {
    await disconnectOktaMcp(client);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
