/**
 * A webhook accepted (202) by an instance that is killed before processing it still reaches the
 * subscribers on the other instances, once: the delivery waits in the Redis Stream, and after the
 * visibility timeout a surviving instance takes it over (XAUTOCLAIM) and processes it.
 *
 * The queue's knobs: OKTA_MCP_WEBHOOK_VISIBILITY_MS (short here, so the test is quick) and the
 * test-only OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS on every instance (a delivery read fresh waits
 * that long; one taken over is processed at once). Whichever instance the stream hands the
 * delivery to holds it; XPENDING names that consumer (`<host>:<pid>:<random>`), and that is the
 * instance killed, so the test proves the kill case rather than an ordinary delivery.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../e2e/webhook-harness.js";
import { type Cluster, clusterBinaries, startCluster } from "./cluster-harness.js";
import { firstEvent, listenersOn } from "./listeners.js";

const KEY = "cluster-key-queue-0123456789abcdef";
const VISIBILITY_ENV = "OKTA_MCP_WEBHOOK_VISIBILITY_MS";
const PROCESSING_DELAY_ENV = "OKTA_MCP_TEST_WEBHOOK_PROCESS_DELAY_MS";
const VISIBILITY_MS = 5_000;
const STREAM = "okmcp:webhooks:queue";
const GROUP = "processors";

/** The pid of the consumer holding the one pending delivery, once the stream has handed it out. */
async function holderPid(redisUrl: string): Promise<number> {
  const redis = new Redis(redisUrl);
  try {
    for (let i = 0; i < 200; i++) {
      const pending = (await redis.xpending(STREAM, GROUP, "-", "+", 10)) as Array<
        [string, string, number, number]
      >;
      if (pending.length === 1) return Number(pending[0]![1].split(":").at(-2));
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("no delivery became pending within 10 s");
  } finally {
    redis.disconnect();
  }
}
const binaries = clusterBinaries();

describe.skipIf(!binaries)("a webhook accepted by an instance killed before processing it", () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(binaries!, {
      keys: [KEY],
      // Longer than delivery -> finding the holder -> listening -> the silent half second -> the
      // kill, so no survivor takes the delivery over while its holder is still alive.
      instanceEnv: () => ({ [VISIBILITY_ENV]: String(VISIBILITY_MS), [PROCESSING_DELAY_ENV]: "600000" }),
    });
  }, 60_000);
  afterAll(() => cluster?.stop(), 30_000);

  it("is reclaimed by a survivor and reaches a 2026 listener and a 2025 subscriber on the others, once", async () => {
    const accepted = Date.now();
    expect((await deliver(cluster.instances[0].handle, firstEvent())).status).toBe(202);
    const pid = await holderPid(cluster.redisUrl);
    const holder = cluster.instances.find((i) => i.pid === pid);
    expect(holder, `pid ${pid} is one of the instances`).toBeDefined();
    const [b, c] = cluster.instances.filter((i) => i !== holder) as [
      typeof holder & object,
      typeof holder & object,
    ];
    const listeners = await listenersOn(b, c, KEY);
    try {
      // The holder sits on it (the processing delay): nobody has heard it when the instance dies.
      await new Promise((r) => setTimeout(r, 500));
      expect(listeners.heard().flat()).toEqual([]);
      // Still inside the holder's visibility window: the kill, not a take-over of a live holder, is tested.
      expect(Date.now() - accepted).toBeLessThan(VISIBILITY_MS);
      await holder!.kill9();

      await listeners.bothHear("okta://students/5");
      await listeners.expectFirstHeardOnce(b.handle);
    } finally {
      await listeners.close();
    }
  }, 60_000);
});
