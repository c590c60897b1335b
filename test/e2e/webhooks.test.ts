/**
 * Webhooks end to end: signed deliveries into POST /webhooks/okta (every refusal, duplicates, the
 * 202 before processing), and the sandbox's own webhook sender reaching a subscribed MCP client
 * over Streamable HTTP as notifications/resources/updated, for its tenant only.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Installation } from "../../src/installation.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { InMemorySharedStore } from "../../src/store/memory.js";
import type { SharedStore } from "../../src/store/shared-store.js";
import { MemoryWebhookQueue } from "../../src/store/webhook-queue.js";
import type { HttpServerHandle, Tenant } from "../../src/transport/http.js";
import { READ_ONLY_SCOPES, readJson, sandboxWith, structured, textOf } from "../helpers.js";
import {
  connectStreamable,
  installationFor,
  KEY_A,
  KEY_B,
  raw,
  type ServeOptions,
  startServer,
  tenant,
  waitFor,
} from "./http-harness.js";
import { deliver, envelope, freePort, recordNotifications, signed } from "./webhook-harness.js";

const SECRET = "whsec_current_secret_0123456789";
const PREVIOUS = "whsec_previous_secret_0123456789";
const SOUTH_SECRET = "whsec_south_only_secret_0123456789";

let sandbox: Sandbox;
let north: Installation;
let south: Installation;
let server: HttpServerHandle;

function serve(tenants: Tenant[], opts: ServeOptions = {}): Promise<HttpServerHandle> {
  return startServer(
    { tenants },
    {
      env: {},
      webhooks: { secrets: [{ secret: SECRET }, { secret: PREVIOUS }], retryDelaysMs: [5] },
      ...opts,
    },
  );
}

beforeAll(async () => {
  const port = await freePort();
  sandbox = await sandboxWith({
    installations: [
      { token: "sbx_hook_north_0001", scopes: ALL_SCOPES, tenantId: 42 },
      { token: "sbx_hook_south_0002", scopes: READ_ONLY_SCOPES, tenantId: 7 },
    ],
    webhook: { url: `http://127.0.0.1:${port}/webhooks/okta`, secret: SECRET, retryDelaysMs: [50, 200] },
  });
  north = await installationFor(sandbox.baseUrl, "sbx_hook_north_0001", "north");
  south = await installationFor(sandbox.baseUrl, "sbx_hook_south_0002", "south");
  server = await serve([tenant(north, KEY_A), { ...tenant(south, KEY_B), webhookSecrets: [SOUTH_SECRET] }], {
    port,
  });
});
afterAll(async () => {
  await server?.close();
  await north?.close();
  await south?.close();
  await sandbox?.stop();
});

/** The store with its publish step wrapped (stalled, failing): the processing seam of the receiver. */
function withPublish(
  store: SharedStore,
  publish: (next: SharedStore["publish"], channel: string, message: string) => Promise<void>,
): SharedStore {
  return {
    spansInstances: store.spansInstances,
    forget: (k) => store.forget(k),
    get: (k) => store.get(k),
    set: (k, v, ttl) => store.set(k, v, ttl),
    setIfAbsent: (k, v, ttl) => store.setIfAbsent(k, v, ttl),
    replaceIf: (k, e, v, ttl) => store.replaceIf(k, e, v, ttl),
    deleteIf: (k, e) => store.deleteIf(k, e),
    subscribe: (c, l) => store.subscribe(c, l),
    close: () => store.close(),
    publish: (c, m) => publish((cc, mm) => store.publish(cc, mm), c, m),
    // The queue publishes through this wrapper, so the wrapped publish is the processing step.
    webhookQueue(options) {
      return new MemoryWebhookQueue(this, options);
    },
  };
}

/** True when an event id reached the installation's recent events. */
const seen = (installation: Installation, id: unknown) =>
  installation.events.recent().some((e) => e.id === id);

describe("POST /webhooks/okta: authenticity", () => {
  it("accepts a signed delivery with 202 and processes it", async () => {
    const event = envelope();
    const res = await deliver(server, signed(SECRET, event));
    expect(res.status).toBe(202);
    expect(res.json()).toEqual({ status: "accepted" });
    await waitFor(() => seen(north, event.id), 15_000, "the event");
  });

  it("401 and no side effect: tampered body, wrong secret, truncated or non-hex signature", async () => {
    const event = envelope();
    const good = signed(SECRET, event);
    const sig = good.headers["X-Okta-Signature"]!;
    const cases = [
      { ...good, body: JSON.stringify({ ...event, tenant_id: 7 }) },
      signed("not-the-secret-0123456789", event, { deliveryId: good.headers["X-Okta-Delivery-Id"] }),
      { ...good, headers: { ...good.headers, "X-Okta-Signature": sig.slice(0, 40) } },
      { ...good, headers: { ...good.headers, "X-Okta-Signature": `${sig.slice(0, 60)}zzzz` } },
      { ...good, headers: { ...good.headers, "X-Okta-Signature": "" } },
    ];
    for (const c of cases) {
      const res = await deliver(server, c);
      expect(res.status, res.body).toBe(401);
    }
    await server.webhooksIdle();
    expect(seen(north, event.id)).toBe(false);
    // Nothing was remembered either: the genuine delivery with the same id goes through.
    expect((await deliver(server, good)).status).toBe(202);
  });

  it("401 when any of the four headers is missing", async () => {
    for (const name of ["X-Okta-Event", "X-Okta-Delivery-Id", "X-Okta-Timestamp", "X-Okta-Signature"]) {
      const res = await deliver(server, signed(SECRET, envelope(), { headers: { [name]: undefined } }));
      expect(res.status, name).toBe(401);
      expect(res.json()).toMatchObject({ error: "missing_headers" });
    }
  });

  it("accepts the previous secret (rotation)", async () => {
    const event = envelope();
    expect((await deliver(server, signed(PREVIOUS, event))).status).toBe(202);
    await waitFor(() => seen(north, event.id), 15_000, "the event");
  });

  it("refuses timestamps more than 5 minutes old or ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const timestamp of [now - 6 * 60, now + 6 * 60]) {
      const res = await deliver(server, signed(SECRET, envelope(), { timestamp }));
      expect(res.status).toBe(401);
      expect(res.json()).toMatchObject({ error: "stale_timestamp" });
    }
    expect((await deliver(server, signed(SECRET, envelope(), { timestamp: now - 4 * 60 }))).status).toBe(202);
  });

  it("binds an installation's own secret to its tenant", async () => {
    const southEvent = envelope({ tenant_id: 7 });
    expect((await deliver(server, signed(SOUTH_SECRET, southEvent))).status).toBe(202);
    await waitFor(() => seen(south, southEvent.id), 15_000, "the south event");
    const forged = envelope({ tenant_id: 42 });
    expect((await deliver(server, signed(SOUTH_SECRET, forged))).status).toBe(401);
    await server.webhooksIdle();
    expect(seen(north, forged.id)).toBe(false);
  });

  it("needs no API key and skips the Host check, but refuses a browser (Origin)", async () => {
    const d = signed(SECRET, envelope());
    const foreignHost = await deliver(server, { ...d, headers: { ...d.headers, Host: "hooks.example.com" } });
    expect(foreignHost.status).toBe(202);
    const browser = signed(SECRET, envelope());
    const res = await deliver(server, {
      ...browser,
      headers: { ...browser.headers, Origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
    expect((await raw(server, { method: "GET", path: "/webhooks/okta" })).status).toBe(405);
  });
});

describe("POST /webhooks/okta: duplicates", () => {
  it("by delivery id: a retry (new timestamp, new signature) is answered 200 and not processed again", async () => {
    const event = envelope();
    const deliveryId = randomUUID();
    const now = Math.floor(Date.now() / 1000);
    expect((await deliver(server, signed(SECRET, event, { deliveryId, timestamp: now - 5 }))).status).toBe(
      202,
    );
    const again = await deliver(server, signed(SECRET, event, { deliveryId, timestamp: now }));
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ status: "duplicate" });
    await server.webhooksIdle();
    expect(north.events.recent().filter((e) => e.id === event.id)).toHaveLength(1);
  });

  it("by signature: the same signed request under a new delivery id is a replay", async () => {
    const event = envelope({ id: `evt-${randomUUID()}` });
    const first = signed(SECRET, event);
    expect((await deliver(server, first)).status).toBe(202);
    const replay = { ...first, headers: { ...first.headers, "X-Okta-Delivery-Id": randomUUID() } };
    expect((await deliver(server, replay)).status).toBe(200);
  });
});

describe("POST /webhooks/okta: bad input", () => {
  it("413 over 256 KiB, 400 non-JSON, 422 without the envelope, 404 for a tenant not served", async () => {
    const big = JSON.stringify(envelope({ data: { blob: "x".repeat(300 * 1024) } }));
    expect((await deliver(server, signed(SECRET, big))).status).toBe(413);
    const notJson = await deliver(server, signed(SECRET, "event=created"));
    expect(notJson.status).toBe(400);
    expect(notJson.json()).toMatchObject({ error: "invalid_json" });
    const partial = await deliver(
      server,
      signed(SECRET, { id: "evt-x", event: "education.students.created" }),
    );
    expect(partial.status).toBe(422);
    expect(partial.json().message).toContain("tenant_id");
    const stranger = envelope({ tenant_id: 999 });
    const unknown = await deliver(server, signed(SECRET, stranger));
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toMatchObject({ error: "unknown_tenant" });
    await server.webhooksIdle();
    expect([...north.events.recent(), ...south.events.recent()].some((e) => e.id === stranger.id)).toBe(
      false,
    );
  });

  it("404 when no secret is configured at all", async () => {
    const bare = await serve([tenant(north, "another-key-0123456789abcdef")], { webhooks: {} });
    try {
      expect((await deliver(bare, signed(SECRET, envelope()))).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});

describe("POST /webhooks/okta: asynchronous processing", () => {
  it("answers 202 while processing is stalled, and processes once unstalled", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let published = 0;
    const stalled = withPublish(new InMemorySharedStore(), async (publish, channel, message) => {
      await gate;
      published++;
      return publish(channel, message);
    });
    const inst = await installationFor(sandbox.baseUrl, "sbx_hook_north_0001", "stalled");
    const stalledServer = await serve([tenant(inst, "stalled-key-0123456789abcdef")], { store: stalled });
    try {
      const event = envelope();
      const started = performance.now();
      const res = await deliver(stalledServer, signed(SECRET, event));
      const ms = performance.now() - started;
      expect(res.status).toBe(202);
      // The answer came while processing was still held (published 0): that is the proof. The
      // bound is the platform's 10 s budget halved, slack for a busy machine, not a speed claim.
      expect(ms).toBeLessThan(5_000);
      expect(published).toBe(0);
      release();
      await stalledServer.webhooksIdle();
      expect(published).toBe(1);
      await waitFor(() => seen(inst, event.id), 15_000, "the event");
    } finally {
      release();
      await stalledServer.close();
      await inst.close();
    }
  });

  it("retries a failed processing step instead of losing the event", async () => {
    let failures = 2;
    const flaky = withPublish(new InMemorySharedStore(), async (publish, channel, message) => {
      if (failures-- > 0) throw new Error("store away");
      return publish(channel, message);
    });
    const inst = await installationFor(sandbox.baseUrl, "sbx_hook_north_0001", "flaky");
    const flakyServer = await serve([tenant(inst, "flaky-key-0123456789abcdef")], { store: flaky });
    try {
      const event = envelope();
      expect((await deliver(flakyServer, signed(SECRET, event))).status).toBe(202);
      await waitFor(() => seen(inst, event.id), 15_000, "the event after retries");
      expect(failures).toBeLessThan(0);
    } finally {
      await flakyServer.close();
      await inst.close();
    }
  });
});

describe("the sandbox's webhooks reach subscribed MCP clients", () => {
  it("a student created and updated through tools: resources/updated for the feed and the student, on its tenant only", async () => {
    const client = await connectStreamable(server, KEY_A);
    const other = await connectStreamable(server, KEY_B);
    const notes = recordNotifications(client);
    const otherNotes = recordNotifications(other);
    try {
      await client.subscribeResource({ uri: "okta://events/recent" });
      await other.subscribeResource({ uri: "okta://events/recent" });
      const created = await client.callTool({
        name: "create_student",
        arguments: { full_name: `Webhook Student ${randomUUID().slice(0, 8)}` },
      });
      expect(created.isError, textOf(created)).toBeFalsy();
      const id = structured<{ data: { id: number } }>(created).data.id;
      await waitFor(() => notes.updated.includes("okta://events/recent"), 15_000, "events/recent updated");
      expect(sandbox.webhookDeliveries.some((d) => d.event === "education.students.created" && d.ok)).toBe(
        true,
      );

      await client.subscribeResource({ uri: `okta://students/${id}` });
      const updated = await client.callTool({
        name: "update_student",
        arguments: { id, national_id: "1000000001" },
      });
      expect(updated.isError, textOf(updated)).toBeFalsy();
      await waitFor(() => notes.updated.includes(`okta://students/${id}`), 15_000, "the student's resource");

      const feed = await readJson(client, "okta://events/recent");
      expect(feed.events[0]).toMatchObject({ event: "education.students.updated", tenant_id: 42 });
      expect(feed.events.some((e: { event: string }) => e.event === "education.students.created")).toBe(true);

      // The other tenant's session heard nothing and sees none of it.
      await sandbox.webhooksIdle();
      await server.webhooksIdle();
      expect(otherNotes.updated).toEqual([]);
      const otherFeed = await readJson(other, "okta://events/recent");
      expect(otherFeed.events.some((e: { tenant_id: number }) => e.tenant_id === 42)).toBe(false);

      // Unsubscribed: no more notifications for the student.
      await client.unsubscribeResource({ uri: `okta://students/${id}` });
      const before = notes.updated.filter((u) => u === `okta://students/${id}`).length;
      await client.callTool({ name: "update_student", arguments: { id, national_id: "1000000002" } });
      await waitFor(
        () => notes.updated.filter((u) => u === "okta://events/recent").length >= 3,
        5_000,
        "feed",
      );
      expect(notes.updated.filter((u) => u === `okta://students/${id}`)).toHaveLength(before);
    } finally {
      await client.close();
      await other.close();
    }
  });

  it("refuses subscriptions to resources that never change", async () => {
    const client = await connectStreamable(server, KEY_A);
    try {
      expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
      await expect(client.subscribeResource({ uri: "okta://reports" })).rejects.toThrow(/Cannot subscribe/);
    } finally {
      await client.close();
    }
  });
});
