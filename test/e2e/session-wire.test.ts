/**
 * The 2025 session wire, side by side: the same raw exchanges sent to this server (its own
 * session transport, src/transport/session-transport.ts) and to a plain SDK server on the SDK's
 * `NodeStreamableHTTPServerTransport`, one session each. Whatever the transport decides (statuses,
 * JSON-RPC error codes and texts, SSE framing, which answers a stream carries, when it ends) must
 * be the same; only what this server adds in front (auth, CORS) is left out of the comparison.
 */
import { randomUUID } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { LATEST_PROTOCOL_VERSION, McpServer } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import {
  initializeBody,
  KEY_A,
  MCP_HEADERS,
  northAndSouth,
  rpc,
  startServer,
  waitFor,
} from "./http-harness.js";

const served = northAndSouth({
  installations: [{ token: "sbx_wire_token_0001", scopes: ALL_SCOPES, tenantId: 42 }],
});

/** The SDK's own: one McpServer and Node transport per session, nothing in front. */
async function sdkServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const http: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    const id = req.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    if (!transport) {
      const created = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, created),
      });
      await new McpServer({ name: "sdk", version: "1.0.0" }).connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

interface Exchange {
  status: number;
  contentType: string | undefined;
  sessionHeader: boolean;
  /** A JSON error body's code and message, or each SSE frame (comments dropped) as sent. */
  body: unknown;
}

/** Sends one request; a stream that stays open (`keepOpen`) is read only up to its headers. */
function exchange(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
  keepOpen = false,
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const base = {
        status: res.statusCode ?? 0,
        contentType: res.headers["content-type"]?.split(";")[0],
        sessionHeader: typeof res.headers["mcp-session-id"] === "string",
      };
      if (keepOpen && res.statusCode === 200) {
        resolve({ ...base, body: "open" });
        res.destroy();
        return;
      }
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        text += chunk;
      });
      res.on("end", () => resolve({ ...base, body: shapeOf(base.contentType, text) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

function shapeOf(contentType: string | undefined, text: string): unknown {
  if (contentType === "application/json") {
    const { error } = JSON.parse(text) as { error?: { code: number; message: string } };
    return error ? { code: error.code, message: error.message } : JSON.parse(text);
  }
  if (contentType === "text/event-stream")
    return text
      .split("\n\n")
      .filter((frame) => frame && !frame.startsWith(":"))
      .map((frame) => {
        const [event, data] = frame.split("\n");
        const message = JSON.parse(data!.replace(/^data: /, "")) as { id?: unknown; result?: unknown };
        // Results differ by server (their tools); what the wire carries is which id and what kind.
        return { event, id: message.id, kind: "result" in message ? "result" : "error" };
      });
  return text;
}

/** One session on a server, and a way to talk inside it. */
async function sessionOn(url: string, auth: Record<string, string>) {
  const opened = await new Promise<string>((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: "POST", headers: { ...MCP_HEADERS, ...auth }, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(String(res.headers["mcp-session-id"])));
      },
    );
    req.on("error", reject);
    req.end(initializeBody());
  });
  const headers = {
    ...MCP_HEADERS,
    ...auth,
    "Mcp-Session-Id": opened,
    "Mcp-Protocol-Version": LATEST_PROTOCOL_VERSION,
  };
  await exchange(
    url,
    "POST",
    headers,
    JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
  );
  return {
    post: (body: string, extra: Record<string, string> = {}) =>
      exchange(url, "POST", { ...headers, ...extra }, body),
    get: (extra: Record<string, string> = {}) =>
      exchange(url, "GET", { ...headers, Accept: "text/event-stream", ...extra }, undefined, true),
    remove: () => exchange(url, "DELETE", headers),
    /** Opens the standalone stream and keeps it open (once its headers arrived); gives its closer. */
    hold: () =>
      new Promise<() => void>((resolve, reject) => {
        const req = httpRequest(
          url,
          { method: "GET", headers: { ...headers, Accept: "text/event-stream" }, agent: false },
          (res) => {
            expect(res.statusCode).toBe(200);
            resolve(() => req.destroy());
          },
        );
        req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
        req.end();
      }),
  };
}

describe("the 2025 session wire is the SDK transport's", () => {
  let ours: HttpServerHandle;
  let sdk: Awaited<ReturnType<typeof sdkServer>>;
  beforeAll(async () => {
    ours = await startServer({ installation: served.north, apiKey: KEY_A });
    sdk = await sdkServer();
  });
  afterAll(async () => {
    await ours?.close();
    await sdk?.close();
  });

  /** The same steps in a fresh session on each server; their exchanges, step by step. */
  async function bothSay(
    steps: (session: Awaited<ReturnType<typeof sessionOn>>) => Promise<Exchange[]>,
  ): Promise<Exchange[]> {
    const [mine, theirs] = await Promise.all([
      sessionOn(ours.mcpUrl, { Authorization: `Bearer ${KEY_A}` }).then(steps),
      sessionOn(sdk.url, {}).then(steps),
    ]);
    expect(mine).toEqual(theirs);
    return mine;
  }

  it("answers requests on a stream that ends with the last answer; notifications 202", async () => {
    const said = await bothSay(async (s) => [
      await s.post(rpc("ping", {}, 7)),
      await s.post(
        JSON.stringify([JSON.parse(rpc("ping", {}, 8)), { jsonrpc: "2.0", id: "nine", method: "ping" }]),
      ),
      await s.post(JSON.stringify({ jsonrpc: "2.0", method: "notifications/roots/list_changed" })),
      // An unknown method is the server's answer (-32601) on the stream, not an HTTP refusal.
      await s.post(rpc("no/such/method", {}, 10)),
    ]);
    expect(said[0]).toEqual({
      status: 200,
      contentType: "text/event-stream",
      sessionHeader: true,
      body: [{ event: "event: message", id: 7, kind: "result" }],
    });
    expect(said[1]?.body).toHaveLength(2);
    expect(said[2]?.status).toBe(202);
    expect(said[3]?.body).toEqual([{ event: "event: message", id: 10, kind: "error" }]);
  });

  it("answers each request of a batch on its stream, a repeated id each time, and ends with the last", async () => {
    const batch = [1, 1, 2].map((id) => JSON.parse(rpc("ping", {}, id)));
    const said = await bothSay(async (s) => [await s.post(JSON.stringify(batch))]);
    expect(said[0]?.body).toEqual([
      { event: "event: message", id: 1, kind: "result" },
      { event: "event: message", id: 1, kind: "result" },
      { event: "event: message", id: 2, kind: "result" },
    ]);
  });

  it("refuses a second initialize, an initialize in a batch and an unsupported protocol version", async () => {
    const said = await bothSay(async (s) => [
      await s.post(initializeBody(3)),
      await s.post(JSON.stringify([JSON.parse(initializeBody(4)), JSON.parse(rpc("ping", {}, 5))])),
      await s.post(rpc("ping", {}, 6), { "Mcp-Protocol-Version": "1999-01-01" }),
    ]);
    expect(said.map((e) => e.status)).toEqual([400, 400, 400]);
    expect(said[0]?.body).toEqual({ code: -32600, message: "Invalid Request: Server already initialized" });
    expect(said[2]?.body).toMatchObject({
      code: -32000,
      message: expect.stringContaining("Unsupported protocol version: 1999-01-01"),
    });
  });

  it("allows one standalone GET stream per session (409 for a second), and DELETE ends the session", async () => {
    const said = await bothSay(async (s) => {
      const first = await s.get();
      // The first stream is closed by now (destroyed after its headers): another may open.
      const again = await s.get();
      return [first, again, await s.remove(), await s.post(rpc("ping", {}, 11))];
    });
    expect(said[0]).toMatchObject({ status: 200, contentType: "text/event-stream", sessionHeader: true });
    expect(said[2]?.status).toBe(200);
    expect(said[3]).toMatchObject({ status: 404, body: { code: -32001, message: "Session not found" } });
  });

  /**
   * Where this transport parts from the SDK's on purpose: a request the client cancelled is never
   * answered (the spec says so, and the SDK's server does not), so the SDK leaves its stream open,
   * keep-alives and all, for as long as the client holds it (a 2025 SDK client holds it until its
   * transport closes): a connection per cancelled or timed-out call. Here it ends, empty.
   */
  it("ends the stream of a request the client cancelled, and counts it in flight no more", async () => {
    served.sandbox.injectFaults({ kind: "delay", delayMs: 1_500, match: { tool: "get_student" } });
    const s = await sessionOn(ours.mcpUrl, { Authorization: `Bearer ${KEY_A}` });
    const call = s.post(rpc("tools/call", { name: "get_student", arguments: { id: 3 } }, 21));
    await waitFor(() => served.sandbox.faultsPending === 0, 15_000, "the call to reach the sandbox");
    expect(ours.inFlight()).toBe(1);
    const cancelled = { jsonrpc: "2.0", method: "notifications/cancelled", params: { requestId: 21 } };
    expect((await s.post(JSON.stringify(cancelled))).status).toBe(202);
    expect(await call).toEqual({
      status: 200,
      contentType: "text/event-stream",
      sessionHeader: true,
      body: [],
    });
    await waitFor(() => ours.inFlight() === 0, 15_000, "the cancelled call to leave the in-flight count");
    await s.remove();
  });

  it("refuses a second GET stream while the first is open", async () => {
    await bothSay(async (s) => {
      const close = await s.hold();
      try {
        return [await s.get()];
      } finally {
        close();
      }
    }).then(([second]) =>
      expect(second).toEqual({
        status: 409,
        contentType: "application/json",
        sessionHeader: false,
        body: { code: -32000, message: "Conflict: Only one SSE stream is allowed per session" },
      }),
    );
  });
});
