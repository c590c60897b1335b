/**
 * A deliberately light MCP client over Streamable HTTP (raw JSON-RPC on an undici pool): the load
 * and session benches need hundreds of clients in the bench's own process, and a heavy client
 * would measure itself instead of the server. It speaks the protocol as the SDK client does:
 * initialize, notifications/initialized, then requests, with the session id when there is one.
 */
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/server";
import type { Dispatcher } from "undici";

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
  ) {
    this.#path = new URL(url).pathname;
  }

  async #post(body: unknown): Promise<RpcAnswer> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      authorization: `Bearer ${this.apiKey}`,
      "mcp-protocol-version": LATEST_PROTOCOL_VERSION,
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

  async initialize(): Promise<void> {
    const answer = await this.#post({
      jsonrpc: "2.0",
      id: this.#nextId++,
      method: "initialize",
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: "bench-light", version: "1.0.0" },
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
    const answer = await this.#post({
      jsonrpc: "2.0",
      id: this.#nextId++,
      method: "tools/call",
      params: { name, arguments: args },
    });
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
