/**
 * The Redis SharedStore against a real redis-server, and two server instances sharing it: a
 * webhook delivered to both is processed once and reaches the sessions of each (and the 2026
 * listen streams of each, announced once over the Redis listen bus), and an identical write sent
 * through each instance replays instead of creating twice.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import {
  connectModern,
  connectStreamable,
  KEY_A,
  MODERN_PROTOCOL_VERSION,
  waitFor,
} from "../e2e/http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "../e2e/webhook-harness.js";
import { readJson, sandboxWith, structured, textOf } from "../helpers.js";
import { type RedisInstance, redisConnections, redisForTests, redisInstance } from "./redis-server.js";

const redis = await redisForTests();
const SECRET = "whsec_shared_redis_0123456789";
afterAll(async () => {
  await redis?.stop();
});

describe.skipIf(!redis)("RedisSharedStore", () => {
  const connections = redisConnections(redis);
  const store = () => connections.store();

  it("sets a key only when absent (SET NX PX), once across connections, with a TTL so it expires on its own", async () => {
    const [a, b] = [store(), store()];
    const key = `okmcp-test:${randomUUID()}`;
    const results = await Promise.all([a.setIfAbsent(key, "1", 60_000), b.setIfAbsent(key, "1", 60_000)]);
    expect(results.sort()).toEqual([false, true]);
    const ttl = await connections.raw.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await a.forget(key);
    expect(await b.setIfAbsent(key, "1", 50)).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(await a.setIfAbsent(key, "1", 50)).toBe(true);
  });

  it("keeps values with a TTL and fans messages out to other connections", async () => {
    const [a, b] = [store(), store()];
    const key = `okmcp-test:${randomUUID()}`;
    await a.set(key, "v", 60_000);
    expect(await b.get(key)).toBe("v");
    expect(await connections.raw.pttl(key)).toBeGreaterThan(0);
    const got: string[] = [];
    const channel = `okmcp-test:${randomUUID()}`;
    const off = await b.subscribe(channel, (m) => got.push(m));
    await a.publish(channel, "hello");
    await waitFor(() => got.length === 1, 15_000, "the message");
    await off();
    await a.publish(channel, "again");
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual(["hello"]);
  });
});

describe.skipIf(!redis)("two instances sharing one Redis", () => {
  let sandbox: Sandbox;
  const instances: RedisInstance[] = [];

  beforeAll(async () => {
    sandbox = await sandboxWith({
      installations: [{ token: "sbx_redis_shared_0001", scopes: ALL_SCOPES, tenantId: 42 }],
    });
    // Two instances of one deployment: the same installation, under the same name.
    for (const _ of ["a", "b"]) {
      instances.push(
        await redisInstance({
          url: redis!.url,
          baseUrl: sandbox.baseUrl,
          token: "sbx_redis_shared_0001",
          webhookSecret: SECRET,
          apiKey: KEY_A,
        }),
      );
    }
  });
  afterAll(async () => {
    for (const i of instances) {
      await i.server.close();
      await i.installation.close();
      await i.store.close();
    }
    await sandbox?.stop();
  });

  it("a webhook taken by one instance reaches the 2026 listen streams on both, once each", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const onA = await connectModern(a.server, KEY_A);
    const onB = await connectModern(b.server, KEY_A);
    const [notesA, notesB] = [recordNotifications(onA), recordNotifications(onB)];
    try {
      expect(onB.getNegotiatedProtocolVersion()).toBe(MODERN_PROTOCOL_VERSION);
      const subA = await onA.listen({ resourceSubscriptions: ["okta://events/recent", "okta://students/5"] });
      const subB = await onB.listen({ resourceSubscriptions: ["okta://events/recent", "okta://students/5"] });
      // Delivered to A only: B's stream hears it through Redis.
      expect((await deliver(a.server, signed(SECRET, envelope()))).status).toBe(202);
      await waitFor(() => notesB.updated.includes("okta://students/5"), 15_000, "B's listener");
      await waitFor(() => notesA.updated.includes("okta://students/5"), 15_000, "A's listener");
      // A second event (student 6): once both have heard it, the first was not announced twice.
      const second = envelope({ data: { student: { id: 6, full_name: "Six" } } });
      expect((await deliver(b.server, signed(SECRET, second))).status).toBe(202);
      for (const notes of [notesA, notesB]) {
        await waitFor(
          () => notes.updated.filter((u) => u === "okta://events/recent").length >= 2,
          15_000,
          "the second event",
        );
        expect(notes.updated.filter((u) => u === "okta://students/5")).toHaveLength(1);
        expect(notes.updated.filter((u) => u === "okta://events/recent")).toHaveLength(2);
      }
      await subA.close();
      await subB.close();
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it("a webhook delivered to each instance is processed once, and reaches the sessions of both", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const onA = await connectStreamable(a.server, KEY_A);
    const onB = await connectStreamable(b.server, KEY_A);
    const [notesA, notesB] = [recordNotifications(onA), recordNotifications(onB)];
    try {
      await onA.subscribeResource({ uri: "okta://events/recent" });
      await onB.subscribeResource({ uri: "okta://events/recent" });
      await onB.subscribeResource({ uri: "okta://students/5" });
      const event = envelope();
      const delivery = signed(SECRET, event);
      const first = await deliver(a.server, delivery);
      const second = await deliver(b.server, delivery);
      expect([first.status, second.status]).toEqual([202, 200]);
      await a.server.webhooksIdle();
      await waitFor(
        () => notesB.updated.includes("okta://students/5"),
        5_000,
        "B's session to hear A's event",
      );
      await waitFor(() => notesA.updated.includes("okta://events/recent"), 15_000, "A's session");
      await new Promise((r) => setTimeout(r, 100));
      expect(notesB.updated.filter((u) => u === "okta://events/recent")).toHaveLength(1);
      expect(notesA.updated.filter((u) => u === "okta://events/recent")).toHaveLength(1);
      for (const i of instances)
        expect(i.installation.events.recent().filter((e) => e.id === event.id)).toHaveLength(1);
      const feed = await readJson(onB, "okta://events/recent");
      expect(feed.events[0].id).toBe(event.id);

      // Keys are namespaced per tenant and expire on their own.
      const probe = new Redis(redis!.url);
      try {
        const key = `okmcp:42:webhooks:delivery:${delivery.headers["X-Okta-Delivery-Id"]}`;
        expect(await probe.pttl(key)).toBeGreaterThan(23 * 60 * 60_000);
      } finally {
        probe.disconnect();
      }
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it("an identical write through each instance replays instead of creating twice", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const onA = await connectStreamable(a.server, KEY_A);
    const onB = await connectStreamable(b.server, KEY_A);
    try {
      const name = `Shared Write ${randomUUID().slice(0, 8)}`;
      const first = await onA.callTool({ name: "create_student", arguments: { full_name: name } });
      expect(first.isError, textOf(first)).toBeFalsy();
      const second = await onB.callTool({ name: "create_student", arguments: { full_name: name } });
      expect(second.isError, textOf(second)).toBeFalsy();
      expect(structured<{ outcome?: string }>(second).outcome).toBe("replayed");
      expect(structured<{ data: { id: number } }>(second).data.id).toBe(
        structured<{ data: { id: number } }>(first).data.id,
      );
      expect(
        sandbox.records<{ full_name: string }>(42, "students").filter((s) => s.full_name === name),
      ).toHaveLength(1);
      const probe = new Redis(redis!.url);
      try {
        const keys = await probe.keys("okmcp:42:okta-partners-sandbox:writes:*");
        expect(keys.length).toBeGreaterThan(0);
        expect(await probe.pttl(keys[0]!)).toBeGreaterThan(0);
      } finally {
        probe.disconnect();
      }
    } finally {
      await onA.close();
      await onB.close();
    }
  });

  it("an identical create racing through both instances at once: one record, one claim", async () => {
    const [a, b] = instances as [(typeof instances)[0], (typeof instances)[0]];
    const onA = await connectStreamable(a.server, KEY_A);
    const onB = await connectStreamable(b.server, KEY_A);
    try {
      for (let round = 0; round < 5; round++) {
        const name = `Raced Write ${round} ${randomUUID().slice(0, 8)}`;
        const args = { name: "create_student", arguments: { full_name: name } };
        const [first, second] = await Promise.all([onA.callTool(args), onB.callTool(args)]);
        expect(first.isError, textOf(first)).toBeFalsy();
        expect(second.isError, textOf(second)).toBeFalsy();
        const outcomes = [first, second].map((r) => structured<{ outcome: string }>(r).outcome).sort();
        expect(outcomes).toEqual(["created", "replayed"]);
        expect(
          sandbox.records<{ full_name: string }>(42, "students").filter((s) => s.full_name === name),
        ).toHaveLength(1);
      }
    } finally {
      await onA.close();
      await onB.close();
    }
  });
});
