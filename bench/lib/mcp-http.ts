/**
 * A deliberately light MCP client over Streamable HTTP (raw JSON-RPC on an undici pool): the load
 * and session benches need hundreds of clients in the bench's own process, and a heavy client
 * would measure itself instead of the server. It speaks the protocol as the SDK client does. The
 * 2025 era: initialize, notifications/initialized, then requests, with the session id when there is
 * one. The 2026-07-28 era: a `server/discover` probe, then requests that each carry the `_meta`
 * envelope and the `Mcp-Method` / `Mcp-Name` headers, no session.
 */
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/server";
import type { Dispatcher } from "undici";

export type Era = "legacy" | "modern";
const MODERN_VERSION = "2026-07-28";
const CLIENT_INFO = { name: "bench-light", version: "1.0.0" };

/** The server did not answer a 2026-07-28 `server/discover`: it does not serve that era (yet). */
export class NotModernError extends Error {}

export interface RpcAnswer {
  status: number;
  /** The JSON-RPC response (from a JSON body or the SSE stream), if any. */
  message?: { id?: unknown; result?: Record<string, unknown>; error?: unknown };
  sessionId?: string;
}

/** The JSON-RPC answer inside an SSE body (the first `data:` event that carries an id). */
export function parseSseOrJson(text: string): RpcAnswer["message"] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) return JSON.parse(trimmed);
  for (const line of text.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (!data) continue;
    const message = JSON.parse(data);
    if (message && message.id !== undefined) return message;
  }
  return undefined;
}

export class LightMcpClient {
  sessionId: string | undefined;
  #nextId = 1;
  readonly #path: string;

  constructor(
    private readonly pool: Dispatcher,
    url: string,
    private readonly apiKey: string,
    private readonly era: Era = "legacy",
  ) {
    this.#path = new URL(url).pathname;
  }

  async #post(body: unknown, extraHeaders: Record<string, string> = {}): Promise<RpcAnswer> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${this.apiKey}`,
      "mcp-protocol-version": this.era === "modern" ? MODERN_VERSION : LATEST_PROTOCOL_VERSION,
      ...extraHeaders,
    };
    if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
    const res = await this.pool.request({
      method: "POST",
      path: this.#path,
      headers,
      body: JSON.stringify(body),
    });
    const text = await res.body.text();
    const sid = res.headers["mcp-session-id"];
    return {
      status: res.statusCode,
      message: text ? parseSseOrJson(text) : undefined,
      sessionId: typeof sid === "string" ? sid : undefined,
    };
  }

  /** A 2026 request: the envelope in `_meta`, the method (and tool) mirrored in headers. */
  #modern(method: string, params: Record<string, unknown>, name?: string): Promise<RpcAnswer> {
    const _meta = {
      "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
      "io.modelcontextprotocol/clientInfo": CLIENT_INFO,
      "io.modelcontextprotocol/clientCapabilities": {},
    };
    const headers: Record<string, string> = { "mcp-method": method };
    if (name) headers["mcp-name"] = name;
    return this.#post({ jsonrpc: "2.0", id: this.#nextId++, method, params: { ...params, _meta } }, headers);
  }

  /** Connects: initialize on 2025; on 2026 a discover probe that must offer 2026-07-28. */
  async initialize(): Promise<void> {
    if (this.era === "modern") {
      const answer = await this.#modern("server/discover", {});
      const versions = answer.message?.result?.supportedVersions;
      if (answer.status !== 200 || !Array.isArray(versions) || !versions.includes(MODERN_VERSION)) {
        throw new NotModernError(
          `server/discover answered ${answer.status}: ${JSON.stringify(answer.message)?.slice(0, 200)}`,
        );
      }
      return;
    }
    const answer = await this.#post({
      jsonrpc: "2.0",
      id: this.#nextId++,
      method: "initialize",
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: CLIENT_INFO,
      },
    });
    if (answer.status !== 200 || !answer.message?.result) {
      throw new Error(`initialize answered ${answer.status}: ${JSON.stringify(answer.message)}`);
    }
    this.sessionId = answer.sessionId;
    const note = await this.#post({ jsonrpc: "2.0", method: "notifications/initialized" });
    if (note.status !== 202) throw new Error(`notifications/initialized answered ${note.status}`);
  }

  /** One tool call; throws on any HTTP, JSON-RPC or tool error. */
  async callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const params = { name, arguments: args };
    const answer =
      this.era === "modern"
        ? await this.#modern("tools/call", params, name)
        : await this.#post({ jsonrpc: "2.0", id: this.#nextId++, method: "tools/call", params });
    const result = answer.message?.result;
    if (answer.status !== 200 || !result) {
      throw new Error(
        `tools/call answered ${answer.status}: ${JSON.stringify(answer.message)?.slice(0, 300)}`,
      );
    }
    if (result.isError) throw new Error(`tool error: ${JSON.stringify(result.content)?.slice(0, 300)}`);
    return result;
  }
}
