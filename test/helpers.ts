/**
 * Test harness: the real sandbox on loopback, and the real server driven through the SDK's own
 * Client, over a stdio child process (the built bin) or in-process over linked transports.
 */
import { createServer as createNetServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { CallToolResult, ClientCapabilities, ClientOptions } from "@modelcontextprotocol/client";
import { Client, InMemoryTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { Installation, type InstallationOptions } from "../src/installation.js";
import { silentLogger } from "../src/logger.js";
import type { Scope } from "../src/platform/scopes.js";
import { type Sandbox, type SandboxOptions, startSandbox } from "../src/sandbox/index.js";
import { createServer, type OktaMcpServer, type ServerOptions } from "../src/server.js";

export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

export async function sandboxWith(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox(options);
}

export interface StdioHarness {
  client: Client;
  stderr: () => string;
  close: () => Promise<void>;
}

/**
 * The built bin as a stdio child against `sandbox` (its token and base URL, nothing else from the
 * environment but PATH and `env`). stderr "pipe" must be read, or a chatty child blocks on it.
 */
export function binTransport(
  sandbox: { baseUrl: string; token: string },
  opts: { args?: string[]; env?: Record<string, string>; stderr?: "pipe" | "ignore" } = {},
): StdioClientTransport {
  return new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...(opts.args ?? [])],
    env: {
      PATH: process.env.PATH ?? "",
      OKTA_PARTNER_TOKEN: sandbox.token,
      OKTA_API_BASE_URL: sandbox.baseUrl,
      ...opts.env,
    },
    stderr: opts.stderr ?? "ignore",
  });
}

/**
 * Spawns the built bin over stdio against `sandbox`, like Claude Desktop would. The client speaks
 * 2025 unless `clientOptions` ask otherwise (`versionNegotiation: { mode: "auto" }`: 2026-07-28).
 */
export async function connectStdio(
  sandbox: { baseUrl: string; token: string },
  args: string[] = [],
  env: Record<string, string> = {},
  clientOptions: ClientOptions = {},
): Promise<StdioHarness> {
  const transport = binTransport(sandbox, { args, env: { LOG_LEVEL: "debug", ...env }, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: "test", version: "1.0.0" }, clientOptions);
  await client.connect(transport);
  return { client, stderr: () => stderr, close: () => client.close() };
}

export interface InProcessHarness {
  client: Client;
  server: OktaMcpServer;
  installation: Installation;
  close: () => Promise<void>;
}

/** The same server in-process over linked transports: fast, for behaviour of the tool layer. */
export async function connectInProcess(
  sandbox: { baseUrl: string; token: string },
  options: ServerOptions = {},
  clientCapabilities: ClientCapabilities = {},
  installationOptions: Pick<InstallationOptions, "replayWindowMs" | "sharedStore" | "writeStore"> = {},
): Promise<InProcessHarness> {
  const installation = new Installation({
    baseUrl: sandbox.baseUrl,
    token: sandbox.token,
    logger: silentLogger(),
    ...installationOptions,
  });
  await installation.refreshWhoami();
  const server = createServer(installation, options, silentLogger());
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: "test", version: "1.0.0" }, { capabilities: clientCapabilities });
  await server.mcp.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    server,
    installation,
    close: async () => {
      await client.close();
      await installation.close();
    },
  };
}

export function textOf(result: unknown): string {
  const r = result as CallToolResult;
  return r.content
    .filter((c): c is { type: "text"; text: string } => c.type === "text")
    .map((c) => c.text)
    .join("\n");
}

export function structured<T = Record<string, unknown>>(result: unknown): T {
  return (result as CallToolResult).structuredContent as T;
}

export const READ_ONLY_SCOPES: Scope[] = [
  "education.students.read",
  "education.guardians.read",
  "education.grades.read",
  "employees.directory.read",
];

/** Reads a JSON resource through the client and parses its text. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON
export async function readJson<T = any>(client: Client, uri: string): Promise<T> {
  const { contents } = await client.readResource({ uri });
  const first = contents[0];
  if (!first || !("text" in first)) throw new Error(`Resource ${uri} has no text`);
  return JSON.parse(first.text) as T;
}

/** A loopback port free right now (for a child process or a URL that must be known up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * One sandbox and one server connected to it for the tests of the enclosing block: started before
 * them, closed after, the sandbox's request log cleared before each test. Read `.sandbox` and
 * `.mcp` inside tests (they are set once the block starts).
 */
export function sandboxServer<H extends { close(): Promise<void> }>(
  connect: (sandbox: Sandbox) => Promise<H>,
  options: SandboxOptions = {},
): { sandbox: Sandbox; mcp: H } {
  const served = {} as { sandbox: Sandbox; mcp: H };
  beforeAll(async () => {
    served.sandbox = await sandboxWith(options);
    served.mcp = await connect(served.sandbox);
  });
  afterAll(async () => {
    await served.mcp?.close();
    await served.sandbox?.stop();
  });
  beforeEach(() => served.sandbox.clearRequests());
  return served;
}
