/**
 * The platform's rate budget is per installation, so instances sharing a store share it: when
 * the platform answers one instance 429 with Retry-After (or says X-RateLimit-Remaining: 0), the
 * others hold their calls for that long instead of spending the platform's next requests on 429s.
 * Over the in-memory store (two installations in one process) and over a real Redis (pub/sub).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RateLimitedError } from "../../src/client/errors.js";
import { Installation } from "../../src/installation.js";
import { silentLogger } from "../../src/logger.js";
import type { Sandbox } from "../../src/sandbox/index.js";
import { InMemorySharedStore } from "../../src/store/memory.js";
import { RedisSharedStore } from "../../src/store/redis.js";
import type { SharedStore } from "../../src/store/shared-store.js";
import { sandboxWith } from "../helpers.js";
import { redisForTests, type TestRedis } from "./redis-server.js";

let sandbox: Sandbox;
// Found (or started) while the suite is collected, so the Redis case is listed only when there is
// one: locally it is skipped without redis-server, under CI redisForTests throws instead.
const redis: TestRedis | undefined = await redisForTests();
beforeAll(async () => {
  sandbox = await sandboxWith();
});
afterAll(async () => {
  await redis?.stop();
  await sandbox?.stop();
});

const PAUSE_SECONDS = 3;

async function installationOn(store: SharedStore): Promise<Installation> {
  const installation = new Installation({
    baseUrl: sandbox.baseUrl,
    token: sandbox.token,
    logger: silentLogger(),
    sharedStore: store,
  });
  await installation.refreshWhoami();
  return installation;
}

const stores: Array<[string, () => Promise<[SharedStore, SharedStore]>]> = [
  [
    "in memory",
    async () => {
      const store = new InMemorySharedStore();
      return [store, store];
    },
  ],
];
if (redis) {
  const onRedis = async () => {
    const store = new RedisSharedStore({ url: redis.url, logger: silentLogger() });
    await store.ready();
    return store;
  };
  stores.push(["on Redis", async () => [await onRedis(), await onRedis()]]);
}

/** Two installations of one school, each on its own store connection: two instances. */
async function twoInstances(
  makeStores: () => Promise<[SharedStore, SharedStore]>,
  body: (a: Installation, b: Installation) => Promise<void>,
): Promise<void> {
  const [storeA, storeB] = await makeStores();
  const a = await installationOn(storeA);
  const b = await installationOn(storeB);
  try {
    sandbox.clearRequests();
    await body(a, b);
  } finally {
    await a.close();
    await b.close();
    if (storeA !== storeB) await storeB.close();
    await storeA.close();
  }
}

describe.each(stores)("the platform's rate budget, shared %s", (_store, makeStores) => {
  it("a 429 with Retry-After on one instance holds the other's calls, which then succeed", async () => {
    await twoInstances(makeStores, async (a, b) => {
      sandbox.injectFaults({ kind: "429", retryAfterSeconds: PAUSE_SECONDS, match: { tool: "list_grades" } });
      const first = a.client.request({ method: "GET", path: "/education/grades" });
      // A has its 429 (and now waits out the Retry-After before its own retry).
      await expect.poll(() => sandbox.requests.length, { timeout: 10_000 }).toBe(1);
      const second = b.client.request({ method: "GET", path: "/education/grades" });
      await new Promise((r) => setTimeout(r, 500));
      // B heard of the pause: nothing more reached the platform while it lasts.
      expect(sandbox.requests.map((r) => r.status)).toEqual([429]);
      const [ra, rb] = await Promise.all([first, second]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      expect(sandbox.requests.map((r) => r.status)).toEqual([429, 200, 200]);
    });
  }, 30_000);

  it("a pause longer than a call may wait answers at once with the wait, and sends nothing", async () => {
    await twoInstances(makeStores, async (a, b) => {
      sandbox.injectFaults({ kind: "429", retryAfterSeconds: 120, match: { tool: "list_grades" } });
      const first = await a.client
        .request({ method: "GET", path: "/education/grades" })
        .catch((e: unknown) => e);
      expect(first).toBeInstanceOf(RateLimitedError);
      expect((first as RateLimitedError).retryAfterSeconds).toBe(120);
      // The pause travels as a message (pub/sub); give it a moment, then ask once.
      await new Promise((r) => setTimeout(r, 300));
      const second = await b.client
        .request({ method: "GET", path: "/education/subjects" })
        .catch((e: unknown) => e);
      expect(second).toBeInstanceOf(RateLimitedError);
      expect((second as RateLimitedError).retryAfterSeconds).toBeGreaterThan(100);
      // Only A's one request reached the platform; B was told to wait without asking it.
      expect(sandbox.requests.map((r) => r.status)).toEqual([429]);
    });
  }, 30_000);
});
