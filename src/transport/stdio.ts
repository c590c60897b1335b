/**
 * Stdio: one installation, one session, for Claude Desktop and IDE agents. stdout carries only
 * the protocol (the SDK writes it); everything else goes to the logger on stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Installation } from "../installation.js";
import type { Logger } from "../logger.js";
import { createServer, type ServerOptions } from "../server.js";
import { followRequests } from "./sessions.js";

/** How long calls in flight may finish after the client hangs up or a signal arrives. */
const SHUTDOWN_GRACE_MS = 10_000;

export async function serveStdio(
  installation: Installation,
  options: ServerOptions,
  logger: Logger,
  onClose: () => Promise<void>,
): Promise<void> {
  const server = createServer(installation, options, logger);
  const transport = new StdioServerTransport();
  const inFlight = { pending: new Set<string | number>(), lastActive: 0 };
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason, inFlight: inFlight.pending.size }, "shutting down");
    // A client that pipes requests and closes stdin still gets its answers: calls in flight
    // finish (bounded) before the API client and the sandbox close under them.
    const deadline = Date.now() + SHUTDOWN_GRACE_MS;
    while (inFlight.pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await server.mcp.close().catch(() => {});
    await onClose();
  };
  transport.onclose = () => void shutdown("client closed the connection");
  process.stdin.on("end", () => void shutdown("stdin ended"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void shutdown(signal));
  await server.mcp.connect(transport);
  followRequests(transport, inFlight);
  logger.info(
    {
      tools: server.tools.toolNames.length,
      tenant: installation.whoami.tenant_id,
      sandbox: installation.sandbox,
    },
    "serving MCP over stdio",
  );
}
