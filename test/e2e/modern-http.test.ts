/**
 * Both protocol eras on one /mcp: a negotiating v2 client lands on 2026-07-28 and is served with
 * no session (tools, resources, prompts, completions); 2025 clients (the v1 SDK, a v2 client
 * pinned to 2025, legacy SSE) keep their sessions. `subscriptions/listen` hears webhook events and
 * grant changes of its own installation only, refuses URIs it may not name, and never holds
 * shutdown.
 */
import { randomUUID } from "node:crypto";
import { Client as V1Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as V1StreamableTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { HttpServerHandle, Tenant } from "../../src/transport/http.js";
import { READ_ONLY_SCOPES, readJson, textOf } from "../helpers.js";
import {
  connectModern,
  connectSse,
  connectStreamable,
  installationFor,
  KEY_A,
  KEY_B,
  MODERN_PROTOCOL_VERSION,
  northAndSouth,
  raw,
  type ServeOptions,
  sessionHeaders,
  startServer,
  tenant,
  waitFor,
} from "./http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "./webhook-harness.js";

const SECRET = "whsec_modern_secret_0123456789";

const served = northAndSouth({
  installations: [
    { token: "sbx_modern_north_0001", scopes: ALL_SCOPES, tenantId: 42 },
    { token: "sbx_modern_south_0002", scopes: READ_ONLY_SCOPES, tenantId: 7 },
  ],
});
let server: HttpServerHandle;

function serve(tenants: Tenant[], opts: ServeOptions = {}): Promise<HttpServerHandle> {
  return startServer(
    { tenants },
    { env: {}, webhooks: { secrets: [{ secret: SECRET }], retryDelaysMs: [5] }, ...opts },
  );
}

/** A fetch that records every response's Mcp-Session-Id header (undefined when absent). */
function sessionHeaderRecorder(): { fetch: typeof fetch; seen: (string | null)[] } {
  const seen: (string | null)[] = [];
  return {
    seen,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      seen.push(res.headers.get("mcp-session-id"));
      return res;
    },
  };
}

/**
 * A fetch that keeps the raw bytes of every listen stream it opens, which the SDK client parses
 * away (comment frames included) before anything reaches a test.
 */
function listenStreamTap(): { fetch: typeof fetch; raw: () => string } {
  let raw = "";
  const decoder = new TextDecoder();
  return {
    raw: () => raw,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      const listening = typeof init?.body === "string" && init.body.includes('"subscriptions/listen"');
      if (!listening || !res.body) return res;
      const [tapped, passed] = res.body.tee();
      void (async () => {
        for await (const chunk of tapped) raw += decoder.decode(chunk, { stream: true });
      })().catch(() => {}); // the client aborting the stream ends it
      return new Response(passed, { status: res.status, statusText: res.statusText, headers: res.headers });
    },
  };
}

/** Comment frames `: keepalive` in raw SSE text. */
const keepalivesIn = (sse: string) => sse.split("\n\n").filter((frame) => frame === ": keepalive").length;

/** `attempt()` until it succeeds, for a state the server reaches shortly (bounded like waitFor). */
async function retried<T>(attempt: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Delivers `event` (tenant 42 unless said otherwise) through the server's webhook route. */
async function webhook(target: HttpServerHandle, over: Record<string, unknown>): Promise<string> {
  const body = envelope(over);
  const res = await deliver(target, signed(SECRET, body));
  expect(res.status, res.body).toBe(202);
  return String(body.id);
}

beforeAll(async () => {
  server = await serve(served.tenants());
});
afterAll(() => server?.close());

describe("one /mcp, two eras", () => {
  it("a negotiating v2 client gets 2026-07-28 and every primitive, with no session", async () => {
    const recorder = sessionHeaderRecorder();
    const client = await connectModern(server, KEY_A, { fetch: recorder.fetch });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      const { tools } = await client.listTools();
      expect(tools).toHaveLength(22);
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError, textOf(who)).toBeFalsy();
      expect(textOf(who)).toContain("42");
      const listed = await client.callTool({ name: "list_students", arguments: { per_page: 2 } });
      expect(listed.isError, textOf(listed)).toBeFalsy();
      expect((await readJson(client, "okta://whoami")).tenant_id).toBe(42);
      const templates = await client.listResourceTemplates();
      expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain("okta://students/{id}");
      const prompts = await client.listPrompts();
      expect(prompts.prompts.length).toBeGreaterThan(0);
      const prompt = await client.getPrompt({
        name: "enrol_student",
        arguments: { student_name: "Ada Test", grade: "Grade 1", guardian_name: "Bo Test" },
      });
      expect(JSON.stringify(prompt.messages)).toContain("Ada Test");
      const completion = await client.complete({
        ref: { type: "ref/prompt", name: "enrol_student" },
        argument: { name: "grade", value: "Grade" },
      });
      expect(completion.completion.values.length).toBeGreaterThan(0);
      // Nothing was kept between requests: no session id was ever handed out, none is open.
      expect(recorder.seen.length).toBeGreaterThan(0);
      expect(recorder.seen.every((id) => id === null)).toBe(true);
      expect(server.sessionCount()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("a browser's preflight allows every header a 2026 client sends on /mcp", async () => {
    // The names the v2 client sets on its POSTs (Mcp-Method, Mcp-Name on 2026 requests), which a
    // browser on an allowed origin lists in Access-Control-Request-Headers before each POST.
    const sent = new Set<string>();
    const client = await connectModern(server, KEY_A, {
      fetch: (url, init) => {
        for (const [name] of new Headers(init?.headers)) sent.add(name.toLowerCase());
        return fetch(url, init);
      },
    });
    try {
      await client.callTool({ name: "whoami", arguments: {} });
    } finally {
      await client.close();
    }
    // Accept is safelisted: a browser never asks for it.
    const requested = [...sent].filter((name) => name !== "accept");
    expect(requested).toEqual(expect.arrayContaining(["mcp-method", "mcp-name", "mcp-protocol-version"]));
    const preflight = await raw(server, {
      method: "OPTIONS",
      headers: {
        Origin: "http://localhost:5173",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": requested.join(", "),
      },
    });
    expect(preflight.status).toBe(204);
    const allowed = String(preflight.headers["access-control-allow-headers"])
      .split(",")
      .map((name) => name.trim().toLowerCase());
    expect(allowed).toEqual(expect.arrayContaining(requested));
  });

  it("a 2026 answer to an allowed Origin carries Access-Control-Allow-Origin", async () => {
    // routes.ts sets the CORS headers on the response before routing; the SDK's 2026 answer keeps them.
    const allowOrigin: Array<string | null> = [];
    const client = await connectModern(server, KEY_A, {
      fetch: async (url, init) => {
        const headers = new Headers(init?.headers);
        headers.set("Origin", "http://localhost:5173");
        const res = await fetch(url, { ...init, headers });
        allowOrigin.push(res.headers.get("access-control-allow-origin"));
        return res;
      },
    });
    try {
      const who = await client.callTool({ name: "whoami", arguments: {} });
      expect(who.isError).toBeFalsy();
    } finally {
      await client.close();
    }
    expect(allowOrigin.length).toBeGreaterThan(0);
    expect(new Set(allowOrigin)).toEqual(new Set(["http://localhost:5173"]));
  });

  it("the per-key request budget holds on the 2026 leg too", async () => {
    const metered = await serve([tenant(served.north, KEY_A)], {
      limits: { requestBurst: 1, requestsPerMinute: 1 },
    });
    const client = await connectModern(metered, KEY_A);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      const first = await client.callTool({ name: "whoami", arguments: {} });
      expect(first.isError, textOf(first)).toBeFalsy();
      await expect(client.callTool({ name: "whoami", arguments: {} })).rejects.toThrow(/Too Many Requests/);
    } finally {
      await client.close();
      await metered.close();
    }
  });

  it("2025 clients keep their sessions: the v1 SDK client, a v2 client left on 2025, and SSE", async () => {
    const v1 = new V1Client({ name: "v1", version: "1.0.0" });
    await v1.connect(
      new V1StreamableTransport(new URL(server.mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer ${KEY_A}` } },
      }),
    );
    const pinned = await connectStreamable(server, KEY_A);
    const sse = await connectSse(server, KEY_A);
    try {
      expect(pinned.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
      expect(sse.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
      expect(server.sessionCount()).toBe(3);
      for (const client of [pinned, sse]) {
        const who = await client.callTool({ name: "whoami", arguments: {} });
        expect(who.isError, textOf(who)).toBeFalsy();
      }
      const who = await v1.callTool({ name: "whoami", arguments: {} });
      expect(who.isError).toBeFalsy();
      // A 2025 session still subscribes the 2025 way.
      await pinned.subscribeResource({ uri: "okta://whoami" });
      await expect(pinned.listen({ resourceSubscriptions: ["okta://whoami"] })).rejects.toThrow();
    } finally {
      await v1.close();
      await pinned.close();
      await sse.close();
    }
  });

  it("--stateless: 2026 as usual, and 2025 clients through the stateless legacy fallback", async () => {
    const stateless = await serve([tenant(served.north, KEY_A)], { stateless: true });
    const modern = await connectModern(stateless, KEY_A);
    const legacy = await connectStreamable(stateless, KEY_A);
    try {
      expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      expect(legacy.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
      for (const client of [modern, legacy]) {
        const who = await client.callTool({ name: "whoami", arguments: {} });
        expect(who.isError, textOf(who)).toBeFalsy();
      }
      expect(stateless.sessionCount()).toBe(0);
    } finally {
      await modern.close();
      await legacy.close();
      await stateless.close();
    }
  });
});

describe("subscriptions/listen over HTTP", () => {
  it("a webhook event reaches the listener of its installation only, for the URIs it named", async () => {
    const client = await connectModern(server, KEY_A);
    const other = await connectModern(server, KEY_B);
    const notes = recordNotifications(client);
    const otherNotes = recordNotifications(other);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      const sub = await client.listen({
        resourceSubscriptions: ["okta://events/recent", "okta://students/5"],
      });
      const otherSub = await other.listen({
        resourceSubscriptions: ["okta://events/recent", "okta://students/5"],
      });
      expect(sub.honoredFilter.resourceSubscriptions).toEqual(["okta://events/recent", "okta://students/5"]);
      await webhook(server, { data: { student: { id: 5, full_name: "Listen Student" } } });
      await waitFor(() => notes.updated.includes("okta://students/5"), 15_000, "the student's update");
      expect(notes.updated.sort()).toEqual(["okta://events/recent", "okta://students/5"]);
      // An event about another student: the feed changed, student 5 did not.
      await webhook(server, { data: { student: { id: 6, full_name: "Other Student" } } });
      await waitFor(() => notes.updated.length >= 3, 15_000, "the feed's second update");
      expect(notes.updated.filter((u) => u === "okta://students/5")).toHaveLength(1);
      await server.webhooksIdle();
      // South (tenant 7) listened to the same URIs and heard nothing of tenant 42.
      expect(otherNotes.updated).toEqual([]);
      await sub.close();
      await otherSub.close();
    } finally {
      await client.close();
      await other.close();
    }
  });

  it("refuses URIs that are not subscribable, not resources, or not served under the grant", async () => {
    const token = `sbx_modern_narrow_${randomUUID().slice(0, 8)}`;
    served.sandbox.addInstallation({ token, scopes: ["education.students.read"], tenantId: 42 });
    const narrow = await installationFor(served.sandbox.baseUrl, token, "narrow");
    const local = await serve([tenant(narrow, KEY_B)]);
    const client = await connectModern(local, KEY_B);
    try {
      await expect(client.listen({ resourceSubscriptions: ["okta://reports"] })).rejects.toThrow(
        /Cannot subscribe to okta:\/\/reports/,
      );
      await expect(client.listen({ resourceSubscriptions: ["file:///etc/passwd"] })).rejects.toThrow(
        /Cannot subscribe/,
      );
      // No guardians scope: guardian records are not served here, so not subscribable either.
      await expect(
        client.listen({ resourceSubscriptions: ["okta://whoami", "okta://guardians/1"] }),
      ).rejects.toThrow(/not served here: it needs scope "education.guardians.read"/);
      const fine = await client.listen({ resourceSubscriptions: ["okta://whoami", "okta://students/5"] });
      expect(fine.honoredFilter.resourceSubscriptions).toEqual(["okta://whoami", "okta://students/5"]);
      await fine.close();
    } finally {
      await client.close();
      await local.close();
      await narrow.close();
    }
  });

  it("caps the open listen streams of one API key", async () => {
    const capped = await serve(served.tenants(), {
      limits: { maxListenStreamsPerKey: 1 },
    });
    const client = await connectModern(capped, KEY_A);
    const other = await connectModern(capped, KEY_B);
    try {
      const first = await client.listen({ resourceSubscriptions: ["okta://whoami"] });
      await expect(client.listen({ resourceSubscriptions: ["okta://scopes"] })).rejects.toThrow(
        /at most 1 open subscriptions\/listen streams per API key/,
      );
      // Another key has its own allowance.
      const others = await other.listen({ resourceSubscriptions: ["okta://whoami"] });
      // A closed stream gives its place back (once the server has seen it close).
      await first.close();
      const again = await retried(() => client.listen({ resourceSubscriptions: ["okta://scopes"] }));
      expect(again.honoredFilter.resourceSubscriptions).toEqual(["okta://scopes"]);
      await again.close();
      await others.close();
    } finally {
      await client.close();
      await other.close();
      await capped.close();
    }
  });

  it("a grant change: list_changed and whoami/scopes updates on 2026, list_changed on a 2025 session", async () => {
    const token = `sbx_modern_grant_${randomUUID().slice(0, 8)}`;
    served.sandbox.addInstallation({ token, scopes: ALL_SCOPES, tenantId: 42 });
    const east = await installationFor(served.sandbox.baseUrl, token, "east");
    const local = await serve([tenant(east, KEY_A)]);
    const modern = await connectModern(local, KEY_A);
    const legacy = await connectStreamable(local, KEY_A);
    const modernNotes = recordNotifications(modern);
    const legacyNotes = recordNotifications(legacy);
    let resourcesChanged = 0;
    modern.setNotificationHandler("notifications/resources/list_changed", () => {
      resourcesChanged++;
    });
    try {
      const sub = await modern.listen({
        resourceSubscriptions: ["okta://whoami", "okta://scopes"],
        toolsListChanged: true,
        resourcesListChanged: true,
      });
      served.sandbox.setScopes(token, READ_ONLY_SCOPES);
      await east.refreshWhoami();
      await waitFor(
        () =>
          modernNotes.toolsChanged() > 0 && modernNotes.updated.length >= 2 && legacyNotes.toolsChanged() > 0,
        15_000,
        "the grant change on both eras",
      );
      expect(modernNotes.updated.sort()).toEqual(["okta://scopes", "okta://whoami"]);
      expect(resourcesChanged).toBe(1);
      // Both eras list what the new grant serves.
      expect((await modern.listTools()).tools.map((t) => t.name)).not.toContain("create_student");
      expect((await legacy.listTools()).tools.map((t) => t.name)).not.toContain("create_student");
      await sub.close();
    } finally {
      await modern.close();
      await legacy.close();
      await local.close();
      await east.close();
    }
  });

  it("per-request servers follow nothing: listen requests leave no listener on the installation", async () => {
    const client = await connectModern(server, KEY_A);
    try {
      await client.callTool({ name: "whoami", arguments: {} });
      // The installation's follower (and the 2025 sessions') listen; 2026 requests add nobody.
      const before = served.north.events.listenerCount;
      const subs = [];
      for (let i = 0; i < 3; i++)
        subs.push(await client.listen({ resourceSubscriptions: ["okta://whoami"] }));
      for (const sub of subs) await sub.close();
      await client.callTool({ name: "whoami", arguments: {} });
      expect(served.north.events.listenerCount).toBe(before);
    } finally {
      await client.close();
    }
  });

  it("a silent listen stream carries a comment every sseKeepAliveMs, so a proxy does not drop it", async () => {
    const local = await serve([tenant(served.north, KEY_A)], { limits: { sseKeepAliveMs: 200 } });
    const tap = listenStreamTap();
    const client = await connectModern(local, KEY_A, { fetch: tap.fetch });
    try {
      const sub = await client.listen({ resourceSubscriptions: ["okta://whoami"] });
      // The SDK's own default is 15 s: three comments here are the configured 200 ms at work.
      await waitFor(() => keepalivesIn(tap.raw()) >= 3, 15_000, "three keepalive comments");
      // Nothing but the acknowledgement and the comments: no event was sent.
      const frames = tap.raw().split("\n\n").filter(Boolean);
      const events = frames.filter((frame) => frame !== ": keepalive");
      expect(events).toHaveLength(1);
      expect(events[0]).toContain("notifications/subscriptions/acknowledged");
      await sub.close();
    } finally {
      await client.close();
      await local.close();
    }
  });

  it("a silent 2025 GET stream carries the same comment every sseKeepAliveMs", async () => {
    const local = await serve([tenant(served.north, KEY_A)], { limits: { sseKeepAliveMs: 200 } });
    const client = await connectStreamable(local, KEY_A, { noStandaloneStream: true });
    const stream = new AbortController();
    try {
      const res = await fetch(local.mcpUrl, {
        headers: { ...sessionHeaders(client, KEY_A), Accept: "text/event-stream" },
        signal: stream.signal,
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      let raw = "";
      const decoder = new TextDecoder();
      const reading = (async () => {
        for await (const chunk of res.body!) raw += decoder.decode(chunk, { stream: true });
      })().catch(() => {});
      await waitFor(() => keepalivesIn(raw) >= 3, 15_000, "three keepalive comments");
      expect(raw.split("\n\n").filter((frame) => frame && frame !== ": keepalive")).toEqual([]);
      stream.abort();
      await reading;
    } finally {
      await client.close();
      await local.close();
    }
  });

  it("shutdown ends open listen streams gracefully instead of waiting out the grace", async () => {
    const local = await serve([tenant(served.north, KEY_A)], { limits: { shutdownGraceMs: 600_000 } });
    const client = await connectModern(local, KEY_A);
    const sub = await client.listen({ resourceSubscriptions: ["okta://whoami"] });
    await local.close();
    expect(await sub.closed).toBe("graceful");
    await client.close();
  });
});
