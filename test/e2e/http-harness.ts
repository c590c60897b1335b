/**
 * Helpers for the HTTP end-to-end suites: the server in-process on an ephemeral port, the SDK's
 * own clients over both transports, and raw requests where a test needs control of every header.
 */
import { randomUUID } from "node:crypto";
import { renameSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import type { ClientCapabilities } from "@modelcontextprotocol/client";
import {
  Client,
  LATEST_PROTOCOL_VERSION,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from "@modelcontextprotocol/client";
import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { Installation } from "../../src/installation.js";
import { type Logger, REDACT_PATHS, silentLogger } from "../../src/logger.js";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/index.js";
import type { ServerOptions } from "../../src/server.js";
import type { Tenant } from "../../src/tenant.js";
import { sha256Hex } from "../../src/transport/client-auth.js";
import {
  type HttpLimits,
  type HttpServerArgs,
  type HttpServerHandle,
  startHttpServer,
} from "../../src/transport/http.js";
import type { WebhookSecret } from "../../src/transport/webhook-verify.js";
import { sandboxWith } from "../helpers.js";

export const KEY_A = "test-key-alpha-0123456789abcdef";
export const KEY_B = "test-key-bravo-0123456789abcdef";

export async function installationFor(baseUrl: string, token: string, name: string): Promise<Installation> {
  const installation = new Installation({ baseUrl, token, name, logger: silentLogger() });
  await installation.refreshWhoami();
  return installation;
}

export interface NorthAndSouth {
  sandbox: Sandbox;
  north: Installation;
  south: Installation;
  tenants(): Tenant[];
}

/**
 * A sandbox and two installations of it for the tests of the enclosing block: "north" on the
 * sandbox's first installation, "south" on its second (the first again when there is one only),
 * opened before the tests and closed after. Read the fields inside tests; `tenants()` serves
 * north on KEY_A and south on KEY_B.
 */
export function northAndSouth(options: SandboxOptions = {}): NorthAndSouth {
  const served = {
    tenants: () => [tenant(served.north, KEY_A), tenant(served.south, KEY_B)],
  } as NorthAndSouth;
  beforeAll(async () => {
    served.sandbox = await sandboxWith(options);
    const { baseUrl, token } = served.sandbox;
    served.north = await installationFor(baseUrl, token, "north");
    served.south = await installationFor(baseUrl, options.installations?.[1]?.token ?? token, "south");
  });
  afterAll(async () => {
    await served.north?.close();
    await served.south?.close();
    await served.sandbox?.stop();
  });
  return served;
}

export function tenant(installation: Installation, ...keys: string[]): Tenant {
  return { name: installation.name, installation, apiKeySha256: keys.map(sha256Hex) };
}

/** What a test server serves: tenants by key, one installation and its key, or an installations file. */
export type Served =
  | { tenants: Tenant[] }
  | { installation: Installation; apiKey: string }
  | { installationsFile: string };

export interface ServeOptions {
  stateless?: boolean;
  /** 0 (the default): any free port. */
  port?: number;
  limits?: Partial<HttpLimits>;
  allowedOrigins?: string[];
  onClose?: () => Promise<void>;
  logger?: Logger;
  options?: ServerOptions;
  /** What the server reads instead of process.env (webhook secrets, the API key). */
  env?: HttpServerArgs["env"];
  store?: HttpServerArgs["store"];
  webhooks?: HttpServerArgs["webhooks"];
  watch?: HttpServerArgs["watch"];
}

/** The HTTP server in-process on loopback, with the defaults every suite uses (silent, no guards). */
export async function startServer(served: Served, opts: ServeOptions = {}): Promise<HttpServerHandle> {
  return startHttpServer({
    config: {
      host: "127.0.0.1",
      port: opts.port ?? 0,
      stateless: opts.stateless ?? false,
      allowedHosts: [],
      allowedOrigins: opts.allowedOrigins ?? [],
      ...("installationsFile" in served ? { installationsFile: served.installationsFile } : {}),
    },
    ...("tenants" in served ? { tenants: served.tenants } : {}),
    ...("installation" in served ? { installations: [served.installation], apiKey: served.apiKey } : {}),
    options: opts.options ?? {},
    logger: opts.logger ?? silentLogger(),
    limits: opts.limits,
    onClose: opts.onClose,
    env: opts.env,
    store: opts.store,
    webhooks: opts.webhooks,
    watch: opts.watch,
  });
}

/** Writes a file the way editors and secret mounts do: a new file renamed over the old one. */
export function replaceFile(file: string, content: string): void {
  const tmp = `${file}.tmp-${randomUUID()}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * The HTTP server with one installation, "north" (key KEY_A), from an installations file in
 * `dir` whose token_file `north.token` starts with `token`; the token file is polled every 50 ms.
 */
export async function serveNorthFromTokenFile(
  dir: string,
  token: string,
  baseUrl: string,
  opts: { logger?: Logger; webhookSecrets?: WebhookSecret[] } = {},
): Promise<{ server: HttpServerHandle; tokenFile: string }> {
  const tokenFile = join(dir, "north.token");
  writeFileSync(tokenFile, token);
  const installationsFile = join(dir, "installations.json");
  const north = {
    name: "north",
    token_file: "north.token",
    api_key_sha256: [sha256Hex(KEY_A)],
    base_url: baseUrl,
  };
  writeFileSync(installationsFile, JSON.stringify({ installations: [north] }));
  const server = await startServer(
    { installationsFile },
    {
      logger: opts.logger,
      env: {},
      watch: { pollMs: 50, whoamiIntervalMs: 0 },
      webhooks: opts.webhookSecrets ? { secrets: opts.webhookSecrets, retryDelaysMs: [5] } : undefined,
    },
  );
  return { server, tokenFile };
}

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

export async function connectStreamable(
  handle: HttpServerHandle,
  key: string,
  opts: {
    capabilities?: ClientCapabilities;
    /**
     * Never open the standalone GET stream (many clients do not): the server can then reach the
     * client only on the response stream of a request the client sent.
     */
    noStandaloneStream?: boolean;
  } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(handle.mcpUrl), {
    requestInit: { headers: auth(key) },
    // The SDK treats a 405 to its GET as "this server offers no stream" and carries on without one.
    fetch: opts.noStandaloneStream
      ? (url, init) =>
          init?.method === "GET" ? Promise.resolve(new Response(null, { status: 405 })) : fetch(url, init)
      : undefined,
  });
  const client = new Client(
    { name: "http-test", version: "1.0.0" },
    { capabilities: opts.capabilities ?? {} },
  );
  await client.connect(transport);
  return client;
}

/** The 2026-07-28 revision, what a negotiating v2 client must end up on. */
export const MODERN_PROTOCOL_VERSION = "2026-07-28";

/**
 * A v2 client that negotiates (`versionNegotiation: auto`): on this server it speaks 2026-07-28,
 * with no session. Tests assert the negotiated version themselves.
 */
export async function connectModern(
  handle: Pick<HttpServerHandle, "mcpUrl">,
  key: string,
  opts: { capabilities?: ClientCapabilities; fetch?: typeof fetch } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(handle.mcpUrl), {
    requestInit: { headers: auth(key) },
    fetch: opts.fetch,
  });
  const client = new Client(
    { name: "http-test-modern", version: "1.0.0" },
    { capabilities: opts.capabilities ?? {}, versionNegotiation: { mode: "auto" } },
  );
  await client.connect(transport);
  return client;
}

export async function connectSse(
  handle: HttpServerHandle,
  key: string,
  opts: { capabilities?: ClientCapabilities } = {},
): Promise<Client> {
  // requestInit headers go on both the stream request and every POST (the SDK merges them).
  const transport = new SSEClientTransport(new URL(handle.sseUrl), { requestInit: { headers: auth(key) } });
  const client = new Client(
    { name: "http-test-sse", version: "1.0.0" },
    { capabilities: opts.capabilities ?? {} },
  );
  await client.connect(transport);
  return client;
}

export function sessionIdOf(client: Client): string | undefined {
  return (client.transport as StreamableHTTPClientTransport | undefined)?.sessionId;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: () => {
    jsonrpc?: string;
    error?: { code: number; message: string };
    id?: unknown;
    [k: string]: unknown;
  };
}

/** A request with exactly these headers (fetch will not send a foreign Host). */
export function raw(
  handle: HttpServerHandle,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: handle.port,
        method: options.method ?? "POST",
        path: options.path ?? "/mcp",
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (options.body !== undefined) req.end(options.body);
    else req.end();
  });
}

export const MCP_HEADERS = {
  "Content-Type": "application/json",
  Accept: "application/json, text/event-stream",
};

/** Headers for a raw request inside a client's session (to see the HTTP answer itself). */
export function sessionHeaders(client: Client, key: string): Record<string, string> {
  return {
    ...MCP_HEADERS,
    Authorization: `Bearer ${key}`,
    "Mcp-Session-Id": sessionIdOf(client) ?? "",
    "Mcp-Protocol-Version": LATEST_PROTOCOL_VERSION,
  };
}

export function initializeBody(id = 1): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id,
    method: "initialize",
    params: {
      protocolVersion: LATEST_PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "raw", version: "1" },
    },
  });
}

export function rpc(method: string, params: Record<string, unknown> = {}, id = 2): string {
  return JSON.stringify({ jsonrpc: "2.0", id, method, params });
}

/** Polls until `check` holds (or fails after `ms`): waits on a condition, never on a fixed sleep. */
export async function waitFor(check: () => boolean, ms = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function expectRpcError(res: RawResponse, status: number, code?: number): void {
  if (res.status !== status) throw new Error(`expected ${status}, got ${res.status}: ${res.body}`);
  const body = res.json();
  if (body.jsonrpc !== "2.0" || body.id !== null || typeof body.error?.message !== "string") {
    throw new Error(`not a JSON-RPC error body: ${res.body}`);
  }
  if (code !== undefined && body.error.code !== code)
    throw new Error(`expected code ${code}, got ${body.error.code}`);
  if (/\bat .+:\d+:\d+/.test(res.body)) throw new Error(`a stack leaked: ${res.body}`);
}

/** Ends the client's session with DELETE, as a well-behaved client does when it is done. */
export async function terminate(client: Client): Promise<void> {
  await (client.transport as StreamableHTTPClientTransport).terminateSession();
}

/** A debug-level logger that keeps every line, to check what the server would print. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    { level: "debug", redact: { paths: REDACT_PATHS, censor: "[redacted]" } },
    { write: (line: string) => void lines.push(line) },
  );
  return { logger, lines };
}
