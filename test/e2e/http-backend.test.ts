/**
 * A chatbot backend on one API key, end to end: at a session cap the least recently used idle
 * session is closed to admit a new one (its client is told: its stream ends, its next request
 * answers 404), a busy one never is, and only when every session at the cap is busy is a new one
 * refused. With the default limits, 60 conversations on one key calling at once are all served,
 * in both eras.
 */

import { request as httpRequest } from "node:http";
import type { Client } from "@modelcontextprotocol/client";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1StreamableTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectOktaMcp, disconnectOktaMcp } from "../../examples/http-client.js";
import type { HttpServerHandle } from "../../src/transport/http.js";
import { textOf } from "../helpers.js";
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
  MODERN_PROTOCOL_VERSION,
  northAndSouth,
  raw,
  rpc,
  sessionHeaders,
  sessionIdOf,
  startServer,
  terminate,
  waitFor,
} from "./http-harness.js";

const served = northAndSouth();

/**
 * A 2025 session kept busy for as long as the test wants: a send waits for the human's answer,
 * which this client gives only when `release()` is called (it declines: nothing is sent).
 */
async function busySession(server: HttpServerHandle, key = KEY_A) {
  const client = await connectStreamable(server, key, { capabilities: { elicitation: {} } });
  let answer!: () => void;
  const asked = new Promise<void>((resolve) => {
    client.setRequestHandler("elicitation/create", async () => {
      resolve();
      await new Promise<void>((r) => (answer = r));
      return { action: "decline" };
    });
  });
  const guardian = served.sandbox.records<{ phone: string }>(42, "guardians")[0]!;
  const call = client.callTool({
    name: "send_notification",
    arguments: { to: guardian.phone, message: "Held open by a test" },
  });
  await asked;
  return {
    client,
    release: async () => {
      answer();
      return call;
    },
  };
}

/** A legacy SSE stream read raw: `ended` resolves to everything it carried once the server ends it. */
function openSseStream(server: HttpServerHandle): Promise<{ ended: Promise<string> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(server.sseUrl, {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${KEY_A}` },
      agent: false,
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      const ended = new Promise<string>((done) => res.on("end", () => done(text)));
      res.on("data", (chunk: string) => {
        text += chunk;
        if (text.includes("event: endpoint")) resolve({ ended });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The answer to a raw request inside the client's (maybe closed) session. */
const callIn = (server: HttpServerHandle, client: Client, key = KEY_A) =>
  raw(server, { headers: sessionHeaders(client, key), body: rpc("tools/list") });

describe("at the session cap", () => {
  it("closes the least recently used idle session of the key; a busy one survives; told and logged", async () => {
    const { logger, lines } = capturingLogger();
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { limits: { maxSessionsPerKey: 3 }, logger },
    );
    const busy = await busySession(server);
    const older = await connectStreamable(server, KEY_A);
    const newer = await connectStreamable(server, KEY_A);
    const clients = [busy.client, older, newer];
    try {
      await older.callTool({ name: "whoami", arguments: {} });
      await newer.callTool({ name: "whoami", arguments: {} });
      expect(server.sessionCount()).toBe(3);
      const olderId = sessionIdOf(older)!;

      // The busy session is the oldest, but has a call in flight: the idle `older` goes instead.
      const fourth = await connectStreamable(server, KEY_A);
      clients.push(fourth);
      expect(server.sessionCount()).toBe(3);
      expectRpcError(await callIn(server, older), 404);
      await expect(older.listTools()).rejects.toThrow(/Session not found/);
      for (const alive of [busy.client, newer, fourth])
        expect((await callIn(server, alive)).status).toBe(200);
      // The busy call is answered in its session (the test declines the send it holds open).
      expect(textOf(await busy.release())).toContain("declined");

      // The evicted client starts over, as the spec asks after a 404: a new session, served.
      const again = await connectStreamable(server, KEY_A);
      clients.push(again);
      expect((await again.listTools()).tools.length).toBeGreaterThan(0);

      const closed = lines.map((l) => JSON.parse(l)).find((l) => l.session === olderId && l.reason);
      expect(closed).toMatchObject({ keyId: expect.any(String), reason: "key cap" });
      expect(lines.join("\n")).not.toContain(KEY_A);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });

  it("closes a legacy SSE session too: its client hears its stream end, is not reconnected, and gets 404", async () => {
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { limits: { maxSessionsPerKey: 2 } },
    );
    const sse = await connectSse(server, KEY_A);
    const other = await connectStreamable(server, KEY_A);
    const clients = [sse, other];
    try {
      const heard: Error[] = [];
      sse.onerror = (error) => void heard.push(error);
      await other.listTools();
      const third = await connectStreamable(server, KEY_A);
      clients.push(third);
      await waitFor(() => heard.length > 0, 15_000, "the SSE client to hear its stream end");
      await expect(sse.listTools()).rejects.toThrow(/404|Session not found/);
      expect(server.sessionCount()).toBe(2);
      // What the stream said last: hold off reconnecting (that would open a new session).
      const stream = await openSseStream(server); // makes room: `other` goes
      await third.listTools();
      clients.push(await connectStreamable(server, KEY_A));
      expect(await stream.ended).toMatch(/\nretry: \d{8,}\n\n$/);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });

  it("refuses a new session with 503 only when every session at the cap is busy", async () => {
    const server = await startServer(
      { installation: served.north, apiKey: KEY_A },
      { limits: { maxSessionsPerKey: 2 } },
    );
    const held = [await busySession(server), await busySession(server)];
    try {
      const refused = await raw(server, {
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_A}` },
        body: initializeBody(),
      });
      expectRpcError(refused, 503);
      expect(Number(refused.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(refused.json().error?.message).toMatch(/busy.*for this API key|for this API key.*busy/);
      // Both calls were left alone; once one is answered, its session makes room.
      for (const h of held) expect(((await h.release()) as { isError?: boolean }).isError).toBe(true);
      const next = await connectStreamable(server, KEY_A);
      expect(server.sessionCount()).toBe(2);
      await next.close();
    } finally {
      await Promise.all(held.map((h) => h.client.close()));
      await server.close();
    }
  });

  it("at the total cap, closes the least recently used idle session of any key, else 503", async () => {
    const server = await startServer(
      { tenants: served.tenants() },
      { limits: { maxSessionsPerKey: 5, maxSessionsTotal: 2 } },
    );
    const a = await connectStreamable(server, KEY_A);
    const heldB = await busySession(server, KEY_B);
    const clients = [a, heldB.client];
    try {
      const b = await connectStreamable(server, KEY_B);
      clients.push(b);
      expectRpcError(await callIn(server, a, KEY_A), 404);
      const heldA = await busySession(server, KEY_A);
      clients.push(heldA.client);
      expectRpcError(await callIn(server, b, KEY_B), 404);
      expect(server.sessionCount()).toBe(2);
      // Both sessions busy: nothing to close, the new one is refused.
      const refused = await raw(server, {
        headers: { ...MCP_HEADERS, Authorization: `Bearer ${KEY_B}` },
        body: initializeBody(),
      });
      expectRpcError(refused, 503);
      expect(refused.json().error?.message).toMatch(/busy/);
      expect(refused.json().error?.message).toContain("on this server");
      await Promise.all([heldA.release(), heldB.release()]);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
    }
  });
});

describe("the default limits fit a chatbot backend on one key", () => {
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startServer({ installation: served.north, apiKey: KEY_A });
  });
  afterAll(() => server?.close());

  /** Three calls per conversation, every conversation at once: what a busy backend sends. */
  const threeCalls = (client: { callTool: Client["callTool"] }, i: number) => [
    client.callTool({ name: "get_student", arguments: { id: (i % 40) + 1 } }),
    client.callTool({ name: "list_grades", arguments: {} }),
    client.callTool({ name: "list_students", arguments: { per_page: 2 } }),
  ];

  it("60 conversations in 2025 sessions (v1 and v2 clients), 3 calls each at once: every call served", async () => {
    const v1 = async () => {
      const client = new V1Client({ name: "backend-v1", version: "1.0.0" });
      const transport = new V1StreamableTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${KEY_A}` } },
      });
      await client.connect(transport);
      return {
        client,
        end: async () => {
          await transport.terminateSession();
          await client.close();
        },
      };
    };
    const v2 = async () => {
      const client = await connectStreamable(server, KEY_A);
      return {
        client,
        end: async () => {
          await terminate(client);
          await client.close();
        },
      };
    };
    const conversations = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 ? v1() : v2())));
    try {
      expect(server.sessionCount()).toBe(60);
      const results = await Promise.all(
        conversations.flatMap((c, i) => threeCalls(c.client as { callTool: Client["callTool"] }, i)),
      );
      expect(results).toHaveLength(180);
      expect(results.filter((r) => r.isError)).toEqual([]);
      expect(server.sessionCount()).toBe(60);
    } finally {
      await Promise.all(conversations.map((c) => c.end()));
    }
    await waitFor(() => server.sessionCount() === 0, 15_000, "every session to end");
  });

  it("60 conversations on 2026-07-28, 3 calls each at once: every call served", async () => {
    const conversations = await Promise.all(Array.from({ length: 60 }, () => connectModern(server, KEY_A)));
    try {
      for (const c of conversations) expect(c.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      const results = await Promise.all(conversations.flatMap((c, i) => threeCalls(c, i)));
      expect(results).toHaveLength(180);
      expect(results.filter((r) => r.isError)).toEqual([]);
      expect(server.sessionCount()).toBe(0);
    } finally {
      await Promise.all(conversations.map((c) => c.close()));
    }
  });
});

describe("examples/http-client.ts ends what it opens", () => {
  it("no session on 2026-07-28, and a 2025 session ended by DELETE, not left to the idle timeout", async () => {
    const server = await startServer({ installation: served.north, apiKey: KEY_A });
    try {
      const modern = await connectOktaMcp(server.mcpUrl, KEY_A);
      expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      expect((await modern.callTool({ name: "whoami", arguments: {} })).isError).toBeFalsy();
      await disconnectOktaMcp(modern);
      expect(server.sessionCount()).toBe(0);

      const legacy = await connectStreamable(server, KEY_A);
      expect(server.sessionCount()).toBe(1);
      await disconnectOktaMcp(legacy);
      await waitFor(() => server.sessionCount() === 0, 15_000, "the 2025 session to end");
    } finally {
      await server.close();
    }
  });
});
