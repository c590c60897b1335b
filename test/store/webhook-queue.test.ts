/**
 * The durable webhook queue (Redis Streams with a consumer group) against a real redis-server,
 * with real instances of the HTTP server and signed deliveries over HTTP: what was answered 202
 * is in Redis, is processed and acknowledged, outlives the instance that took it (another takes
 * it over after the visibility timeout), is published once, and a Redis that cannot be reached
 * gets 503, never a 2xx.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/logger.js";
import { ALL_SCOPES } from "../../src/platform/scopes.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { createSharedStore } from "../../src/store/create.js";
import { type RedisQueueSettings, redisQueueSettingsFromEnv } from "../../src/store/webhook-queue.js";
import { connectStreamable, KEY_A, waitFor } from "../e2e/http-harness.js";
import { deliver, envelope, recordNotifications, signed } from "../e2e/webhook-harness.js";
import { sandboxWith } from "../helpers.js";
import { type RedisInstance, redisForTests, redisInstance, redisRelay } from "./redis-server.js";

const redis = await redisForTests();
const SECRET = "whsec_durable_queue_0123456789";
const CHANNEL = "okmcp:42:events";
const GROUP = "processors";
const FEED = "okta://events/recent";
afterAll(async () => {
  await redis?.stop();
});

/** A gate processing waits at: shut until opened. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { wait: () => opened, open };
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("OKTA_MCP_* queue knobs", () => {
  it("reads the visibility timeout, the cap and the test delay, and names a bad variable", () => {
    expect(
      redisQueueSettingsFromEnv({
        OKTA_MCP_WEBHOOK_VISIBILITY_MS: "1500",
        OKTA_MCP_WEBHOOK_QUEUE_MAX: "20",
        OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS: "3000",
      }),
    ).toEqual({ visibilityMs: 1500, maxLength: 20, testProcessDelayMs: 3000 });
    expect(redisQueueSettingsFromEnv({})).toEqual({});
    expect(() => redisQueueSettingsFromEnv({ OKTA_MCP_WEBHOOK_VISIBILITY_MS: "30s" })).toThrow(
      /OKTA_MCP_WEBHOOK_VISIBILITY_MS must be a whole number >= 100, got "30s"/,
    );
    expect(() => redisQueueSettingsFromEnv({ OKTA_MCP_WEBHOOK_QUEUE_MAX: "0" })).toThrow(
      /OKTA_MCP_WEBHOOK_QUEUE_MAX/,
    );
  });
});

describe.skipIf(!redis)("accepted webhooks in a Redis Stream", () => {
  let sandbox: Sandbox;
  let probe: Redis;
  let listener: Redis;
  /** Event ids as published on the tenant's events channel, every time one is. */
  const published: string[] = [];
  const open: RedisInstance[] = [];

  beforeAll(async () => {
    sandbox = await sandboxWith({
      installations: [{ token: "sbx_durable_queue_0001", scopes: ALL_SCOPES, tenantId: 42 }],
    });
    probe = new Redis(redis!.url);
    listener = new Redis(redis!.url);
    listener.on("message", (_channel: string, message: string) => published.push(JSON.parse(message).id));
    await listener.subscribe(CHANNEL);
  });
  afterAll(async () => {
    for (const i of open) {
      await i.server.close();
      await i.installation.close();
      await i.store.close();
    }
    probe?.disconnect();
    listener?.disconnect();
    await sandbox?.stop();
  });

  async function instance(queue: Partial<RedisQueueSettings>, url = redis!.url): Promise<RedisInstance> {
    const made = await redisInstance({
      url,
      baseUrl: sandbox.baseUrl,
      token: "sbx_durable_queue_0001",
      webhookSecret: SECRET,
      apiKey: KEY_A,
      queue,
    });
    open.push(made);
    return made;
  }

  /** "Dies": stops without finishing what it took (its processing is held at a gate). */
  async function kill(i: (typeof open)[number]): Promise<void> {
    open.splice(open.indexOf(i), 1);
    await i.server.close();
    await i.installation.close();
    await i.store.close();
  }

  /** Ids pending in the group, with the consumer holding each. */
  async function pending(stream: string): Promise<{ id: string; consumer: string }[]> {
    const rows = (await probe.xpending(stream, GROUP, "-", "+", 100).catch(() => [])) as [string, string][];
    return rows.map(([id, consumer]) => ({ id, consumer }));
  }

  const stream = () => `okmcp-test:${randomUUID()}:queue`;
  const count = (id: unknown) => published.filter((p) => p === id).length;

  it("the 202 comes after the delivery is in the stream; processed, it is acknowledged and gone", async () => {
    const key = stream();
    const held = gate();
    const a = await instance({ stream: key, beforeProcess: held.wait });
    const client = await connectStreamable(a.server, KEY_A);
    const notes = recordNotifications(client);
    try {
      await client.subscribeResource({ uri: FEED });
      const event = envelope();
      expect((await deliver(a.server, signed(SECRET, event))).status).toBe(202);
      // Answered while processing is held: the delivery was stored first, so a crash now loses nothing.
      await until(async () => (await pending(key)).length === 1, "the delivery taken from the stream");
      expect(await probe.xlen(key)).toBe(1);
      expect(count(event.id)).toBe(0);
      held.open();
      await waitFor(() => notes.updated.includes(FEED), 15_000, "the subscriber to hear it");
      await a.server.webhooksIdle();
      expect(await pending(key)).toEqual([]);
      expect(await probe.xlen(key)).toBe(0);
      expect(count(event.id)).toBe(1);
    } finally {
      held.open();
      await client.close();
    }
  });

  it("a delivery taken by an instance that dies is taken over by another after the visibility timeout", async () => {
    const key = stream();
    const stuck = gate();
    const a = await instance({ stream: key, visibilityMs: 300, beforeProcess: stuck.wait });
    const event = envelope();
    expect((await deliver(a.server, signed(SECRET, event))).status).toBe(202);
    await until(async () => (await pending(key)).length === 1, "A to take the delivery");
    const takenBy = (await pending(key))[0]!.consumer;

    // B joins, with a subscriber, while A holds the delivery: nobody has heard it yet.
    const b = await instance({ stream: key, visibilityMs: 300 });
    const client = await connectStreamable(b.server, KEY_A);
    const notes = recordNotifications(client);
    try {
      await client.subscribeResource({ uri: FEED });
      await client.subscribeResource({ uri: "okta://students/5" });
      expect((await pending(key))[0]?.consumer).toBe(takenBy);
      expect(count(event.id)).toBe(0);

      await kill(a);
      await waitFor(() => notes.updated.includes("okta://students/5"), 15_000, "B's subscriber to hear it");
      await b.server.webhooksIdle();
      expect(await pending(key)).toEqual([]);
      expect(count(event.id)).toBe(1);
      expect(b.installation.events.recent().filter((e) => e.id === event.id)).toHaveLength(1);
      // A's processing, let go after its death, publishes nothing.
      stuck.open();
      await new Promise((r) => setTimeout(r, 100));
      expect(count(event.id)).toBe(1);
    } finally {
      stuck.open();
      await client.close();
    }
  });

  it("a slow instance whose delivery was taken over publishes nothing when it wakes up: once", async () => {
    const key = stream();
    const slow = gate();
    const a = await instance({ stream: key, visibilityMs: 300, beforeProcess: slow.wait });
    const event = envelope();
    expect((await deliver(a.server, signed(SECRET, event))).status).toBe(202);
    await until(async () => (await pending(key)).length === 1, "A to take the delivery");
    const b = await instance({ stream: key, visibilityMs: 300 });
    await b.server.webhooksIdle();
    expect(count(event.id)).toBe(1);
    // A, alive all along, finishes its attempt: the entry is no longer its own, nothing is published.
    slow.open();
    await a.server.webhooksIdle();
    await new Promise((r) => setTimeout(r, 100));
    expect(count(event.id)).toBe(1);
    expect(await pending(key)).toEqual([]);
  });

  it("the same delivery posted to two instances at once is stored once and published once", async () => {
    const key = stream();
    const held = gate();
    const a = await instance({ stream: key, beforeProcess: held.wait });
    const b = await instance({ stream: key, beforeProcess: held.wait });
    try {
      const event = envelope();
      const delivery = signed(SECRET, event);
      const answers = await Promise.all([deliver(a.server, delivery), deliver(b.server, delivery)]);
      expect(answers.map((r) => r.status).sort()).toEqual([200, 202]);
      expect(answers.find((r) => r.status === 200)?.json()).toEqual({ status: "duplicate" });
      expect(await probe.xlen(key)).toBe(1);
      held.open();
      await a.server.webhooksIdle();
      await b.server.webhooksIdle();
      await new Promise((r) => setTimeout(r, 100));
      expect(count(event.id)).toBe(1);
    } finally {
      held.open();
    }
  });

  it("past the cap new deliveries get 503 and nothing is kept; a retry goes through once there is room", async () => {
    const key = stream();
    const held = gate();
    const a = await instance({ stream: key, maxLength: 1, beforeProcess: held.wait });
    try {
      expect((await deliver(a.server, signed(SECRET, envelope()))).status).toBe(202);
      const second = signed(SECRET, envelope());
      const refused = await deliver(a.server, second);
      expect(refused.status).toBe(503);
      expect(refused.headers["retry-after"]).toBe("30");
      expect(await probe.xlen(key)).toBe(1);
      held.open();
      await a.server.webhooksIdle();
      // The platform's retry (same delivery id) is not mistaken for a duplicate.
      expect((await deliver(a.server, second)).status).toBe(202);
    } finally {
      held.open();
    }
  });

  it("Redis unreachable: 503 with Retry-After, never a 2xx; once it is back the retry is accepted", async () => {
    const target = new URL(redis!.url);
    const cut = await redisRelay(Number(target.port));
    const key = stream();
    const a = await instance({ stream: key, visibilityMs: 300 }, `redis://127.0.0.1:${cut.port}`);
    const event = envelope();
    const delivery = signed(SECRET, event);
    await cut.down();
    const refused = await deliver(a.server, delivery);
    expect(refused.status).toBe(503);
    expect(refused.json()).toMatchObject({ error: "store_unavailable" });
    expect(refused.headers["retry-after"]).toBe("30");
    await cut.up();
    await until(async () => (await deliver(a.server, delivery)).status === 202, "the retry to be accepted");
    await a.server.webhooksIdle();
    expect(count(event.id)).toBe(1);
    await kill(a);
    await cut.down();
  });
});

describe("createSharedStore and the queue knobs", () => {
  it("refuses to start with an unreadable knob, naming it, before connecting anywhere", async () => {
    const env = { REDIS_URL: "redis://127.0.0.1:1", OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS: "-5" };
    await expect(createSharedStore(env, silentLogger())).rejects.toThrow(
      /^OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS must be a whole number >= 0, got "-5"$/,
    );
  });
});
