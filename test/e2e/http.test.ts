/**
 * End to end over HTTP: the server in-process on loopback, the SDK's own clients over Streamable
 * HTTP and legacy SSE, and the sandbox behind it with two tenants (42: all scopes, the big demo
 * school; 7: read-only, a small school).
 */
import { connect } from "node:net";
import type { Client } from "@modelcontextprotocol/client";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { VERSION } from "../../src/version.js";
import { READ_ONLY_SCOPES, structured, textOf } from "../helpers.js";
import {
  capturingLogger,
  connectModern,
  connectSse,
  connectStreamable,
  expectRpcError,
  initializeBody,
  KEY_A,
  KEY_B,
  MCP_HEADERS,
  northAndSouth,
  raw,
  rpc,
  sessionHeaders,
  sessionIdOf,
  startServer,
  terminate,
  waitFor,
} from "./http-harness.js";

const SOUTH_TENANT = 7;
const served = northAndSouth({
  installations: [
    { token: "sbx_north_token_0001", scopes: ALL_SCOPES, tenantId: 42 },
    { token: "sbx_south_token_0002", scopes: READ_ONLY_SCOPES, tenantId: SOUTH_TENANT },
  ],
});

type Page = { total: number; data: { id: number }[] };

describe("one installation, stateful", () => {
  let server: HttpServerHandle;
  const log = capturingLogger();
  beforeAll(async () => {
    server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { limits: { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 400 }, logger: log.logger },
    );
  });
  afterAll(async () => {
    await server?.close();
    // Everything the suite made the server log (debug level): never the key or the platform token.
    const all = log.lines.join("");
    expect(all).toContain('"msg":"http request"');
    expect(all).toContain('"msg":"session opened"');
    expect(all).not.toContain(KEY_A);
    expect(all).not.toContain("sbx_north_token_0001");
  });

  it("accepts older protocol versions the SDK supports", async () => {
    const key = { Authorization: `Bearer ${KEY_A}` };
    const init = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "old", version: "1" } },
    });
    const res = await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: init });
    expect(res.status).toBe(200);
    expect(res.body).toContain('"protocolVersion":"2025-03-26"');
    const id = String(res.headers["mcp-session-id"]);
    const del = await raw(server, { method: "DELETE", headers: { ...key, "Mcp-Session-Id": id } });
    expect(del.status).toBe(200);
  });

  it("serves Streamable HTTP at /mcp: initialize, list, call, with a session", async () => {
    const client = await connectStreamable(server, KEY_A);
    try {
      expect(client.getServerVersion()?.name).toBe("okta-partners-mcp");
      expect(sessionIdOf(client)).toMatch(/^[0-9a-f-]{36}$/);
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(22);
      const result = await client.callTool({ name: "list_students", arguments: { per_page: 2 } });
      expect(result.isError, textOf(result)).toBeFalsy();
      expect(structured<Page>(result).total).toBe(1242);
      expect(server.sessionCount()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it("serves legacy HTTP+SSE at /sse and /messages", async () => {
    const client = await connectSse(server, KEY_A);
    try {
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(22);
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(structured<{ tenant_id: number }>(who).tenant_id).toBe(42);
    } finally {
      await client.close();
    }
  });

  it("names a legacy SSE session in an Mcp-Session-Id header, as its endpoint event does (a balancer sticks on it)", async () => {
    const stream = new AbortController();
    const res = await fetch(server.sseUrl, {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${KEY_A}` },
      signal: stream.signal,
    });
    try {
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let text = "";
      // Until the endpoint event, or the end of the stream (then the expectations below fail).
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        text += new TextDecoder().decode(chunk.value);
        if (text.includes("sessionId=")) break;
      }
      const fromEvent = /sessionId=([0-9a-f-]+)/.exec(text)?.[1];
      expect(fromEvent).toBeTruthy();
      expect(res.headers.get("mcp-session-id")).toBe(fromEvent);
    } finally {
      stream.abort();
    }
  });

  it("ends a session on DELETE; its id is then unknown (404)", async () => {
    const client = await connectStreamable(server, KEY_A);
    const id = sessionIdOf(client)!;
    const before = server.sessionCount();
    await terminate(client);
    expect(server.sessionCount()).toBe(before - 1);
    const res = await raw(server, {
      headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_A}`, "Mcp-Session-Id": id },
      body: rpc("tools/list"),
    });
    expectRpcError(res, 404, -32001);
    await client.close();
  });

  it("answers /healthz without a key, with status and version only", async () => {
    const res = await raw(server, { method: "GET", path: "/healthz" });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: "ok", version: VERSION });
  });

  it("401 with WWW-Authenticate and a JSON-RPC body without a key or with a wrong one; no session made", async () => {
    const before = server.sessionCount();
    const none = await raw(server, { headers: MCP_HEADERS, body: initializeBody() });
    expectRpcError(none, 401);
    expect(none.headers["www-authenticate"]).toMatch(/^Bearer /);
    const wrong = await raw(server, {
      headers: { ...MCP_HEADERS, Authorization: "Bearer not-the-key-0123456789" },
      body: initializeBody(),
    });
    expectRpcError(wrong, 401);
    expect(wrong.headers["www-authenticate"]).toContain('error="invalid_token"');
    const sse = await raw(server, { method: "GET", path: "/sse", headers: { Accept: "text/event-stream" } });
    expectRpcError(sse, 401);
    const messages = await raw(server, {
      path: "/messages?sessionId=x",
      headers: { "Content-Type": "application/json" },
      body: "{}",
    });
    expectRpcError(messages, 401);
    // The platform token is not an API key here: a client cannot use it to get in.
    const platform = await raw(server, {
      headers: { ...MCP_HEADERS, Authorization: "Bearer sbx_north_token_0001" },
      body: initializeBody(),
    });
    expectRpcError(platform, 401);
    expect(server.sessionCount()).toBe(before);
    await expect(connectStreamable(server, "wrong-key-0123456789abcdef")).rejects.toThrow(/Unauthorized|401/);
    await expect(connectSse(server, "wrong-key-0123456789abcdef")).rejects.toThrow();
    expect(server.sessionCount()).toBe(before);
  });

  it("403 on a foreign Origin or Host even with the key; loopback origins pass", async () => {
    const headers = { ...MCP_HEADERS, Authorization: `Bearer ${KEY_A}` };
    expectRpcError(
      await raw(server, { headers: { ...headers, Origin: "https://evil.example" }, body: initializeBody() }),
      403,
    );
    expectRpcError(
      await raw(server, { headers: { ...headers, Origin: "null" }, body: initializeBody() }),
      403,
    );
    expectRpcError(
      await raw(server, { headers: { ...headers, Host: "evil.example" }, body: initializeBody() }),
      403,
    );
    expectRpcError(
      await raw(server, {
        headers: { ...headers, Host: `attacker.test:${server.port}` },
        body: initializeBody(),
      }),
      403,
    );
    const local = await raw(server, {
      headers: { ...headers, Origin: "http://localhost:5173" },
      body: initializeBody(),
    });
    expect(local.status).toBe(200);
    expect(local.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(local.headers["mcp-session-id"]).toBeTruthy();
    // Clean the raw session up.
    await raw(server, {
      method: "DELETE",
      headers: { ...headers, "Mcp-Session-Id": String(local.headers["mcp-session-id"]) },
    });
  });

  it("bad input: the right status and a JSON-RPC error body, never a stack", async () => {
    const key = { Authorization: `Bearer ${KEY_A}` };
    const before = server.sessionCount();
    expectRpcError(
      await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: "{not json" }),
      400,
      -32700,
    );
    expectRpcError(
      await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: '{"hello":"world"}' }),
      400,
      -32600,
    );
    expectRpcError(
      await raw(server, {
        headers: { ...MCP_HEADERS, ...key, "Content-Type": "text/plain" },
        body: initializeBody(),
      }),
      415,
    );
    expectRpcError(
      await raw(server, { headers: { ...key, "Content-Type": "application/json" }, body: initializeBody() }),
      406,
    );
    expectRpcError(
      await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: Buffer.alloc(64 * 1024 + 1, 0x20) }),
      413,
    );
    // A request that is not initialize, without a session: 400; an unknown session: 404.
    expectRpcError(await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: rpc("tools/list") }), 400);
    expectRpcError(
      await raw(server, {
        headers: { ...MCP_HEADERS, ...key, "Mcp-Session-Id": "00000000-0000-4000-8000-000000000000" },
        body: rpc("tools/list"),
      }),
      404,
      -32001,
    );
    expectRpcError(await raw(server, { method: "GET", path: "/sse/../nowhere", headers: key }), 404);
    // Found by the fuzzer: URL parsing resolves "/%2e%2e/mcp" to "/mcp"; routes match the path as sent.
    for (const path of ["/%2e%2e/mcp", "/x/../mcp", "/mcp/", "//mcp"]) {
      expectRpcError(
        await raw(server, { path, headers: { ...MCP_HEADERS, ...key }, body: initializeBody() }),
        404,
      );
    }
    expectRpcError(
      await raw(server, { method: "PUT", headers: { ...MCP_HEADERS, ...key }, body: "{}" }),
      405,
    );
    expect(server.sessionCount()).toBe(before);
  });

  it("a slow client gets 408 while another session keeps working", async () => {
    const client = await connectStreamable(server, KEY_A);
    try {
      const { request } = await import("node:http");
      const slow = new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: "127.0.0.1",
            port: server.port,
            method: "POST",
            path: "/mcp",
            headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_A}`, "Content-Length": "5000" },
          },
          (res) => {
            let body = "";
            res.on("data", (c) => {
              body += c;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on("error", reject);
        req.write('{"jsonrpc":"2.0",'); // ...and never the rest
      });
      const meanwhile = await client.callTool({ name: "list_grades", arguments: {} });
      expect(meanwhile.isError).toBeFalsy();
      const answer = await slow;
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body).error.message).toContain("Request Timeout");
      expect((await client.listTools()).tools).toHaveLength(22);
    } finally {
      await client.close();
    }
  });
});

describe("two installations at once, each bound to its own keys", () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startServer({ tenants: served.tenants() });
  });
  afterAll(() => server?.close());

  it("interleaved calls each see only their own tenant's tools and data, over both transports", async () => {
    const [a, b, bSse] = await Promise.all([
      connectStreamable(server, KEY_A),
      connectStreamable(server, KEY_B),
      connectSse(server, KEY_B),
    ]);
    try {
      const [toolsA, toolsB, toolsBSse] = await Promise.all([a.listTools(), b.listTools(), bSse.listTools()]);
      expect(toolsA.tools).toHaveLength(22);
      const readOnly = [
        "whoami",
        "list_students",
        "get_student",
        "list_guardians",
        "get_guardian",
        "list_grades",
        "list_employees",
        "get_employee",
      ];
      expect(toolsB.tools.map((t) => t.name).sort()).toEqual(readOnly.sort());
      expect(toolsBSse.tools.map((t) => t.name).sort()).toEqual(readOnly.sort());

      const calls = await Promise.all(
        [a, b, bSse, a, b].map((c) => c.callTool({ name: "list_students", arguments: { per_page: 1 } })),
      );
      const totals = calls.map((r) => structured<Page>(r).total);
      expect(totals[0]).toBe(1242);
      expect(totals[1]).not.toBe(1242);
      expect(totals).toEqual([totals[0], totals[1], totals[1], totals[0], totals[1]]);
      const whoA = structured<{ tenant_id: number }>(await a.callTool({ name: "whoami", arguments: {} }));
      const whoB = structured<{ tenant_id: number }>(await bSse.callTool({ name: "whoami", arguments: {} }));
      expect([whoA.tenant_id, whoB.tenant_id]).toEqual([42, SOUTH_TENANT]);

      served.sandbox.clearRequests();
      const denied = await b
        .callTool({ name: "create_student", arguments: { full_name: "X" } })
        .catch((e: Error) => e);
      expect(denied instanceof Error ? denied.message : textOf(denied)).toContain(
        "Unknown tool: create_student",
      );
      expect(served.sandbox.requests.filter((r) => r.method !== "GET")).toHaveLength(0);
    } finally {
      await Promise.all([a.close(), b.close(), bSse.close()]);
    }
  });

  it("refuses a session id presented with another key (as unknown), and the owner is unaffected", async () => {
    const a = await connectStreamable(server, KEY_A);
    const aSse = await connectSse(server, KEY_A);
    try {
      const stolen = sessionIdOf(a)!;
      const hijack = await raw(server, {
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_B}`, "Mcp-Session-Id": stolen },
        body: rpc("tools/call", { name: "list_students", arguments: {} }),
      });
      expectRpcError(hijack, 404, -32001);
      const hijackGet = await raw(server, {
        method: "GET",
        headers: { Accept: "text/event-stream", Authorization: `Bearer ${KEY_B}`, "Mcp-Session-Id": stolen },
      });
      expectRpcError(hijackGet, 404);
      const hijackDelete = await raw(server, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${KEY_B}`, "Mcp-Session-Id": stolen },
      });
      expectRpcError(hijackDelete, 404);

      // The legacy transport: its session id travels in the URL; still refused to another key.
      const sseIds = server.sessionCount();
      expect(sseIds).toBeGreaterThanOrEqual(2);
      const sseSession = (aSse.transport as unknown as { _endpoint?: URL })._endpoint?.searchParams.get(
        "sessionId",
      );
      expect(sseSession).toBeTruthy();
      const hijackSse = await raw(server, {
        path: `/messages?sessionId=${sseSession}`,
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${KEY_B}` },
        body: rpc("tools/list"),
      });
      expectRpcError(hijackSse, 404);

      expect((await a.listTools()).tools).toHaveLength(22);
      expect((await aSse.listTools()).tools).toHaveLength(22);
    } finally {
      await Promise.all([a.close(), aSse.close()]);
    }
  });
});

describe("stateless", () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startServer({ tenants: served.tenants() }, { stateless: true });
  });
  afterAll(() => server?.close());

  it("serves each POST with a fresh server: no session id, nothing kept", async () => {
    const [a, b] = await Promise.all([connectStreamable(server, KEY_A), connectStreamable(server, KEY_B)]);
    try {
      expect(sessionIdOf(a)).toBeUndefined();
      expect((await a.listTools()).tools).toHaveLength(22);
      expect((await b.listTools()).tools).toHaveLength(8);
      const result = await a.callTool({ name: "list_students", arguments: { per_page: 1 } });
      expect(structured<Page>(result).total).toBe(1242);
      expect(server.sessionCount()).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it("answers 405 to GET/DELETE, 404 to legacy SSE, and 401 without a key", async () => {
    const key = { Authorization: `Bearer ${KEY_A}` };
    expectRpcError(
      await raw(server, { method: "GET", headers: { ...key, Accept: "text/event-stream" } }),
      405,
    );
    expectRpcError(await raw(server, { method: "DELETE", headers: key }), 405);
    expectRpcError(await raw(server, { method: "GET", path: "/sse", headers: key }), 404);
    expectRpcError(await raw(server, { headers: MCP_HEADERS, body: rpc("tools/list") }), 401);
    const list = await raw(server, { headers: { ...MCP_HEADERS, ...key }, body: rpc("tools/list") });
    expect(list.status).toBe(200);
    expect(list.body).toContain("list_students");
  });

  it("serves a batch mixing a tool call with a resource read and a prompt (no tools-only server for it)", async () => {
    // A request of tool calls alone gets a server with the tools alone (server.ts); one that also
    // reads a resource or gets a prompt must get the whole server, or those would be unknown methods.
    const batch = JSON.stringify([
      JSON.parse(rpc("tools/call", { name: "get_student", arguments: { id: 3 } }, 1)),
      JSON.parse(rpc("resources/read", { uri: "okta://scopes" }, 2)),
      JSON.parse(rpc("prompts/get", { name: "contact_guardian", arguments: { student: "Sara" } }, 3)),
    ]);
    const res = await raw(server, {
      headers: {
        ...MCP_HEADERS,
        Authorization: `Bearer ${KEY_A}`,
        "Mcp-Protocol-Version": LATEST_PROTOCOL_VERSION,
      },
      body: batch,
    });
    expect(res.status).toBe(200);
    const answers = res.body
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .flatMap((line) => [JSON.parse(line.slice(5))].flat()) as Array<{
      id: number;
      result?: unknown;
      error?: unknown;
    }>;
    expect(answers.map((a) => a.id).sort()).toEqual([1, 2, 3]);
    for (const answer of answers) expect(answer.error, JSON.stringify(answer)).toBeUndefined();
  });
});

describe("limits", () => {
  // The caps (per key, in total, both transports; room made or 503 when all are busy): http-backend.test.ts.
  it("closes idle sessions (both transports); a busy one stays", async () => {
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { limits: { sessionIdleMs: 500 } },
    );
    try {
      const idle = await connectStreamable(server, KEY_A);
      const idleSse = await connectSse(server, KEY_A);
      const busy = await connectStreamable(server, KEY_A);
      const idleId = sessionIdOf(idle)!;
      expect(server.sessionCount()).toBe(3);
      // Keep one session busy with a call that lasts longer than the idle timeout.
      served.sandbox.injectFaults({ kind: "delay", delayMs: 1_500, match: { tool: "list_grades" } });
      const long = busy.callTool({ name: "list_grades", arguments: {} });
      await waitFor(() => server.sessionCount() === 1, 15_000, "idle sessions to close");
      expect((await long).isError).toBeFalsy();
      const gone = await raw(server, {
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_A}`, "Mcp-Session-Id": idleId },
        body: rpc("tools/list"),
      });
      expectRpcError(gone, 404);
      await Promise.all([idle.close(), idleSse.close(), busy.close()]);
    } finally {
      await server.close();
    }
  });

  it("rate limits tool calls per key: 429 with Retry-After; other keys unaffected", async () => {
    const server = await startServer(
      { tenants: served.tenants() },
      { limits: { requestsPerMinute: 6, requestBurst: 2 } },
    );
    const a = await connectStreamable(server, KEY_A);
    const b = await connectSse(server, KEY_B);
    try {
      await a.callTool({ name: "whoami", arguments: {} });
      await a.callTool({ name: "whoami", arguments: {} });
      await expect(a.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/Too Many Requests/);
      // Listing is not a tool call: still served.
      expect((await a.listTools()).tools).toHaveLength(22);
      const limited = await raw(server, {
        headers: sessionHeaders(a, KEY_A),
        body: rpc("tools/call", { name: "whoami", arguments: {} }, 99),
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(limited.json()).toMatchObject({ jsonrpc: "2.0", id: 99, error: { code: -32000 } });
      // Key B has its own budget, over the legacy transport too.
      const two = await Promise.all([
        b.callTool({ name: "whoami", arguments: {} }),
        b.callTool({ name: "whoami", arguments: {} }),
      ]);
      expect(two.every((r) => !r.isError)).toBe(true);
      await expect(b.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/Too Many Requests|429/);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await server.close();
    }
  });
});

describe("graceful shutdown", () => {
  it("lets calls in flight finish over both transports, refuses new work, then closes everything", async () => {
    let onCloseCalled = false;
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      {
        onClose: async () => {
          onCloseCalled = true;
        },
      },
    );
    const streamable = await connectStreamable(server, KEY_A);
    const sse = await connectSse(server, KEY_A);
    served.sandbox.clearRequests();
    served.sandbox.injectFaults(
      { kind: "delay", delayMs: 600, match: { tool: "list_students" } },
      { kind: "delay", delayMs: 600, match: { tool: "list_students" } },
    );
    const calls = [streamable, sse].map((c) =>
      c.callTool({ name: "list_students", arguments: { per_page: 3 } }),
    );
    await waitFor(() => server.inFlight() === 2, 15_000, "both calls in flight");
    const closed = server.close();
    // No new work while draining: a new client cannot get in.
    await expect(connectStreamable(server, KEY_A)).rejects.toThrow();
    expect(server.inFlight()).toBe(2);
    const results = await Promise.all(calls);
    for (const r of results) {
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(structured<Page>(r).data).toHaveLength(3);
    }
    await closed;
    expect(onCloseCalled).toBe(true);
    expect(server.sessionCount()).toBe(0);
    await expect(raw(server, { method: "GET", path: "/healthz" })).rejects.toThrow();
    await Promise.all([streamable.close(), sse.close()]);
  });

  /**
   * Holds one list_students call open per client (a delayed sandbox answer), waits until every
   * one has reached the sandbox (independently of the count under test), then reads the server's
   * in-flight count and the one its shutdown logs.
   */
  async function countsWhileHolding(
    server: HttpServerHandle,
    lines: string[],
    clients: Client[],
  ): Promise<{ inFlight: number; logged: unknown }> {
    served.sandbox.injectFaults(
      ...clients.map(() => ({ kind: "delay" as const, delayMs: 1_500, match: { tool: "list_students" } })),
    );
    const calls = clients.map((c) => c.callTool({ name: "list_students", arguments: { per_page: 1 } }));
    await waitFor(() => served.sandbox.faultsPending === 0, 15_000, "every call at the sandbox");
    const inFlight = server.inFlight();
    const closed = server.close();
    const results = await Promise.all(calls);
    for (const r of results) expect(r.isError, textOf(r)).toBeFalsy();
    await closed;
    await Promise.all(clients.map((c) => c.close()));
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.msg === "shutting down HTTP");
    return { inFlight, logged: line?.inFlight };
  }

  it("counts each call in flight once, every era, with sessions: 2026, 2025 Streamable HTTP, legacy SSE", async () => {
    const log = capturingLogger();
    const server = await startServer({ installation: served.north, apiKey: KEY_A }, { logger: log.logger });
    const clients = [
      await connectModern(server, KEY_A),
      await connectStreamable(server, KEY_A),
      await connectSse(server, KEY_A),
    ];
    expect(sessionIdOf(clients[0]!)).toBeUndefined();
    expect(sessionIdOf(clients[1]!)).toBeDefined();
    expect(await countsWhileHolding(server, log.lines, clients)).toEqual({ inFlight: 3, logged: 3 });
  });

  it("counts each call in flight once without sessions: 2026 and stateless 2025", async () => {
    const log = capturingLogger();
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { stateless: true, logger: log.logger },
    );
    const clients = [await connectModern(server, KEY_A), await connectStreamable(server, KEY_A)];
    expect(await countsWhileHolding(server, log.lines, clients)).toEqual({ inFlight: 2, logged: 2 });
  });

  it("a request on a connection still open during shutdown is told to retry (503, Retry-After, close)", async () => {
    const server = await startServer({ installation: served.north, apiKey: KEY_A });
    const client = await connectStreamable(server, KEY_A, { noStandaloneStream: true });
    served.sandbox.injectFaults({ kind: "delay", delayMs: 600, match: { tool: "list_students" } });
    // A new connection is refused once shutdown begins (the server stops listening); one with a
    // call in flight stays open, and a request pipelined behind that call meets the guard.
    const socket = connect(server.port, "127.0.0.1");
    let wire = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      wire += chunk;
    });
    const socketClosed = new Promise((resolve) => socket.once("close", resolve));
    const host = `127.0.0.1:${server.port}`;
    const call = rpc("tools/call", { name: "list_students", arguments: { per_page: 1 } }, 7);
    const callHeaders = { ...sessionHeaders(client, KEY_A), Host: host, "Content-Length": `${call.length}` };
    socket.write(`POST /mcp HTTP/1.1\r\n${httpHeaderLines(callHeaders)}\r\n${call}`);
    await waitFor(() => server.inFlight() === 1, 15_000, "the call in flight");
    const closed = server.close();
    socket.write(`GET /mcp HTTP/1.1\r\nHost: ${host}\r\nAccept: text/event-stream\r\n\r\n`);
    await socketClosed;
    await closed;
    const [answered, refused] = wire.split(/(?=HTTP\/1\.1 \d{3} )/);
    expect(answered).toMatch(/^HTTP\/1\.1 200 /);
    expect(answered).toContain('"id":7');
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/\r\nRetry-After: 5\r\n/i);
    expect(refused).toMatch(/\r\nConnection: close\r\n/i);
    expect(refused).toContain('"message":"Service Unavailable: the server is shutting down"');
    await client.close();
  });
});

const httpHeaderLines = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
