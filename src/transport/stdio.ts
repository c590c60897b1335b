/**
 * Stdio: one installation, one session, for Claude Desktop and IDE agents. stdout carries only
 * the protocol (the SDK writes it); everything else goes to the logger on stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Installation } from "../installation.js";
import type { Logger } from "../logger.js";
import { createServer, type ServerOptions } from "../server.js";

export async function serveStdio(
  installation: Installation,
  options: ServerOptions,
  logger: Logger,
  onClose: () => Promise<void>,
): Promise<void> {
  const server = createServer(installation, options, logger);
  const transport = new StdioServerTransport();
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    logger.info({ reason }, "shutting down");
    await server.mcp.close().catch(() => {});
    await onClose();
  };
  transport.onclose = () => void shutdown("client closed the connection");
  process.stdin.on("end", () => void shutdown("stdin ended"));
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void shutdown(signal));
  await server.mcp.connect(transport);
  logger.info(
    {
      tools: server.tools.toolNames.length,
      tenant: installation.whoami.tenant_id,
      sandbox: installation.sandbox,
    },
    "serving MCP over stdio",
  );
}
